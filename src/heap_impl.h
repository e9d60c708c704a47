// src/heap_impl.h: the state behind a Heap (CPython's per-interpreter gc
// state plus the object pools). Private to the library.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "refgc/detail/heap_fast.h"
#include "refgc/gc.h"
#include "refgc/heap.h"
#include "refgc/object.h"
#include "refgc/tracer.h"
#include "weak_table.h"

namespace refgc::diag {
class LeakCheck;
}

namespace refgc::detail {

class Collector;
class WeakRefObject;

// How many destroyed heaps are kept for their orphans (src/orphans.cc:
// orphan_heap adds one, the last orphan's death takes it away);
// orphans_exist() is one relaxed load.
inline std::atomic<std::size_t> orphaned_heap_count{0};
inline bool orphans_exist() noexcept {
  return orphaned_heap_count.load(std::memory_order_relaxed) != 0;
}

struct HeapImpl : HeapFast {
  explicit HeapImpl(Heap& heap) : self(heap) {}
  ~HeapImpl();

  Heap& self;

  // --- the collector's state (CPython's GCState); pools and generations are
  // in HeapFast ---
  Generation permanent;  // gc.freeze()
  bool enabled = true;
  bool collecting = false;
  // Set at shutdown once the atexit finalizers ran (finalize.cc,
  // drop_finalizers): no finalizer of this heap runs after that.
  bool finalizers_shut_down = false;
  // TtlCache background sweepers bound to this heap (src/sweeper.cc): those
  // started and not yet stopped or abandoned, and the threads still alive
  // (an abandoned one may still be waiting for the heap's lock). ~Heap
  // refuses the first and waits for the second.
  std::atomic<std::size_t> sweepers_running{0};
  std::atomic<std::size_t> sweeper_threads{0};
  int debug = 0;
  std::size_t long_lived_total = 0;
  std::size_t long_lived_pending = 0;
  std::array<gc::GenerationStats, 3> stats{};
  // The most entries (slots, tombstones included) a collection may leave in
  // the generation its survivors join: their slot numbers must fit the
  // header's 25-bit index. Only tests lower it (src/testing_hooks.h).
  std::size_t slot_limit = kMaxIndex;
  // A full collection rebuilding generation 2's list uses 8-byte entries
  // even when 4-byte ones fit (collect.cc, EntryCodec). Only tests set it.
  bool force_wide_list = false;
  // How many times the collector's validator (debug builds) walked the heap
  // for generation 2 and the permanent generation. Read by tests.
  std::size_t validator_walks = 0;
  std::vector<Ref<Object>> garbage;
  std::vector<gc::Callback> callbacks;
  // The collection in progress (or null).
  Collector* active = nullptr;
  // The collector's working vectors, kept between collections so that a
  // young collection does not allocate them anew each time; after a
  // collection any of them holding more than kKeepEntries is given back
  // (a full collection of a large heap must not pin its scratch).
  struct CollectorScratch {
    static constexpr std::size_t kKeepEntries = std::size_t{1} << 11;
    std::vector<Object*> young, spare, reachable, unreachable, taken;
    // The large objects that the entries of generation 2's rebuilt list
    // point to (collect.cc, EntryCodec; the list itself lives in the room
    // of `unreachable`).
    std::vector<Object*> large;
    // Young's tail in move_unreachable: written through a raw cursor
    // (Tracer::out_ in kReach mode), so its room is left uninitialized (and
    // untouched, hence not resident, beyond what is written).
    struct Buffer {
      std::unique_ptr<Object*[]> data;
      std::size_t capacity = 0;
      void reserve(std::size_t n) {
        if (n <= capacity) return;
        data.reset(new Object*[n]);  // default-initialized: not written
        capacity = n;
      }
    } tail;
    // Gives back every vector above kKeepEntries; returns the bytes freed.
    std::size_t trim() noexcept;
  } scratch;
  // Set while compaction is unsafe (a collection is walking the vectors).
  int compaction_blocked = 0;

  // --- weak references: referent -> the head of its weak list, linked
  // through the WeakRefObjects in CPython's order (the shared callback-less
  // one first, then newest first) ---
  WeakHeadTable weaklists;
  // Whether any weak reference may exist that this heap's objects can be
  // (or have): some in its table, or any orphan at all, whose weak
  // references (this heap's among them) are in its dead heap's table.
  bool any_weakrefs() const noexcept { return weaklists.size() != 0 || orphans_exist(); }

