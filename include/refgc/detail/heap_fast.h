// refgc/detail/heap_fast.h: the part of a heap's state that make<T>() and the
// deallocation path touch on every object: the pools and the generation
// lists. Internal (namespace refgc::detail); src/heap_impl.h builds the rest
// of the heap on top of it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "refgc/detail/pool.h"
#include "refgc/heap.h"
#include "refgc/object.h"

namespace refgc::detail {

// One generation. Generations 0 and 1 are *listed*: their objects in
// CPython's list order. Removal leaves a null tombstone so that order is kept
// (removal itself is O(1), it never renumbers); tombstones are squeezed out
// when the vector is full and they are at least half of it (before it would
// grow: HeapImpl::track), and after a collection when they outnumber the live
// entries past the dead prefix.
//
// Generation 2 and the permanent generation are *unlisted*: `objs` stays
// empty. A member's header keeps its state and, in the index bits, its
// position in the list CPython would have (a virtual slot: `next_slot` is
// that list's length, the slots of members that died included); `unlisted`
// counts the members. Joining is a store to the header and two counts,
// leaving one count. Whoever needs the list (a full collection, get_objects,
// freeze) rebuilds it by walking the heap and putting each member at its
// slot (HeapImpl::gather_unlisted); a full collection needs none while the
// walk meets generation 2 in slot order (walk_ordered).
// docs/design/memory-model.md, "Unlisted old generations".
//
// Invariant: for every non-null objs[i], the object's state names this
// generation and its index is i. For an unlisted generation, `unlisted`
// objects have its state, each with a distinct index below `next_slot`.
struct Generation {
  std::vector<Object*> objs;
  std::size_t tombstones = 0;
  // objs[0, dead_prefix) are all tombstones (counted in `tombstones`): deaths
  // at the front of the list (a chain dying from its oldest end, or from its
  // newest end after a collection reversed it) just move this mark. Reset
  // with `tombstones`.
  std::size_t dead_prefix = 0;
  std::size_t unlisted = 0;   // unlisted generations: the members
  std::size_t next_slot = 0;  // unlisted generations: the virtual list's length
  // Unlisted generations: whether the members' slots ascend in the heap
  // walk's order (Pool::mark's positions), so that the walk meets them in
  // their list's order and a full collection needs no rebuilt list
  // (Collector::merge_walk). Kept by HeapImpl::join_unlisted: every member
  // joins with the next slot, so the order holds while each joins at a
  // position past that of the one that joined before (last_position; the
  // slots of members that died do not matter).
  bool walk_ordered = true;
  std::uint64_t last_position = 0;
  int threshold = 0;
  std::size_t count = 0;

  std::size_t size() const noexcept { return objs.size() - tombstones + unlisted; }
  // An unlisted generation with no member starts its list anew.
  void restart_slots() noexcept {
    next_slot = 0;
    walk_ordered = true;
    last_position = 0;
  }
  // Empties a listed generation's vector (its tombstones and dead prefix go
  // with it); counts and thresholds stay.
  void clear_list() noexcept {
    objs.clear();
    tombstones = 0;
    dead_prefix = 0;
  }
  // After a collection: whether the tombstones past the dead prefix call for
  // a compaction (more than 64 of them, and more than the live entries past
  // the prefix), so that the next collections do not walk them.
  bool wants_compaction() const noexcept {
    const std::size_t holes = tombstones - dead_prefix;
    return holes > 64 && holes * 2 > objs.size() - dead_prefix;
  }
  // The vector is full: whether squeezing its tombstones (the dead prefix
  // included) beats growing it. At least half of it must be tombstones, so
  // that a compaction (O(size)) wins back at least as many slots as it
  // walks: amortized O(1) per removal, and the vector stays within a few
  // times the peak of its live entries.
  bool wants_room_compaction() const noexcept {
    return tombstones > 64 && tombstones * 2 >= objs.size();
  }
};

struct HeapFast {
  Pool pool;
  Generation gens[3];
  // The unreachable list of the collection in progress (null outside one):
  // an object in state kCollecting has its index there. Lets the dealloc path
  // leave the tombstone inline (the same as Collector::forget()).
  std::vector<Object*>* unreachable_list = nullptr;

  // Slow paths (src/heap.cc).
  void maybe_collect();                   // count0 > threshold0
  void track_slow(Object* o);             // generation 0 is full
  void untrack_slow(Object* o) noexcept;  // any other state

