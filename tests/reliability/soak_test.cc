// Soak (issue 7 item 4): a long churn -- objects of every kind allocated,
// linked into random graphs and cycles, weakly referenced, finalized,
// resurrected, dropped -- under automatic collection, with memory sampled
// after every round. The second half of the run must not use more than the
// first (a small tolerance aside): no leak, no fragmentation creep, no
// unbounded growth of the collector's own structures. Long mode: README.md.
#include <gtest/gtest.h>
#include <refgc/refgc.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "reliability.h"

namespace {

using refgc::make;
using refgc::Ref;
using refgc_reliability::mib;
using refgc_reliability::Rng;
using refgc_reliability::rss_bytes;
using refgc_reliability::sized;

struct Node : refgc::Object {
  Ref<refgc::Object> a, b;
  void trace(refgc::Tracer& t) override { t(a, b); }
};

// A finalizer that resurrects its object into a bounded ring one time in
// four (PEP 442: it never runs again for that object).
std::vector<Ref<refgc::Object>>* g_lazarus = nullptr;
std::size_t g_lazarus_next = 0;
std::size_t g_finalized = 0;
std::size_t g_callbacks = 0;       // weak-reference callbacks run
std::size_t g_finalize_calls = 0;  // refgc::finalize() functions run
struct Phoenix : refgc::Object {
  Ref<refgc::Object> a;
  int id = 0;
  void trace(refgc::Tracer& t) override { t(a); }
  void finalize() override {
    ++g_finalized;
    if (g_lazarus != nullptr && id % 4 == 0) {
      (*g_lazarus)[g_lazarus_next++ % g_lazarus->size()] = Ref<refgc::Object>(this);
    }
  }
};

struct Sample {
  std::size_t rss, live, reserved;
};

// One churn world: kSlots roots and bounded rings of weak references,
// finalizers and weak containers. Every operation picks random slots.
class World {
 public:
  explicit World(std::uint64_t seed) : rng_(seed), slots_(kSlots), weak_(kRing), fins_(kRing) {
    lazarus_.resize(256);
    g_lazarus = &lazarus_;
  }
  ~World() { g_lazarus = nullptr; }

  void step() {
    const std::size_t op = rng_.below(100);
    Ref<refgc::Object>& slot = slots_[rng_.below(kSlots)];
    if (op < 25) {  // a new node linked to two random roots
      auto n = make<Node>();
      n->a = pick();
      n->b = pick();
      slot = std::move(n);
    } else if (op < 33) {  // a cycle of 2..40 nodes, kept or dropped
      const std::size_t len = 2 + rng_.below(39);
      auto first = make<Node>();
      Node* last = first.get();
      for (std::size_t i = 1; i < len; ++i) {
        auto n = make<Node>();
        Node* raw = n.get();
        last->a = std::move(n);
        last = raw;
      }
      last->a = first;
      if (rng_.chance(30)) slot = std::move(first);
    } else if (op < 40) {  // a small list
      auto l = make<refgc::List<>>();
      for (std::size_t k = rng_.below(4); k > 0; --k) l->append(pick());
      slot = std::move(l);
    } else if (op < 45) {  // a dict of strings and ints
      auto d = make<refgc::Dict<std::string, refgc::Object>>();
      d->set("s", make<refgc::Str>("value " + std::to_string(rng_.below(1000))));
      d->set("i", make<refgc::Int>(static_cast<std::int64_t>(rng_.below(1'000'000))));
      d->set("r", pick());
      slot = std::move(d);
    } else if (op < 52) {  // link two roots (cycles across the graph)
      if (auto* n = dynamic_cast<Node*>(slot.get())) (rng_.chance(50) ? n->a : n->b) = pick();
    } else if (op < 57) {  // a weak reference with a callback
      if (auto target = pick_weakrefable())
        weak_[rng_.below(kRing)] = refgc::WeakRef<refgc::Object>(
            target, [](const refgc::WeakRef<refgc::Object>&) { ++g_callbacks; });
    } else if (op < 62) {  // weak containers
      if (auto target = pick_weakrefable()) {
        values_.set(static_cast<int>(rng_.below(512)), target);
        if (rng_.chance(50)) members_.add(target);
        if (rng_.chance(30)) keys_.set(target, static_cast<int>(rng_.below(100)));
      }
    } else if (op < 64) {  // weakref.finalize
      if (auto target = pick_weakrefable()) {
        auto f = refgc::finalize(target, [] { ++g_finalize_calls; });
        f.set_atexit(false);
        fins_[rng_.below(kRing)] = std::move(f);
      }
    } else if (op < 68) {  // an object whose finalizer may resurrect it, in a cycle
      auto p = make<Phoenix>();
      p->id = static_cast<int>(rng_.below(1000));
      p->a = rng_.chance(50) ? Ref<refgc::Object>(p) : pick();
      slot = std::move(p);
    } else if (op < 70) {  // let resurrected objects go again
      lazarus_[rng_.below(lazarus_.size())].reset();
    } else if (op < 72) {  // an atom
      slot = make<refgc::Int>(static_cast<std::int64_t>(rng_.below(1000)));
    } else {  // drop a root
      slot.reset();
    }
  }

