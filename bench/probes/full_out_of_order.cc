// bench/probes/full_out_of_order.cc: one full collection of a generation 2
// whose order is not the heap walk's (a ring built from its tail: each new
// node becomes the head, so every young collection promotes its survivors
// newest first), all live or all garbage. Prints the collection's time and
// how much the process's peak RSS grew during it, per object: the cost and
// the memory of rebuilding generation 2's list (docs/design/memory-model.md,
// "The rebuilt list's entries are 4 bytes"). Not a spec workload: a probe
// for A/B runs of the collector against an older build.
//
//   cmake --preset bench && cmake --build --preset bench --target refgc_probe_full_out_of_order
//   taskset -c 1 build/bench/bench/refgc_probe_full_out_of_order [N=4000000] [live|garbage]
#include <refgc/refgc.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

namespace {

struct Node : refgc::Object {
  refgc::Ref<Node> next;
  void trace(refgc::Tracer& t) override { t(next); }
};

long status_kib(const char* key) {
  std::ifstream f("/proc/self/status");
  std::string line;
  const std::size_t n = std::strlen(key);
  while (std::getline(f, line))
    if (line.compare(0, n, key) == 0) return std::stol(line.substr(n));
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  const long n = argc > 1 ? std::atol(argv[1]) : 4'000'000;
  const bool garbage = argc > 2 && std::strcmp(argv[2], "garbage") == 0;
  if (n < 2 || (argc > 2 && !garbage && std::strcmp(argv[2], "live") != 0)) {
    std::fprintf(stderr, "usage: %s [N >= 2] [live|garbage]\n", argv[0]);
    return 2;
  }
  refgc::gc::disable();
  refgc::Ref<Node> tail = refgc::make<Node>();
  refgc::Ref<Node> head = tail;
  for (long i = 1; i < n; ++i) {
    auto node = refgc::make<Node>();
    node->next = std::move(head);
    head = std::move(node);
    if (i % 700 == 0) refgc::gc::collect(0);  // survivors promoted newest first
  }
  tail->next = head;  // a ring
  refgc::gc::collect(1);
  refgc::gc::collect();  // all in generation 2, out of walk order
  if (garbage) {
    head.reset();
    tail.reset();
  }
  const long before = status_kib("VmRSS:");
  std::ofstream("/proc/self/clear_refs") << "5";  // VmHWM := VmRSS
  const auto t0 = std::chrono::steady_clock::now();
  const std::size_t found = refgc::gc::collect();
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  const long peak = status_kib("VmHWM:");
  if (found != (garbage ? static_cast<std::size_t>(n) : 0)) {
    std::fprintf(stderr, "collect() found %zu unreachable objects\n", found);
    return 1;
  }
  std::printf("n=%ld %s: full collection %.1f ms, peak RSS during it +%.1f bytes per object\n", n,
              garbage ? "garbage" : "live", ms, static_cast<double>(peak - before) * 1024.0 / n);
  return 0;
}
