// bench/harness/registry.h: which (workload, system) pairs the binary can run.
//
// Each adapter file (bench/adapters/*.cc) defines its system type and calls
// bench::add_workloads<System>(entries) (workloads.h), which registers every
// workload the system's capabilities allow.
#pragma once

#include <string>
#include <vector>

#include "harness.h"

namespace bench {

struct Entry {
  std::string workload;
  std::string system;
  std::string variants;  // for --list / usage only
  void (*run)(const Options&);
};

// One per adapter file.
void register_refgc(std::vector<Entry>& out);
void register_intrusive(std::vector<Entry>& out);
void register_shared_ptr(std::vector<Entry>& out);
#if REFGC_BENCH_HAVE_BOEHM
void register_boehm(std::vector<Entry>& out);
#endif

inline void register_all(std::vector<Entry>& out) {
  register_refgc(out);
  register_intrusive(out);
  register_shared_ptr(out);
#if REFGC_BENCH_HAVE_BOEHM
  register_boehm(out);
#endif
}

}  // namespace bench
