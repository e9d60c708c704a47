// bench/harness/workloads.h: the workloads W1-W8 and the pause curve, written
// once against the System interface below; each adapter (bench/adapters/)
// supplies one System. The numbers are defined in shared/spec/benchmarks.md.
//
// The System interface ("an object with two reference fields"):
//
//   static constexpr const char* kName;        "refgc", "shared_ptr", ...
//   using Handle;                              strong handle; default = null
//   template <class T> using Vector;           a container that keeps Handles
//                                              visible to the system (Boehm
//                                              needs memory it scans)
//   static void init();                        once per process, first
//   static Handle make();                      new node, both fields null
//   static void set_a(const Handle&, Handle);  node.a = value
//   static void set_b(const Handle&, Handle);  node.b = value
//   static std::size_t requested_bytes();      bytes asked of the allocator per node
//   static std::size_t allocator_bytes();      the allocator's bytes in use/reserved
//
// Optional capabilities, detected with `requires`:
//   kRefCounted (bool)                         dropping the last handle frees
//   collect() -> size_t                        full collection; returns the number
//                                              of unreachable objects found
//                                              (kCountsGarbage says if it knows)
//   collect_young()                            generation-0 collection
//   disable_auto() / enable_auto()             automatic collection off / on
//   using List; make_list(); list_append()     a traced list of nodes
//   using Nest; nest(Nest inner)               a list holding one list (W5)
//   note() -> std::string                      a remark attached to results
//   using Weak; weak_ref(h); weak_ref(h, f)    weak references (W6, W7 one-weakref):
//     weak_alive(w)                            weakref.ref(o) and weakref.ref(o, cb);
//                                              f() is called once when o dies
//   using WeakDict; dict_set(d, key, h);       a weak-value dictionary with
//     dict_size(d)                             std::size_t keys (W6 dict)
//   footprint_bytes() -> size_t                every byte the system holds from the
//                                              allocator, bookkeeping included
//                                              (refgc: pool chunks, weak side table,
//                                              generation vectors); W7 one-weakref
//                                              uses it when present
//   referrer_count(h) -> size_t                diagnostics (W8): gc.get_referrers(h),
//   census_count() -> size_t                   the census by type name (returns the
//   backref_chain_length(h) -> size_t          nodes' row), the backref chain to the
//                                              nearest object held from outside
#pragma once

#include <sys/resource.h>
#include <sys/single_threaded.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdio>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "harness.h"
#include "registry.h"

namespace bench {

template <class S>
concept System = requires(const typename S::Handle& h, typename S::Handle v) {
  { S::kName } -> std::convertible_to<const char*>;
  { S::make() } -> std::same_as<typename S::Handle>;
  S::set_a(h, std::move(v));
  S::set_b(h, std::move(v));
  { S::requested_bytes() } -> std::convertible_to<std::size_t>;
  { S::allocator_bytes() } -> std::convertible_to<std::size_t>;
  S::init();
  typename S::template Vector<typename S::Handle>;
};

template <class S>
concept Collecting = System<S> && requires {
  { S::collect() } -> std::convertible_to<std::size_t>;
  S::disable_auto();
  S::enable_auto();
};

template <class S>
concept Generational = Collecting<S> && requires {
  S::collect_young();
};

template <class S>
concept RefCounted = System<S> && S::kRefCounted;

template <class S>
concept HasLists = System<S> && requires(typename S::List& l, typename S::Handle h) {
  { S::make_list() } -> std::same_as<typename S::List>;
  S::list_append(l, std::move(h));
};

template <class S>
concept HasNest = System<S> && requires(typename S::Nest n) {
  { S::nest(std::move(n)) } -> std::same_as<typename S::Nest>;
};

// W6's weak-reference callback: counts the deaths it is told about.
struct CountCallback {
  std::size_t* count;
  void operator()() const noexcept { ++*count; }
};

template <class S>
concept HasWeakRefs = System<S> && requires(const typename S::Handle& h, const typename S::Weak& w,
                                            typename S::WeakDict& d, std::size_t key) {
  { S::weak_ref(h) } -> std::same_as<typename S::Weak>;
  { S::weak_ref(h, CountCallback{nullptr}) } -> std::same_as<typename S::Weak>;
  { S::weak_alive(w) } -> std::convertible_to<bool>;
  S::dict_set(d, key, h);
  { S::dict_size(d) } -> std::convertible_to<std::size_t>;
};

template <class S>
concept HasDiag = Collecting<S> && HasLists<S> && requires(const typename S::Handle& h) {
  { S::referrer_count(h) } -> std::convertible_to<std::size_t>;
  { S::census_count() } -> std::convertible_to<std::size_t>;
  { S::backref_chain_length(h) } -> std::convertible_to<std::size_t>;
};

template <class S>
std::size_t footprint_bytes_of() {
  if constexpr (requires { S::footprint_bytes(); }) {
    return S::footprint_bytes();
  } else {
    return S::allocator_bytes();
  }
}

// S::List when the system has lists, else a placeholder.
template <class S>
struct list_of {
  using type = std::nullptr_t;
};
template <HasLists S>
struct list_of<S> {
  using type = typename S::List;
};

template <class S>
std::string note_of() {
  if constexpr (requires { S::note(); }) {
    return S::note();
  } else {
    return {};
  }
}

// Median and minimum of in-process samples.
struct Stats {
  double median = 0;
  double min = 0;
};
inline Stats stats_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  Stats s;
  if (v.empty()) return s;
  s.min = v.front();
  const std::size_t m = v.size() / 2;
  s.median = v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
  return s;
}

