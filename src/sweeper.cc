// The background sweeper of TtlCache (include/refgc/detail/cache_common.h).
//
// Protocol. The control block is shared by the owner (the cache) and the
// thread. `stop`, `busy`, `sweep`, `on_sweep` and `thread` are guarded by
// `m`. The owner's memory is touched only while the thread holds the heap and
// `stop` is false: the owner dies only on a thread that holds the heap, and
// its destructor sets `stop` (abandon) before any member is destroyed. So a
// sweep never sees a dead or half-destroyed owner, and the thread never holds
// a Ref outside the heap lock. An owner whose count is 0 (dying: its weak-
// reference callbacks, which may release the heap, run before its
// destructor) is read but not swept.
//
// Joining. stop() runs in user code: it may release the heap (Heap::Unlock)
// while joining, like Python's Thread.join releasing the GIL. abandon() runs in
// the owner's destructor, possibly inside a collection, where releasing the
// heap is not allowed: it joins only a thread that is idle (waiting on the
// condition variable, so it leaves at once) and detaches a thread that waits
// for the heap (it leaves as soon as it gets it, without sweeping).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>

#include "heap_impl.h"
#include "refgc/detail/cache_common.h"
#include "refgc/heap.h"
#include "refgc/ref.h"
#include "refgc/unraisable.h"

