// Threaded scenarios the way a program meets them: worker pools with heaps of
// their own, one heap handed around like the GIL, heaps destroyed while their
// objects live on (orphans), the process-wide state every heap shares (type
// registry, unraisable hook, debug sink), and the misuse that must be
// detected. Run under ThreadSanitizer by the tsan preset (label "threads"):
// every test joins its threads and synchronizes with the heap locks, mutexes
// and condition variables only (no sleeps), so a report is a real race.
#include <gtest/gtest.h>
#include <refgc/refgc.h>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "../../src/testing_hooks.h"

namespace {

using refgc::Heap;
using refgc::make;
using refgc::Object;
using refgc::Ref;
using refgc::WeakRef;

// A one-shot signal between two threads (a condition variable and a flag).
class Signal {
 public:
  void set() {
    {
      std::lock_guard<std::mutex> lock(m_);
      set_ = true;
    }
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock<std::mutex> lock(m_);
    cv_.wait(lock, [&] { return set_; });
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  bool set_ = false;
};

// Installs a hook for the scope and puts the previous one back.
class UnraisableScope {
 public:
  explicit UnraisableScope(refgc::UnraisableHook hook)
      : old_(refgc::set_unraisable_hook(std::move(hook))) {}
  ~UnraisableScope() { refgc::set_unraisable_hook(std::move(old_)); }
  UnraisableScope(const UnraisableScope&) = delete;
  UnraisableScope& operator=(const UnraisableScope&) = delete;

 private:
  refgc::UnraisableHook old_;
};

class DebugSinkScope {
 public:
  explicit DebugSinkScope(refgc::gc::DebugSink sink)
      : old_(refgc::gc::set_debug_sink(std::move(sink))) {}
  ~DebugSinkScope() { refgc::gc::set_debug_sink(std::move(old_)); }
  DebugSinkScope(const DebugSinkScope&) = delete;
  DebugSinkScope& operator=(const DebugSinkScope&) = delete;