// ---------------------------------------------------------------------------
// W1: copy + destroy one strong handle, 100M times, one thread.
// variant "never-threaded": this process never starts a thread.
// variant "threaded": it starts and joins one thread first (libstdc++'s
// shared_ptr then uses atomic instructions for good).
//
// The loop is a few instructions, and its speed depends on where it sits
// relative to 64-byte boundaries (the fetch and micro-op cache windows): on
// the 2026-11-23 VM a copy of one build's loop shifted by 0-56 bytes took
// 0.60-1.09 ns for refgc and 0.53-1.12 ns for the intrusive pointer, so a
// single placement measured whichever offset the linker happened to give.
// Each system's loop is therefore compiled kW1Offsets times, each copy
// starting kW1Step * k bytes past a 64-byte boundary (nops, run once per
// call), and the value reported is the median over those placements (of each
// placement's median slice): a property of the code, not of one layout.
// ---------------------------------------------------------------------------
inline constexpr int kW1Offsets = 8;
inline constexpr int kW1Step = 8;

// The function moves by 0-56 bytes; g++ then aligns the loop head where it
// is a jump target (-falign-jumps, -falign-loops: to 8 bytes, 16 when that
// costs at most 10), so a loop head takes the offsets a normal build can
// give it. Checked with objdump on 2026-11-23: refgc's 8 copies have their
// loop heads at 4 offsets mod 64 (8, 24, 40, 56), each twice; the intrusive
// pointer's and shared_ptr's, whose loop heads are not aligned, at 8. Turning
// the alignment off (-falign-loops=1 -falign-jumps=1) gave refgc 8 offsets
// too, none of them one that g++ produces by default, and 0.86-1.35 ns per
// copy against the intrusive pointer's 0.58-0.78: that measures placements
// no user build has, so the harness keeps the compiler's defaults.
template <System S, int kPad>
[[gnu::noinline, gnu::aligned(64)]] void w1_loop(const typename S::Handle& h, std::size_t count) {
  asm volatile(".skip %c0, 0x90" : : "i"(kPad));
  for (std::size_t i = 0; i < count; ++i) {
    typename S::Handle copy(h);  // +1
    do_not_optimize(copy);       // the count is in memory here
  }                              // -1
}

template <System S, int... kIndex>
constexpr auto w1_loops(std::integer_sequence<int, kIndex...>) {
  using Loop = void (*)(const typename S::Handle&, std::size_t);
  return std::array<Loop, sizeof...(kIndex)>{&w1_loop<S, kIndex * kW1Step>...};
}

