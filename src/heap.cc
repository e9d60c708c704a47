// src/heap.cc: the heap facade -- thread ownership, tracking, and CPython's
// collection scheduling (thresholds, counts, the 25% long-lived rule).
// The collection itself is in collect.cc.
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "collect.h"
#include "heap_impl.h"
#include "refgc/finalize.h"
#include "refgc/unraisable.h"
#include "testing_hooks.h"

namespace refgc {

namespace detail {

namespace {

// The default heap held implicitly by this thread (its first use of refgc
// held no heap) is released when the thread ends, after every thread_local
// object of the thread is destroyed: the release is the destructor of a
// pthread key, and glibc runs those after the C++ thread_local destructors
// (__call_tls_dtors, then the keys'). A thread_local ImplicitHold object was
// destroyed before thread_local Refs constructed earlier than it, whose
// finalizers then ran with the heap released. The main thread keeps its hold
// through exit (the keys' destructors do not run for it): exit_collection
// finds the heap held.
void release_implicit_hold(void* held) noexcept {
  HeapImpl& impl = static_cast<Heap*>(held)->impl();
  impl.owner.store(std::thread::id{});
  if (tls.heap == &impl.self) tls.heap = nullptr;
  impl.mutex.unlock();
}
pthread_key_t implicit_hold_key() {
  static const pthread_key_t key = [] {
    pthread_key_t k;
    if (pthread_key_create(&k, release_implicit_hold) != 0)
      fatal("pthread_key_create failed (no key for the default heap's implicit hold)");
    return k;
  }();
  return key;
}
thread_local bool released_by_unlock = false;

// Set once the default heap exists (the late exit collection must not make
// it).
std::atomic<bool> default_heap_made{false};

// At process exit, runs body(h) with the default heap h held by this thread
// and current. By now the main thread's implicit hold may already have been
// released (thread locals die before atexit handlers run), so the heap is
// taken if nobody has it; if another thread holds it, it is left alone and
// body does not run.
template <class Body>
void with_default_heap_at_exit(Body body) noexcept {
  Heap& h = Heap::default_heap();
  HeapImpl& impl = h.impl();
  const std::thread::id me = std::this_thread::get_id();
  bool locked_here = false;
  if (impl.owner.load() != me) {
    if (!impl.mutex.try_lock()) return;  // another thread holds it: leave it alone
    impl.owner.store(me);
    locked_here = true;
  }
  Heap* saved = tls.heap;
  tls.heap = &h;
  body(h);
  tls.heap = saved;
  if (locked_here) {
    impl.owner.store(std::thread::id{});
    impl.mutex.unlock();
  }
}

// weakref.finalize's exit hook (finalize._exitfunc) for the default heap:
// its live atexit finalizers run, newest first, and the others never run
// (finalize._shutdown). Registered with std::atexit by the first finalize()
// on the default heap, as CPython's first finalize object registers
// _exitfunc with atexit: an exit handler registered before that runs after
// the finalizers, one registered after it before them (python3 3.11.7).
void run_finalize_exit(Heap& h) noexcept {
  run_atexit_finalizers(h);
  drop_finalizers(h);
}
void finalize_exit_hook() noexcept { with_default_heap_at_exit(run_finalize_exit); }

// At process exit: finalize the default heap's pending cyclic garbage, even
// with automatic collection disabled (CPython's shutdown collection).
// `first`: the collection registered when the default heap was made, which
// also runs weakref.finalize's exit hook if no finalize() registered it (or
// its registration failed; otherwise nothing is left for it to run); the
// late one (LateExitCollection) only collects.
void exit_collection(bool first) noexcept {
  with_default_heap_at_exit([first](Heap& h) {
    HeapImpl& impl = h.impl();
    if (first) run_finalize_exit(h);
    // gc::callbacks() run in the first one only, and only with automatic
    // collection enabled: CPython's Py_FinalizeEx collects with callbacks
    // after the atexit handlers if gc is enabled (_PyGC_CollectIfEnabled),
    // and its collections after module teardown (_PyGC_CollectNoFail) call
    // none.
    impl.collect_marked(2, /*run_callbacks=*/first && impl.enabled);
  });
}
void exit_collection_atexit() { exit_collection(true); }

// The collection above runs when the default heap's atexit handler does:
// before the destructors of the namespace-scope objects constructed before
// that heap was made (C++ runs exit handlers and static destructors in the
// reverse order of their registration), which are a program's "module
// globals". A cycle such a global held until exit became garbage after it,
// and was never finalized; CPython collects again after module teardown
// drops the globals (finalize_modules). This object is constructed before
// any object of default priority (init_priority), so its destructor runs
// after all of theirs: a last collection, with no user code left to run but
// finalizers (which must not use objects of static storage duration that
// are already destroyed, as a Python __del__ at shutdown sees None).
// docs/design/memory-model.md, "The default heap at exit".
struct LateExitCollection {
  constexpr LateExitCollection() noexcept = default;
  LateExitCollection(const LateExitCollection&) = delete;
  LateExitCollection& operator=(const LateExitCollection&) = delete;
  ~LateExitCollection() {
    if (default_heap_made.load()) exit_collection(false);
  }
};
#if defined(__GNUC__) || defined(__clang__)
__attribute__((init_priority(101)))
#endif
LateExitCollection late_exit_collection;

// Threads blocked taking a heap (Heap::Lock, the end of a Heap::Unlock) and
// the heap each waits for, to find a lock-order inversion before it becomes
// a deadlock: this thread waits for heap h, h's holder waits for a heap
// whose holder waits ... for a heap this thread holds. Touched only when
// the heap's mutex is taken (try_lock failed), so an uncontended Lock costs
// nothing more. The thread that closes the cycle is the last to register,
// under the same mutex as every other, so it sees the whole chain; a holder
// stores itself as the owner before it waits for anything, and a thread
// clears its ownership before it lets go, so the chain has no stale link
// that leads back to this thread.
struct WaitsFor {
  std::mutex mutex;
  std::vector<std::pair<std::thread::id, const HeapImpl*>> waiting;
};
WaitsFor& waits_for() {
  static WaitsFor* w = new WaitsFor;  // never destroyed: threads may lock at exit
  return *w;
}

[[noreturn, gnu::cold]] void report_inversion(const HeapImpl& wanted, const HeapImpl& held) {
  char buf[400];
  std::snprintf(buf, sizeof buf,
                "lock-order inversion: this thread waits for heap %p, whose holder waits "
                "(directly or through other threads) for heap %p, which this thread holds; both "
                "would wait for ever. Lock heaps in one order everywhere (the default heap held "
                "implicitly counts as taken first), or release the held one with "
                "refgc::Heap::Unlock before locking the other",
                static_cast<const void*>(&wanted.self), static_cast<const void*>(&held.self));
  fatal(buf);
}

// Takes impl's mutex, stopping instead of waiting if that would deadlock.
void lock_heap_mutex(HeapImpl& impl) {
  if (impl.mutex.try_lock()) return;
  const std::thread::id me = std::this_thread::get_id();
  WaitsFor& w = waits_for();
  bool registered = false;
  {
    std::lock_guard<std::mutex> guard(w.mutex);
    try {
      w.waiting.emplace_back(me, &impl);
      registered = true;
    } catch (...) {  // no memory for the record: wait unchecked
    }
    const HeapImpl* h = &impl;
    // At most one step per waiting thread (a cycle that this thread is not
    // part of must not keep it walking).
    for (std::size_t steps = 0; registered && steps < w.waiting.size(); ++steps) {
      const std::thread::id holder = h->owner.load();
      if (holder == me) report_inversion(impl, *h);
      if (holder == std::thread::id{}) break;
      const auto it = std::find_if(w.waiting.begin(), w.waiting.end(),
                                   [&](const auto& e) { return e.first == holder; });
      if (it == w.waiting.end()) break;
      h = it->second;
    }
  }
  struct Unregister {
    WaitsFor& w;
    bool registered;
    std::thread::id me;
    ~Unregister() {
      if (!registered) return;
      std::lock_guard<std::mutex> guard(w.mutex);
      const auto it = std::find_if(w.waiting.begin(), w.waiting.end(),
                                   [&](const auto& e) { return e.first == me; });
      if (it != w.waiting.end()) {
        *it = w.waiting.back();
        w.waiting.pop_back();
      }
    }
  } unregister{w, registered, me};
  impl.mutex.lock();
}

}  // namespace

[[noreturn, gnu::cold]] void report_misordered_hold(const char* which, const Heap& heap) {
  char buf[400];
  std::snprintf(buf, sizeof buf,
                "a refgc::%s of heap %p ended out of order: a thread's Heap::Lock and "
                "Heap::Unlock scopes nest, and end innermost first on the thread that began them "
                "(one begun inside it is still alive, or it ends on another thread)",
                which, static_cast<const void*>(&heap));
  fatal(buf);
}

namespace {

// `what` (may be null) names the operation in the debug message.
Heap& acquire_default(const char* what = nullptr) {
  if (released_by_unlock) {
    std::string msg =
        "refgc used inside a refgc::Heap::Unlock scope: this thread released its heap";
    if (what != nullptr) msg = msg + " (it " + what + ")";
    fatal(msg.c_str());
  }
  Heap& d = Heap::default_heap();
  HeapImpl& impl = d.impl();
  const std::thread::id me = std::this_thread::get_id();
  if (impl.owner.load() == me) {
    tls.heap = &d;
    return d;
  }
  if (!impl.mutex.try_lock()) {
#if REFGC_DEBUG
    std::string msg = "this thread uses refgc while another thread holds the default heap";
    if (what != nullptr) msg = msg + " (it " + what + ")";
    msg +=
        "; take refgc::Heap::Lock(refgc::Heap::default_heap()) in this thread, "
        "and let the holder release it with refgc::Heap::Unlock";
    fatal(msg.c_str());
#else
    impl.mutex.lock();  // wait for the holder, like waiting for the GIL
#endif
  }
  impl.owner.store(me);
  if (pthread_setspecific(implicit_hold_key(), &d) != 0)
    fatal("pthread_setspecific failed (the default heap's implicit hold)");
  tls.heap = &d;
  return d;
}

}  // namespace

void register_finalize_exit_hook(Heap& heap) noexcept {
  // Once, for the default heap only: another heap's finalizers run when it
  // is destroyed.
  static std::atomic<bool> registered{false};
  if (registered.load(std::memory_order_relaxed) || !default_heap_made.load() ||
      &heap != &Heap::default_heap() || registered.exchange(true))
    return;
  // If it cannot be registered, the exit collection runs them (after the
  // handlers registered since the default heap was made).
  (void)std::atexit(finalize_exit_hook);
}

namespace testing {

bool held_by_this_thread(Heap& heap) noexcept {
  return heap.impl().owner.load() == std::this_thread::get_id();
}

std::size_t threads_waiting_to_lock(Heap& heap) noexcept { return heap.impl().lock_waiters.load(); }

}  // namespace testing

HeapImpl& acquire_current_slow() { return acquire_default().impl(); }
HeapFast& acquire_fast_slow() { return acquire_default().fast(); }
#if REFGC_DEBUG
void REFGC_DEBUG_is_1_here_but_0_in_the_library::acquire_heap_for(const char* what) noexcept {
  if (tls.heap == nullptr) acquire_default(what);
}
#endif

void check_owner_for_allocation() { current_impl().check_owner("allocates an object"); }

void HeapFast::maybe_collect() {
  HeapImpl& heap = *static_cast<HeapImpl*>(this);
  // (The trap Collector::begin_counting sets in generation 0's count.)
  if (REFGC_UNLIKELY(heap.active != nullptr && heap.active->counting()))
    Collector::refuse_allocation();
  heap.collect_now();
}
void HeapFast::track_slow(Object* o) { static_cast<HeapImpl*>(this)->track(o); }
void HeapFast::untrack_slow(Object* o) noexcept { static_cast<HeapImpl*>(this)->untrack(o); }

// Nothing of it is alive (a heap destroyed with live objects is kept for
// them instead: src/orphans.cc); the pool gives its chunks back.
HeapImpl::~HeapImpl() { unnumber_heap(*this); }

void HeapImpl::check_owner(const char* what) const noexcept {
#if REFGC_DEBUG
  if (owner.load(std::memory_order_relaxed) != std::this_thread::get_id()) {
    std::string msg = "a thread that does not hold the heap ";
    msg += what;
    msg += "; take refgc::Heap::Lock on that heap first";
    fatal(msg.c_str());
  }
#else
  (void)what;
#endif
}

Generation& HeapImpl::generation_of_state(std::uint32_t state) noexcept {
  if (state == kPermanent) return permanent;
  return gens[state - kGen0];
}

void track_lazily(Object* o, std::size_t* listed, MayHoldTracked may_hold_tracked) {
  REFGC_DEBUG_REQUIRE_HEAP("tracks a dictionary (Dict::set of a GC object)");
  HeapImpl& heap = current_impl();
  auto& list = heap.lazily_tracked;
  if (list.size() == list.capacity())  // may throw: nothing changed
    list.reserve(std::max<std::size_t>(16, 2 * list.capacity()));
  heap.track(o);  // may throw: nothing changed
  list.push_back({o, listed, may_hold_tracked});
  *listed = list.size();
}

void forget_lazily_tracked(std::size_t* listed) noexcept {
  HeapImpl& heap = current_impl();
  const std::size_t i = *listed - 1;
  if (i >= heap.lazily_tracked.size() || heap.lazily_tracked[i].listed != listed)
    fatal(
        "a Dict died while this thread held another heap than its own (docs/design/"
        "memory-model.md: objects die under their own heap)");
  heap.unlist_lazily_tracked(i);
}

void HeapImpl::unlist_lazily_tracked(std::size_t i) noexcept {
  auto& list = lazily_tracked;
  std::size_t* const listed = list[i].listed;
  list[i] = list.back();  // (itself when it is the last)
  *list[i].listed = i + 1;
  list.pop_back();
  *listed = 0;
  // A million Dicts that died leave no 24 MB behind: below a quarter, the
  // room shrinks to what is used (amortized: growth doubles it again).
  if (list.capacity() > 4096 && list.size() < list.capacity() / 4) {
    try {
      list.shrink_to_fit();
    } catch (...) {  // no memory to move it: it keeps its room
    }
  }
}

void HeapImpl::track(Object* o) {
  Generation& g = gens[0];
  if (g.objs.size() == g.objs.capacity() && compaction_blocked == 0 && g.wants_room_compaction())
    compact(g);  // full, at least half tombstones: squeeze instead of growing
  if (g.objs.size() >= kMaxIndex) {
    compact(g);
    if (g.objs.size() >= kMaxIndex)
      throw std::length_error("refgc: a generation cannot hold more than 2^25 objects");
  }
  g.objs.push_back(o);
  ObjectAccess::set_slot(o, kGen0, static_cast<std::uint32_t>(g.objs.size() - 1));
}

void HeapImpl::untrack(Object* o) noexcept {
  const std::uint32_t state = ObjectAccess::state(o);
  const std::uint32_t index = ObjectAccess::index(o);
  switch (state) {
    case kUntracked:
      return;
    case kGen2:
    case kPermanent: {  // unlisted: a count (its virtual slot stays a gap)
      Generation& g = generation_of_state(state);
      REFGC_CHECK(g.unlisted != 0, o, "corrupt generation count (untracking from an empty one)");
      --g.unlisted;
      break;
    }
    case kGen0:
    case kGen1: {
      Generation& g = generation_of_state(state);
      // The usual cause is a misuse, not a refgc bug: an object of another
      // heap dying while this thread holds a different one (debug builds
      // name it at the drop: refgc/heap.h), or, while a collection counts,
      // a trace() dropping a reference (its generation is being merged).
      if (REFGC_UNLIKELY(!(index < g.objs.size() && g.objs[index] == o))) {
        if (active != nullptr && active->counting()) died_while_counting(o);
        fatal_object(o,
                     "corrupt generation list (object not at its index; did an object of another "
                     "heap die while this thread held a different heap? a debug build says so)");
      }
      if (index + 1 == g.objs.size()) {
        // The newest of its generation (a chain dying from its newest end):
        // shrink the list, and any tombstones now at its end with it, so
        // that no compaction has to renumber the rest later.
        g.objs.pop_back();
        if (g.tombstones == g.objs.size()) {  // nothing left alive in it
          g.clear_list();
          break;
        }
        while (g.objs.back() == nullptr) {  // a live entry stops it
          g.objs.pop_back();
          --g.tombstones;
        }
        if (g.dead_prefix > g.objs.size()) g.dead_prefix = g.objs.size();
        break;
      }
      g.objs[index] = nullptr;
      ++g.tombstones;
      if (index == g.dead_prefix) {
        // The oldest entry: the dead prefix grows; nothing to renumber.
        std::size_t p = index + 1;
        while (p < g.objs.size() && g.objs[p] == nullptr) ++p;
        g.dead_prefix = p;
        if (p == g.objs.size()) g.clear_list();  // nothing left alive in it
      }
      // Any other entry leaves its tombstone: removal never renumbers (the
      // tombstones go when the vector is full, track(), or after a
      // collection).
      break;
    }
    case kCollecting:
      REFGC_CHECK(active != nullptr, o, "object marked collecting outside a collection");
      active->forget(o, index);
      break;
    default:
      if (active != nullptr && active->counting()) died_while_counting(o);
      fatal_object(o, "untracking an object in an impossible collector state");
  }
  ObjectAccess::set_slot(o, kUntracked, 0);
}

void HeapImpl::gather_unlisted(std::uint32_t state, std::vector<Object*>& out) {
  const Generation& g = generation_of_state(state);
  out.assign(g.next_slot, nullptr);
  std::size_t found = 0;
  Object** const slots = out.data();
  const std::size_t n = out.size();
  walk_unlisted([&](Object* o) {
    if (ObjectAccess::state(o) != state) return;
    put_at_slot(slots, n, o);
    ++found;
  });
  REFGC_CHECK(found == g.unlisted, nullptr,
              "corrupt generation (its count disagrees with the heap)");
}

void HeapImpl::renumber_unlisted(std::uint32_t state) {
  Generation& g = generation_of_state(state);
  std::vector<Object*> list;
  gather_unlisted(state, list);
  std::uint32_t k = 0;
  for (Object* o : list)
    if (o != nullptr) ObjectAccess::set_slot(o, state, k++);  // (its chunk stays marked)
  g.next_slot = k;
}

void HeapImpl::compact(Generation& g) noexcept {
  std::size_t out = 0;
  const std::uint32_t state =
      (&g == &permanent) ? kPermanent : static_cast<std::uint32_t>(kGen0 + (&g - gens));
  for (Object* o : g.objs) {
    if (o == nullptr) continue;
    ObjectAccess::set_slot(o, state, static_cast<std::uint32_t>(out));
    g.objs[out++] = o;
  }
  g.objs.resize(out);
  g.tombstones = 0;
  g.dead_prefix = 0;
}

// After a collection. The dead prefix does not count: compacting would only
// renumber the survivors to win back pointer slots the vector keeps anyway.
void HeapImpl::maybe_compact(Generation& g) noexcept {
  if (compaction_blocked == 0 && g.wants_compaction()) compact(g);
}

void HeapImpl::collect_now() {
  if (enabled && gens[0].threshold != 0 && !collecting) {
    collecting = true;
    collect_generations();
    collecting = false;
  }
}

void HeapImpl::collect_generations() {
  // Oldest first: collect the first generation whose count exceeds its
  // threshold. A full collection also needs the pending long-lived objects to
  // be at least 25% of the long-lived total, else generation 2 is skipped.
  for (int i = 2; i >= 0; --i) {
    if (gens[i].count > static_cast<std::size_t>(gens[i].threshold)) {
      if (i == 2 && long_lived_pending < long_lived_total / 4) continue;
      collect_with_callbacks(i);
      break;
    }
  }
}

namespace {

// What a gc callback's entry holds while that callback runs (run_callback):
// a share of the callback, which it calls, so that the entry, and a copy of
// it taken meanwhile (kept in the vector or anywhere else), is still that
// callback, as a gc.callbacks item is the callable itself.
struct RunningCallback {
  std::shared_ptr<gc::Callback> running;
  void operator()(std::string_view phase, const gc::CollectInfo& info) const {
    (*running)(phase, info);
  }
};

// Calls callbacks[i] itself, not a copy, so that state it keeps (a mutable
// lambda's captures) lasts to its next call, as gc.callbacks holds the
// callables themselves. It may change the vector meanwhile (erase itself,
// add entries, make it reallocate): for the call it is moved into shared
// storage and its entry holds a RunningCallback; afterwards it goes back
// into each entry holding that, wherever it is now (moved into the last
// one unless a copy outside the vector still shares it, copied into the
// others), or stays with the copies outside, or is dropped (it removed or
// replaced itself). Without the memory for that, it is not called
// (unraisable), as CPython's invoke_gc_callback skips the callbacks when it
// cannot build their info.
void run_callback(std::vector<gc::Callback>& callbacks, std::size_t i, std::string_view phase,
                  const gc::CollectInfo& info) noexcept {
  std::shared_ptr<gc::Callback> running;
  try {
    auto shared = std::make_shared<gc::Callback>();
    gc::Callback marker = RunningCallback{shared};
    *shared = std::move(callbacks[i]);  // nothing below throws until the call
    callbacks[i] = std::move(marker);
    running = std::move(shared);
    (*running)(phase, info);
  } catch (...) {
    write_unraisable("<gc callback>");
  }
  if (!running) return;
  auto holds_it = [&](const gc::Callback& c) {
    const RunningCallback* r = c.target<RunningCallback>();
    return r != nullptr && r->running == running;
  };
  long in_vector = 0;
  std::size_t last = callbacks.size();
  for (std::size_t k = 0; k < callbacks.size(); ++k) {
    if (holds_it(callbacks[k])) {
      ++in_vector;
      last = k;
    }
  }
  // Shared outside the vector (and this function): those copies keep it.
  const bool movable = running.use_count() == in_vector + 1;
  for (std::size_t k = 0; k < callbacks.size(); ++k) {
    if (!holds_it(callbacks[k]) || (movable && k == last)) continue;
    try {
      callbacks[k] = *running;
    } catch (...) {
      // Left as it is: it still calls the callback.
    }
  }
  if (movable && last != callbacks.size()) callbacks[last] = std::move(*running);
}

}  // namespace

std::size_t HeapImpl::collect_with_callbacks(int generation, bool run_callbacks) noexcept {
  // As CPython's invoke_gc_callback: the live list, by index, re-reading its
  // size after each call (a callback appended during the phase runs in it;
  // one that removes itself makes the next one skip this phase), each
  // callback kept alive through its call (run_callback) so that removing it
  // is safe.
  auto invoke = [&](std::string_view phase, const gc::CollectInfo& info) {
    if (!run_callbacks) return;
    for (std::size_t i = 0; i < callbacks.size(); ++i) run_callback(callbacks, i, phase, info);
  };
  if (can_skip_collection(generation)) {
    collect_nothing(generation);
    return 0;
  }
  invoke("start", gc::CollectInfo{generation, 0, 0});
  // Removal leaves its tombstones (HeapImpl::untrack): the older generation
  // the survivors of a young collection join is squeezed first if at least
  // half of it is tombstones, so that they take slots after its live
  // entries, not after its dead ones (a full collection merges generation 2
  // and drops its tombstones anyway).
  if (generation < 2) {
    Generation& joined = gens[generation + 1];
    if (compaction_blocked == 0 && joined.wants_room_compaction()) compact(joined);
  }
  Collector collector(*this, generation);
  const std::size_t n = collector.run();
  invoke("stop", gc::CollectInfo{generation, collector.collected(), collector.uncollectable()});
  return n;
}

}  // namespace detail

// --- Heap ---

Heap::Heap() : impl_(std::make_unique<detail::HeapImpl>(*this)), fast_(impl_.get()) {
  detail::number_heap(*impl_);  // its orphans, if any, will carry it (src/orphans.cc)
  impl_->gens[0].threshold = 700;
  impl_->gens[1].threshold = 10;
  impl_->gens[2].threshold = 10;
}

Heap::~Heap() {
  detail::HeapImpl& impl = *impl_;
  const std::thread::id me = std::this_thread::get_id();
  const std::thread::id holder = impl.owner.load();
  if (holder != std::thread::id{} && holder != me) {
    detail::fatal("a refgc::Heap was destroyed while another thread holds it");
  }
  if (holder == me) {
    // Only a Heap::Lock still alive on this thread holds a heap that can be
    // destroyed (the default heap never is): its end would use the dead heap.
    detail::fatal(
        "a refgc::Heap was destroyed while this thread still holds it (a Heap::Lock on it is "
        "alive)");
  }
  // The rest is read with the mutex held: a thread that locked the heap
  // after the check above and released it for a scope (Heap::Unlock) since,
  // or opened a diag::LeakCheck, has finished writing them.
  impl.mutex.lock();
  impl.owner.store(me);
  if (impl.suspended_holds.load() != 0) {
    // A Heap::Unlock on a thread that held it: its end would lock the dead
    // heap, and the Lock it suspended would then unlock it.
    detail::fatal(
        "a refgc::Heap was destroyed while a thread that holds it has released it for a scope "
        "(a Heap::Unlock on it is alive)");
  }
  if (!impl.leak_checks.empty()) {
    // The scope's end would check, and unregister from, the dead heap.
    detail::fatal("a refgc::Heap was destroyed while a diag::LeakCheck on it is still open");
  }
  // Free the cyclic garbage this heap still has, with the heap current.
  Heap* saved = detail::tls.heap;
  detail::tls.heap = this;
  const detail::TrashState outer_trash = detail::begin_trash();
  detail::run_atexit_finalizers(*this);
  detail::drop_finalizers(*this);
  // Frozen objects take part in the final collection: a frozen garbage cycle
  // would otherwise stay, unreachable, as orphans that keep the dead heap
  // for good. (CPython leaves the permanent generation alone at shutdown,
  // where the process ends; a refgc heap dies in a process that goes on.)
  // Without the memory to unfreeze, they stay frozen and become orphans.
  if (impl.permanent.unlisted != 0 && !impl.collecting) {
    try {
      gc::unfreeze();
    } catch (...) {
    }
  }
  // Marked as running (as gc::collect does), so that a finalizer's
  // gc::collect() or an automatic collection does not run a second one of
  // this heap inside it, over the same scratch lists.
  bool found = impl.collect_marked(2) != 0;
  // gc::garbage() and gc::callbacks() may hold Refs: dropped while the heap
  // is current. What only they kept alive may be cyclic, and the finalizers
  // of the garbage just freed may have made more: collected again (no
  // callback left to call, no debug output, nothing saved), so that it does
  // not stay as orphans no collector will ever look at again. A few rounds,
  // while a round finds garbage (its finalizers may make more).
  impl.debug = 0;
  for (int round = 0; round < 4 && (found || !impl.garbage.empty() || !impl.callbacks.empty());
       ++round) {
    impl.garbage.clear();
    impl.callbacks.clear();
    found = impl.collect_marked(2) != 0;
  }
  impl.garbage.clear();
  impl.callbacks.clear();
  detail::end_trash(outer_trash);
  if (impl.lock_waiters.load() != 0) {
    // Unlocking would hand the mutex of a heap about to be freed to a thread
    // blocked in Heap::Lock, which would then use the dead heap. (A Lock
    // that starts after this point races with the destruction itself: the
    // Heap object is going.)
    detail::fatal(
        "a refgc::Heap was destroyed while another thread waits to lock it (in Heap::Lock); "
        "let that thread finish with the heap before destroying it");
  }
  if (impl.sweepers_running.load() != 0) {
    // A live cache's sweeper would keep locking the dead heap.
    detail::fatal(
        "a refgc::Heap was destroyed while a TtlCache's background sweeper on it still runs "
        "(call stop_sweeper() before the heap goes)");
  }
  detail::tls.heap = saved;
  impl.owner.store(std::thread::id{});
  impl.mutex.unlock();
  // Sweeper threads abandoned with their caches (by the final collection or
  // earlier) may be waiting for the lock: each takes it, sees it must stop,
  // and leaves. The heap must outlive that.
  while (impl.sweeper_threads.load() != 0)
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  // Objects still referenced from outside become orphans, and the heap's
  // pool and weak table stay for them until the last one dies. An orphan
  // is never tracked again: its Dicts leave the lazily tracked list.
  for (const auto& e : impl.lazily_tracked) *e.listed = 0;
  impl.lazily_tracked.clear();
  if (impl.pool.live() != 0) detail::orphan_heap(std::move(impl_));
}

Heap& Heap::default_heap() {
  static Heap* heap = [] {
    Heap* h = new Heap();  // never destroyed: objects may outlive main()
    std::atexit(detail::exit_collection_atexit);
    detail::default_heap_made.store(true);
    return h;
  }();
  return *heap;
}

Heap& Heap::current() {
  REFGC_DEBUG_REQUIRE_HEAP("calls refgc::Heap::current()");
  return detail::current_impl().self;
}

std::size_t Heap::live_objects() const noexcept { return impl_->pool.live(); }
std::size_t Heap::reserved_bytes() const noexcept { return impl_->pool.reserved_bytes(); }

Heap::Lock::Lock(Heap& heap)
    : heap_(heap), previous_(detail::tls.heap), nested_(false), outer_trash_{} {
  detail::HeapImpl& impl = heap.impl();
  if (impl.owner.load() == std::this_thread::get_id()) {
    nested_ = true;
  } else {
    // Counted while it waits (~Heap stops rather than hand the mutex over).
    struct Waiting {
      std::atomic<std::size_t>& n;
      explicit Waiting(std::atomic<std::size_t>& count) : n(count) { n.fetch_add(1); }
      ~Waiting() { n.fetch_sub(1); }
      Waiting(const Waiting&) = delete;
      Waiting& operator=(const Waiting&) = delete;
    } waiting(impl.lock_waiters);
    detail::lock_heap_mutex(impl);
    impl.owner.store(std::this_thread::get_id());
  }
  if (!nested_) outer_trash_ = detail::begin_trash();
  detail::tls.heap = &heap;
}

Heap::Lock::~Lock() {
  detail::HeapImpl& impl = heap_.impl();
  // Holds nest: the innermost one ends first, on its own thread. A Lock
  // ended before one begun inside it (both held through std::optional or
  // std::unique_ptr, say) let the thread go on with a heap it no longer
  // held as its current one (the inner Lock's end restored it), and one
  // ended on another thread unlocked a mutex that thread did not own.
  if (detail::tls.heap != &heap_ || impl.owner.load() != std::this_thread::get_id())
    detail::report_misordered_hold("Heap::Lock", heap_);
  if (!nested_) detail::end_trash(outer_trash_);
  if (!nested_) {
    impl.owner.store(std::thread::id{});
    impl.mutex.unlock();
  }
  detail::tls.heap = previous_;
}

Heap::Unlock::Unlock() : heap_(detail::tls.heap), was_released_(detail::released_by_unlock) {
  if (heap_ == nullptr) return;
  detail::HeapImpl& impl = heap_->impl();
  impl.suspended_holds.fetch_add(1);
  impl.owner.store(std::thread::id{});
  impl.mutex.unlock();
  detail::tls.heap = nullptr;
  detail::released_by_unlock = true;
}

Heap::Unlock::~Unlock() {
  // As ~Lock: the innermost hold or release ends first (a Lock begun inside
  // this scope, still alive, would be left current over the heap taken
  // back), on the thread that began it.
  if (heap_ != nullptr && (detail::tls.heap != nullptr || !detail::released_by_unlock))
    detail::report_misordered_hold("Heap::Unlock", *heap_);
  detail::released_by_unlock = was_released_;  // a nested Unlock leaves the outer one's mark
  if (heap_ == nullptr) return;
  detail::HeapImpl& impl = heap_->impl();
  detail::lock_heap_mutex(impl);
  impl.owner.store(std::this_thread::get_id());
  impl.suspended_holds.fetch_sub(1);
  detail::tls.heap = heap_;
}

}  // namespace refgc