 private:
  refgc::gc::DebugSink old_;
};

// Counts that a worker keeps while it holds its heap; read after join.
struct Tally {
  std::size_t finalized = 0;
  std::size_t weak_callbacks = 0;
  std::size_t finalize_fns = 0;
  std::size_t gc_starts = 0;
  std::size_t gc_stops = 0;
  std::size_t collected_in_stops = 0;
  std::thread::id wrong_thread{};  // set if something ran on another thread
};

struct Member : Object {
  Ref<Member> next;
  Tally* tally = nullptr;
  bool throws = false;
  std::thread::id owner;
  void trace(refgc::Tracer& t) override { t(next); }
  void finalize() override {
    if (tally == nullptr) return;
    ++tally->finalized;
    if (std::this_thread::get_id() != owner) tally->wrong_thread = std::this_thread::get_id();
    if (throws) throw std::runtime_error("finalize failed");
  }
};

// A ring of `n` members, every one finalized through `tally`; the first one's
// finalize() throws when `throws`.
Ref<Member> make_ring(std::size_t n, Tally* tally, bool throws) {
  Ref<Member> first = make<Member>();
  Ref<Member> last = first;
  for (std::size_t i = 1; i < n; ++i) {
    auto m = make<Member>();
    m->tally = tally;
    m->owner = std::this_thread::get_id();
    last->next = m;
    last = m;
  }
  last->next = first;
  first->tally = tally;
  first->owner = std::this_thread::get_id();
  first->throws = throws;
  return first;
}

// Four workers, two waves that start while the first still runs, each with a
// heap of its own and everything on at once: automatic collections (low
// threshold), gc::callbacks(), DEBUG_STATS into the process-wide sink,
// finalize() that sometimes throws into the process-wide unraisable hook,
// weak references with callbacks and refgc::finalize on cycle members. Each
// heap must collect exactly its own garbage, on its own thread: every
// member finalized once, every callback run once, the unraisable hook and
// the sink hearing from all heaps (they are called concurrently), every
// heap empty at the end.
TEST(ThreadScenarios, WorkersWithTheirOwnHeapsCollectTheirCyclesIndependently) {
  constexpr std::size_t kRings = 300, kRingSize = 5, kThrowEvery = 10;
  std::atomic<std::size_t> unraisable{0};
  std::atomic<std::size_t> debug_lines{0};
  UnraisableScope hook([&](const refgc::Unraisable& u) {
    if (u.what() == "finalize failed") ++unraisable;
  });
  DebugSinkScope sink([&](std::string_view) { ++debug_lines; });

  auto work = [&](Tally& tally, bool debug) {
    Heap heap;
    Heap::Lock lock(heap);
    refgc::gc::set_threshold(40, 3, 3);
    if (debug) refgc::gc::set_debug(refgc::gc::DEBUG_STATS);
    refgc::gc::callbacks().push_back(
        [&tally](std::string_view phase, const refgc::gc::CollectInfo& info) {
          if (phase == "start") {
            ++tally.gc_starts;
          } else {
            ++tally.gc_stops;
            tally.collected_in_stops += info.collected;
          }
        });
    std::vector<refgc::Finalizer> handles;
    std::vector<WeakRef<Member>> watched;  // alive, so their callbacks run
    for (std::size_t r = 0; r < kRings; ++r) {
      Ref<Member> ring = make_ring(kRingSize, &tally, r % kThrowEvery == 0);
      watched.emplace_back(ring->next, [&tally](const WeakRef<Member>&) {
        ++tally.weak_callbacks;
        // A callback runs on the thread that holds the heap.
        if (!refgc::detail::testing::held_by_this_thread(Heap::current()))
          tally.wrong_thread = std::this_thread::get_id();
      });
      handles.push_back(refgc::finalize(ring->next->next, [&tally] { ++tally.finalize_fns; }));
    }  // each ring is garbage once its iteration ends
    refgc::gc::collect();
    for (const auto& h : handles) EXPECT_FALSE(h.alive());
    refgc::gc::callbacks().clear();
    refgc::gc::set_debug(0);
    watched.clear();
    EXPECT_EQ(heap.live_objects(), 0u);
  };

  Tally tallies[4];
  std::vector<std::thread> first;
  first.emplace_back(work, std::ref(tallies[0]), true);
  first.emplace_back(work, std::ref(tallies[1]), false);
  first[0].join();  // the second wave starts while tallies[1]'s worker may still run
  std::vector<std::thread> second;
  second.emplace_back(work, std::ref(tallies[2]), true);
  second.emplace_back(work, std::ref(tallies[3]), false);
  first[1].join();
  for (auto& t : second) t.join();

  for (const Tally& t : tallies) {
    EXPECT_EQ(t.finalized, kRings * kRingSize);
    EXPECT_EQ(t.weak_callbacks, kRings);
    EXPECT_EQ(t.finalize_fns, kRings);
    EXPECT_GT(t.gc_starts, 10u);  // automatic collections ran
    EXPECT_EQ(t.gc_starts, t.gc_stops);
    EXPECT_GE(t.collected_in_stops, kRings * kRingSize);
    EXPECT_EQ(t.wrong_thread, std::thread::id{});
  }
  EXPECT_EQ(unraisable.load(), 4 * (kRings / kThrowEvery));
  EXPECT_GT(debug_lines.load(), 0u);
}

// --- the default heap, threads that start and end ---

struct Noted : Object {
  Ref<Noted> other;
  std::atomic<int>* finalized = nullptr;
  std::atomic<int>* held_when_finalized = nullptr;
  void trace(refgc::Tracer& t) override { t(other); }
  void finalize() override {
    if (finalized != nullptr) ++*finalized;
    if (held_when_finalized != nullptr &&
        refgc::detail::testing::held_by_this_thread(Heap::default_heap()))
      ++*held_when_finalized;
  }
};

thread_local Ref<Noted> per_thread_cache;

// Workers that use the default heap without any Heap::Lock (they take it
// implicitly, one after another, while the test thread has released it)
// and end with objects still alive: one in a thread_local Ref (it dies at
// thread exit, with the heap still held by that thread), one handed to the
// test thread, and a garbage cycle left for a later collection. Each exit
// must release the default heap (the next worker gets it; so does the test
// thread afterwards), and whatever they left must be usable and collectable
// by the test thread.
TEST(ThreadScenarios, ThreadsEndingWithLiveObjectsReleaseTheDefaultHeapTheyTookImplicitly) {
  constexpr int kWorkers = 4;
  std::atomic<int> finalized{0};
  std::atomic<int> held{0};
  std::vector<Ref<Noted>> handed(kWorkers);
  {
    Heap::Unlock unlock;  // the test thread may hold the default heap: let the workers in
    for (int w = 0; w < kWorkers; ++w) {
      std::thread worker([&, w] {
        (void)per_thread_cache.get();  // constructed before the first refgc use
        per_thread_cache = make<Noted>();
        per_thread_cache->finalized = &finalized;
        per_thread_cache->held_when_finalized = &held;
        auto a = make<Noted>(), b = make<Noted>();
        a->other = b;
        b->other = a;
        a->finalized = &finalized;
        b->finalized = &finalized;  // a cycle left to the collector
        handed[w] = make<Noted>();
        handed[w]->finalized = &finalized;
      });
      worker.join();  // its exit released the heap: the next one takes it
    }
  }
  // Only the thread_local objects died so far, each with its thread holding
  // the default heap.
  EXPECT_EQ(finalized.load(), kWorkers);
  EXPECT_EQ(held.load(), kWorkers);
  // The test thread has the heap again: it uses what the workers left.
  EXPECT_GE(refgc::gc::collect(), static_cast<std::size_t>(2 * kWorkers));
  EXPECT_EQ(finalized.load(), 3 * kWorkers);
  for (auto& h : handed) h->other = h;  // usable, and cyclic now
  handed.clear();
  refgc::gc::collect();
  EXPECT_EQ(finalized.load(), 4 * kWorkers);
}

// --- one heap handed around like the GIL ---

struct Job : Object {
  Ref<Job> next;
  std::vector<std::thread::id>* finalized_on = nullptr;
  void trace(refgc::Tracer& t) override { t(next); }
  void finalize() override {
    if (finalized_on != nullptr) finalized_on->push_back(std::this_thread::get_id());
  }
};

// One shared heap; a long-running thread holds it and releases it with
// Heap::Unlock around "blocking work" (waiting for the others), as a Python
// thread releases the GIL around I/O. Meanwhile two threads take the heap in
// turn, make garbage cycles and trigger collections, automatic and explicit.
// Everything they finalize (their garbage, and the long thread's, which it
// dropped before blocking) is finalized on whichever thread holds the heap
// when the collection runs -- never on the blocked thread -- and the long
// thread finds its own objects intact when it takes the heap back.
TEST(ThreadScenarios, ALongRunningThreadReleasesTheSharedHeapAroundBlockingWork) {
  Heap heap;
  std::vector<std::thread::id> finalized_on;  // written only under the heap
  Signal blocked, others_done;
  std::thread::id long_id;
  std::size_t long_kept_chain = 0;
  std::thread long_runner([&] {
    long_id = std::this_thread::get_id();
    Heap::Lock lock(heap);
    Ref<Job> kept = make<Job>();
    for (int i = 0; i < 100; ++i) {
      auto j = make<Job>();
      j->next = kept->next;
      kept->next = j;
    }
    {
      auto a = make<Job>(), b = make<Job>();  // garbage the others will collect
      a->next = b;
      b->next = a;
      a->finalized_on = &finalized_on;
      b->finalized_on = &finalized_on;
    }
    {
      Heap::Unlock unlock;  // blocking work: the others may take the heap
      blocked.set();
      others_done.wait();
    }
    for (Ref<Job> j = kept->next; j; j = j->next) ++long_kept_chain;
    refgc::gc::collect();
  });
  blocked.wait();
  std::vector<std::thread> others;
  for (int w = 0; w < 2; ++w) {
    others.emplace_back([&] {
      for (int round = 0; round < 20; ++round) {
        Heap::Lock lock(heap);
        for (int i = 0; i < 30; ++i) {
          auto a = make<Job>(), b = make<Job>();
          a->next = b;
          b->next = a;
          a->finalized_on = &finalized_on;
        }
        if (round % 5 == 4) refgc::gc::collect();
      }
    });
  }
  for (auto& t : others) t.join();
  others_done.set();
  long_runner.join();
  Heap::Lock lock(heap);
  refgc::gc::collect();
  EXPECT_EQ(long_kept_chain, 100u);
  // 2 of the long thread's, 1 per cycle of the others'.
  EXPECT_EQ(finalized_on.size(), 2u + 2 * 20 * 30);
  std::size_t on_long = 0;
  for (auto id : finalized_on) on_long += id == long_id ? 1 : 0;
  // The long thread collected only after taking the heap back: by then the
  // others' collections had found everything (theirs ended with a full one
  // each 5 rounds, the last at round 19).
  EXPECT_EQ(on_long, 0u);
  EXPECT_EQ(heap.live_objects(), 0u);
}

// A finalizer that blocks (closing a file, joining a thread) releases the
// heap in the middle of a collection, as a Python __del__ releases the GIL
// around I/O. Another thread then takes the heap while the collection is
// suspended: it allocates (no automatic collection may start inside the
// running one), drops objects, asks gc::collect() (0: one is running),
// lists gc::get_objects(), makes garbage cycles. When the finalizer takes
// the heap back the collection finishes with its own garbage only, and the
// next collection frees what the other thread left.
struct Blocking : Object {
  Ref<Object> next;
  std::function<void()> on_finalize;
  void trace(refgc::Tracer& t) override { t(next); }
  void finalize() override {
    if (on_finalize) on_finalize();
  }
};

TEST(ThreadScenarios, AFinalizerThatReleasesTheHeapMidCollectionLetsAnotherThreadUseIt) {
  Heap heap;
  Heap::Lock lock(heap);
  refgc::gc::set_threshold(10);  // the other thread's allocations would trigger collections
  std::size_t other_collect = 99, other_objects = 0, other_finalized = 0;
  Signal go, done;
  std::thread other([&] {
    go.wait();
    Heap::Lock hold(heap);
    Ref<Blocking> survivor = make<Blocking>();
    for (int i = 0; i < 200; ++i) {
      auto a = make<Blocking>(), b = make<Blocking>();
      a->next = b;
      b->next = a;
      a->on_finalize = [&other_finalized] { ++other_finalized; };
      if (i % 2 == 0) survivor->next = a;  // some stay reachable for a while
    }
    other_collect = refgc::gc::collect();
    other_objects = refgc::gc::get_objects().size();
    survivor.reset();
    done.set();
  });
  std::size_t finalizer_runs = 0;
  {
    auto a = make<Blocking>(), b = make<Blocking>();
    a->next = b;
    b->next = a;
    a->on_finalize = [&] {
      ++finalizer_runs;
      Heap::Unlock unlock;  // blocking work
      go.set();
      done.wait();
    };
  }
  const std::size_t found = refgc::gc::collect();
  other.join();
  EXPECT_EQ(finalizer_runs, 1u);
  EXPECT_EQ(found, 2u);
  EXPECT_EQ(other_collect, 0u);    // a collection was running
  EXPECT_GE(other_objects, 400u);  // no collection ran inside it
  EXPECT_EQ(other_finalized, 0u);
  EXPECT_EQ(refgc::gc::collect(), 400u);  // its cycles (the survivor died by refcount)
  EXPECT_EQ(other_finalized, 200u);
  EXPECT_EQ(heap.live_objects(), 0u);
}

// --- orphans used from another thread ---

struct Leaf : Object {
  Ref<Leaf> child;
  std::atomic<int>* finalized = nullptr;
  void trace(refgc::Tracer& t) override { t(child); }
  void finalize() override {
    if (finalized != nullptr) ++*finalized;
  }
};

// A worker's heap is destroyed while the objects it made are still
// referenced (a result it hands back): they become orphans. Another thread
// then uses them under its own heap: it puts them in a WeakValueDictionary
// of its heap, watches them with weak references and refgc::finalize, and
// drops them. Their finalize(), the weak callbacks (made under the dead heap
// and under the live one) and the dictionary's removals all run, on the
// thread that drops them, and both heaps end empty (the dead one given back
// to the system).
TEST(ThreadScenarios, OrphansOfADestroyedHeapAreUsedAndDroppedUnderAnotherThreadsHeap) {
  constexpr int kOrphans = 50;
  std::atomic<int> finalized{0};
  std::atomic<int> dead_heap_callbacks{0};
  std::vector<Ref<Leaf>> results;
  std::vector<WeakRef<Leaf>> made_in_dead_heap;
  const std::size_t orphaned_before = refgc::detail::testing::orphaned_heaps();
  std::thread producer([&] {
    Heap heap;
    Heap::Lock lock(heap);
    for (int i = 0; i < kOrphans; ++i) {
      auto leaf = make<Leaf>();
      leaf->finalized = &finalized;
      leaf->child = make<Leaf>();
      leaf->child->finalized = &finalized;
      made_in_dead_heap.emplace_back(leaf, [&](const WeakRef<Leaf>&) { ++dead_heap_callbacks; });
      results.push_back(leaf);
    }
    auto c = make<Leaf>();  // garbage the heap's final collection frees
    c->child = c;
    c->finalized = &finalized;
  });  // ~Heap: the leaves and their weak references become orphans
  producer.join();
  EXPECT_EQ(finalized.load(), 1);
  EXPECT_EQ(refgc::detail::testing::orphaned_heaps(), orphaned_before + 1);

  int dict_left = -1, live_callbacks = 0, finalize_fns = 0;
  std::size_t consumer_live = 99;
  std::thread consumer([&] {
    Heap heap;
    Heap::Lock lock(heap);
    refgc::WeakValueDictionary<int, Leaf> index;
    std::vector<WeakRef<Leaf>> watched;
    std::vector<refgc::Finalizer> fns;
    for (int i = 0; i < kOrphans; ++i) {
      index.set(i, results[i]);
      watched.emplace_back(results[i], [&](const WeakRef<Leaf>&) { ++live_callbacks; });
      fns.push_back(refgc::finalize(results[i]->child, [&] { ++finalize_fns; }));
      EXPECT_EQ(refgc::getweakrefcount(results[i]), 3u);  // the dead heap's, the dict's, ours
    }
    results.clear();  // the orphans die here
    made_in_dead_heap.clear();
    dict_left = static_cast<int>(index.size());
    watched.clear();
    fns.clear();
    consumer_live = heap.live_objects();  // the dictionary's state only
    EXPECT_EQ(refgc::gc::collect(), 0u);
  });
  consumer.join();
  EXPECT_EQ(finalized.load(), 1 + 2 * kOrphans);
  EXPECT_EQ(dead_heap_callbacks.load(), kOrphans);
  EXPECT_EQ(live_callbacks, kOrphans);
  EXPECT_EQ(finalize_fns, kOrphans);
  EXPECT_EQ(dict_left, 0);
  EXPECT_LE(consumer_live, 2u);
  EXPECT_EQ(refgc::detail::testing::orphaned_heaps(), orphaned_before);
}

// The orphans of one destroyed heap, split between two consumer threads
// that each watch theirs with weak references of their own heap. The
// consumers take turns on the orphans (a mutex of the program's: the
// orphans of one dead heap are used by one thread at a time), but then one
// consumer only drops its own heap's weak references (a weak dictionary
// emptied, a cache rebuilt) while the other drops its orphans. Both touch
// the dead heap's weak table, where the weak references to orphans are
// linked: the first thread through its own weak references' deaths, which
// use no orphan. That table must be guarded (ThreadSanitizer saw the two
// threads remove entries from it at once: WeakHeadTable::remove, from
// unlink and from the orphans' deaths). The first consumer starts dropping
// once the second holds the orphans' turn: nothing of the program's orders
// the two threads' table updates then, so without the table's lock
// ThreadSanitizer reports them whatever the scheduling (if the first
// consumer took the turn first, the turn would order them and hide the
// race). Every callback of the second consumer runs once, none of the
// first's (they died first), and the dead heap goes when its last orphan
// does.
TEST(ThreadScenarios, ConsumersOfOneDeadHeapsOrphansDropTheirWeakReferencesConcurrently) {
  constexpr int kEach = 4000;
  std::vector<Ref<Leaf>> halves[2];
  const std::size_t orphaned_before = refgc::detail::testing::orphaned_heaps();
  {
    Heap producer;
    Heap::Lock lock(producer);
    for (auto& half : halves)
      for (int i = 0; i < kEach; ++i) half.push_back(make<Leaf>());
  }                         // orphans now
  std::mutex orphans_turn;  // the program's: one thread at a time on the orphans
  Signal watching_both, second_has_turn;
  std::atomic<int> watchers{0};
  int callbacks[2] = {0, 0};
  auto consumer = [&](int side) {
    Heap mine;
    Heap::Lock lock(mine);
    std::vector<WeakRef<Leaf>> watching;
    {
      std::lock_guard<std::mutex> turn(orphans_turn);
      for (auto& o : halves[side])
        watching.emplace_back(o, [&callbacks, side](const WeakRef<Leaf>&) { ++callbacks[side]; });
    }
    if (++watchers == 2) watching_both.set();
    watching_both.wait();
    if (side == 0) {
      second_has_turn.wait();
      watching.clear();  // this heap's weak references only: no orphan is used
      std::lock_guard<std::mutex> turn(orphans_turn);
      halves[side].clear();
    } else {
      std::lock_guard<std::mutex> turn(orphans_turn);
      second_has_turn.set();
      halves[side].clear();  // the orphans die: their weak references' callbacks run
      watching.clear();
    }
  };
  std::thread a(consumer, 0), b(consumer, 1);
  a.join();
  b.join();
  EXPECT_EQ(callbacks[0], 0);  // its weak references died first
  EXPECT_EQ(callbacks[1], kEach);
  EXPECT_EQ(refgc::detail::testing::orphaned_heaps(), orphaned_before);
}

// --- process-wide state ---

template <int I>
struct Kind : Object {
  Ref<Object> link;
  void trace(refgc::Tracer& t) override { t(link); }
};
template <int I>
struct Opaque : Object {
  static constexpr bool weakrefable = false;
};

// Threads that each make, for the first time in the process, objects of
// types nobody made before -- concurrently, so that registrations (each one
// moves the registry's generation on) interleave with the other threads'
// lookups through their one-entry caches of is_weakrefable -- see every
// answer right: type names, and a weak reference to a type that opted out
// refused, to one that did not accepted.
template <int I>
void use_new_types(std::vector<std::string>& names, int& refused, int& accepted) {
  auto k = make<Kind<I>>();
  auto o = make<Opaque<I>>();
  k->link = o;
  names.push_back(refgc::diag::type_name(*k));
  names.push_back(refgc::diag::type_name(*o));
  for (int i = 0; i < 50; ++i) {
    try {
      WeakRef<Object> w{Ref<Object>(o)};
      (void)w;
    } catch (const std::invalid_argument&) {
      ++refused;
    }
    WeakRef<Object> ok{Ref<Object>(k)};
    if (ok.alive()) ++accepted;
  }
}

TEST(ThreadScenarios, TypesRegisteredConcurrentlyByManyThreadsAreNamedAndCheckedRight) {
  struct Result {
    std::vector<std::string> names;
    int refused = 0, accepted = 0;
  };
  Result results[4];
  Signal start;
  auto run = [&start](Result& r, auto use) {
    return std::thread([&r, &start, use] {
      start.wait();
      Heap heap;
      Heap::Lock lock(heap);
      use(r.names, r.refused, r.accepted);
    });
  };
  std::vector<std::thread> threads;
  threads.push_back(run(results[0], [](auto& n, int& f, int& a) { use_new_types<0>(n, f, a); }));
  threads.push_back(run(results[1], [](auto& n, int& f, int& a) { use_new_types<1>(n, f, a); }));
  threads.push_back(run(results[2], [](auto& n, int& f, int& a) { use_new_types<2>(n, f, a); }));
  threads.push_back(run(results[3], [](auto& n, int& f, int& a) { use_new_types<3>(n, f, a); }));
  start.set();
  for (auto& t : threads) t.join();
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(results[i].names.size(), 2u);
    EXPECT_NE(results[i].names[0].find("Kind<" + std::to_string(i) + ">"), std::string::npos)
        << results[i].names[0];
    EXPECT_NE(results[i].names[1].find("Opaque<" + std::to_string(i) + ">"), std::string::npos)
        << results[i].names[1];
    EXPECT_EQ(results[i].refused, 50);
    EXPECT_EQ(results[i].accepted, 50);
  }
}

// The unraisable hook and the debug sink are one for the whole process: a
// thread swapping them while heaps on other threads report into them must
// lose nothing (every report reaches one of the hooks installed, each
// exactly once) and never call a hook after it was swapped out and freed.
struct Thrower : Object {
  Ref<Thrower> self;
  void trace(refgc::Tracer& t) override { t(self); }
  void finalize() override { throw std::runtime_error("thrower"); }
};

TEST(ThreadScenarios, SwappingTheUnraisableHookAndDebugSinkWhileHeapsReportLosesNothing) {
  constexpr int kWorkers = 2, kRounds = 200;
  std::atomic<int> reported{0}, lines{0};
  std::atomic<bool> stop{false};
  auto hook_of = [&](std::shared_ptr<int> owned) {
    // Owns state that dies with it: a hook called after its release reads
    // freed memory (ASan, TSan).
    return [&, owned](const refgc::Unraisable& u) {
      if (*owned == 7 && u.what() == "thrower") ++reported;
    };
  };
  auto sink_of = [&](std::shared_ptr<int> owned) {
    return [&, owned](std::string_view) {
      if (*owned == 7) ++lines;
    };
  };
  UnraisableScope hook(hook_of(std::make_shared<int>(7)));
  DebugSinkScope sink(sink_of(std::make_shared<int>(7)));
  std::thread swapper([&] {
    while (!stop.load()) {
      refgc::set_unraisable_hook(hook_of(std::make_shared<int>(7)));
      refgc::gc::set_debug_sink(sink_of(std::make_shared<int>(7)));
    }
  });
  std::vector<std::thread> workers;
  std::vector<std::size_t> stats_lines(kWorkers);
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&] {
      Heap heap;
      Heap::Lock lock(heap);
      refgc::gc::set_debug(refgc::gc::DEBUG_STATS);
      for (int r = 0; r < kRounds; ++r) {
        auto t = make<Thrower>();
        t->self = t;
        t.reset();
        refgc::gc::collect(0);
      }
      refgc::gc::set_debug(0);
    });
  }
  for (auto& t : workers) t.join();
  stop = true;
  swapper.join();
  EXPECT_EQ(reported.load(), kWorkers * kRounds);
  EXPECT_GE(lines.load(), kWorkers * kRounds);  // at least one DEBUG_STATS line per collection
}