  // Objects of born_untracked types (Dict) that Dict::set tracked: a full
  // collection untracks the survivors among them that hold no object of a
  // GC type (Collector::untrack_dicts, CPython's untrack_dicts). Each entry
  // knows where its object records its place (index + 1).
  struct LazilyTracked {
    Object* object;
    std::size_t* listed;
    MayHoldTracked may_hold_tracked;
  };
  std::vector<LazilyTracked> lazily_tracked;
  // Takes entry i off the list (the last entry takes its place) and zeroes
  // its object's record (src/heap.cc).
  void unlist_lazily_tracked(std::size_t i) noexcept;

  // --- diagnostics (src/diag.cc) ---
  // The open diag::LeakCheck scopes: told when a tracked object dies.
  std::vector<diag::LeakCheck*> leak_checks;
  // diag::growth(): the highest count seen per type name.
  std::unordered_map<std::string, std::size_t> growth_peaks;

  // --- orphans (src/orphans.cc) ---
  // This heap's number in the process-wide table of heaps (1 ..
  // kMaxHeapNumber), which its orphans carry in their headers; whether it
  // was destroyed and is kept for its orphans.
  std::uint32_t number = 0;
  bool orphaned = false;
  // Guards `weaklists` once the heap is orphaned: the weak references to its
  // orphans are linked there, and several threads may reach it at once --
  // the one using the orphans (their deaths, new weak references) and any
  // thread dropping the weak references that its own live heap holds to
  // them (a weak container emptied, its heap's collection or destruction),
  // which uses no orphan. Held around table and list updates only, never
  // while user code runs.
  std::mutex orphan_weak_mutex;

  // --- threads ---
  std::mutex mutex;
  std::atomic<std::thread::id> owner{};
  // Holds released for a scope by a Heap::Unlock still alive (on any
  // thread): ~Heap refuses to run under one.
  std::atomic<int> suspended_holds{0};
  // Threads blocked in Heap::Lock on `mutex`: ~Heap refuses to let go of
  // the mutex to one (it would lock a freed mutex and use a dead heap).
  std::atomic<std::size_t> lock_waiters{0};

  // --- tracking ---
  // Tracks a new (or re-tracked, CPython's finalizer path) object in
  // generation 0, the only generation objects are tracked into one by one;
  // the older ones are joined by collections, freeze and unfreeze.
  void track(Object* o);
  void untrack(Object* o) noexcept;
  Generation& generation_of_state(std::uint32_t state) noexcept;
  void compact(Generation& g) noexcept;
  void maybe_compact(Generation& g) noexcept;