  void drop_all() {
    for (auto& s : slots_) s.reset();
    for (auto& w : weak_) w = refgc::WeakRef<refgc::Object>();
    for (auto& f : fins_) f = refgc::Finalizer();
    for (auto& l : lazarus_) l.reset();
    values_.clear();
    keys_.clear();
    members_.clear();
  }

 private:
  static constexpr std::size_t kSlots = 4096;
  static constexpr std::size_t kRing = 1024;
  Ref<refgc::Object> pick() { return slots_[rng_.below(kSlots)]; }
  Ref<refgc::Object> pick_weakrefable() {
    Ref<refgc::Object> o = pick();
    // Int, List and Dict refuse weak references (as int, list and dict do).
    if (!o || !refgc::detail::is_weakrefable(*o)) return nullptr;
    return o;
  }

  Rng rng_;
  std::vector<Ref<refgc::Object>> slots_;
  std::vector<refgc::WeakRef<refgc::Object>> weak_;
  std::vector<refgc::Finalizer> fins_;
  std::vector<Ref<refgc::Object>> lazarus_;
  refgc::WeakValueDictionary<int, refgc::Object> values_;
  refgc::WeakKeyDictionary<refgc::Object, int> keys_;
  refgc::WeakSet<refgc::Object> members_;
};

TEST(Soak, MemoryStaysFlatThroughALongChurnOfGraphsCyclesWeakrefsAndFinalizers) {
  const std::size_t rounds = std::max<std::size_t>(sized(40, 2.5), 8);
  const std::size_t steps = refgc_reliability::kSanitized ? 20'000 : 100'000;
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<Sample> samples;
  std::size_t live_at_end = 1;
  std::array<refgc::gc::GenerationStats, 3> stats{};
  g_finalized = g_callbacks = g_finalize_calls = 0;
  {
    refgc::Heap heap;
    refgc::Heap::Lock lock(heap);
    refgc::gc::enable();
    {
      World world(2024);
      for (std::size_t r = 0; r < rounds; ++r) {
        for (std::size_t s = 0; s < steps; ++s) world.step();
        samples.push_back({rss_bytes(), heap.live_objects(), heap.reserved_bytes()});
      }
      world.drop_all();
      refgc::gc::collect();
    }
    refgc::gc::collect();
    stats = refgc::gc::get_stats();
    live_at_end = heap.live_objects();
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  auto max_of = [&](std::size_t from, std::size_t to, auto field) {
    std::size_t m = 0;
    for (std::size_t i = from; i < to; ++i) m = std::max(m, samples[i].*field);
    return m;
  };
  const std::size_t half = samples.size() / 2;
  const std::size_t rss1 = max_of(0, half, &Sample::rss), rss2 = max_of(half, rounds, &Sample::rss);
  const std::size_t live1 = max_of(0, half, &Sample::live),
                    live2 = max_of(half, rounds, &Sample::live);
  const std::size_t res1 = max_of(0, half, &Sample::reserved),
                    res2 = max_of(half, rounds, &Sample::reserved);
  std::printf(
      "[ figures ] %zu rounds x %zu steps in %.1fs; max first/second half: rss %.1f/%.1f MiB, "
      "live %zu/%zu, reserved %.1f/%.1f MiB; collections %zu/%zu/%zu; weak callbacks %zu, "
      "finalize() calls %zu, __del__ calls %zu\n",
      rounds, steps, secs, mib(rss1), mib(rss2), live1, live2, mib(res1), mib(res2),
      stats[0].collections, stats[1].collections, stats[2].collections, g_callbacks,
      g_finalize_calls, g_finalized);

  // Flat: the second half stays within 10% of the first, plus the garbage of
  // one full-collection period (threshold0 * threshold1 = 7000 objects may
  // wait in generation 2 at a sample).
  EXPECT_LE(live2, live1 + live1 / 10 + 7000);
  EXPECT_LE(res2, res1 + res1 / 10 + (std::size_t{1} << 20));
  // (AddressSanitizer's quarantine keeps freed memory resident: RSS only
  // means something without it.)
  if (!refgc_reliability::kSanitized) {
    EXPECT_LE(rss2, rss1 + rss1 / 10 + (std::size_t{4} << 20));
  }
  // Everything goes once the roots are dropped.
  EXPECT_EQ(live_at_end, 0u);
  // The run really exercised the machinery.
  EXPECT_GT(stats[2].collections, 0u);
  EXPECT_GT(g_callbacks, 0u);
  EXPECT_GT(g_finalize_calls, 0u);
  EXPECT_GT(g_finalized, 0u);
}

}  // namespace