// Diagnostics work on the heap the calling thread holds: a LeakCheck and the
// census of one heap see only that heap's objects while other threads fill
// theirs, and gc::get_objects() lists only its own.
struct Cached : Object {
  Ref<Cached> next;
  void trace(refgc::Tracer& t) override { t(next); }
};

TEST(ThreadScenarios, DiagnosticsOfOneHeapSeeNothingOfHeapsFilledOnOtherThreads) {
  constexpr int kWorkers = 3;
  struct Seen {
    std::size_t leaks = 0, census = 0, objects = 0, leaked_cached = 0;
  };
  std::vector<Seen> seen(kWorkers);
  Signal start;
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&, w] {
      start.wait();
      Heap heap;
      Heap::Lock lock(heap);
      Ref<Cached> keep;
      {
        refgc::diag::LeakCheck scope;
        for (int i = 0; i < 100 * (w + 1); ++i) {
          auto c = make<Cached>();
          c->next = c;  // garbage
        }
        for (int i = 0; i <= w; ++i) {
          auto c = make<Cached>();
          c->next = keep;
          keep = c;  // leaked: w + 1 of them
        }
        const refgc::diag::LeakReport report = scope.check();
        seen[w].leaks = report.size();
        for (const auto& t : report.by_type)
          if (t.type.find("Cached") != std::string::npos) seen[w].leaked_cached = t.count;
      }
      seen[w].census = refgc::diag::count(refgc::diag::type_name(*keep));
      seen[w].objects = refgc::gc::get_objects().size();
      keep.reset();
    });
  }
  start.set();
  for (auto& t : workers) t.join();
  for (int w = 0; w < kWorkers; ++w) {
    const auto n = static_cast<std::size_t>(w + 1);
    EXPECT_EQ(seen[w].leaks, n);
    EXPECT_EQ(seen[w].leaked_cached, n);
    EXPECT_EQ(seen[w].census, n);
    EXPECT_EQ(seen[w].objects, n);
  }
}