  // --- scheduling (CPython's gc_collect_generations) ---
  void collect_now();
  void collect_generations();
  // `run_callbacks` false: the collections at process exit that CPython runs
  // without gc.callbacks (_PyGC_CollectNoFail at shutdown: src/heap.cc,
  // exit_collection); they still print the debug output.
  std::size_t collect_with_callbacks(int generation, bool run_callbacks = true) noexcept;
  // collect_with_callbacks marked as running (`collecting`), as CPython's
  // gc.collect(): 0 without collecting if one already runs (a finalizer's
  // or callback's gc::collect(), an automatic collection inside it).
  std::size_t collect_marked(int generation, bool run_callbacks = true) noexcept {
    if (collecting) return 0;
    collecting = true;
    const std::size_t n = collect_with_callbacks(generation, run_callbacks);
    collecting = false;
    return n;
  }
  // A collection with no callbacks and no debug output, of generations that
  // hold nothing: skips the collector (an empty young collection in a few ns;
  // inline, as gc::collect takes this path without a call).
  bool nothing_to_examine(int generation) const noexcept {
    for (int i = 0; i <= generation; ++i)
      if (!gens[i].objs.empty() || gens[i].unlisted != 0) return false;
    return true;
  }
  // Generation 2 and the permanent generation keep no list (heap_fast.h).
  static bool is_unlisted(std::uint32_t state) noexcept {
    return state == kGen2 || state == kPermanent;
  }
  // An object joins an unlisted generation: its state and virtual slot
  // (the next one: slots only ascend), and the mark on its pool chunk
  // (Pool::mark) that keeps the heap walk going there. Generation 2 notes
  // whether its slots still ascend in walk order (Generation::walk_ordered:
  // a large object has no position, it ends the order unless none follows).
  void join_unlisted(Object* o, std::uint32_t state, std::size_t slot) noexcept {
    ObjectAccess::set_slot(o, state, static_cast<std::uint32_t>(slot));
    const std::uint64_t position = pool.mark(o);
    if (state == kGen2) {
      Generation& g = gens[2];
      if (position <= g.last_position && g.last_position != 0) g.walk_ordered = false;
      g.last_position = position;
    }
  }
  // Calls f(Object*) for each member of either unlisted generation, in heap
  // walk order (the marked chunks only: Pool::walk_marked).
  template <class F>
  void walk_unlisted(F&& f) {
    pool.walk_marked([&](void* slot) {
      auto* o = static_cast<Object*>(slot);
      const std::uint32_t state = ObjectAccess::state(o);
      if (state != kGen2 && state != kPermanent) return false;
      f(o);
      return true;
    });
  }
  // Rebuilds an unlisted generation's list: `out` gets next_slot entries,
  // each member at its virtual slot, null for the gaps. One heap walk.
  // Stops the program if the headers disagree with the counts.
  void gather_unlisted(std::uint32_t state, std::vector<Object*>& out);
  // Numbers an unlisted generation's members 0.. in their order, so that
  // next_slot == unlisted (the gaps go). One heap walk and a gather.
  void renumber_unlisted(std::uint32_t state);
  // Calls f(Object*) for each tracked object in CPython's order: generations
  // 0, 1, 2, then the permanent generation if asked. Allocates the unlisted
  // generations' lists (gather_unlisted); f must not allocate or free
  // tracked objects.
  template <class F>
  void for_each_tracked(bool with_permanent, F&& f) {
    for (int g = 0; g < 2; ++g)
      for (Object* o : gens[g].objs)
        if (o != nullptr) f(o);
    std::vector<Object*> list;
    for (std::uint32_t state : {kGen2, kPermanent}) {
      if (state == kPermanent && !with_permanent) break;
      const Generation& g = state == kPermanent ? permanent : gens[2];
      if (g.unlisted == 0) continue;
      gather_unlisted(state, list);
      for (Object* o : list)
        if (o != nullptr) f(o);
    }
  }

  bool can_skip_collection(int generation) const noexcept {
    return callbacks.empty() && debug == 0 && nothing_to_examine(generation);
  }
  // A collection of `generation` counts towards the next one's and zeroes
  // the counts up to it (CPython's gc_collect_main, first step).
  void count_collection(int generation) noexcept {
    if (generation < 2) ++gens[generation + 1].count;
    for (int i = 0; i <= generation; ++i) gens[i].count = 0;
  }
  // What Collector::run() does when the generations it examines hold nothing
  // (not even tombstones): the counters and statistics only.
  void collect_nothing(int generation) noexcept {
    count_collection(generation);
    if (generation == 2) {
      long_lived_pending = 0;
      long_lived_total = 0;
      gens[2].restart_slots();  // empty: its dead members' slots go
    }
    ++stats[generation].collections;
  }

  void debug_line(std::string_view line) noexcept;  // exceptions: unraisable hook
  void check_owner(const char* what) const noexcept;
};

// Puts a member of an unlisted generation at its virtual slot of its list
// being rebuilt, [list, list + n). Stops the program on a slot out of range or
// taken twice (a header out of step).
inline void put_at_slot(Object** list, std::size_t n, Object* o) noexcept {
  const std::uint32_t slot = ObjectAccess::index(o);
  REFGC_CHECK(slot < n && list[slot] == nullptr, o,
              "corrupt generation (virtual slot out of range or taken twice)");
  list[slot] = o;
}

// A tracked object died while a collection counted references (Collector::
// counting(): only trace() runs then), so a trace() dropped a reference:
// stops, naming the object (src/collect.cc).
[[noreturn]] void died_while_counting(const Object* o) noexcept;

// The gc:: and diag:: functions that read or change the generations (not
// gc::collect, which returns 0 there) refuse to run inside a trace() that
// the collector calls while it counts: the generations are being merged and
// the headers of the set hold counts. Throws std::logic_error naming `what`
// ("calls gc::get_objects"); out of the trace(), it stops the collection
// naming the object (src/collect.cc). Not for the hot paths.
void refuse_while_counting(const HeapImpl& heap, const char* what);

// A tracked object died: the open LeakCheck scopes forget its address.
void leak_checks_forget(HeapImpl& heap, const Object* o) noexcept;

// Reports whether an object's trace() reaches any of n targets
// (gc::get_referrers; the collector's report of a lying trace()).
class FindTracer final : public Tracer {
 public:
  FindTracer(const Object* const* targets, std::size_t n) noexcept : targets_(targets), n_(n) {}
  bool found = false;