template <System S>
void w1_copy_destroy(const Options& o) {
  const bool threaded = o.variant == "threaded";
  if (!threaded && o.variant != "never-threaded") fail("W1 variant: never-threaded | threaded");
  if (threaded) std::thread([] {}).join();
  if (static_cast<bool>(__libc_single_threaded) == threaded)
    fail("W1: __libc_single_threaded does not match the variant");
  S::init();
  const std::size_t n = o.n_or(100'000'000);
  typename S::Handle h = S::make();
  constexpr auto loops = w1_loops<S>(std::make_integer_sequence<int, kW1Offsets>{});
  for (auto loop : loops) loop(h, n / 50 / kW1Offsets);  // warm-up
  // n iterations: for each placement, `chunks` timed slices, the placements
  // taking turns slice by slice (a noisy minute hits them all alike). The
  // median slice of a placement is robust to a noisy neighbour; the fastest
  // slice overall shows the machine at its best.
  const int chunks = o.inner_or(5);
  const std::size_t per_chunk = n / static_cast<std::size_t>(chunks * kW1Offsets);
  std::array<std::vector<double>, kW1Offsets> ns;
  for (int c = 0; c < chunks; ++c)
    for (std::size_t k = 0; k < loops.size(); ++k)
      ns[k].push_back(time_it([&] { loops[k](h, per_chunk); }) * 1e9 /
                      static_cast<double>(per_chunk));
  std::vector<double> by_offset;
  double fastest = ns[0][0];
  for (const auto& v : ns) {
    const Stats s = stats_of(v);
    by_offset.push_back(s.median);
    fastest = std::min(fastest, s.min);
  }
  std::string offsets;
  for (std::size_t k = 0; k < by_offset.size(); ++k) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%s+%zu: %.3f", k ? ", " : "", k * kW1Step, by_offset[k]);
    offsets += buf;
  }
  const Stats st = stats_of(by_offset);
  Result("W1/" + o.variant, S::kName, st.median, "ns/op")
      .field("min", fastest)
      .field("n", static_cast<double>(per_chunk) * chunks * kW1Offsets)
      .field("inner", chunks)
      .field("offsets", kW1Offsets)
      .field("by_offset", offsets)
      .flag("single_threaded", static_cast<bool>(__libc_single_threaded))
      .emit();
}

// ---------------------------------------------------------------------------
// W2: create one object with two reference fields and drop it at once, 10M times.
// ---------------------------------------------------------------------------
template <System S>
void w2_create_drop(const Options& o) {
  S::init();
  const std::size_t n = o.n_or(10'000'000);
  auto loop = [&](std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
      typename S::Handle h = S::make();
      do_not_optimize(h);
    }  // dropped here (Boehm: unreachable from here on)
  };
  loop(n / 20);  // warm-up: pools and free lists exist
  // 200 timed slices of 50K objects (10M): on a shared machine a slice that
  // was preempted is an outlier the median drops, where 10 slices of 1M
  // were each likely to include a preemption.
  const int chunks = o.inner_or(200);
  const std::size_t per_chunk = n / static_cast<std::size_t>(chunks);
  std::vector<double> ns;
  for (int c = 0; c < chunks; ++c)
    ns.push_back(time_it([&] { loop(per_chunk); }) * 1e9 / static_cast<double>(per_chunk));
  const Stats st = stats_of(ns);
  Result("W2", S::kName, st.median, "ns/object")
      .field("min", st.min)
      .field("n", static_cast<double>(per_chunk) * chunks)
      .field("inner", chunks)
      .field("note", note_of<S>())
      .emit();
}

// ---------------------------------------------------------------------------
// W3: 1M two-object cycles, automatic collection off, all handles dropped;
// one full collection, timed. A counting collector must report 2,000,000.
// ---------------------------------------------------------------------------
template <Collecting S>
void w3_cycles(const Options& o) {
  S::init();
  S::disable_auto();
  const std::size_t pairs = o.n_or(1'000'000);
  {
    typename S::template Vector<typename S::Handle> hold;
    hold.reserve(2 * pairs);
    for (std::size_t i = 0; i < pairs; ++i) {
      typename S::Handle a = S::make();
      typename S::Handle b = S::make();
      S::set_a(a, b);
      S::set_a(b, a);
      hold.push_back(std::move(a));
      hold.push_back(std::move(b));
    }
  }  // every handle dropped (the vector's storage too)
  std::size_t found = 0;
  const double s = time_it([&] { found = S::collect(); });
  if (S::kCountsGarbage && found != 2 * pairs)
    fail(std::string("W3: ") + S::kName + " collect() returned " + std::to_string(found) +
         ", expected " + std::to_string(2 * pairs));
  const double objects = 2.0 * static_cast<double>(pairs);
  Result("W3", S::kName, s * 1e9 / objects, "ns/freed object")
      .field("total_ms", s * 1e3)
      .field("collected", S::kCountsGarbage ? static_cast<double>(found) : -1.0)
      .field("note", note_of<S>())
      .emit();
}