// --- misuse that must be detected ---

// Locking a heap this thread already holds is re-entrant (as the GIL's
// PyGILState_Ensure): no deadlock, and the heap is still held after the
// inner scope ends -- including around a Heap::Unlock that a callee runs.
TEST(ThreadScenarios, LockingAHeapThisThreadHoldsIsReentrantAndKeepsItHeld) {
  Heap heap;
  std::size_t after = 0;
  std::thread t([&] {
    Heap::Lock outer(heap);
    auto a = make<Cached>();
    {
      Heap::Lock inner(heap);
      a->next = make<Cached>();
      {
        Heap::Unlock unlock;
        EXPECT_FALSE(refgc::detail::testing::held_by_this_thread(heap));
        Heap::Lock again(heap);  // taken back inside the Unlock scope
        a->next->next = make<Cached>();
      }
    }
    EXPECT_TRUE(refgc::detail::testing::held_by_this_thread(heap));
    after = refgc::gc::get_objects().size();
  });
  t.join();
  EXPECT_EQ(after, 3u);
  EXPECT_FALSE(refgc::detail::testing::held_by_this_thread(heap));
}

// A finalizer run by ~Heap's final collection starts a thread that locks the
// dying heap, and waits until that thread is blocked on it.
struct StartsALocker : Object {
  Ref<StartsALocker> self;
  Heap* heap = nullptr;
  std::thread* locker = nullptr;
  void trace(refgc::Tracer& t) override { t(self); }
  void finalize() override {
    Heap* h = heap;
    *locker = std::thread([h] { Heap::Lock lock(*h); });
    while (refgc::detail::testing::threads_waiting_to_lock(*h) == 0) std::this_thread::yield();
  }
};

