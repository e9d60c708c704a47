// Heaps handed between threads (issue 2 item 6). Run under ThreadSanitizer by
// the tsan preset (label "threads").
#include <gtest/gtest.h>
#include <refgc/refgc.h>

#include <atomic>
#include <thread>
#include <vector>

#include "../../src/testing_hooks.h"

namespace {

using refgc::make;
using refgc::Ref;

struct Node : refgc::Object {
  Ref<Node> next;
  Ref<Node> prev;
  int value = 0;
  void trace(refgc::Tracer& t) override { t(next, prev); }
};

TEST(Threads, AHeapHandedBetweenThreadsWithLockIsRaceFree) {
  refgc::Heap heap;
  Ref<Node> shared;
  {
    refgc::Heap::Lock lock(heap);
    shared = make<Node>();
  }
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&heap, &shared, w] {
      for (int round = 0; round < 200; ++round) {
        refgc::Heap::Lock lock(heap);
        Ref<Node> local = shared;  // counts change only under the lock
        auto n = make<Node>();
        n->value = w;
        n->next = local->next;
        n->prev = n;  // a cycle for the collector
        local->next = n;
        if (round % 50 == 0) refgc::gc::collect();
      }
    });
  }
  for (auto& t : workers) t.join();
  std::size_t count = 0;
  {
    refgc::Heap::Lock lock(heap);
    for (Ref<Node> n = shared->next; n; n = n->next) ++count;
    shared.reset();
    refgc::gc::collect();
    EXPECT_EQ(heap.live_objects(), 0u);
  }
  EXPECT_EQ(count, 800u);
}

TEST(Threads, UnlockLetsAWorkerUseTheDefaultHeap) {
  auto mine = make<Node>();  // this thread holds the default heap
  std::atomic<std::size_t> worker_objects{0};
  {
    refgc::Heap::Unlock unlock;  // like Py_BEGIN_ALLOW_THREADS
    std::thread worker([&] {
      refgc::Heap::Lock lock(refgc::Heap::default_heap());
      auto a = make<Node>();
      a->next = make<Node>();
      worker_objects = refgc::gc::get_objects().size();
    });
    worker.join();
  }
  mine->value = 1;  // usable again
  EXPECT_GE(worker_objects.load(), 2u);
}

TEST(Threads, EachThreadCanOwnItsOwnHeap) {
  std::vector<std::thread> workers;
  std::atomic<int> ok{0};
  for (int w = 0; w < 2; ++w) {
    workers.emplace_back([&ok] {
      refgc::Heap heap;
      refgc::Heap::Lock lock(heap);
      refgc::gc::disable();
      for (int i = 0; i < 10000; ++i) {
        auto a = make<Node>();
        a->next = a;
      }
      if (refgc::gc::collect() == 10000) ++ok;
    });
  }
  for (auto& t : workers) t.join();
  EXPECT_EQ(ok.load(), 2);
}

// A thread_local Ref constructed before the thread first used refgc (so
// destroyed after everything refgc itself keeps per thread): when the thread
// ends, the object it holds dies -- its finalize() runs -- while the thread
// still holds the default heap it took implicitly, so no other thread can be
// using that heap at the same time (ThreadSanitizer saw the race when the
// hold was released first).
std::atomic<int> watcher_saw{0};  // 1: heap held in finalize(), 2: not held
struct Watcher : refgc::Object {
  void finalize() override {
    watcher_saw = refgc::detail::testing::held_by_this_thread(refgc::Heap::default_heap()) ? 1 : 2;
  }
};
thread_local Ref<Watcher> exit_watched;

TEST(Threads, AThreadLocalRefDyingAtThreadExitStillHasTheDefaultHeap) {
  auto mine = make<Node>();  // this thread holds the default heap
  watcher_saw = 0;
  {
    refgc::Heap::Unlock unlock;
    std::thread worker([] {
      (void)exit_watched.get();        // the thread_local exists before any refgc use
      exit_watched = make<Watcher>();  // first use: the default heap, implicitly
    });
    worker.join();
  }
  EXPECT_EQ(watcher_saw.load(), 1);
  mine->value = 2;  // this thread has the heap back
}

// The orphans of two destroyed heaps die on two threads at once, each
// thread holding a heap of its own: finding an orphan's heap reads nothing
// that the other thread's orphan deaths change (it walked every destroyed
// heap's list of large objects, which the other thread was freeing; TSan
// saw the race). Large and small orphans, with weak references looked up.
struct Big : refgc::Object {
  char pad[600] = {};
};
TEST(Threads, OrphansOfTwoDestroyedHeapsDieOnTwoThreadsAtOnce) {
  constexpr int kEach = 2000;
  std::vector<Ref<refgc::Object>> orphans[2];
  std::vector<refgc::WeakRef<Node>> weak[2];
  for (int side = 0; side < 2; ++side) {
    refgc::Heap dying;
    refgc::Heap::Lock lock(dying);
    for (int i = 0; i < kEach; ++i) {
      orphans[side].push_back(make<Big>());
      auto n = make<Node>();
      weak[side].emplace_back(n);
      orphans[side].push_back(n);
    }
  }
  std::atomic<int> counted{0};
  std::vector<std::thread> threads;
  for (int side = 0; side < 2; ++side) {
    threads.emplace_back([&, side] {
      refgc::Heap mine;
      refgc::Heap::Lock lock(mine);
      for (auto& w : weak[side]) counted += static_cast<int>(refgc::getweakrefcount(w.lock()));
      orphans[side].clear();
      for (auto& w : weak[side]) counted += w.alive() ? 1000000 : 0;
      weak[side].clear();
      EXPECT_EQ(mine.live_objects(), 0u);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(counted.load(), 2 * kEach);
}

#if REFGC_DEBUG
TEST(ThreadsDeathTest, UsingTheDefaultHeapWhileAnotherThreadHoldsItStops) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        auto held = make<Node>();  // this thread holds the default heap
        std::thread intruder([] { auto n = make<Node>(); });
        intruder.join();
      },
      "this thread uses refgc while another thread holds the default heap");
}
#endif

}  // namespace