// ---------------------------------------------------------------------------
// Heap shapes for W4 and the pause curve.
// ---------------------------------------------------------------------------

// A balanced binary tree of exactly n nodes (pre-order allocation).
template <System S>
typename S::Handle build_tree(std::size_t n) {
  if (n == 0) return {};
  typename S::Handle root = S::make();
  const std::size_t left = (n - 1) / 2;
  S::set_a(root, build_tree<S>(left));
  S::set_b(root, build_tree<S>(n - 1 - left));
  return root;
}

// "list + chain": one list holding n-1 nodes, node i's `a` is node i+1.
// n tracked objects in all.
template <HasLists S>
typename S::List build_list_chain(std::size_t n) {
  typename S::List list = S::make_list();
  typename S::Handle prev{};
  for (std::size_t i = 0; i + 1 < n; ++i) {
    typename S::Handle node = S::make();
    if (prev) S::set_a(prev, node);
    prev = node;
    S::list_append(list, std::move(node));
  }
  return list;
}

// A chain of `len` new nodes; returns its head.
template <System S>
typename S::Handle build_chain(std::size_t len) {
  typename S::Handle head{};
  for (std::size_t i = 0; i < len; ++i) {
    typename S::Handle node = S::make();
    S::set_a(node, std::move(head));
    head = std::move(node);
  }
  return head;
}

// ---------------------------------------------------------------------------
// W4: 1M live tracked objects, no garbage. Full collection time; young
// collection time, empty and with 1,000 new objects.
// variant: "tree" or "list+chain".
// ---------------------------------------------------------------------------
template <Collecting S>
void w4_live_heap(const Options& o) {
  S::init();
  S::disable_auto();
  const std::size_t n = o.n_or(1'000'000);
  const std::string shape = o.variant.empty() ? "tree" : o.variant;
  const std::string label = shape + "/old=" + size_label(n);
  typename S::Handle tree{};
  typename list_of<S>::type list{};
  if (shape == "tree") {
    tree = build_tree<S>(n);
  } else if (shape == "list+chain") {
    if constexpr (HasLists<S>) {
      list = build_list_chain<S>(n);
    }
  } else {
    fail("W4 variant: tree | list+chain");
  }
  S::collect();  // everything now sits in the oldest generation

  const int full_reps = o.inner_or(5);
  std::vector<double> full;
  for (int i = 0; i < full_reps; ++i) {
    std::size_t found = 0;
    full.push_back(time_it([&] { found = S::collect(); }));
    if (S::kCountsGarbage && found != 0) fail("W4: the live heap has garbage");
  }
  const Stats fs = stats_of(full);
  Result("W4/full/" + label, S::kName, fs.median * 1e9 / static_cast<double>(n), "ns/live object")
      .field("min", fs.min * 1e9 / static_cast<double>(n))
      .field("median_ms", fs.median * 1e3)
      .field("inner", full_reps)
      .field("note", note_of<S>())
      .emit();

  if constexpr (Generational<S>) {
    // An empty young collection takes less time than a clock read: timed in
    // batches of 100 (as the CPython script does), per collection.
    std::vector<double> empty;
    for (int i = 0; i < 50; ++i)
      empty.push_back(time_it([&] {
                        for (int k = 0; k < 100; ++k) S::collect_young();
                      }) /
                      100);
    const Stats es = stats_of(empty);
    Result("W4/young-empty/" + label, S::kName, es.median * 1e6, "us")
        .field("min", es.min * 1e6)
        .field("inner", 50)
        .field("batch", 100)
        .emit();

    std::vector<double> with_new;
    typename S::template Vector<typename S::Handle> keep;
    for (int i = 0; i < 30; ++i) {
      keep.push_back(build_chain<S>(1000));  // 1,000 new tracked objects
      with_new.push_back(time_it([&] { S::collect_young(); }));
    }
    const Stats ws = stats_of(with_new);
    Result("W4/young-1000/" + label, S::kName, ws.median * 1e6, "us")
        .field("min", ws.min * 1e6)
        .field("inner", 30)
        .emit();
  }
  do_not_optimize(tree);
  do_not_optimize(list);
}

