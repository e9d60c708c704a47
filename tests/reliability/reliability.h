// tests/reliability/reliability.h: what the stress and soak tests share --
// the size knob (REFGC_SOAK_SCALE, README.md), sanitizer detection, memory
// readings from /proc, and a thread with a small stack.
#pragma once

#include <gtest/gtest.h>
#include <pthread.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>

namespace refgc_reliability {

// Sanitizer builds run 5-20 times slower and use more memory per object:
// they run the same scenarios at a smaller size.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif
#else
inline constexpr bool kSanitized = false;
#endif

// REFGC_SOAK_SCALE (default 1): multiplies run lengths and sizes. CI runs at 1.
inline double scale() {
  static const double s = [] {
    const char* v = std::getenv("REFGC_SOAK_SCALE");
    const double x = v != nullptr ? std::atof(v) : 1.0;
    return x > 0 ? x : 1.0;
  }();
  return s;
}

// `n` at scale 1 in an optimized build; divided by `sanitized_divisor` under
// sanitizers; multiplied by the scale.
inline std::size_t sized(double n, double sanitized_divisor = 10) {
  const double base = kSanitized ? n / sanitized_divisor : n;
  return static_cast<std::size_t>(base * scale());
}

// Resident set size now, in bytes (/proc/self/statm), or 0 if unknown.
inline std::size_t rss_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long size = 0, resident = 0;
  const int n = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  return n == 2 ? resident * 4096ul : 0;
}

// Peak resident set size since the process started (VmHWM), or 0.
inline std::size_t peak_rss_bytes() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return 0;
  char line[256];
  std::size_t kb = 0;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::strncmp(line, "VmHWM:", 6) == 0) {
      kb = std::strtoul(line + 6, nullptr, 10);
      break;
    }
  }
  std::fclose(f);
  return kb * 1024;
}

inline double mib(std::size_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

// Runs `body` on a new thread with a `stack_bytes` stack (the thread holds no
// heap when it starts).
inline void run_on_stack(std::size_t stack_bytes, const std::function<void()>& body) {
  pthread_attr_t attr;
  ASSERT_EQ(pthread_attr_init(&attr), 0);
  ASSERT_EQ(pthread_attr_setstacksize(&attr, stack_bytes), 0);
  pthread_t thread;
  auto entry = [](void* p) -> void* {
    (*static_cast<const std::function<void()>*>(p))();
    return nullptr;
  };
  ASSERT_EQ(pthread_create(&thread, &attr, entry, const_cast<std::function<void()>*>(&body)), 0);
  ASSERT_EQ(pthread_join(thread, nullptr), 0);
  pthread_attr_destroy(&attr);
}

// A small deterministic generator (xorshift64*), the same on every platform.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : s_(seed ? seed : 1) {}
  std::uint64_t next() {
    s_ ^= s_ >> 12;
    s_ ^= s_ << 25;
    s_ ^= s_ >> 27;
    return s_ * 0x2545F4914F6CDD1DULL;
  }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
  bool chance(unsigned percent) { return below(100) < percent; }

 private:
  std::uint64_t s_;
};

}  // namespace refgc_reliability