// A heap destroyed while another thread waits in Heap::Lock for it (a pool
// shut down while a worker is about to take the heap): stopped, not a lock
// of a freed mutex once ~Heap lets go of it. Every build.
TEST(ThreadScenariosWaiterDeathTest, DestroyingAHeapThatAnotherThreadWaitsToLockStops) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        auto* heap = new Heap();
        std::thread locker;
        {
          Heap::Lock lock(*heap);
          auto o = make<StartsALocker>();
          o->self = o;
          o->heap = heap;
          o->locker = &locker;
        }
        delete heap;
        locker.join();
      },
      "a refgc::Heap was destroyed while another thread waits to lock it");
}

// Two threads each hold one heap and then lock the other's (heaps locked in
// opposite orders): the second to wait stops, naming the inversion, instead
// of both waiting for ever. Every build.
TEST(ThreadScenariosInversionDeathTest, TwoHeapsLockedInOppositeOrdersStopInsteadOfDeadlocking) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        Heap a;
        Heap b;
        Signal a_held;
        Signal b_held;
        std::thread other([&] {
          Heap::Lock lock_b(b);
          b_held.set();
          a_held.wait();
          Heap::Lock lock_a(a);
        });
        Heap::Lock lock_a(a);
        a_held.set();
        b_held.wait();
        Heap::Lock lock_b(b);
        other.join();
      },
      "lock-order inversion");
}