 private:
  bool visit(Object* r) override {
    for (std::size_t i = 0; i < n_; ++i)
      if (targets_[i] == r) found = true;
    return false;
  }
  const Object* const* targets_;
  std::size_t n_;
};

// Called by each finalize(): the first one on the default heap registers
// weakref.finalize's exit hook with std::atexit (src/heap.cc), as CPython's
// first finalize object registers finalize._exitfunc.
void register_finalize_exit_hook(Heap& heap) noexcept;

// Stops the program: a Heap::Lock or Heap::Unlock (`which`) of `heap` ends
// while a hold begun inside it is alive, or on another thread (src/heap.cc).
[[noreturn]] void report_misordered_hold(const char* which, const Heap& heap);

// The heap this thread holds; acquires the default heap on first use.
HeapImpl& acquire_current_slow();
inline HeapImpl& current_impl() {
  Heap* h = tls.heap;
  if (REFGC_LIKELY(h != nullptr)) return h->impl();
  return acquire_current_slow();
}

// --- orphans (src/orphans.cc; docs/design/memory-model.md, "Orphans") ---
// Gives a new heap its number (Heap::Heap); throws std::length_error past
// kMaxHeapNumber heaps alive or kept at once, std::bad_alloc. ~HeapImpl
// gives it back.
void number_heap(HeapImpl& heap);
void unnumber_heap(HeapImpl& heap) noexcept;
// ~Heap with objects still referenced: marks them orphans (untracked, the
// orphan bit and the heap's number in the index, WR set) and keeps the
// heap's state (its pool and weak table) instead of destroying it, until the
// last orphan dies. Never throws.
void orphan_heap(std::unique_ptr<HeapImpl> impl) noexcept;
// The destroyed heap an orphan belongs to, by the number in its header (one
// lookup under the table's mutex); stops the program if that heap is not
// kept (a corrupt header).
HeapImpl& orphan_owner(const Object* o) noexcept;
// The heap whose weak table has `referent`'s weak references: its own dead
// heap for an orphan, otherwise `current` (the thread's heap, which is the
// referent's own under the threading rules).
inline HeapImpl& weak_table_heap(HeapImpl& current, const Object* referent) noexcept {
  if (REFGC_UNLIKELY(is_orphan(ObjectAccess::gc(referent)))) return orphan_owner(referent);
  return current;
}
// Holds a dead heap's weak table (HeapImpl::orphan_weak_mutex) for a scope
// when `table` is not the thread's own heap `current` (weak_table_heap gave
// an orphan's dead heap); nothing for the live heap the thread holds.
class WeakTableGuard {
 public:
  WeakTableGuard(HeapImpl& table, const HeapImpl& current) noexcept
      : mutex_(&table != &current ? &table.orphan_weak_mutex : nullptr) {
    if (REFGC_UNLIKELY(mutex_ != nullptr)) mutex_->lock();
  }
  ~WeakTableGuard() {
    if (REFGC_UNLIKELY(mutex_ != nullptr)) mutex_->unlock();
  }
  WeakTableGuard(const WeakTableGuard&) = delete;
  WeakTableGuard& operator=(const WeakTableGuard&) = delete;

 private:
  std::mutex* mutex_;
};
// Refcount death of an orphan (the dealloc slow paths send it here, whatever
// heap the thread holds): finalize() once, untracked (it may resurrect the
// orphan), its weak references in its own heap's table, the destructor, the
// slot back to its own pool; that heap goes once its last orphan is gone.
void dealloc_orphan(Object* o) noexcept;

// The current heap for a library entry point named by `what` ("calls
// gc::collect"): debug builds stop unless this thread holds it.
inline HeapImpl& heap_for(const char* what) {
  REFGC_DEBUG_REQUIRE_HEAP(what);
  HeapImpl& heap = current_impl();
  heap.check_owner(what);
  return heap;
}

}  // namespace refgc::detail