// ---------------------------------------------------------------------------
// Pause against heap size: full collection of a balanced tree of n live nodes.
// ---------------------------------------------------------------------------
template <Collecting S>
void pause_curve(const Options& o) {
  S::init();
  S::disable_auto();
  const std::size_t n = o.n_or(1'000'000);
  typename S::Handle tree = build_tree<S>(n);
  S::collect();
  std::vector<double> t;
  const int reps = o.inner_or(3);
  for (int i = 0; i < reps; ++i) t.push_back(time_it([&] { S::collect(); }));
  const Stats st = stats_of(t);
  Result("pause/" + size_label(n), S::kName, st.median * 1e3, "ms")
      .field("min", st.min * 1e3)
      .field("live_objects", static_cast<double>(n))
      .field("inner", reps)
      .emit();
  do_not_optimize(tree);
}

// ---------------------------------------------------------------------------
// W5: a long chain (each node holds the next) loses its head. Run in a child
// process so that a system whose destruction recurses (stack overflow) is
// reported as "crashed (signal N)" instead of taking the suite down.
// variant "chain" (default 10M) or "nested-lists" (default 1M, refgc::List).
// ---------------------------------------------------------------------------

// Runs body() in a forked child. Returns 0 if it exited normally, else the
// signal that ended it (-1 for a non-zero exit status).
template <class F>
int run_in_child(F&& body) {
  std::fflush(stdout);
  const pid_t pid = fork();
  if (pid < 0) fail("fork failed");
  if (pid == 0) {
    rlimit no_core{0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    body();
    std::fflush(stdout);
    _exit(0);  // no atexit handlers: the measurement is over
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFSIGNALED(status)) return WTERMSIG(status);
  return WEXITSTATUS(status) == 0 ? 0 : -1;
}

template <System S>
void w5_drop_chain(const Options& o) {
  const std::string kind = o.variant.empty() ? "chain" : o.variant;
  const bool nested = kind == "nested-lists";
  if (!nested && kind != "chain") fail("W5 variant: chain | nested-lists");
  const std::size_t n = o.n_or(nested ? 1'000'000 : 10'000'000);
  const std::string metric = "W5/" + kind + "-" + size_label(n);
  const int sig = run_in_child([&] {
    S::init();
    const double per = 1e9 / static_cast<double>(n);
    auto report_build = [&](double build) {
      Result(metric + "/build", S::kName, build * per, "ns/object")
          .field("total_ms", build * 1e3)
          .emit();  // printed before the drop: survives a crash in it
    };
    double s = 0;
    if (nested) {
      if constexpr (HasNest<S>) {
        typename S::Nest l{};
        report_build(time_it([&] {
          for (std::size_t i = 0; i < n; ++i) l = S::nest(std::move(l));
        }));
        s = time_it([&] { l = typename S::Nest(); });
      } else {
        fail(std::string("W5 nested-lists: no list type in ") + S::kName);
      }
    } else {
      typename S::Handle head{};
      report_build(time_it([&] { head = build_chain<S>(n); }));
      s = time_it([&] { head = typename S::Handle(); });
    }
    Result(metric + "/time", S::kName, s * per, "ns/object")
        .field("total_ms", s * 1e3)
        .field("note", note_of<S>())
        .emit();
    Result(metric + "/peak-rss", S::kName,
           static_cast<double>(peak_rss_bytes()) / (1024.0 * 1024.0), "MiB")
        .emit();
  });
  if (sig > 0) {
    crashed_result(metric + "/time", S::kName, "ns/object", sig).emit();
    crashed_result(metric + "/peak-rss", S::kName, "MiB", sig).emit();
  } else if (sig < 0) {
    fail("W5 child failed");
  }
}

// The chain length at which dropping the head first crashes, found by
// bisection in child processes (1% precision).
template <System S>
void w5_crash_threshold(const Options& o) {
  auto crashes = [](std::size_t len) {
    return run_in_child([&] {
             S::init();
             typename S::Handle head = build_chain<S>(len);
             head = typename S::Handle();
           }) != 0;
  };
  std::size_t lo = 1000, hi = o.n_or(10'000'000);
  if (!crashes(hi)) {
    Result("W5/crash-threshold", S::kName, static_cast<double>(hi), "nodes")
        .flag("crashed", false)
        .emit();
    return;
  }
  while (hi - lo > lo / 100) {
    const std::size_t mid = lo + (hi - lo) / 2;
    (crashes(mid) ? hi : lo) = mid;
  }
  Result("W5/crash-threshold", S::kName, static_cast<double>(hi), "nodes")
      .flag("crashed", true)
      .emit();
}

// ---------------------------------------------------------------------------
// W6: weak references, 1M objects. One variant per process (fresh heap):
//   create   weakref.ref(o) on each of n live objects (the first, callback-less
//            weak reference to each), kept in a vector
//   drop     n objects without weak references dropped (baseline); then n
//            fresh objects each get one weak reference with a counting
//            callback (timed: create-callback) and are dropped (timed until
//            the last callback ran; every callback must have run)
//   dict     a weak-value dictionary: n inserts d[i] = o_i (timed), then the
//            n values are dropped (timed; the dictionary must end up empty)
//   cyclic   n self-cycles (o.a = o), each with a callback weak reference,
//            automatic collection off, handles dropped; one full collection
//            timed; every callback must have run
// Times are per object. "Dropping" destroys the vector that holds the only
// strong handles, as `del hold` drops CPython's list.
// ---------------------------------------------------------------------------
template <HasWeakRefs S>
void w6_weakrefs(const Options& o) {
  using Handle = typename S::Handle;
  using Weak = typename S::Weak;
  S::init();
  const std::string v = o.variant.empty() ? "drop" : o.variant;
  const std::size_t n = o.n_or(1'000'000);
  const double per = 1e9 / static_cast<double>(n);
  auto make_all = [&](bool self_cycle) {
    typename S::template Vector<Handle> hold;
    hold.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      hold.push_back(S::make());
      if (self_cycle) S::set_a(hold.back(), hold.back());
    }
    return hold;
  };
  auto drop = [](typename S::template Vector<Handle>& hold) {
    auto gone = std::move(hold);  // destroyed at the end of this scope
  };
  auto emit = [&](const std::string& metric, double s) {
    Result("W6/" + metric, S::kName, s * per, "ns/object")
        .field("total_ms", s * 1e3)
        .field("n", static_cast<double>(n))
        .field("note", note_of<S>())
        .emit();
  };
  auto check_dead = [&](const std::vector<Weak>& weaks, const char* what) {
    for (const Weak& w : weaks)
      if (S::weak_alive(w)) fail(std::string("W6 ") + what + ": a weak reference is still alive");
  };

  if (v == "create") {
    auto hold = make_all(false);
    std::vector<Weak> weaks;
    weaks.reserve(n);
    const double s = time_it([&] {
      for (std::size_t i = 0; i < n; ++i) weaks.push_back(S::weak_ref(hold[i]));
    });
    for (const Weak& w : weaks)
      if (!S::weak_alive(w)) fail("W6 create: a weak reference is dead");
    emit("create", s);
    drop(hold);
    check_dead(weaks, "create");
  } else if (v == "drop") {
    {
      auto plain = make_all(false);
      emit("drop-no-weakref", time_it([&] { drop(plain); }));
    }
    auto hold = make_all(false);
    std::vector<Weak> weaks;
    weaks.reserve(n);
    std::size_t calls = 0;
    const double c = time_it([&] {
      for (std::size_t i = 0; i < n; ++i)
        weaks.push_back(S::weak_ref(hold[i], CountCallback{&calls}));
    });
    emit("create-callback", c);
    const double d = time_it([&] { drop(hold); });
    if (calls != n)
      fail("W6 drop: " + std::to_string(calls) + " callbacks ran, expected " + std::to_string(n));
    check_dead(weaks, "drop");
    emit("drop-callback", d);
  } else if (v == "dict") {
    auto hold = make_all(false);
    typename S::WeakDict dict;
    const double ins = time_it([&] {
      for (std::size_t i = 0; i < n; ++i) S::dict_set(dict, i, hold[i]);
    });
    if (S::dict_size(dict) != n) fail("W6 dict: wrong size after the inserts");
    emit("dict-insert", ins);
    const double d = time_it([&] { drop(hold); });
    const std::size_t left = S::dict_size(dict);
    if (left != 0) fail("W6 dict: " + std::to_string(left) + " entries left after the drop");
    emit("dict-drop", d);
  } else if (v == "cyclic") {
    if constexpr (Collecting<S>) {
      S::disable_auto();
      auto hold = make_all(true);
      std::vector<Weak> weaks;
      weaks.reserve(n);
      std::size_t calls = 0;
      for (std::size_t i = 0; i < n; ++i)
        weaks.push_back(S::weak_ref(hold[i], CountCallback{&calls}));
      drop(hold);
      if (calls != 0) fail("W6 cyclic: a callback ran before the collection");
      std::size_t found = 0;
      const double s = time_it([&] { found = S::collect(); });
      if (calls != n)
        fail("W6 cyclic: " + std::to_string(calls) + " callbacks ran, expected " +
             std::to_string(n));
      check_dead(weaks, "cyclic");
      Result("W6/cyclic", S::kName, s * per, "ns/object")
          .field("total_ms", s * 1e3)
          .field("n", static_cast<double>(n))
          .field("collected", S::kCountsGarbage ? static_cast<double>(found) : -1.0)
          .field("callbacks", static_cast<double>(calls))
          .emit();
    } else {
      fail(std::string("W6 cyclic: ") + S::kName + " has no collector");
    }
  } else {
    fail("W6 variant: create | drop | dict | cyclic");
  }
}