// The same with the default heap held implicitly: main() uses refgc without
// a Lock (it holds the default heap), a worker holding its own heap locks
// the default one, and main then locks the worker's heap.
TEST(ThreadScenariosInversionDeathTest,
     LockingAHeapWhoseHolderWaitsForTheImplicitlyHeldDefaultHeapStops) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        (void)Heap::current();  // holds the default heap implicitly
        Heap pool;
        Signal pool_held;
        std::thread worker([&] {
          Heap::Lock lock_pool(pool);
          pool_held.set();
          Heap::Lock lock_default(Heap::default_heap());
        });
        pool_held.wait();
        while (refgc::detail::testing::threads_waiting_to_lock(Heap::default_heap()) == 0)
          std::this_thread::yield();
        Heap::Lock lock_pool(pool);
        worker.join();
      },
      "lock-order inversion");
}

#if REFGC_DEBUG
class ThreadScenariosDeathTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

// A worker of a pool forgets to take the shared heap before it allocates:
// a debug build stops with the documented message instead of corrupting
// the heap another worker is using.
TEST_F(ThreadScenariosDeathTest, AWorkerThatForgetsToLockTheSharedHeapStops) {
  EXPECT_DEATH(
      {
        Heap shared;
        Heap::Lock lock(shared);
        auto held = make<Cached>();
        std::thread forgetful([&] {
          Heap mine;  // it holds a heap, just not the shared one
          Heap::Lock own(mine);
          held->next = make<Cached>();  // made in `mine`, stored in the shared heap's object
          held.reset();                 // the shared heap's object dies under `mine`
        });
        forgetful.join();
      },
      "an object of another heap dies while this thread holds a different heap");
}

// A thread destroys a heap while a worker still holds it (a pool shut down
// before its workers finished): stopped, not a use after free.
TEST_F(ThreadScenariosDeathTest, DestroyingAHeapThatAnotherThreadHoldsStops) {
  EXPECT_DEATH(
      {
        auto* heap = new Heap();
        Signal holding;
        Signal never;
        std::thread worker([&] {
          Heap::Lock lock(*heap);
          holding.set();
          never.wait();
        });
        holding.wait();
        delete heap;
      },
      "a refgc::Heap was destroyed while another thread holds it");
}
#endif

}  // namespace
