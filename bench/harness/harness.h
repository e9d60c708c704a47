// bench/harness/harness.h: the small hand-written harness every workload uses.
//
// One process runs one (workload, system) pair once and prints its
// measurements to stdout, one JSON object per line:
//
//   {"metric":"W2","system":"refgc","value":8.13,"unit":"ns/object",...}
//
// The driver (bench/tools/driver.py) starts those processes interleaved,
// repeats them, and aggregates (median, min) and compares. Keeping one
// measurement per process gives every variant a fresh heap, a fresh RSS
// baseline and -- for W1 -- control over whether a thread has ever existed.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

namespace bench {

// ---------------------------------------------------------------------------
// Keeping the optimizer honest.
// ---------------------------------------------------------------------------

// The value must exist (in a register or memory) at this point.
template <class T>
inline void do_not_optimize(T const& value) {
  asm volatile("" : : "r,m"(value) : "memory");
}
// All memory is read and written here: stores before it happen, loads after
// it are redone.
inline void clobber() { asm volatile("" : : : "memory"); }

// ---------------------------------------------------------------------------
// Time.
// ---------------------------------------------------------------------------

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Runs f() and returns the elapsed wall time in seconds.
template <class F>
double time_it(F&& f) {
  const Clock::time_point t0 = Clock::now();
  f();
  const double s = seconds_since(t0);
  clobber();
  return s;
}

// ---------------------------------------------------------------------------
// Memory.
// ---------------------------------------------------------------------------

// Resident anonymous memory now, in bytes (RssAnon: code pages excluded).
std::size_t current_rss_bytes();
// Peak resident set size of this process so far, in bytes (VmHWM).
std::size_t peak_rss_bytes();

// ---------------------------------------------------------------------------
// Output.
// ---------------------------------------------------------------------------

// One measurement line. Extra fields are written verbatim (numbers) or
// quoted (strings).
class Result {
 public:
  Result(std::string metric, std::string system, double value, std::string unit);
  Result& field(const std::string& key, double v);
  Result& field(const std::string& key, const std::string& v);
  Result& flag(const std::string& key, bool v);
  // Prints the line and flushes stdout.
  void emit() const;

 private:
  std::string metric_;
  std::string system_;
  double value_;
  bool null_value_;
  std::string unit_;
  std::vector<std::pair<std::string, std::string>> extra_;  // key, JSON text

  friend Result crashed_result(std::string metric, std::string system, std::string unit,
                               int signal);
};

// A result whose value is null: the variant died of `signal`.
Result crashed_result(std::string metric, std::string system, std::string unit, int signal);

// Prints "bench: <msg>" to stderr and exits with status 2. For broken
// invariants of a workload (e.g. W3's collect() not returning 2,000,000).
[[noreturn]] void fail(const std::string& msg);

// ---------------------------------------------------------------------------
// Options.
// ---------------------------------------------------------------------------

struct Options {
  std::string workload;  // "W1", "W2", ...
  std::string system;    // "refgc", "shared_ptr", ...
  std::string variant;   // workload-specific ("never-threaded", "tree", ...)
  std::size_t n = 0;     // problem size; 0 = the workload's default
  int inner = 0;         // in-process repetitions; 0 = the workload's default

  std::size_t n_or(std::size_t def) const { return n != 0 ? n : def; }
  int inner_or(int def) const { return inner != 0 ? inner : def; }
};

// "1K", "10M", "1000000": a readable label for a problem size.
std::string size_label(std::size_t n);

}  // namespace bench
