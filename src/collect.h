// src/collect.h: one collection of CPython 3.11's cycle collector. Read
// collect.cc from Collector::run() down: the phases appear in pipeline order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "heap_impl.h"

namespace refgc::detail {

template <class Entry>
class EntryCodec;
template <class Entry>
class EncodedList;

class Collector {
 public:
  Collector(HeapImpl& heap, int generation) noexcept;
  ~Collector();
  Collector(const Collector&) = delete;
  Collector& operator=(const Collector&) = delete;

  // Runs the collection; returns CPython's n + m.
  std::size_t run() noexcept;

  std::size_t collected() const noexcept { return collected_; }
  std::size_t uncollectable() const noexcept { return uncollectable_; }

  // Slots of the generation in `state` (an unlisted one) that this
  // collection may still give after user code ran: the unreachable objects
  // its later phases may move to the generation its survivors join
  // (resurrected, left alive by the clearing, DEBUG_SAVEALL), plus one, the
  // bound Rejoin::end keeps too. 0 for any other generation. gc::unfreeze()
  // from a finalizer or a weak-reference callback leaves them free.
  std::size_t slots_still_needed_in(std::uint32_t state) const noexcept {
    return old_unlisted_ && old_state_ == state ? 1 + unreachable_.size() : 0;
  }

  // Whether the collection is counting: from merge_young to the end of
  // deduce_unreachable, and during handle_resurrected_objects' analysis.
  // Only trace() runs there, and the headers of the set hold counts: an
  // object made (make<T>() of a type with trace()) or dropped then, or a
  // heap walk, would corrupt them. Read on slow paths only: a make<T>()
  // then reaches HeapFast::maybe_collect (begin_counting sets a trap in
  // generation 0's count), which calls refuse_allocation(); a death of a
  // member reaches the untrack checks, which name the likely cause.
  bool counting() const noexcept { return counting_; }
  // Throws std::logic_error: make<T>() inside trace() while counting. The
  // exception leaves the trace() and the collector stops naming its object.
  [[noreturn]] static void refuse_allocation();

  // An object in the unreachable list died (or was untracked) while user code
  // ran during the collection: leave a tombstone in its place. (The dealloc
  // path does this inline through HeapFast::unreachable_list; this is the
  // checked slow path.)
  void forget(Object* o, std::uint32_t index) noexcept;

  // handle_weakrefs: a weak reference that is not garbage, whose callback
  // ran and left it alive, moves to the end of the generation the survivors
  // joined (CPython 3.11's handle_weakrefs: gc_list_move(wr, old)), from
  // wherever it was: an older generation, that generation itself, or the
  // permanent one. Two differences from CPython: CPython takes every due
  // weak reference out of its generation before the first callback runs
  // (so a callback's get_objects() does not list the ones still due), refgc
  // moves each one after its own callback; and a weak reference stays where
  // it is if the move would leave no room (slots below the index limit,
  // vector capacity) for the unreachable objects later phases may still
  // move there (Rejoin::end).
  void rejoin_old(Object* o) noexcept {
    if (!old_unlisted_ || ObjectAccess::state(o) != old_state_) {
      rejoin_old_slow(o);
      return;
    }
    // A member already: a new slot at the end, the old one left as a gap
    // (its chunk is marked). Walk order (note_rejoined): this collection's
    // survivors, in their order, with nothing else joining meanwhile.
    Rejoin& r = rejoin_;
    const std::size_t slot = ObjectAccess::index(o);
    const std::size_t next = old_.next_slot;
    if (slot < r.low || slot >= r.high || next != r.next) r.shift = false;
    r.low = slot + 1;
    ++r.count;
    if (slot + 1 != next) {  // else already its last member
      if (next >= r.end) {
        r.shift = false;  // no room: it stays where it is
        return;
      }
      ObjectAccess::set_slot(o, old_state_, static_cast<std::uint32_t>(next));
      old_.next_slot = next + 1;
    }
    r.next = old_.next_slot;
  }

 private:
  bool reserve_scratch(std::size_t n) noexcept;
  void merge_young();
  void merge_walk();
  template <class Entry>
  EntryCodec<Entry> list_codec() noexcept;
  template <class Entry>
  EncodedList<Entry> encoded_list() noexcept;
  template <class Entry>
  void build_list(std::size_t members);
  void deduce_unreachable(std::vector<Object*>& young, std::vector<Object*>& reachable,
                          std::vector<Object*>& unreachable, bool refs_ready);
  void update_refs(const std::vector<Object*>& young);
  void subtract_refs(const std::vector<Object*>& young);
  void move_unreachable(std::vector<Object*>& young, std::vector<Object*>& reachable,
                        std::vector<Object*>& unreachable);
  void move_unreachable_unlisted(std::vector<Object*>& young, std::vector<Object*>& unreachable);
  struct Summary;
  static std::size_t squeeze_unreachable(Object** list, std::size_t n, bool any_weak,
                                         Summary& summary) noexcept;
  template <class Entry>
  void take_unreachable(std::size_t u, std::vector<Object*>& unreachable) noexcept;
  void settle(std::size_t taken) noexcept;
  // A full collection, after promote(): the surviving lazily tracked Dicts
  // that hold no object of a GC type are untracked (CPython's
  // untrack_dicts), and leave the long-lived count.
  void untrack_dicts() noexcept;
  void promote(std::vector<Object*>& survivors);
  void move_to_old(Object* o);
  void note_rejoined() noexcept;
  void rejoin_old_slow(Object* o) noexcept;
  void begin_rejoin() noexcept;
  void append_to_old(const std::vector<Object*>& survivors);
  void finalize_garbage();
  void handle_resurrected_objects();
  bool unreachable_unchanged() noexcept;
  void delete_garbage();
  template <bool kHeld>
  void clear_garbage(int level);
  void adopt_as_current(std::vector<Object*>& list);
  void debug_print_objects(const char* label, const std::vector<Object*>& list);
  void validate() const;
  void begin_counting() noexcept;
  void end_counting() noexcept;