namespace refgc::detail::testing {

void set_slot_limit(Heap& heap, std::size_t limit) noexcept {
  heap.impl().slot_limit = limit == 0 ? std::size_t{kMaxIndex} : limit;
}

void force_wide_list(Heap& heap, bool wide) noexcept { heap.impl().force_wide_list = wide; }

bool held_by_another_thread(Heap& heap, std::chrono::milliseconds within) noexcept {
  const std::thread::id me = std::this_thread::get_id();
  const auto until = std::chrono::steady_clock::now() + within;
  do {
    const std::thread::id holder = heap.impl().owner.load();
    if (holder != std::thread::id{} && holder != me) return true;
  } while (std::chrono::steady_clock::now() < until);
  return false;
}

std::size_t generation_room(Heap& heap, int g) noexcept {
  return heap.impl().gens[g].objs.capacity();
}

std::size_t generation_entries(Heap& heap, int g) noexcept {
  const detail::Generation& gen = heap.impl().gens[g];
  return g == 2 ? gen.next_slot : gen.objs.size();
}

bool walk_ordered(Heap& heap) noexcept { return heap.impl().gens[2].walk_ordered; }

std::size_t validator_walks(Heap& heap) noexcept { return heap.impl().validator_walks; }

LongLived long_lived(Heap& heap) noexcept {
  const detail::HeapImpl& impl = heap.impl();
  return {impl.long_lived_total, impl.long_lived_pending};
}

}  // namespace refgc::detail::testing
