// examples/example_checks.h: the self-checks of the example programs that are
// CTests (widgets.cc, plugins/host.cc). A failed check prints FAIL with its
// place and counts in g_failures; the program exits non-zero when any failed.
// Header-only, one per program (each includes it once, in its main file).
#pragma once

#include <cstdio>
#include <string>

namespace example {
inline int g_failures = 0;
}  // namespace example

#define CHECK(cond)                                               \
  do {                                                            \
    if (!(cond)) {                                                \
      std::printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      ++example::g_failures;                                      \
    }                                                             \
  } while (0)
#define CHECK_EQ(a, b)                                                                            \
  do {                                                                                            \
    const long long va_ = static_cast<long long>(a);                                              \
    const long long vb_ = static_cast<long long>(b);                                              \
    if (va_ != vb_) {                                                                             \
      std::printf("FAIL %s:%d: %s == %s (%lld vs %lld)\n", __FILE__, __LINE__, #a, #b, va_, vb_); \
      ++example::g_failures;                                                                      \
    }                                                                                             \
  } while (0)
#define CHECK_STR(a, b)                                                                    \
  do {                                                                                     \
    const std::string va_ = (a);                                                           \
    const std::string vb_ = (b);                                                           \
    if (va_ != vb_) {                                                                      \
      std::printf("FAIL %s:%d: %s == %s (\"%s\" vs \"%s\")\n", __FILE__, __LINE__, #a, #b, \
                  va_.c_str(), vb_.c_str());                                               \
      ++example::g_failures;                                                               \
    }                                                                                      \
  } while (0)