// ---------------------------------------------------------------------------
// W7: bytes per live object with two reference fields, over 1M objects.
// variant "one-weakref" (systems with weak references): every object also
// has one live weak reference (weakref.ref(o), kept in a vector allocated
// before the baseline); bytes per object then cover the object, its weak
// reference and the weak bookkeeping (refgc: the side-table entry).
// ---------------------------------------------------------------------------
template <HasWeakRefs S>
void w7_one_weakref(const Options& o) {
  S::init();
  const std::size_t n = o.n_or(1'000'000);
  typename S::template Vector<typename S::Handle> hold(n);
  std::vector<typename S::Weak> weaks(n);
  const std::size_t rss0 = current_rss_bytes();
  const std::size_t alloc0 = S::allocator_bytes();
  const std::size_t all0 = footprint_bytes_of<S>();
  for (std::size_t i = 0; i < n; ++i) {
    hold[i] = S::make();
    weaks[i] = S::weak_ref(hold[i]);
  }
  const std::size_t all1 = footprint_bytes_of<S>();
  const std::size_t alloc1 = S::allocator_bytes();
  const std::size_t rss1 = current_rss_bytes();
  const double per = 1.0 / static_cast<double>(n);
  auto growth = [per](std::size_t a, std::size_t b) {
    return (static_cast<double>(b) - static_cast<double>(a)) * per;
  };
  Result("W7/one-live-weakref/allocator", S::kName, growth(all0, all1), "B/object")
      .field("allocator_bytes_only", growth(alloc0, alloc1))  // refgc: the pool alone
      .field("note", note_of<S>())
      .emit();
  Result("W7/one-live-weakref/rss", S::kName, growth(rss0, rss1), "B/object").emit();
  do_not_optimize(hold);
  do_not_optimize(weaks);
}

