// examples/example_checks.h: the self-checks of the example programs that are
// CTests (widgets.cc, document.cc, plugins/host.cc). A failed check prints
// FAIL with its place and counts in g_failures; the program exits non-zero
// when any failed. Header-only, one per program (each includes it once, in
// its main file). Also run_on_small_stack(), for the deep-structure checks,
// and the small helpers the programs' checks share.
#pragma once

#include <pthread.h>

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <regex>
#include <string>

#include "refgc/gc.h"
#include "refgc/heap.h"

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

namespace example {
// Runs body() on a new thread with a stack of `bytes` (256 KiB: a deep
// structure released recursively would overflow it) and a heap of its own,
// and waits for it.
inline void run_on_small_stack(std::size_t bytes, void (*body)()) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, bytes);
  pthread_t thread;
  auto entry = [](void* p) -> void* {
    refgc::Heap heap;
    {
      refgc::Heap::Lock lock(heap);
      reinterpret_cast<void (*)()>(p)();
    }
    return nullptr;
  };
  const int created = pthread_create(&thread, &attr, entry, reinterpret_cast<void*>(body));
  CHECK(created == 0);
  if (created == 0) pthread_join(thread, nullptr);  // no thread to join otherwise
  pthread_attr_destroy(&attr);
}

inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// A chain's text with its addresses blanked ("Element@0x55d0c1a2e010" ->
// "Element@.."), so that a check can compare it whole.
inline std::string without_addresses(const std::string& s) {
  static const std::regex address("@0x[0-9a-f]+");
  return std::regex_replace(s, address, "@..");
}

// Stops automatic collection for a scope, where a check says "still alive
// until the next collection" or "freed by refcount, no collection":
// otherwise the 700th allocation could run that collection earlier, as it
// could in Python.
struct NoAutomaticCollection {
  NoAutomaticCollection() { refgc::gc::disable(); }
  ~NoAutomaticCollection() { refgc::gc::enable(); }
  NoAutomaticCollection(const NoAutomaticCollection&) = delete;
  NoAutomaticCollection& operator=(const NoAutomaticCollection&) = delete;
};
}  // namespace example