namespace refgc::detail {

struct SweeperControl {
  std::mutex m;
  std::condition_variable cv;
  bool stop = false;
  bool busy = false;  // the thread waits for, or holds, the heap
  Heap* heap = nullptr;
  Object* owner = nullptr;
  std::chrono::nanoseconds interval{};
  std::function<std::size_t()> sweep;
  std::function<void(std::size_t)> on_sweep;
  std::thread thread;
};

namespace {

std::atomic<std::size_t> g_live_threads{0};

void sweeper_loop(std::shared_ptr<SweeperControl> c) {
  struct Count {
    HeapImpl& heap;
    ~Count() {  // after the last use of the heap; ~Heap may then free it
      g_live_threads.fetch_sub(1);
      heap.sweeper_threads.fetch_sub(1);
    }
  } count{c->heap->impl()};
  HeapImpl& impl = c->heap->impl();
  std::unique_lock<std::mutex> lk(c->m);
  for (;;) {
    if (c->cv.wait_for(lk, c->interval, [&] { return c->stop; })) return;
    c->busy = true;
    lk.unlock();
    // Wait for the heap without becoming its holder, then look at `stop`:
    // whoever sets it holds the heap, so it cannot change now. A stopped
    // (abandoned) thread leaves without ever being the heap's holder: a
    // ~Heap on the thread that released the heap would take that holder for
    // another thread holding it, and stop (review 2026-11-23, session 15).
    impl.mutex.lock();
    lk.lock();
    if (c->stop) {
      impl.mutex.unlock();
      return;
    }
    lk.unlock();
    impl.owner.store(std::this_thread::get_id());  // held: Heap::Lock below nests in it
    struct Release {
      HeapImpl& impl;
      ~Release() {
        impl.owner.store(std::thread::id{});
        impl.mutex.unlock();
      }
    } release{impl};
    {
      Heap::Lock hold(*c->heap);  // this thread's heap for the sweep (nested)
      // Copies of the callbacks: stop() called from on_sweep takes the
      // originals out of the control block while they run.
      std::function<std::size_t()> sweep;
      std::function<void(std::size_t)> on_sweep;
      lk.lock();
      const bool stopped = c->stop;
      try {
        if (!stopped) {
          sweep = c->sweep;
          on_sweep = c->on_sweep;
        }
      } catch (...) {
        lk.unlock();
        write_unraisable("<TtlCache background sweep>");
        lk.lock();
      }
      lk.unlock();
      // The owner's memory is intact (it sets `stop` before its members die,
      // under the heap), but it may be dying: its count reached 0 and weak-
      // reference callbacks run before its destructor, and one of them may
      // release the heap (Heap::Unlock), as a review found (2026-11-23,
      // session 14: the sweep then took a reference to it and stopped as
      // "use of a dead object"). A dying owner is not swept.
      if (!stopped && sweep && ObjectAccess::rc(c->owner) != 0) {
        // Keep it alive during the sweep: a value released by the sweep may
        // drop the owner's last reference; the owner then dies here, on this
        // thread, after the sweep, and its abandon() detaches this thread.
        Ref<Object> keep(c->owner);
        try {
          const std::size_t removed = sweep();
          if (on_sweep) on_sweep(removed);
        } catch (...) {
          write_unraisable("<TtlCache background sweep>");
        }
      }
    }  // the copies die here, under the heap lock (they may own references)
    lk.lock();
    c->busy = false;
  }
}

struct Taken {
  std::thread thread;
  bool busy = false;
  std::function<std::size_t()> sweep;
  std::function<void(std::size_t)> on_sweep;
};

// Sets `stop` and takes the thread and the callbacks out of the control
// block. The callbacks are destroyed by the caller, on its thread, which holds
// the heap (they may own references).
Taken take_for_stop(SweeperControl& c) noexcept {
  Taken t;
  {
    std::lock_guard<std::mutex> lk(c.m);
    if (!c.stop) c.heap->impl().sweepers_running.fetch_sub(1);
    c.stop = true;
    t.busy = c.busy;
    t.thread = std::move(c.thread);
    t.sweep = std::move(c.sweep);
    t.on_sweep = std::move(c.on_sweep);
  }
  c.cv.notify_all();
  return t;
}

}  // namespace

std::size_t live_sweeper_threads() noexcept { return g_live_threads.load(); }

void Sweeper::start(Object* owner, std::chrono::nanoseconds interval,
                    std::function<std::size_t()> sweep, std::function<void(std::size_t)> on_sweep) {
  if (ctl_) throw std::logic_error("the cache's background sweeper is already running");
  // The thread waits with wait_for, which adds the interval to the clock's
  // now: longer than 100 years it would overflow into the past and sweep in
  // a tight loop (review 2026-11-23, session 15). 100 years is "never".
  constexpr std::chrono::nanoseconds kLongest = std::chrono::hours(24 * 36525);
  if (interval > kLongest) interval = kLongest;
  Heap& heap = Heap::current();
  if (!heap.impl().pool.contains(owner))
    throw std::logic_error(
        "start_sweeper: this thread holds another heap than the cache's (the sweeps would run "
        "without the cache's heap)");
  auto c = std::make_shared<SweeperControl>();
  c->heap = &heap;
  c->owner = owner;
  c->interval = interval;
  c->sweep = std::move(sweep);
  c->on_sweep = std::move(on_sweep);
  {
    std::lock_guard<std::mutex> lk(c->m);
    HeapImpl& impl = heap.impl();
    g_live_threads.fetch_add(1);
    impl.sweeper_threads.fetch_add(1);
    impl.sweepers_running.fetch_add(1);
    try {
      c->thread = std::thread(sweeper_loop, c);
    } catch (...) {
      g_live_threads.fetch_sub(1);
      impl.sweeper_threads.fetch_sub(1);
      impl.sweepers_running.fetch_sub(1);
      throw;
    }
  }
  ctl_ = std::move(c);
}

void Sweeper::stop() {
  std::shared_ptr<SweeperControl> c = std::move(ctl_);
  if (!c) return;
  Taken t = take_for_stop(*c);
  if (!t.thread.joinable()) return;
  if (t.thread.get_id() == std::this_thread::get_id()) {
    t.thread.detach();  // stop() from on_sweep: the loop ends after this sweep
    return;
  }
  // A sweep waiting for the heap must be able to finish. If the heap is
  // this thread's current one, it is released while joining (Thread.join
  // releasing the GIL). If this thread holds it further out (an outer
  // Heap::Lock; review 2026-11-23, session 15: the join waited for a sweep
  // that waited for the heap), a thread waiting for it is detached instead,
  // as abandon() does: it leaves without sweeping once it gets the heap.
  // (Releasing a heap held further out and taking it back under the
  // current one would take the two heaps in the opposite order.)
  if (tls.heap == c->heap) {
    Heap::Unlock unlock;
    t.thread.join();
  } else if (t.busy && c->heap->impl().owner.load() == std::this_thread::get_id()) {
    t.thread.detach();
  } else {
    t.thread.join();
  }
}

void Sweeper::abandon() noexcept {
  std::shared_ptr<SweeperControl> c = std::move(ctl_);
  if (!c) return;
  Taken t = take_for_stop(*c);
  if (!t.thread.joinable()) return;
  try {
    if (!t.busy && t.thread.get_id() != std::this_thread::get_id()) {
      t.thread.join();  // idle: it sees `stop` and returns at once
    } else {
      t.thread.detach();
    }
  } catch (...) {
    // join failed (system error): let the thread go; it touches only `c`.
    if (t.thread.joinable()) t.thread.detach();
  }
}

}  // namespace refgc::detail
