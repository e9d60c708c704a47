// bench/probes/page_faults.cc: how much of two W6/W4 rows is first-touch page
// faults. Not a spec workload: a probe that splits a time into the part that
// touches fresh memory and the part that does not, on the machine it runs on.
//
//   machine         one first write to each page of a fresh 64 MiB mapping:
//                   microseconds per 4 KiB page fault
//   weakref-create  W6 create (N live nodes, one callback-less WeakRef each,
//                   kept in a vector): once into fresh memory, then again
//                   after the first weak references were dropped, into the
//                   slots and the vector they left (with automatic collection
//                   off, only generation 0's vector still grows): ns and page
//                   faults per weak reference
//   young           W4's young collection with 1,000 new objects (a chain
//                   built from its tail, kept, automatic collection off, an
//                   old heap of N objects in generation 2), 30 times: the
//                   median collection with no page fault and the median with
//                   some, and the faults per collection (generation 1's
//                   vector grows by 8 bytes per survivor)
//
//   cmake --preset bench && cmake --build --preset bench --target refgc_probe_page_faults
//   taskset -c 1 build/bench/bench/refgc_probe_page_faults [machine|weakref-create|young|all]
//           [--gc on|off] [--n N]
#include <refgc/refgc.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct Node : refgc::Object {
  refgc::Ref<refgc::Object> a, b;
  void trace(refgc::Tracer& t) override {
    t(a);
    t(b);
  }
};

using Clock = std::chrono::steady_clock;

long minor_faults() {
  rusage r{};
  getrusage(RUSAGE_SELF, &r);
  return r.ru_minflt;
}

double ns_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
}

void machine() {
  constexpr std::size_t kBytes = std::size_t{64} << 20;
  void* m = mmap(nullptr, kBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) {
    std::perror("mmap");
    std::exit(1);
  }
  auto* p = static_cast<volatile char*>(m);
  const long f0 = minor_faults();
  const Clock::time_point t0 = Clock::now();
  for (std::size_t i = 0; i < kBytes; i += 4096) p[i] = 1;
  const double ns = ns_since(t0);
  const long faults = minor_faults() - f0;
  std::printf("machine: %.2f us per page fault (%ld faults, 4 KiB pages)\n",
              ns / 1e3 / static_cast<double>(std::max(faults, 1L)), faults);
  munmap(m, kBytes);
}

void weakref_create(std::size_t n) {
  std::vector<refgc::Ref<Node>> hold;
  hold.reserve(n);
  for (std::size_t i = 0; i < n; ++i) hold.push_back(refgc::make<Node>());
  std::vector<refgc::WeakRef<Node>> weaks;
  for (const char* memory : {"fresh memory", "reused memory"}) {
    const long f0 = minor_faults();
    const Clock::time_point t0 = Clock::now();
    weaks.reserve(n);
    for (std::size_t i = 0; i < n; ++i) weaks.emplace_back(hold[i]);
    const double ns = ns_since(t0);
    const long faults = minor_faults() - f0;
    for (const auto& w : weaks)
      if (!w.alive()) {
        std::fprintf(stderr, "weakref-create: a weak reference is dead\n");
        std::exit(1);
      }
    std::printf("weakref-create, %s: %.1f ns per weak reference, %.4f page faults per one\n",
                memory, ns / static_cast<double>(n), static_cast<double>(faults) / n);
    // The weak references die here; the vector and the side table keep
    // their room: the second round reuses those and the dead ones' slots.
    weaks.clear();
  }
}

refgc::Ref<Node> chain(std::size_t len) {
  refgc::Ref<Node> head;
  for (std::size_t i = 0; i < len; ++i) {
    refgc::Ref<Node> node = refgc::make<Node>();
    node->a = std::move(head);
    head = std::move(node);
  }
  return head;
}

void young(std::size_t n) {
  const bool was = refgc::gc::isenabled();
  refgc::gc::disable();
  // W4's setting: an old heap of n objects, all in the oldest generation.
  const refgc::Ref<Node> old = chain(n);
  refgc::gc::collect();
  auto median = [](std::vector<double> v) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  std::vector<refgc::Ref<Node>> keep;
  std::vector<double> clean, faulting;
  long faults_total = 0;
  for (int i = 0; i < 30; ++i) {
    keep.push_back(chain(1000));
    const long f0 = minor_faults();
    const Clock::time_point t0 = Clock::now();
    refgc::gc::collect(0);
    const double us = ns_since(t0) / 1e3;
    const long faults = minor_faults() - f0;
    faults_total += faults;
    (faults == 0 ? clean : faulting).push_back(us);
  }
  std::printf(
      "young: %zu of 30 collections with no page fault, median %.2f us; %zu with some, median "
      "%.2f us; %.2f faults per collection\n",
      clean.size(), median(clean), faulting.size(), median(faulting),
      static_cast<double>(faults_total) / 30.0);
  if (was) refgc::gc::enable();
}

[[noreturn]] void usage(const char* argv0) {
  std::fprintf(stderr, "usage: %s [machine|weakref-create|young|all] [--gc on|off] [--n N]\n",
               argv0);
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  std::string what = "all";
  bool gc_on = true;
  std::size_t n = 1'000'000;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--gc" && i + 1 < argc) {
      const std::string v = argv[++i];
      if (v != "on" && v != "off") usage(argv[0]);
      gc_on = v == "on";
    } else if (arg == "--n" && i + 1 < argc) {
      const long v = std::atol(argv[++i]);
      if (v < 1) usage(argv[0]);
      n = static_cast<std::size_t>(v);
    } else if (arg == "machine" || arg == "weakref-create" || arg == "young" || arg == "all") {
      what = arg;
    } else {
      usage(argv[0]);
    }
  }
  if (!gc_on) refgc::gc::disable();
  if (what == "machine" || what == "all") machine();
  if (what == "weakref-create" || what == "all") weakref_create(n);
  if (what == "young" || what == "all") young(n);
  return 0;
}