// ---------------------------------------------------------------------------
// W7: bytes per live object with two reference fields, over 1M objects.
// ---------------------------------------------------------------------------
template <System S>
void w7_footprint(const Options& o) {
  if (o.variant == "one-weakref") {
    if constexpr (HasWeakRefs<S>) {
      w7_one_weakref<S>(o);
      return;
    } else {
      fail(std::string("W7 one-weakref: ") + S::kName + " has no weak references");
    }
  } else if (!o.variant.empty()) {
    fail("W7 variant: (none) | one-weakref");
  }
  S::init();
  const std::size_t n = o.n_or(1'000'000);
  // The holder is allocated and touched before the baseline.
  typename S::template Vector<typename S::Handle> hold(n);
  const std::size_t rss0 = current_rss_bytes();
  const std::size_t alloc0 = S::allocator_bytes();
  for (std::size_t i = 0; i < n; ++i) hold[i] = S::make();
  const std::size_t alloc1 = S::allocator_bytes();
  const std::size_t rss1 = current_rss_bytes();
  const double per = 1.0 / static_cast<double>(n);
  Result("W7/requested", S::kName, static_cast<double>(S::requested_bytes()), "B/object").emit();
  Result("W7/allocator", S::kName, static_cast<double>(alloc1 - alloc0) * per, "B/object")
      .field("note", note_of<S>())
      .emit();
  Result("W7/rss", S::kName, (static_cast<double>(rss1) - static_cast<double>(rss0)) * per,
         "B/object")
      .emit();
  do_not_optimize(hold);
}