  // CPython's gc_alloc: count0 += 1, and a collection when it passes
  // threshold0 (if enabled and none is running).
  void on_gc_alloc() {
    Generation& g0 = gens[0];
    ++g0.count;
    if (REFGC_UNLIKELY(g0.count > static_cast<std::size_t>(g0.threshold))) maybe_collect();
  }
  void on_gc_free() noexcept {
    if (gens[0].count > 0) --gens[0].count;
  }
  // A new object joins the tail of generation 0.
  void track_gen0(Object* o) {
    std::vector<Object*>& v = gens[0].objs;
    const std::size_t n = v.size();
    if (REFGC_LIKELY(n < v.capacity() && n < kMaxIndex)) {
      // push_back cannot reallocate here; saying so keeps its growth code
      // (and the registers it needs) out of every make<T>().
#if defined(__GNUC__) || defined(__clang__)
      if (v.size() == v.capacity()) __builtin_unreachable();
#endif
      v.push_back(o);
      ObjectAccess::set_slot(o, kGen0, static_cast<std::uint32_t>(n));
      return;
    }
    track_slow(o);
  }
  // The usual churn: the newest object of generation 0 dies first and just
  // shrinks the list. False (nothing changed) for any other object.
  bool untrack_newest_gen0(Object* o) noexcept {
    const std::uint32_t state = ObjectAccess::state(o);
    const std::uint32_t index = ObjectAccess::index(o);
    std::vector<Object*>& v = gens[0].objs;
    if (state == kGen0 && index + 1 == v.size()) {
      // By the Generation invariant v[index] == o; debug builds check it.
      REFGC_ASSERT(v[index] == o, "generation 0 index out of step");
      v.pop_back();
      ObjectAccess::set_slot(o, kUntracked, 0);
      return true;
    }
    return false;
  }

  // A dying object leaves its generation: untrack_newest_gen0, or garbage
  // freed by the collector leaving a tombstone in the unreachable list.
  // Anything else (and any inconsistency, reported there) takes the slow path.
  void untrack_fast(Object* o) noexcept {
    if (untrack_newest_gen0(o)) return;
    const std::uint32_t state = ObjectAccess::state(o);
    const std::uint32_t index = ObjectAccess::index(o);
    if (state == kCollecting && unreachable_list != nullptr) {
      std::vector<Object*>& v = *unreachable_list;
      if (REFGC_LIKELY(index < v.size() && v[index] == o)) {
        v[index] = nullptr;
        ObjectAccess::set_slot(o, kUntracked, 0);
        return;
      }
    }
    untrack_slow(o);
  }

  // untrack_fast for an object of generation 1 or 2 (a long-lived object;
  // generation 2 is unlisted: its count goes down),
  // or of generation 0 but not its newest (the churn path, untrack_newest_gen0,
  // failed): the deallocation path calls this from a separate copy of itself,
  // so that its registers stay out of the churn path. Takes the common cases
  // of HeapImpl::untrack (src/heap.cc) inline, with the same result: the
  // newest entry shrinks the list (when no tombstone is behind it), the
  // oldest live one moves the dead prefix, any other leaves a tombstone.
  // Anything else (and any inconsistency, reported there) takes the slow
  // path.
  void untrack_listed_fast(Object* o) noexcept {
    const std::uint32_t state = ObjectAccess::state(o);
    const std::size_t index = ObjectAccess::index(o);
    REFGC_ASSERT(state == kGen0 || state == kGen1 || state == kGen2,
                 "untrack_listed_fast: not in a generation");
    Generation& g = gens[state - kGen0];
    if (state == kGen2) {  // unlisted: a count (its virtual slot stays a gap)
      REFGC_ASSERT(g.unlisted != 0, "generation 2 count out of step");
      --g.unlisted;
      ObjectAccess::set_slot(o, kUntracked, 0);
      return;
    }
    std::vector<Object*>& v = g.objs;
    const std::size_t n = v.size();
    if (REFGC_LIKELY(index < n && v[index] == o)) {
      if (index + 1 == n) {
        if (index == 0 || v[index - 1] != nullptr) {  // else tombstones go too: slow path
          v.pop_back();  // the dead prefix (< index) stays inside the list
          ObjectAccess::set_slot(o, kUntracked, 0);
          return;
        }
      } else if (index == g.dead_prefix) {
        if (v[index + 1] != nullptr) {  // else the prefix grows further: slow path
          v[index] = nullptr;
          ++g.tombstones;
          g.dead_prefix = index + 1;
          ObjectAccess::set_slot(o, kUntracked, 0);
          return;
        }
      } else {
        v[index] = nullptr;
        ++g.tombstones;
        ObjectAccess::set_slot(o, kUntracked, 0);
        return;
      }
    }
    untrack_slow(o);
  }
};

// The hot part of the heap this thread holds (acquiring the default heap on
// first use, src/heap.cc).
HeapFast& acquire_fast_slow();
inline HeapFast& current_fast() {
  Heap* h = tls.heap;
  if (REFGC_LIKELY(h != nullptr)) return h->fast();
  return acquire_fast_slow();
}
// Debug builds: stops unless this thread holds the current heap.
void check_owner_for_allocation();

}  // namespace refgc::detail