  HeapImpl& heap_;
  const int generation_;
  Generation& old_;
  const std::uint32_t old_state_;
  // The older generation keeps no list (generation 2): survivors join it by
  // their state and its count.
  const bool old_unlisted_;

  // The working vectors live in heap_.scratch (reused between collections).
  std::vector<Object*>& young_;               // the generations being collected
  HeapImpl::CollectorScratch::Buffer& tail_;  // young's tail in move_unreachable (moved back)
  std::vector<Object*>& spare_;               // room for survivors when young_ took old_'s vector
  std::vector<Object*>& reachable_;           // survivors, in CPython's list order
  std::vector<Object*>& unreachable_;         // the current unreachable list
  std::vector<Object*>& taken_;               // references taken by the clearing tracer

  std::size_t collected_ = 0;
  std::size_t uncollectable_ = 0;
  bool failed_ = false;
  bool counting_ = false;
  std::size_t saved_count0_ = 0;  // generation 0's count, while counting
  // The generation whose vector young_ takes (the first with entries in
  // merge order; null: nothing to examine). Set by reserve_scratch.
  Generation* steal_ = nullptr;
  // steal_ is unlisted (generation 2 with members): merge_young rebuilds
  // its list by walking the heap. Set by reserve_scratch.
  bool walk_ = false;
  // walk_, and generation 2's slots ascend in the walk's order
  // (Generation::walk_ordered): merge_walk rebuilds no list, and the first
  // move_unreachable_unlisted scans generation 2 by a second walk (then
  // young_, generations 0 and 1). Set by reserve_scratch; the scan clears
  // scan_walk_.
  bool in_walk_order_ = false;
  bool scan_walk_ = false;
  // walk_ but not in_walk_order_: merge_walk rebuilds generation 2's list
  // with entries of list_width_ bits (32, or 64: EntryCodec in collect.cc),
  // list_size_ of them at list_bytes_, in the top of unreachable_'s room
  // (reserve_scratch), and move_unreachable_unlisted scans it. 0 otherwise.
  // Set by reserve_scratch.
  int list_width_ = 0;
  char* list_bytes_ = nullptr;
  std::size_t list_size_ = 0;
  std::size_t list_room_ = 0;     // entries reserved at list_bytes_
  std::size_t walk_members_ = 0;  // generation 2's members met by that walk
  // Survivors in the older generation's state not yet in its count (between
  // deduce_unreachable and promote, for validate()).
  std::size_t uncounted_ = 0;
  // The survivors the last deduce_unreachable found (with an unlisted older
  // generation, the only record of them: they are in no vector).
  std::size_t survivors_ = 0;
  // gc_refs too large for a header's index bits (an object with over 33
  // million references), by object; empty outside deduce_unreachable.
  std::unordered_map<const Object*, std::int64_t> big_;
  // move_unreachable numbers the survivors' slots in old_ from here.
  // validate() walks the heap for generation 2 and the permanent
  // generation (every slot of the pool) only when that costs no more than
  // a small multiple of this collection's own work: in every full
  // collection, and in a young one while the old generations are small next
  // to the generations collected (run() decides). Debug builds otherwise
  // made every young collection O(heap) and a growing heap quadratic
  // (examples/mini_scheme: a 100,000-cell list built in 6.3 s instead of
  // 2.5 with gc disabled under asan-ubsan).
  bool validate_walks_ = true;
  std::size_t slot_base_ = 0;  // young_ takes this generation's vector (reserve_scratch)
  // User code (finalizers, weak-reference callbacks, the debug sink) ran after
  // deduce_unreachable: handle_resurrected_objects must redo the analysis.
  bool user_code_ran_ = false;
  // What the later phases will have to do for a set of unreachable objects
  // (note() in collect.cc, per object).
  struct Summary {
    std::uint32_t flags = 0;       // the OR of their collector words
    bool need_finalize = false;    // some has a finalize() not yet run
    bool weakref_objects = false;  // some is a weak reference (looked for only
                                   // while any object has weak references)
    void note(const Object* o, bool any_weak) noexcept;
  };
  // The unreachable list's (set by move_unreachable).
  Summary unreachable_summary_;
  // The leading run of young_ that merge_young already found tentatively
  // unreachable (settle()): positions [0, settled_), in state kCollecting
  // with index = position, noted in settled_summary_. move_unreachable
  // starts its scan after them. 0 outside that window.
  std::size_t settled_ = 0;
  bool settling_ = false;
  bool any_weak_ = false;
  Summary settled_summary_;
  // rejoin_old's state (begin_rejoin() sets it up before handle_weakrefs).
  // `end`: old_ may take a weak reference only while it holds fewer entries
  // (slots, or vector entries if listed) than this: reserve_scratch kept
  // room for every object of the unreachable set, which the phases after
  // handle_weakrefs may still move there (resurrected objects, objects the
  // clearing leaves alive, DEBUG_SAVEALL). With an unlisted old_ also: the
  // members renumbered so far (count), the lowest old slot the next one may
  // have to keep their order (low) below the end of this collection's
  // survivors (high), the next_slot the last move left (next), and whether
  // the moves so far kept the order (shift; note_rejoined). Last: read only
  // in handle_weakrefs.
  struct Rejoin {
    std::size_t count = 0, low = 0, high = 0, next = 0, end = 0;
    bool shift = true;
  } rejoin_;
};

}  // namespace refgc::detail