// ---------------------------------------------------------------------------
// W8: the cost of the diagnostics on a live heap of n tracked objects, the W4
// list+chain shape (one list holding n-1 nodes, node i's `a` is node i+1),
// automatic collection off, everything in the oldest generation. The target
// is node (n-1)/2, held by a local handle too. Each call is timed `inner`
// times (default 5):
//   get_referrers   gc.get_referrers(target): one full heap scan; must find 2
//                   (the list and node (n-1)/2 - 1)
//   census          tracked objects counted by type name (diag::
//                   most_common_types(0) / Counter over gc.get_objects());
//                   the nodes' row must be n-1
//   backref-chain   diag::find_backref_chain(target): the referrer graph, then
//                   a breadth-first search to the nearest object held from
//                   outside; must be [list, target]. No CPython counterpart
//                   (objgraph is not installed): reported, not compared.
// ---------------------------------------------------------------------------
template <HasDiag S>
void w8_diag(const Options& o) {
  using Handle = typename S::Handle;
  S::init();
  S::disable_auto();
  const std::size_t n = o.n_or(1'000'000);
  if (n < 4) fail("W8: n must be at least 4");
  if (!o.variant.empty() && o.variant != "list+chain") fail("W8 variant: list+chain");
  typename S::List list = S::make_list();
  Handle target{};
  {
    Handle prev{};
    for (std::size_t i = 0; i + 1 < n; ++i) {
      Handle node = S::make();
      if (prev) S::set_a(prev, node);
      prev = node;
      if (i == (n - 1) / 2) target = node;
      S::list_append(list, std::move(node));
    }
  }
  S::collect();  // everything now sits in the oldest generation

  const int reps = o.inner_or(5);
  auto measure = [&](const std::string& what, const char* api, std::size_t expected, auto&& call) {
    std::vector<double> t;
    for (int i = 0; i < reps; ++i) {
      std::size_t got = 0;
      t.push_back(time_it([&] { got = call(); }));
      if (got != expected)
        fail("W8 " + what + ": got " + std::to_string(got) + ", expected " +
             std::to_string(expected));
    }
    const Stats st = stats_of(t);
    Result("W8/" + what + "/n=" + size_label(n), S::kName, st.median * 1e3, "ms")
        .field("min", st.min * 1e3)
        .field("ns_per_object", st.median * 1e9 / static_cast<double>(n))
        .field("inner", reps)
        .field("api", std::string(api))
        .emit();
  };
  measure("get_referrers", "refgc::gc::get_referrers(obj)", 2,
          [&] { return S::referrer_count(target); });
  measure("census", "refgc::diag::most_common_types(0)", n - 1, [] { return S::census_count(); });
  measure("backref-chain", "refgc::diag::find_backref_chain(obj)", 2,
          [&] { return S::backref_chain_length(target); });
  do_not_optimize(list);
  do_not_optimize(target);
}

// ---------------------------------------------------------------------------
// Registration: every workload the system's capabilities allow.
// ---------------------------------------------------------------------------
template <System S>
void add_workloads(std::vector<Entry>& out) {
  if constexpr (!requires { S::kNoHandleCopy; }) {
    out.push_back({"W1", S::kName, "never-threaded|threaded", &w1_copy_destroy<S>});
  }
  out.push_back({"W2", S::kName, "", &w2_create_drop<S>});
  if constexpr (Collecting<S>) {
    out.push_back({"W3", S::kName, "", &w3_cycles<S>});
    out.push_back({"W4", S::kName, HasLists<S> ? "tree|list+chain" : "tree", &w4_live_heap<S>});
    out.push_back({"pause", S::kName, "", &pause_curve<S>});
  }
  if constexpr (RefCounted<S>) {
    out.push_back({"W5", S::kName, HasNest<S> ? "chain|nested-lists" : "chain", &w5_drop_chain<S>});
    out.push_back({"W5-threshold", S::kName, "", &w5_crash_threshold<S>});
  }
  if constexpr (HasWeakRefs<S>) {
    out.push_back({"W6", S::kName, Collecting<S> ? "create|drop|dict|cyclic" : "create|drop|dict",
                   &w6_weakrefs<S>});
  }
  out.push_back({"W7", S::kName, HasWeakRefs<S> ? "|one-weakref" : "", &w7_footprint<S>});
  if constexpr (HasDiag<S>) {
    out.push_back({"W8", S::kName, "list+chain", &w8_diag<S>});
  }
}

}  // namespace bench
