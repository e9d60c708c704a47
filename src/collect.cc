// src/collect.cc: the collector engine. READ THIS FIRST: Collector::run() is
// the pipeline, one named phase per step, in CPython 3.11's order
// (gc_collect_main in Python/gc.c; docs/design/collector.md).
//
// Data layout. CPython threads every tracked object on a doubly-linked list
// through a 16-byte head before the object. refgc keeps a 16-byte header and
// holds each generation as a vector of object pointers in list order (heap_impl.h).
// During a collection the objects being examined are moved into young_ and
// their header's index bits hold their gc_refs (as CPython keeps gc_refs in
// the object's gc head); the refcount is never touched. merge_young gathers
// the set, sets gc_refs and subtracts the internal references in one pass
// over the objects (CPython: update_refs then subtract_refs, two passes).
// After the reachability pass the unreachable objects keep
// the "collecting" state and their index becomes their position in
// unreachable_, so that an object dying under a finalizer leaves a tombstone
// (forget()). List order matches CPython's exactly, so finalizers run in the
// same order as in CPython.
#include "collect.h"

#include <cxxabi.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <limits>
#include <new>
#include <stdexcept>
#include <string>
#include <typeinfo>
#include <unordered_map>
#include <unordered_set>

#include "dealloc_inline.h"
#include "demangle.h"
#include "huge_pages.h"
#include "refgc/tracer.h"
#include "refgc/unraisable.h"
#include "refgc/weak_ref.h"
#include "weak_hooks.h"

namespace refgc::detail {

// The base of the collector's own tracers: the only class that can make the
// key that gives a Tracer a collector mode.
class CollectorTracerBase : public Tracer {
 public:
  using Mode = Tracer::Mode;

 protected:
  explicit CollectorTracerBase(Mode mode, std::uint32_t collected_generations = 0) noexcept
      : Tracer(CollectorKey{}, mode, collected_generations) {}
  ~CollectorTracerBase() = default;
};

// An entry of generation 2's list as merge_walk rebuilds it when its slots
// are out of walk order (then 8 bytes per member were the peak memory of a
// full collection of a large heap): the object's pool position / kGranule
// (Pool::mark, Pool::at_granule), or with the top bit set an index into the
// large objects met (they are in no chunk). Entry is std::uint32_t while
// the pool has at most 2^16 chunks (16 GiB) and fewer than 2^31 - 1 large
// objects (fits()), std::uint64_t past that (Collector::reserve_scratch).
// The list lives in the top of the unreachable list's room (EncodedList).
template <class Entry>
class EntryCodec {
 public:
  static constexpr Entry kLarge = Entry{1} << (8 * sizeof(Entry) - 1);
  static constexpr Entry kEmpty = ~Entry{0};  // a slot no member holds (yet)
  static bool fits(const Pool& pool) noexcept {
    return (std::uint64_t{pool.chunk_count()} << Pool::kGranuleBits) <= kLarge &&
           pool.large_count() < kLarge - 1;
  }
  EntryCodec(Pool& pool, std::vector<Object*>& large) noexcept : pool_(pool), large_(large) {}
  // Also marks o's chunk (Pool::mark). `large` has room for every large
  // object (reserve_scratch).
  Entry encode(Object* o) noexcept {
    const std::uint64_t position = pool_.mark(o);
    if (position == Pool::kLargePosition) {
      large_.push_back(o);
      return kLarge | static_cast<Entry>(large_.size() - 1);
    }
    return static_cast<Entry>(position / Pool::kGranule);
  }
  Object* decode(Entry e) const noexcept {
    if (REFGC_UNLIKELY(e & kLarge)) return large_[e & ~kLarge];
    return static_cast<Object*>(pool_.at_granule(e));
  }

 private:
  Pool& pool_;
  std::vector<Object*>& large_;
};

// The encoded list itself: `size` entries at `bytes`, in the top of the
// unreachable list's reserved room (Collector::reserve_scratch), which the
// unreachable list then fills from the bottom as the entries are read
// (Collector::take_unreachable). Read and written with memcpy: that room is
// the storage of a vector of pointers.
template <class Entry>
class EncodedList {
 public:
  EncodedList(char* bytes, std::size_t& size) noexcept : bytes_(bytes), size_(size) {}
  Entry operator[](std::size_t i) const noexcept {
    Entry e;
    std::memcpy(&e, bytes_ + i * sizeof(Entry), sizeof(Entry));
    return e;
  }
  void set(std::size_t i, Entry e) noexcept {
    std::memcpy(bytes_ + i * sizeof(Entry), &e, sizeof(Entry));
  }
  void push_back(Entry e) noexcept { set(size_++, e); }
  std::size_t size() const noexcept { return size_; }
  void resize(std::size_t n) noexcept { size_ = n; }

 private:
  char* const bytes_;
  std::size_t& size_;
};

namespace {

// The phases walk long object vectors and touch each header: fetch the
// header a few objects ahead (the pointer array hides the stride from the
// hardware prefetcher).
constexpr std::size_t kAhead = 32;
// The counting passes (merge_young, the survivors of move_unreachable) fetch
// further ahead: a referent the pass reaches later is often within that
// distance in list order (a tree's right child, laid out after its left
// subtree), so its header is already on its way when trace() touches it.
// (1M-node tree, full collection: 64 ahead is ~5% faster than 32; on a heap
// laid out at random no slower.)
constexpr std::size_t kScanAhead = 64;
inline void prefetch(const Object* o) noexcept {
#if defined(__GNUC__) || defined(__clang__)
  __builtin_prefetch(o, 1);
#else
  (void)o;
#endif
}

inline void prefetch_at(const std::vector<Object*>& v, std::size_t i) noexcept {
#if defined(__GNUC__) || defined(__clang__)
  if (i < v.size()) __builtin_prefetch(v[i], 1);
#else
  (void)v;
  (void)i;
#endif
}

// merge_young settles the all-garbage prefix (Collector::settle) every
// kSettleBatch objects taken.
constexpr std::size_t kSettleBatch = 64;

// A collection that frees this much scratch returns the C heap's free
// memory to the system (~Collector).
constexpr std::size_t kTrimBytes = std::size_t{1} << 20;

// Debug builds: a young collection's validator walks the whole heap for the
// unlisted generations while they hold at most this many objects, or eight
// times the objects collected (Collector::validate_walks_).
constexpr std::size_t kValidatorWalkFloor = 16384;

}  // namespace

// One more unreachable object (its collector word and type).
inline void Collector::Summary::note(const Object* o, bool any_weak) noexcept {
  const std::uint32_t gc = ObjectAccess::gc(o);
  flags |= gc;
  need_finalize |= finalizer_pending(gc);
  weakref_objects |= any_weak && is_weakref_object(o);
}

namespace {

// Header states inside deduce_unreachable (no user code runs there, nothing
// else looks at them): kExamined marks an object of the set not yet proved
// reachable or tentatively unreachable; its index bits hold its gc_refs
// (Tracer::collector_visit; CPython keeps gc_refs in the object's gc head;
// the refcount itself is never touched). A tentatively unreachable object is
// already in its final state, kCollecting, with index = position in the
// unreachable list. While merge_young gathers the set, an object of a
// collected generation becomes kExamined at its first reference (gc_refs:
// its refcount minus that reference) if the pass has not reached it yet.
constexpr std::uint32_t kExamined = kReached;
constexpr std::uint32_t kRefsBig = kMaxIndex;  // the count is in Collector::big_

[[gnu::noinline]] std::int64_t stored_count_big(
    const Object* o, const std::unordered_map<const Object*, std::int64_t>& big) {
  const auto it = big.find(o);
  return it == big.end() ? 0 : it->second;
}

// The references counted in the index bits, or in big_. Inline: merge_young
// asks for every object referenced before the pass reached it.
inline std::int64_t stored_count(const Object* o,
                                 const std::unordered_map<const Object*, std::int64_t>& big) {
  const std::uint32_t c = ObjectAccess::index(o);
  if (REFGC_LIKELY(c != kRefsBig)) return c;
  return stored_count_big(o, big);
}

// move_unreachable's test: gc_refs > 0, a reference from outside the set.
inline bool has_outside_refs(const Object* o,
                             const std::unordered_map<const Object*, std::int64_t>& big) {
  const std::uint32_t c = ObjectAccess::index(o);
  return c != 0 && (c != kRefsBig || stored_count_big(o, big) != 0);
}

void store_count_slow(Object* o, std::uint32_t state, std::int64_t n,
                      std::unordered_map<const Object*, std::int64_t>& big) noexcept;

// Stores `n` (>= 0) as the count of an object in `state`.
inline void store_count(Object* o, std::uint32_t state, std::int64_t n,
                        std::unordered_map<const Object*, std::int64_t>& big) noexcept {
  if (REFGC_LIKELY(n < kRefsBig && ObjectAccess::index(o) != kRefsBig)) {
    ObjectAccess::set_slot(o, state, static_cast<std::uint32_t>(n));
    return;
  }
  store_count_slow(o, state, n, big);
}

[[gnu::noinline]] void store_count_slow(
    Object* o, std::uint32_t state, std::int64_t n,
    std::unordered_map<const Object*, std::int64_t>& big) noexcept {
  if (n < kRefsBig) {
    big.erase(o);
    ObjectAccess::set_slot(o, state, static_cast<std::uint32_t>(n));
    return;
  }
  try {
    big[o] = n;
  } catch (...) {
    fatal_object(o, "out of memory counting the references to an object with over 33 million");
  }
  ObjectAccess::set_slot(o, state, kRefsBig);
}

[[noreturn, gnu::cold]] void report_overcount(const Object* victim, const Object* tracer_of) {
  if (tracer_of != nullptr)
    std::fprintf(stderr, "refgc: the trace() of <%s at %p> reports it:\n",
                 type_name(*tracer_of).c_str(), static_cast<const void*>(tracer_of));
  fatal_object(victim,
               "trace() reported a reference its object does not hold "
               "(internal reference count below zero)");
}

// A trace() let an exception out while a phase counted or cleared: called
// from a catch handler of the phase with the object whose trace() was
// running. The headers of the set hold counts and positions that only the
// rest of the collection gives back, and a half-visited object cannot be
// traced again: there is nothing to unwind to. Stops, naming the object and
// the exception (the rule: trace() must not throw; object.h,
// docs/guide/writing-trace.md). The handlers cost the loops no store and no
// instruction (docs/design/collector.md): each names the object by what the
// phase keeps anyway -- the object itself where it is needed after the call
// (trace_or_stop), else the counting tracer's `current` or the loop index.
// `throw;` finds the exception.
[[noreturn, gnu::cold, gnu::noinline]] void trace_threw(const Object* o,
                                                        const char* phase) noexcept {
  char what[640];
  try {
    try {
      throw;
    } catch (const std::exception& e) {
      std::snprintf(what, sizeof what,
                    "trace() threw during a collection (%s), which cannot be unwound (trace() "
                    "must not throw): %s: %s",
                    phase, demangle(typeid(e).name()).c_str(), e.what());
    } catch (...) {
      const std::type_info* t = abi::__cxa_current_exception_type();
      std::snprintf(what, sizeof what,
                    "trace() threw during a collection (%s), which cannot be unwound (trace() "
                    "must not throw): a non-std exception (%s)",
                    phase, t != nullptr ? demangle(t->name()).c_str() : "of unknown type");
    }
  } catch (...) {  // no memory for the names
    std::snprintf(what, sizeof what,
                  "trace() threw during a collection (%s), which cannot be unwound (trace() must "
                  "not throw)",
                  phase);
  }
  fatal_object(o, what);
}

}  // namespace

[[noreturn, gnu::cold]] void died_while_counting(const Object* o) noexcept {
  fatal_object(o,
               "an object died inside a trace() called by the collector while it counts "
               "references (trace() must not drop references or call into refgc)");
}

namespace {

// o->trace(tracer), for the loops that need o after the call anyway (no
// register is kept for the handler).
template <class T>
REFGC_ALWAYS_INLINE void trace_or_stop(Object* o, T& tracer, const char* phase) noexcept {
  try {
    o->trace(tracer);
  } catch (...) {
    trace_threw(o, phase);
  }
}

// The set-gathering passes (merge_young, merge_walk) let an object of a
// collected generation join the set at its first reference, by its header's
// state alone, which does not say whose heap the object is in. Each object
// that joins so must then be met by the pass itself (in its generation's
// list, or in the walk over this heap's chunks); the passes count both, and
// a difference means that a member references an object of another live
// heap (refgc/heap.h: objects of two live heaps do not reference each
// other). That object's header now holds a count in place of its position
// in its own heap's generation, which cannot be given back: this finds the
// member and the object and stops, naming both. Cold: only a broken
// contract gets here, and the search takes a set of every slot.
[[noreturn, gnu::cold]] void report_foreign_member(const Pool& pool) noexcept {
  static constexpr const char* kWhat =
      "an object of another live heap joined this heap's collection (objects of two live heaps "
      "must not reference each other: refgc/heap.h)";
  const Object* referrer = nullptr;
  const Object* found = nullptr;
  std::string referrer_name;
  try {
    std::unordered_set<const void*> ours;
    pool.for_each_slot([&](void* slot) { ours.insert(slot); });
    class Finder final : public Tracer {
     public:
      explicit Finder(const std::unordered_set<const void*>& ours) : ours_(ours) {}
      const Object* found = nullptr;

     private:
      bool visit(Object* r) override {
        if (found == nullptr && ObjectAccess::state(r) == kExamined && ours_.count(r) == 0)
          found = r;
        return false;
      }
      const std::unordered_set<const void*>& ours_;
    } finder(ours);
    pool.for_each_slot([&](void* slot) {
      auto* o = static_cast<Object*>(slot);
      const std::uint32_t state = ObjectAccess::state(o);
      if (finder.found != nullptr || (state != kExamined && state != kCollecting)) return;
      o->trace(finder);
      if (finder.found != nullptr) referrer = o;
    });
    found = finder.found;
    if (found != nullptr) referrer_name = type_name(*referrer);
  } catch (...) {  // no memory for the search: stop without the names
    fatal_object(nullptr, kWhat);
  }
  if (found == nullptr)
    fatal_object(nullptr,
                 "corrupt generation (an object joined the collection at a reference and the "
                 "collection did not reach it, but no member references another heap's object)");
  std::fprintf(stderr, "refgc: <%s at %p>, a member of the heap being collected, references:\n",
               referrer_name.c_str(), static_cast<const void*>(referrer));
  fatal_object(found, kWhat);
}

// subtract_refs' visitor: each reference from inside the set is not a root.
// The inline part is Tracer::collector_visit; this sees counts at zero or in
// the overflow table, and (merge_young) the first reference to an object of a
// collected generation whose refcount is 0 or does not fit the index bits.
class SubtractTracer final : public CollectorTracerBase {
 public:
  SubtractTracer(Mode mode, std::uint32_t collected,
                 std::unordered_map<const Object*, std::int64_t>& big) noexcept
      : CollectorTracerBase(mode, collected),
        collected_states_(mode == Mode::kSubtractNew ? collected : 0),
        big_(big) {}
  Object* current = nullptr;
  // Objects that joined the set at their first reference (inline or here).
  std::size_t joined() const noexcept { return joined_; }

 private:
  bool visit(Object* r) override {
    const std::uint32_t state = ObjectAccess::state(r);
    if (state == kExamined) {
      const std::int64_t n = stored_count(r, big_);
      if (REFGC_UNLIKELY(n == 0)) report_overcount(r, current);
      store_count(r, kExamined, n - 1, big_);
    } else if (state - kGen0 < collected_states_) {  // joins the set (collector_visit)
      const std::uint32_t rc = ObjectAccess::rc(r);
      REFGC_CHECK(rc != 0, r, "tracked object with refcount 0 found by the collector");
      store_count(r, kExamined, std::int64_t{rc} - 1, big_);
      ++joined_;
    }
    return false;
  }
  const std::uint32_t collected_states_;
  std::unordered_map<const Object*, std::int64_t>& big_;
};

// move_unreachable's visitor: everything a reachable object refers to is
// reachable. A referent in the tentative unreachable list (state kCollecting
// there) goes back to young's tail, written at `tail` (it will be scanned
// there, with gc_refs 1); its entry in the unreachable list stays, skipped
// by its state when the list is squeezed (squeeze_unreachable,
// take_unreachable). One not yet scanned gets gc_refs 1 so that the scan
// keeps it. Both are handled inline (Tracer::collector_visit); visit() sees
// only a count in the overflow table.
class ReachTracer final : public CollectorTracerBase {
 public:
  ReachTracer(Object** tail, std::unordered_map<const Object*, std::int64_t>& big)
      : CollectorTracerBase(Mode::kReach), big_(big) {
    out_ = tail;
  }
  // The end of young's tail so far.
  Object** tail_end() const noexcept { return out_; }
  void set_tail(Object** end) noexcept { out_ = end; }

 private:
  bool visit(Object* r) override {
    const std::uint32_t state = ObjectAccess::state(r);
    if (state == kExamined) {
      if (stored_count(r, big_) == 0) store_count(r, kExamined, 1, big_);
    } else if (state == kCollecting) {  // (handled inline; kept for completeness)
      ObjectAccess::set_slot(r, kExamined, 1);
      *out_++ = r;
    }
    return false;
  }
  std::unordered_map<const Object*, std::int64_t>& big_;
};

// decref() for delete_garbage. An object of the unreachable list (state
// kCollecting) dying here leaves its tombstone in the list directly and takes
// the inline deallocation path (dealloc_inline.h) with the heap at hand:
// dealloc() without the call, the heap lookup and the generation tests. Any
// other object (and any inconsistency, reported there) takes dealloc().
//
// The trashcan level is held for the whole clearing loop: every object dies
// one level deeper than the loop, as through dealloc(), but the level is
// raised and lowered once instead of around each death. Only deaths can see
// it (trace() neither creates nor drops references); dealloc() and the
// thread's deferred deallocations run at the loop's own level, as before.
// Not held (each death through the trashcan itself) if the loop is already
// at its limit.
template <bool kHeld>
class Releaser {
 public:
  // `list` keeps its entries and size while the Releaser lives (deaths only
  // write tombstones into it).
  Releaser(HeapImpl& heap, std::vector<Object*>& list, int base) noexcept
      : heap_(heap), list_(list.data()), list_size_(list.size()), base_(base) {
    if (kHeld) tls.trash_nesting = base_ + 1;
  }
  ~Releaser() {
    if (kHeld) tls.trash_nesting = base_;
  }
  Releaser(const Releaser&) = delete;
  Releaser& operator=(const Releaser&) = delete;

  REFGC_ALWAYS_INLINE void operator()(Object* o) noexcept {
    std::uint32_t& rc = ObjectAccess::rc(o);
    const std::uint32_t before = rc;
    if (REFGC_LIKELY(before > 1)) {
      rc = before - 1;
      return;
    }
    if (REFGC_UNLIKELY(before == 0)) refcount_fault(o, 0);
    rc = 0;
    const std::uint32_t gc = ObjectAccess::gc(o);
    const std::uint32_t index = gc >> kIndexShift;
    if (REFGC_LIKELY((gc & kStateMask) == kCollecting && index < list_size_ && list_[index] == o)) {
      list_[index] = nullptr;
      ObjectAccess::set_slot(o, kUntracked, 0);
      if (kHeld) {
        dealloc_body(heap_, o);
        // dealloc_untracked's end, for the level the loop returns to (the
        // thread's list exists only while deferred deallocations wait).
        if (REFGC_UNLIKELY(tls.trash != nullptr)) drain();
      } else {
        dealloc_untracked(heap_, tls, o);
      }
    } else {
      dealloc_outside(o);
    }
  }

 private:
  [[gnu::noinline]] void dealloc_outside(Object* o) noexcept {
    if (kHeld) tls.trash_nesting = base_;
    dealloc(o);
    if (kHeld) tls.trash_nesting = base_ + 1;
  }
  // The deferred deallocations run when the loop's level is 0 (held at 1),
  // at level 0, as dealloc_untracked runs them.
  [[gnu::noinline, gnu::cold]] void drain() noexcept {
    if (base_ != 0 || tls.trash->empty()) return;
    tls.trash_nesting = 0;
    drain_trash(heap_, tls);
    tls.trash_nesting = 1;
  }
  HeapImpl& heap_;
  Object** const list_;
  const std::size_t list_size_;
  const int base_;
};

// delete_garbage's visitor (CPython's tp_clear): takes every reference out of
// the object; they are dropped after trace() returns (drop()). The taken
// references are written inline into `taken` (Tracer::operator()); take()
// sees only those past its room, and grows it.
template <class Release>
class ClearTracer final : public CollectorTracerBase {
 public:
  ClearTracer(Release& release, std::vector<Object*>& taken)
      : CollectorTracerBase(Mode::kClear), release_(release), taken_(taken) {
    out_ = taken_.data();
    out_end_ = out_ + taken_.size();
  }
  // Drops the references taken since the last drop(), in the order trace()
  // reported them (the cascade may free anything but uses no tracer of ours).
  void drop() noexcept {
    Object** const first = taken_.data();
    const std::size_t n = static_cast<std::size_t>(out_ - first);
    out_ = first;
    for (std::size_t k = 0; k < n; ++k) release_(first[k]);
  }

 private:
  bool visit(Object*) override { return true; }
  void visit_const(Object*) override {}
  void take(Object* r) noexcept override {
    const std::size_t n = static_cast<std::size_t>(out_ - taken_.data());
    try {
      taken_.resize(2 * taken_.size() + 64);
    } catch (...) {
      release_(r);  // out of memory: drop it now
      return;
    }
    out_ = taken_.data() + n;
    out_end_ = taken_.data() + taken_.size();
    *out_++ = r;
  }
  Release& release_;
  std::vector<Object*>& taken_;
};

// handle_resurrected_objects' check: counts the references that point into
// the unreachable list (referents in state kCollecting: only its objects
// are). Reads the headers, writes nothing.
class InternalRefCounter final : public CollectorTracerBase {
 public:
  InternalRefCounter() noexcept : CollectorTracerBase(Mode::kVisit) {}
  std::uint64_t count = 0;

 private:
  bool visit(Object* r) override {
    count += ObjectAccess::state(r) == kCollecting;
    return false;
  }
};

void remove_tombstones(std::vector<Object*>& v) noexcept {
  std::size_t out = 0;
  for (Object* o : v)
    if (o != nullptr) v[out++] = o;
  v.resize(out);
}

// "<Node 0x55d0c8a0>", as CPython's debug output writes an object.
std::string describe(const Object* o) {
  const std::string name = type_name(*o);
  std::string out(name.size() + 32, '\0');
  const int n =
      std::snprintf(out.data(), out.size(), "<%s %p>", name.c_str(), static_cast<const void*>(o));
  out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return out;
}

}  // namespace

Collector::Collector(HeapImpl& heap, int generation) noexcept
    : heap_(heap),
      generation_(generation),
      old_(heap.gens[generation < 2 ? generation + 1 : 2]),
      old_state_(static_cast<std::uint32_t>(kGen0 + (generation < 2 ? generation + 1 : 2))),
      old_unlisted_(HeapImpl::is_unlisted(old_state_)),
      young_(heap.scratch.young),
      tail_(heap.scratch.tail),
      spare_(heap.scratch.spare),
      reachable_(heap.scratch.reachable),
      unreachable_(heap.scratch.unreachable),
      taken_(heap.scratch.taken) {
  heap_.active = this;
  heap_.unreachable_list = &unreachable_;
  ++heap_.compaction_blocked;
}

Collector::~Collector() {
  heap_.active = nullptr;
  heap_.unreachable_list = nullptr;
  --heap_.compaction_blocked;
  // Only generations with many tombstones are squeezed (O(their size)); a
  // young collection must not touch the old heap.
  for (Generation& g : heap_.gens) heap_.maybe_compact(g);
  heap_.maybe_compact(heap_.permanent);
  const std::size_t released = heap_.scratch.trim();
#if defined(__GLIBC__)
  // A large scratch (the room of a full collection's unreachable list, which
  // held generation 2's rebuilt list, 4 bytes per member) was just freed: give the free memory of
  // the C heap back to the system, as CPython's allocator returns its empty arenas, so that a
  // collection does not leave the process bigger. Not for less than 1 MiB:
  // malloc_trim walks the C heap's free chunks and hands back pages that the
  // next collection faults in again (a full collection of a 1,000-object
  // heap took 9 us with it, most of it those page faults).
  if (released >= kTrimBytes) malloc_trim(0);
#else
  (void)released;
#endif
}

std::size_t HeapImpl::CollectorScratch::trim() noexcept {
  std::size_t bytes = 0;
  auto fit = [&](auto& v) {
    v.clear();
    if (v.capacity() > kKeepEntries) {
      bytes += v.capacity() * sizeof(v[0]);
      std::remove_reference_t<decltype(v)>().swap(v);
    }
  };
  fit(young);
  fit(large);
  if (tail.capacity > kKeepEntries) {
    bytes += tail.capacity * sizeof(Object*);
    tail = Buffer{};
  }
  fit(spare);
  fit(reachable);
  fit(unreachable);
  fit(taken);
  return bytes;
}

// ---------------------------------------------------------------------------
// The pipeline.
// ---------------------------------------------------------------------------
std::size_t Collector::run() noexcept {
  using Clock = std::chrono::steady_clock;
  const bool stats = (heap_.debug & gc::DEBUG_STATS) != 0;
  const Clock::time_point t0 = stats ? Clock::now() : Clock::time_point{};
  if (stats) {
    char line[160];
    std::snprintf(line, sizeof line, "gc: collecting generation %d...", generation_);
    heap_.debug_line(line);
    std::snprintf(line, sizeof line, "gc: objects in each generation: %zu %zu %zu",
                  heap_.gens[0].size(), heap_.gens[1].size(), heap_.gens[2].size());
    heap_.debug_line(line);
    std::snprintf(line, sizeof line, "gc: objects in permanent generation: %zu",
                  heap_.permanent.size());
    heap_.debug_line(line);
  }

  // 1. Counters: this collection counts towards the next generation's.
  heap_.count_collection(generation_);

  // 2. Scratch space, all of it now, so that no later phase can fail.
  std::size_t n = 0;
  for (int i = 0; i <= generation_; ++i) n += heap_.gens[i].size();
  if (!reserve_scratch(n)) return 0;  // reported; nothing was changed
  validate_walks_ = generation_ == 2 || heap_.gens[2].size() + heap_.permanent.size() <=
                                            std::max(kValidatorWalkFloor, 8 * n);

  // 3. young_ = generation N, then the younger generations appended in order.
  begin_counting();
  merge_young();
  REFGC_VALIDATE(validate());

  // 4. Split young_ into survivors and the unreachable set. Survivors get
  //    their slots in the older generation now (promote appends them there
  //    with nothing in between).
  slot_base_ = old_unlisted_ ? old_.next_slot : old_.objs.size();
  deduce_unreachable(young_, reachable_, unreachable_, /*refs_ready=*/true);
  end_counting();
  uncounted_ = old_unlisted_ ? survivors_ : 0;
  REFGC_VALIDATE(validate());

  // 5. Survivors move to the next generation (generation 2 stays). A full
  //    collection then untracks the Dicts that hold no container.
  promote(reachable_);
  if (generation_ == 2 && !heap_.lazily_tracked.empty()) untrack_dicts();
  if (heap_.debug & gc::DEBUG_COLLECTABLE) {
    debug_print_objects("collectable", unreachable_);
    user_code_ran_ = true;  // the debug sink is user code
  }
  // Weak-reference callbacks can run only for garbage that has weak
  // references (handle_weakrefs does nothing else that runs user code).
  if (unreachable_summary_.flags & kHasWeakrefs) user_code_ran_ = true;

  // 6. Weak references to garbage are cleared; callbacks of live weak
  //    references run before any finalizer (handle_weakrefs).
  //    Nothing to do (and skipped) unless some garbage is a weak reference
  //    or has weak references.
  std::size_t m = 0;
  if (unreachable_summary_.weakref_objects || (unreachable_summary_.flags & kHasWeakrefs)) {
    begin_rejoin();
    m = handle_weakrefs(heap_, unreachable_, *this);
    if (old_unlisted_) note_rejoined();
  }

  // 7. finalize() once for every unreachable object (PEP 442); skipped when
  //    none has a pending finalizer.
  if (unreachable_summary_.need_finalize) finalize_garbage();

  // 8. Finalizers may have resurrected objects: whatever is reachable again
  //    from outside the set survives, and is never finalized again.
  handle_resurrected_objects();
  REFGC_VALIDATE(validate());

  // 9. Break the remaining cycles with the clearing tracer; refcounting frees
  //    the rest. DEBUG_SAVEALL keeps them in gc::garbage() instead.
  m += unreachable_.size();
  delete_garbage();

  // 10. Statistics, debug output, result. DEBUG_STATS is read again, as
  //     gc_collect_main does: a finalizer or weak-reference callback may have
  //     changed it (set now and not at the start, t0 is the clock's origin,
  //     as CPython's t1 is 0 then).
  if (heap_.debug & gc::DEBUG_STATS) {
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    char line[160];
    std::snprintf(line, sizeof line, "gc: done, %zu unreachable, %zu uncollectable, %.4fs elapsed",
                  m + uncollectable_, uncollectable_, secs);
    heap_.debug_line(line);
  }
  collected_ = m;
  gc::GenerationStats& s = heap_.stats[generation_];
  ++s.collections;
  s.collected += m;
  s.uncollectable += uncollectable_;
  return m + uncollectable_;
}

// ---------------------------------------------------------------------------
// The phases.
// ---------------------------------------------------------------------------

// merge_young takes the vector of the first generation with entries in
// merge order (N, then 0..N-1) as young_ instead of copying it, and appends
// the later ones to it: room for them is reserved here, in that vector. The
// generation gets young_'s buffer (generation 0: reserved to its old
// capacity, so that the allocation fast path keeps its room) or, if it is
// the older generation itself (a full collection), spare_, room for the
// survivors. So a collection copies only the younger generations' entries,
// and a full collection of a large heap needs no second vector of its size.
//
// Generation 2 keeps no vector (it is unlisted, heap_fast.h): when it is
// the first generation with entries (a full collection), merge_walk walks
// the heap for it, and rebuilds its list (encoded, in the top of
// unreachable_'s room) unless its order is the walk's; its survivors join
// it by their headers.
bool Collector::reserve_scratch(std::size_t n) noexcept {
  steal_ = nullptr;
  walk_ = false;
  in_walk_order_ = false;
  list_width_ = 0;
  // A full collection numbers generation 2 anew (merge_walk); with no member
  // left there is nothing to walk, and its dead members' slots go here.
  if (generation_ == 2 && heap_.gens[2].unlisted == 0) heap_.gens[2].restart_slots();
  std::size_t appended = 0;  // live entries of the generations after it
  for (int k = 0; k <= generation_; ++k) {
    Generation& g = heap_.gens[k == 0 ? generation_ : k - 1];
    if (steal_ != nullptr) {
      appended += g.size();
    } else if (!g.objs.empty() || g.unlisted != 0) {
      steal_ = &g;
      walk_ = g.unlisted != 0;
      in_walk_order_ = walk_ && g.walk_ordered;
    }
  }
  // Survivors get slots slot_base_ + 0.. in the older generation (after its
  // own entries, unless it is merged too): each must fit the 25-bit index.
  // Generations are capped at 2^25 entries each (HeapImpl::track), but a
  // collection merges several, so their sum is checked here. An unlisted
  // older generation with no member left starts its list anew; one whose
  // list is mostly gaps is renumbered first, as a listed one is compacted.
  if (old_unlisted_ && generation_ < 2) {
    if (old_.unlisted == 0) old_.restart_slots();
    if (old_.next_slot + n > heap_.slot_limit && old_.next_slot > old_.unlisted) {
      try {
        heap_.renumber_unlisted(old_state_);
      } catch (const std::bad_alloc&) {
        write_unraisable("<garbage collection>", "Out of memory: collection skipped in");
        return false;
      }
    }
  }
  const std::size_t base = generation_ == 2 ? 0 : old_unlisted_ ? old_.next_slot : old_.objs.size();
  if (base + n > heap_.slot_limit) {
    try {
      throw std::length_error("refgc: collecting generation " + std::to_string(generation_) +
                              " could leave generation " + std::to_string(old_state_ - kGen0) +
                              " with " + std::to_string(base + n) +
                              " entries, more than its index holds (" +
                              std::to_string(heap_.slot_limit) + ")");
    } catch (const std::exception&) {
      write_unraisable("<garbage collection>", "Too many tracked objects: collection skipped in");
    }
    return false;
  }
  try {
    if (in_walk_order_) {
      // No list of generation 2 (the walk meets its members in their
      // order): young_ holds generations 0 and 1 only, and the unreachable
      // list is written to unreachable_, touched only by unreachable
      // objects (its pages are not resident until written).
      young_.reserve(appended);
      unreachable_.reserve(n);
    } else if (walk_) {
      // Its list, gaps included, then generations 0 and 1, encoded
      // (EntryCodec), in the top of the unreachable list's room: `entries`
      // entries end where that room ends. The unreachable list fills the
      // room from the bottom only as take_unreachable reads the entries:
      // writing pointer k overwrites bytes [8k, 8k + 8), which only entries
      // already read occupy as long as the room holds `entries` pointers
      // (entry i, read before pointer k <= i is written, starts at byte
      // 8 * room - size * (entries - i) >= 8 * i + 8 for every later entry).
      // So a collection that finds little garbage touches the list's bytes
      // only (4 per entry), one that finds much of it the pointers' (8 per
      // unreachable object), and the two share their pages.
      const std::size_t entries = steal_->next_slot + appended;
      list_width_ = !heap_.force_wide_list && EntryCodec<std::uint32_t>::fits(heap_.pool) ? 32 : 64;
      unreachable_.clear();
      unreachable_.reserve(std::max(n, entries));
      // Written whole (merge_walk), then read: huge pages, a page fault per
      // 2 MiB instead of per 4 KiB (it is given back after the collection,
      // so every full collection faults it in anew).
      advise_huge(unreachable_.data(), unreachable_.capacity() * sizeof(Object*));
      list_bytes_ = reinterpret_cast<char*>(unreachable_.data() + unreachable_.capacity()) -
                    entries * static_cast<std::size_t>(list_width_ / 8);
      list_size_ = 0;
      list_room_ = entries;
      heap_.scratch.large.reserve(heap_.pool.large_count());
    } else if (steal_ != nullptr) {
      std::vector<Object*>& v = steal_->objs;
      if (v.capacity() - v.size() < appended) v.reserve(v.size() + appended);
      // Generation 0 gets young_'s buffer after the collection: room for
      // twice what it held (at least kKeepEntries, at most what it had), so
      // that the allocation fast path keeps its room. Not its old capacity
      // whatever it held: after a build with collection disabled (1M
      // objects) every young collection reserved, and the next one freed,
      // an 8 MB buffer (W4's young collections took 23 instead of 13 us
      // whenever glibc served that size by mmap and munmap).
      if (steal_ == &heap_.gens[0])
        young_.reserve(std::min(v.capacity(),
                                std::max(2 * v.size(), HeapImpl::CollectorScratch::kKeepEntries)));
    }
    tail_.reserve(n);  // objects moved back from unreachable are re-appended
    if (!old_unlisted_) {
      // (move_unreachable_unlisted keeps the unreachable list in young's
      // buffer instead.)
      unreachable_.reserve(n);
      // Written once, front to back: huge pages for its whole capacity.
      advise_huge(unreachable_.data(), unreachable_.capacity() * sizeof(Object*));
    }
    if (old_unlisted_) {
      // Survivors join by their state (promote): no room needed.
    } else if (steal_ == &old_) {
      spare_.reserve(n);  // becomes the (stolen) older generation's vector
    } else {
      // Geometric growth: an exact reserve here would copy the whole older
      // generation at nearly every young collection (quadratic building).
      const std::size_t need = old_.objs.size() + n;
      if (old_.objs.capacity() < need) old_.objs.reserve(std::max(need, 2 * old_.objs.capacity()));
    }
    if (taken_.size() < 64) taken_.resize(64);  // ClearTracer's room
    return true;
  } catch (const std::bad_alloc&) {
    write_unraisable("<garbage collection>", "Out of memory: collection skipped in");
    return false;
  }
}

// Postcondition: young_ holds the objects of generation N followed by those of
// generations 0..N-1, tombstones removed; those generations are empty. Each
// object is in state kExamined with its gc_refs in the index bits: update_refs
// and subtract_refs done in the same single pass. An object is traced as soon
// as the pass reaches it; a referent of a collected generation the pass has
// not reached yet gets its gc_refs at its first reference (its refcount minus
// that reference, Tracer::collector_visit), and the pass only traces it when
// it gets there.
void Collector::merge_young() {
  SubtractTracer tracer(SubtractTracer::Mode::kSubtractNew,
                        static_cast<std::uint32_t>(generation_ + 1), big_);
  std::size_t met_joined = 0;  // objects taken that had joined at a first reference
  auto take = [&](Object* o) {
    if (ObjectAccess::state(o) != kExamined) {
      const std::uint32_t rc = ObjectAccess::rc(o);
      REFGC_CHECK(rc != 0, o, "tracked object with refcount 0 found by the collector");
      store_count(o, kExamined, rc, big_);
    } else {
      ++met_joined;  // it joined at its first reference
    }
    tracer.current = o;
    trace_or_stop(o, tracer, "subtract_refs");  // (o is needed after the call)
  };
  young_.clear();
  if (steal_ == nullptr) return;  // nothing to examine
  settled_ = 0;
  if (walk_) {
    merge_walk();
    return;
  }
  settling_ = true;
  any_weak_ = heap_.any_weakrefs();
  settled_summary_ = Summary{};
  // The first generation with entries: its vector, tombstones squeezed out.
  Generation& first = *steal_;
  young_.swap(first.objs);
  if (&old_ == &first) first.objs.swap(spare_);  // the reserved room for survivors
  first.tombstones = 0;
  first.dead_prefix = 0;
  // Raw pointers: trace() cannot change young_, but the compiler would
  // reload it after every call.
  Object** const objs = young_.data();
  const std::size_t size = young_.size();
  std::size_t out = 0;
  for (std::size_t i = 0; i < size; ++i) {
    if (i + kScanAhead < size) prefetch(objs[i + kScanAhead]);
    Object* o = objs[i];
    if (o == nullptr) continue;
    take(o);
    if (out != i) objs[out] = o;  // (not rewriting an unmoved entry spares a write-back)
    ++out;
    if (out % kSettleBatch == 0) settle(out);
  }
  settling_ = false;
  young_.resize(out);
  // The later ones appended, in merge order.
  bool after = false;
  for (int k = 0; k <= generation_; ++k) {
    Generation& g = heap_.gens[k == 0 ? generation_ : k - 1];
    if (&g == &first) {
      after = true;
      continue;
    }
    if (!after) continue;  // empty
    Object* const* const src = g.objs.data();
    const std::size_t entries = g.objs.size();
    std::size_t filled = young_.size();
    const std::size_t end = filled + g.size();
    young_.resize(end);  // capacity reserved: cannot throw
    Object** const dst = young_.data();
    for (std::size_t i = 0; i < entries; ++i) {
      if (i + kScanAhead < entries) prefetch(src[i + kScanAhead]);
      Object* o = src[i];
      if (o == nullptr) continue;
      REFGC_CHECK(filled != end, o, "generation holds more objects than its tombstone count says");
      take(o);
      dst[filled++] = o;
    }
    young_.resize(filled);
  }
  // The appended generations are left empty.
  for (int i = 0; i <= generation_; ++i)
    if (&heap_.gens[i] != &first) heap_.gens[i].clear_list();
  if (REFGC_UNLIKELY(met_joined != tracer.joined())) report_foreign_member(heap_.pool);
}

// merge_young for a full collection whose generation 2 has members (it keeps
// no list, heap_fast.h). One walk over the heap (the marked chunks: those of
// generation 2's members, and of generations 0 and 1, marked first) does
// merge_young's counting in address order: every object of the set is met
// once, and traced then (its gc_refs set first unless it joined at a first
// reference, Tracer::collector_visit).
//
// When generation 2's slots ascend in the walk's order (in_walk_order_), the
// walk meets its members in their list's order and no list is rebuilt:
// young_ gets generations 0 and 1 only, and move_unreachable_unlisted walks
// the heap again for generation 2 (scan_walk_). So that this second walk
// can tell them apart, the members of generations 0 and 1 lose kIsGc (every
// tracked object has it; nothing reads it before the scan gives it back).
//
// Otherwise a first walk, before the counting one, rebuilds generation 2's
// list (list_width_): each member goes to its virtual slot, encoded
// (EntryCodec: 4 bytes where a pointer took 8; the counting walk cannot do
// it, as a member's first reference overwrites its slot with its count),
// the gaps are squeezed out and generations 0 and 1 are appended in their
// order: CPython's list order, as merge_young leaves young_.
void Collector::merge_walk() {
  Generation& g2 = heap_.gens[2];
  const std::size_t members = g2.unlisted;
  if (list_width_ == 32) {
    build_list<std::uint32_t>(members);
  } else if (list_width_ == 64) {
    build_list<std::uint64_t>(members);
  }
  SubtractTracer tracer(SubtractTracer::Mode::kSubtractNew, 3, big_);
  std::size_t young_members = 0;  // of generations 0 and 1
  for (int i = 0; i < 2; ++i)
    for (Object* o : heap_.gens[i].objs) {
      if (o == nullptr) continue;
      // (The room counts the generation's entries less its tombstones.)
      REFGC_CHECK(list_width_ == 0 || list_size_ < list_room_, o,
                  "generation holds more objects than its tombstone count says");
      if (list_width_ == 32) {
        encoded_list<std::uint32_t>().push_back(list_codec<std::uint32_t>().encode(o));  // room
      } else if (list_width_ == 64) {
        encoded_list<std::uint64_t>().push_back(list_codec<std::uint64_t>().encode(o));
      } else {
        heap_.pool.mark(o);
        ObjectAccess::gc(o) &= ~std::uint32_t{kIsGc};
      }
      ++young_members;
    }
  // The walk runs in a function of its own with no handler in it, and the
  // handler is around the call (trace_threw: tracer.current names the
  // object): a handler anywhere in the walk's function kept a counter on
  // the stack and cost the full collection of W4's list + chain 2-3%.
  struct Met {
    std::size_t met = 0;
    std::size_t examined = 0;  // joined at a first reference, or counted by build_list
  };
  const auto walk = [this](SubtractTracer & counter) __attribute__((noinline)) {
    Met m;
    heap_.pool.walk_marked([&](void* slot) {
      auto* o = static_cast<Object*>(slot);
      const std::uint32_t state = ObjectAccess::state(o);
      if (state != kExamined) {
        if (state - kGen0 > kGen2 - kGen0) return state == kPermanent;  // not in the set
        const std::uint32_t rc = ObjectAccess::rc(o);
        REFGC_CHECK(rc != 0, o, "tracked object with refcount 0 found by the collector");
        store_count(o, kExamined, rc, big_);
      } else {
        ++m.examined;
      }
      ++m.met;
      counter.current = o;
      o->trace(counter);
      return true;
    });
    return m;
  };
  Met counted;
  try {
    counted = walk(tracer);
  } catch (...) {
    trace_threw(tracer.current, "subtract_refs");
  }
  const std::size_t met = counted.met;
  const std::size_t met_examined = counted.examined;
  REFGC_CHECK(met == members + young_members, nullptr,
              "corrupt generation 2 (its count disagrees with the heap)");
  if (REFGC_UNLIKELY(met_examined != tracer.joined() + (list_width_ != 0 ? members : 0)))
    report_foreign_member(heap_.pool);
  young_.clear();
  for (int i = 0; i < 2; ++i) {
    Generation& g = heap_.gens[i];
    for (Object* o : g.objs) {
      if (o == nullptr) continue;
      REFGC_CHECK(ObjectAccess::state(o) == kExamined, o,
                  "generation list out of step with the heap walk");
      if (list_width_ == 0) young_.push_back(o);  // room reserved
    }
    g.clear_list();
  }
  scan_walk_ = list_width_ == 0;
  walk_members_ = members;
  g2.unlisted = 0;
  g2.restart_slots();
}

template <class Entry>
EntryCodec<Entry> Collector::list_codec() noexcept {
  return EntryCodec<Entry>(heap_.pool, heap_.scratch.large);
}

template <class Entry>
EncodedList<Entry> Collector::encoded_list() noexcept {
  return EncodedList<Entry>(list_bytes_, list_size_);
}

// merge_walk's first walk: `list` = generation 2's `members` in their slots'
// order, encoded. Reads the headers only (no member's slot is overwritten
// yet); keeps the chunks' marks (each holds a member, or a frozen object).
template <class Entry>
void Collector::build_list(std::size_t members) {
  using Codec = EntryCodec<Entry>;
  Codec codec = list_codec<Entry>();
  heap_.scratch.large.clear();
  EncodedList<Entry> slots = encoded_list<Entry>();
  const std::size_t n = heap_.gens[2].next_slot;
  std::memset(list_bytes_, 0xff, n * sizeof(Entry));  // kEmpty everywhere (room reserved)
  static_assert(Codec::kEmpty == ~Entry{0});
  slots.resize(n);
  heap_.pool.walk_marked([&](void* slot) {
    auto* o = static_cast<Object*>(slot);
    const std::uint32_t state = ObjectAccess::state(o);
    if (state == kGen2) {
      const std::uint32_t at = ObjectAccess::index(o);
      REFGC_CHECK(at < n && slots[at] == Codec::kEmpty, o,
                  "corrupt generation (virtual slot out of range or taken twice)");
      slots.set(at, codec.encode(o));
      // update_refs, while the header is at hand (the counting walk then
      // only traces it).
      const std::uint32_t rc = ObjectAccess::rc(o);
      REFGC_CHECK(rc != 0, o, "tracked object with refcount 0 found by the collector");
      store_count(o, kExamined, rc, big_);
    }
    return state == kGen2 || state == kPermanent;
  });
  std::size_t out = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const Entry e = slots[i];
    if (e == Codec::kEmpty) continue;
    if (out != i) slots.set(out, e);
    ++out;
  }
  REFGC_CHECK(out == members, nullptr, "corrupt generation 2 (its count disagrees with the heap)");
  slots.resize(out);
}

// merge_young's lagging start of move_unreachable (the all-garbage prefix),
// while the headers are still in the cache: called every kSettleBatch objects
// taken, it goes on with the objects up to kSettleLag positions behind the
// last one taken. Such an object is tentatively unreachable for sure if its
// gc_refs is already 0. Counts only go down as the pass goes on, never below
// 0 (trace() reports only references the object holds: every reference to
// it was already seen, so no later object reports one), so 0 is its final
// gc_refs, and it is exactly what move_unreachable's in-place prefix would
// do with it: state kCollecting, index = position. The first object whose
// count is not 0 yet ends the run; move_unreachable goes on from there with
// the final counts. A collection of locally connected garbage (pairs,
// self-cycles, short chains) then walks its headers once fewer.
constexpr std::size_t kSettleLag = 16;

void Collector::settle(std::size_t taken) noexcept {
  if (!settling_ || taken < kSettleLag) return;
  constexpr std::uint32_t kFlagBits = ((1u << kIndexShift) - 1) & ~std::uint32_t{kStateMask};
  const std::size_t end = taken - kSettleLag;
  Object* const* const objs = young_.data();
  std::size_t k = settled_;
  Summary summary = settled_summary_;  // (a local: the compiler keeps it in registers)
  for (; k < end; ++k) {
    Object* o = objs[k];
    const std::uint32_t gc = ObjectAccess::gc(o);
    if ((gc & ~kFlagBits) != kExamined) {  // gc_refs not 0 (yet)
      settling_ = false;
      break;
    }
    ObjectAccess::gc(o) =
        (gc & kFlagBits) | static_cast<std::uint32_t>(k << kIndexShift) | kCollecting;
    summary.note(o, any_weak_);
  }
  settled_ = k;
  settled_summary_ = summary;
}

// CPython's deduce_unreachable. Postcondition: `reachable` holds the objects
// of `young` referenced from outside the set or reachable from such an
// object (in the older generation's state with index = slot_base_ + position
// in `reachable`; the caller appends them to that generation before any user
// code runs); `unreachable` holds the rest, in state kCollecting with index =
// position in `unreachable`. `young` is consumed. With `refs_ready`,
// merge_young already did update_refs' and subtract_refs' work.
void Collector::deduce_unreachable(std::vector<Object*>& young, std::vector<Object*>& reachable,
                                   std::vector<Object*>& unreachable, bool refs_ready) {
  if (!refs_ready) {
    update_refs(young);
    subtract_refs(young);
  }
  if (old_unlisted_) {
    move_unreachable_unlisted(young, unreachable);
  } else {
    move_unreachable(young, reachable, unreachable);
    survivors_ = reachable.size();
  }
  young.clear();
  big_.clear();
}

// Postcondition: every object of `young` is in state kExamined with gc_refs
// = its refcount in the index bits.
void Collector::update_refs(const std::vector<Object*>& young) {
  for (Object* o : young) {
    const std::uint32_t rc = ObjectAccess::rc(o);
    REFGC_CHECK(rc != 0, o, "tracked object with refcount 0 found by the collector");
    store_count(o, kExamined, rc, big_);
  }
}

// Postcondition: the gc_refs of young[i] == the number of references to it
// from outside the set (references from inside are subtracted).
void Collector::subtract_refs(const std::vector<Object*>& young) {
  SubtractTracer tracer(SubtractTracer::Mode::kSubtract, 0, big_);
  try {  // (trace_threw: tracer.current names the object)
    for (std::size_t i = 0; i < young.size(); ++i) {
      prefetch_at(young, i + kAhead);
      Object* o = young[i];
      tracer.current = o;
      o->trace(tracer);
    }
  } catch (...) {
    trace_threw(tracer.current, "subtract_refs");
  }
}

// CPython's move_unreachable, on vectors. Walks young front to back; young
// grows at the tail when a tentatively unreachable object turns out reachable
// (that tail is kept in tail_ during the scan, then in young itself after the
// survivors of the scan, and scanned there).
// Survivors are compacted in place at the front of young (no second array):
// position `out` never passes the number of objects scanned.
// Invariant: young[0, out) are the scanned reachable objects in order; every
// other scanned object is tentatively in `unreachable` (until the first
// survivor, in young[0, u) instead: then out == 0). At the end young's buffer
// becomes `reachable` (or `unreachable`, if nothing survived).
//
// Headers during the scan:
//   not yet scanned          kExamined, index bits = gc_refs
//   scanned, reachable       the older generation's state, index = its slot
//                            there (slot_base_ + position in `reachable`)
//   tentatively unreachable  kCollecting, index = position in `unreachable`
//   moved back (the tail)    kExamined, gc_refs 1 (reachable)
// Reachable objects are not in the older generation's vector yet: promote()
// (or handle_resurrected_objects) puts them there before anything can look.
void Collector::move_unreachable(std::vector<Object*>& young, std::vector<Object*>& reachable,
                                 std::vector<Object*>& unreachable) {
  unreachable.clear();
  Object** const tail = tail_.data.get();
  ReachTracer tracer(tail, big_);
  // A weak-reference object matters to handle_weakrefs only while it has a
  // referent, and then some object has weak references: with none at all
  // the type test (a string compare for most types) is skipped.
  const bool any_weak = heap_.any_weakrefs();
  std::size_t out = 0;
  const std::size_t n = young.size();
  // Raw pointers and locals: trace() cannot change them, but the compiler
  // would reload them after every call.
  Object** const objs = young.data();
  const std::uint32_t old_state = old_state_;
  const std::size_t slot_base = slot_base_;
  // What the later phases will have to do (exact unless holes appear);
  // merge_young may have noted the start of the run (settle()).
  Summary summary = settled_summary_;
  // The leading run of tentatively unreachable objects stays in young's own
  // buffer, where it is (position == index in the unreachable list): when
  // everything is garbage, no page of `unreachable` is touched and young is
  // only read. The first survivor copies the run to `unreachable`.
  // merge_young may have done the start of it (settle()).
  std::size_t scanned = settled_;
  settled_ = 0;
  settled_summary_ = Summary{};
  for (; scanned < n; ++scanned) {
    if (scanned + kAhead < n) prefetch(objs[scanned + kAhead]);
    Object* o = objs[scanned];
    if (has_outside_refs(o, big_)) break;
    ObjectAccess::set_slot(o, kCollecting, static_cast<std::uint32_t>(scanned));
    summary.note(o, any_weak);
  }
  std::size_t u = scanned;
  const bool in_place = scanned == n;  // no survivor, so nothing was traced
  if (in_place) {
    young.resize(u);
    unreachable.swap(young);  // young holds unreachable's (empty) buffer
  } else {
    unreachable.assign(young.begin(), young.begin() + static_cast<std::ptrdiff_t>(u));  // fits
    for (; scanned < n; ++scanned) {
      if (scanned + kScanAhead < n) prefetch(objs[scanned + kScanAhead]);
      Object* o = objs[scanned];
      if (has_outside_refs(o, big_)) {
        trace_or_stop(o, tracer, "move_unreachable");  // may append to tail_ (capacity reserved)
        ObjectAccess::set_slot(o, old_state, static_cast<std::uint32_t>(slot_base + out));
        if (out != scanned) objs[out] = o;  // (see merge_young)
        ++out;
      } else {
        ObjectAccess::set_slot(o, kCollecting, static_cast<std::uint32_t>(u));
        unreachable.push_back(o);  // capacity reserved
        ++u;
        summary.note(o, any_weak);
      }
    }
  }
  // The objects moved back, in order: all reachable. They go to young's
  // tail, right after the survivors of the scan, and the ones they move back
  // are appended there directly (room: each of them was scanned tentatively
  // unreachable, so out + moved back <= n); only those moved back during the
  // scan used tail_.
  const std::size_t moved = static_cast<std::size_t>(tracer.tail_end() - tail);
  const bool holes = moved != 0;  // some entry of `unreachable` went back
  Object** const base = young.data();
  const std::size_t scan_survivors = out;
  if (holes) {
    std::copy(tail, tail + moved, base + out);
    tracer.set_tail(base + out + moved);
    for (Object** p = base + out; p != tracer.tail_end(); ++p) {
      if (tracer.tail_end() - p > static_cast<std::ptrdiff_t>(kScanAhead)) prefetch(p[kScanAhead]);
      Object* o = *p;
      trace_or_stop(o, tracer, "move_unreachable");  // may append to the tail
      ObjectAccess::set_slot(o, old_state, static_cast<std::uint32_t>(slot_base + (p - base)));
    }
    out = static_cast<std::size_t>(tracer.tail_end() - base);
  }
  young.resize(out);
  reachable.clear();
  reachable.swap(young);  // young now holds reachable's (empty) buffer
  if (holes && out - scan_survivors == u) {
    // Every tentatively unreachable object went back (a chain built from its
    // tail): nothing is unreachable.
    unreachable.clear();
    summary = Summary{};
  } else if (holes) {
    summary = Summary{};
    unreachable.resize(
        squeeze_unreachable(unreachable.data(), unreachable.size(), any_weak, summary));
  }
  unreachable_summary_ = summary;
}

// move_unreachable when the survivors join an unlisted generation
// (generation 2, heap_fast.h). They need no list: each gets its state and
// its virtual slot (slot_base_ + the order in which it is found reachable,
// the position move_unreachable would give it in `reachable`) as it is
// scanned, and survivors_ counts them. So the tentatively unreachable
// objects can stay in young's own buffer, at the front (position u never
// passes the number scanned), which becomes `unreachable`; and the objects
// moved back wait in tail_ as a queue whose consumed front is reused (a chain
// moved back link by link keeps it at one entry, where a list of them would
// grow to the chain's length). Same classification, order and slots as
// move_unreachable.
//
// After a merge_walk that rebuilt no list (scan_walk_), generation 2's part
// of young is scanned by a second walk over the heap (its members, in state
// kExamined with kIsGc, come in their list's order), then young_
// (generations 0 and 1, which get kIsGc back); the tentatively unreachable
// objects are appended to `unreachable` (room reserved for n).
void Collector::move_unreachable_unlisted(std::vector<Object*>& young,
                                          std::vector<Object*>& unreachable) {
  const bool walk = scan_walk_;
  scan_walk_ = false;
  const int width = list_width_;
  list_width_ = 0;
  if (walk || width != 0) unreachable.clear();
  Object** const queue = tail_.data.get();  // room for n (reserve_scratch)
  // The tentatively unreachable objects: young's front, or unreachable, or
  // (width) the encoded list's front, decoded into unreachable at the end.
  Object** const list = walk || width != 0 ? unreachable.data() : young.data();
  ReachTracer tracer(queue, big_);
  const bool any_weak = heap_.any_weakrefs();
  Object** const objs = young.data();
  const std::size_t n = young.size();
  const std::uint32_t old_state = old_state_;
  const std::size_t slot_base = slot_base_;
  std::size_t found = 0;
  Summary summary = settled_summary_;
  std::size_t scanned = settled_;  // merge_young's settled run: already in place
  std::size_t u = settled_;
  settled_ = 0;
  settled_summary_ = Summary{};
  // Scans one object: reachable (traced, joins the older generation) or
  // tentatively unreachable, at list[u]. `from`: kFromList (young's front:
  // written only if it moves, see merge_young), kFromWalk or kFromYoung (the
  // scan by the walk, then of young_: appended to `unreachable`).
  enum From { kFromList, kFromWalk, kFromYoung, kFromEncoded };
  Object* last_walked = nullptr;                   // the last survivor the walk found
  auto scan = [&](Object* o, auto from) -> bool {  // true: tentatively unreachable
    constexpr From kFrom = decltype(from)::value;
    if (has_outside_refs(o, big_)) {
      trace_or_stop(o, tracer, "move_unreachable");  // may empty entries of [0, u) and queue them
      if constexpr (kFrom == kFromWalk) {
        // join_unlisted without its chunk mark (the walk keeps it) and its
        // order check (the walk finds them in its order).
        ObjectAccess::set_slot(o, old_state, static_cast<std::uint32_t>(slot_base + found));
        last_walked = o;
      } else {
        heap_.join_unlisted(o, old_state, slot_base + found);
      }
      ++found;
      return false;
    }
    ObjectAccess::set_slot(o, kCollecting, static_cast<std::uint32_t>(u));
    if constexpr (kFrom == kFromWalk || kFrom == kFromYoung) {
      unreachable.push_back(o);  // room reserved: list stays its data()
    } else if (kFrom == kFromList) {
      if (u != scanned) objs[u] = o;
    }
    ++u;
    summary.note(o, any_weak);
    return true;
  };
  // An encoded list (merge_walk): the tentatively unreachable entries are
  // kept at its front, in order.
  auto scan_encoded = [&](auto e) {
    using Entry = std::remove_cv_t<decltype(e[0])>;
    const EntryCodec<Entry> codec = list_codec<Entry>();
    const std::size_t m = e.size();
    for (std::size_t i = 0; i < m; ++i) {
      if (i + kScanAhead < m) prefetch(codec.decode(e[i + kScanAhead]));
      const Entry x = e[i];
      if (scan(codec.decode(x), std::integral_constant<From, kFromEncoded>{}) && u - 1 != i)
        e.set(u - 1, x);
    }
  };
  if (walk) {
    constexpr std::uint32_t kMember = kExamined | kIsGc;
    std::size_t walked = 0;
    heap_.pool.walk_marked([&](void* slot) {
      auto* o = static_cast<Object*>(slot);
      if ((ObjectAccess::gc(o) & (kStateMask | kIsGc)) == kMember) {
        scan(o, std::integral_constant<From, kFromWalk>{});
        ++walked;
      }
      // Its chunk stays marked while it holds a member (one moved back
      // later joins through join_unlisted, which marks it again).
      const std::uint32_t state = ObjectAccess::state(o);
      return state == kGen2 || state == kPermanent;
    });
    REFGC_CHECK(walked == walk_members_, nullptr, "corrupt generation 2 (the heap walks disagree)");
    // Generation 2 was empty (merge_walk): its walk order now ends at the
    // last survivor found by the walk.
    if (last_walked != nullptr) heap_.gens[2].last_position = heap_.pool.mark(last_walked);
    for (std::size_t i = 0; i < n; ++i) {
      if (i + kScanAhead < n) prefetch(objs[i + kScanAhead]);
      Object* o = objs[i];
      ObjectAccess::gc(o) |= kIsGc;
      scan(o, std::integral_constant<From, kFromYoung>{});
    }
  } else if (width == 32) {
    scan_encoded(encoded_list<std::uint32_t>());
  } else if (width == 64) {
    scan_encoded(encoded_list<std::uint64_t>());
  } else {
    for (; scanned < n; ++scanned) {
      if (scanned + kScanAhead < n) prefetch(objs[scanned + kScanAhead]);
      scan(objs[scanned], std::integral_constant<From, kFromList>{});
    }
  }
  // The queue, in order. Its consumed front is reused once it is at least
  // kQueueReuse entries and at least as long as what is still waiting
  // (amortized: each move copies no more entries than were consumed since
  // the last). Writes stay within n: every entry is an object moved back
  // once.
  constexpr std::size_t kQueueReuse = 4096;
  Object** r = queue;
  std::size_t moved = 0;
  while (r != tracer.tail_end()) {
    const std::size_t consumed = static_cast<std::size_t>(r - queue);
    const std::size_t waiting = static_cast<std::size_t>(tracer.tail_end() - r);
    if (consumed >= kQueueReuse && consumed >= waiting) {
      std::memmove(queue, r, waiting * sizeof(Object*));
      r = queue;
      tracer.set_tail(queue + waiting);
    }
    if (tracer.tail_end() - r > static_cast<std::ptrdiff_t>(kScanAhead)) prefetch(r[kScanAhead]);
    Object* o = *r++;
    ++moved;
    trace_or_stop(o, tracer, "move_unreachable");  // may queue more
    heap_.join_unlisted(o, old_state, slot_base + found);
    ++found;
  }
  if (moved == u) {  // every tentatively unreachable object went back
    u = 0;
    summary = Summary{};
  } else {
    if (width == 32) take_unreachable<std::uint32_t>(u, unreachable);
    if (width == 64) take_unreachable<std::uint64_t>(u, unreachable);
    if (moved != 0) {
      summary = Summary{};
      u = squeeze_unreachable(list, u, any_weak, summary);
    }
  }
  if (walk || width != 0) {
    unreachable.resize(u);  // (shrinks)
    young.clear();
  } else {
    young.resize(u);
    unreachable.clear();
    unreachable.swap(young);  // young now holds unreachable's (empty) buffer, room for n
  }
  survivors_ = found;
  unreachable_summary_ = summary;
}

// The end of move_unreachable_unlisted for an encoded list: its first u
// entries were found tentatively unreachable, in order, each with its
// position in its index bits; decoded, they become `unreachable` (empty
// until now; its room holds the list, and each pointer is written over
// entries already read: reserve_scratch). The headers are not touched: if
// some went back, squeeze_unreachable drops them afterwards, as for the
// other lists.
template <class Entry>
void Collector::take_unreachable(std::size_t u, std::vector<Object*>& unreachable) noexcept {
  const EntryCodec<Entry> codec = list_codec<Entry>();
  const EncodedList<Entry> list = encoded_list<Entry>();
  REFGC_ASSERT(unreachable.empty() && reinterpret_cast<char*>(unreachable.data()) +
                                              unreachable.capacity() * sizeof(Object*) >=
                                          list_bytes_ + list_size_ * sizeof(Entry),
               "the encoded list is not in the unreachable list's room");
  for (std::size_t i = 0; i < u; ++i) unreachable.push_back(codec.decode(list[i]));  // room: n
}

// The end of move_unreachable (either kind), when objects went back: the
// unreachable list [list, list + n) loses their entries (no longer in state
// kCollecting) and its tombstones, and the rest get their new positions and
// are noted anew. Returns the new length.
std::size_t Collector::squeeze_unreachable(Object** list, std::size_t n, bool any_weak,
                                           Summary& summary) noexcept {
  std::size_t kept = 0;
  for (std::size_t i = 0; i < n; ++i) {
    Object* o = list[i];
    if (o == nullptr || ObjectAccess::state(o) != kCollecting) continue;  // (went back)
    ObjectAccess::set_slot(o, kCollecting, static_cast<std::uint32_t>(kept));
    summary.note(o, any_weak);
    list[kept++] = o;
  }
  return kept;
}

// Survivors join the older generation, keeping CPython's long-lived counts.
//
// When the older generation is empty (a full collection: it was merged into
// young), the survivors' vector simply becomes the generation. Its former
// buffer, left in `survivors`, has room for n (reserve_scratch: spare_, or
// the older generation's reservation), as handle_resurrected_objects needs;
// the survivors' buffer held all n, so the generation keeps room for
// everything the collection may still move there.
void Collector::promote(std::vector<Object*>& survivors) {
  if (generation_ == 1) heap_.long_lived_pending += survivors_;
  uncounted_ = 0;
  if (old_unlisted_) {
    // move_unreachable_unlisted already gave each survivor its state and
    // virtual slot (from slot_base_, the list's length) and counted them.
    old_.unlisted += survivors_;
    old_.next_slot = slot_base_ + survivors_;
    if (generation_ == 2) {
      heap_.long_lived_pending = 0;
      heap_.long_lived_total = survivors_;
    }
    return;
  }
  if (old_.objs.empty() && old_.tombstones == 0) {
    // move_unreachable already gave each survivor its slot (state, position).
    old_.objs.swap(survivors);  // survivors now holds old_'s (empty) buffer
    if (generation_ == 2) {
      heap_.long_lived_pending = 0;
      heap_.long_lived_total = old_.objs.size();
    }
    survivors.clear();
    return;
  }
  append_to_old(survivors);
  if (generation_ == 2) {
    heap_.long_lived_pending = 0;
    heap_.long_lived_total = survivors.size();
  }
  survivors.clear();
}

// CPython 3.11 untracks dicts only in full collections (bpo-14775: quadratic
// dict build-up otherwise), among the survivors, before the finalizers run
// and before long_lived_total is taken. refgc looks only at the Dicts that
// Dict::set tracked (HeapImpl::lazily_tracked), not at every survivor: the
// others were tracked from creation and stay so. No user code runs here
// (may_hold_tracked reads headers), and every survivor has its kIsGc bit
// back (merge_walk's window is over).
void Collector::untrack_dicts() noexcept {
  auto& list = heap_.lazily_tracked;
  std::size_t untracked = 0;
  for (std::size_t i = list.size(); i-- > 0;) {
    Object* o = list[i].object;
    if (ObjectAccess::state(o) != kGen2 || list[i].may_hold_tracked(o)) continue;
    heap_.untrack(o);  // its virtual slot stays a gap, as when a member dies
    ++untracked;
    heap_.unlist_lazily_tracked(i);  // the entries after i were looked at
  }
  heap_.long_lived_total -= untracked;
}

// The survivors of deduce_unreachable join the older generation's tail, where
// move_unreachable already numbered their slots (from slot_base_).
void Collector::append_to_old(const std::vector<Object*>& survivors) {
  if (old_unlisted_) {  // counted by move_unreachable_unlisted; `survivors` is empty
    REFGC_ASSERT(old_.next_slot == slot_base_, "older generation changed under the collector");
    old_.unlisted += survivors_;
    old_.next_slot += survivors_;
    return;
  }
  REFGC_ASSERT(old_.objs.size() == slot_base_, "older generation changed under the collector");
  old_.objs.insert(old_.objs.end(), survivors.begin(), survivors.end());  // capacity reserved
}

void Collector::move_to_old(Object* o) {
  if (old_unlisted_) {
    ++old_.unlisted;
    heap_.join_unlisted(o, old_state_, old_.next_slot++);
    return;
  }
  old_.objs.push_back(o);  // capacity reserved in reserve_scratch (and kept by rejoin_old)
  ObjectAccess::set_slot(o, old_state_, static_cast<std::uint32_t>(old_.objs.size() - 1));
}

// rejoin_old's other cases: from another generation, or into a listed one.
void Collector::rejoin_old_slow(Object* o) noexcept {
  const std::uint32_t state = ObjectAccess::state(o);
  if (state == kUntracked) return;
  if (old_unlisted_) {
    rejoin_.shift = false;
    if (old_.next_slot >= rejoin_.end) return;
  } else {
    std::vector<Object*>& objs = old_.objs;
    if (objs.size() >= rejoin_.end) return;
    // The move takes one entry of the room reserve_scratch reserved for the
    // later phases (move_to_old, append_to_old): reserve it again.
    const std::size_t need = objs.size() + 1 + unreachable_.size();
    if (objs.capacity() < need) {
      try {
        objs.reserve(std::max(need, 2 * objs.capacity()));
      } catch (...) {
        return;  // no memory for the move: it stays where it is
      }
    }
  }
  heap_.untrack(o);
  move_to_old(o);
}

// After handle_weakrefs: generation 2's slots still ascend in walk order
// (Generation::walk_ordered) if the members rejoin_old renumbered were all of
// this collection's survivors, in their order (W6 cyclic: every survivor is a
// weak reference whose callback ran), and nothing else joined generation 2
// or renumbered it meanwhile (a callback's gc::unfreeze(): next_slot is not
// where the moves left it): they all moved by the same distance. Otherwise
// the order is no longer known to be the walk's.
void Collector::note_rejoined() noexcept {
  const Rejoin& r = rejoin_;
  if (r.count == 0) return;
  if (!(r.shift && r.count == survivors_ && old_.next_slot == r.next)) old_.walk_ordered = false;
}

void Collector::begin_rejoin() noexcept {
  Rejoin& r = rejoin_;
  r = Rejoin{};
  r.low = slot_base_;
  r.high = slot_base_ + survivors_;
  r.next = old_.next_slot;  // slot_base_ + survivors_ (promote)
  // A move into old_ holding n entries needs n + 1 + unreachable_.size() <=
  // slot_limit.
  const std::size_t keep = 1 + unreachable_.size();
  r.end = heap_.slot_limit >= keep ? heap_.slot_limit - keep + 1 : 0;
}
// PEP 442: call finalize() on each unreachable object that has one and has
// not been finalized, in list order. FINALIZED is set before the call. The
// object is held during the call; a finalizer may free other unreachable
// objects (they leave tombstones) or resurrect any of them.
void Collector::finalize_garbage() {
  for (std::size_t i = 0; i < unreachable_.size(); ++i) {
    Object* o = unreachable_[i];
    if (o == nullptr) continue;
    std::uint32_t& gc = ObjectAccess::gc(o);
    if (!finalizer_pending(gc)) continue;
    gc |= kFinalized;
    user_code_ran_ = true;
    incref(o);
    try {
      o->finalize();
    } catch (...) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "<finalize of %s at %p>", type_name(*o).c_str(),
                    static_cast<void*>(o));
      write_unraisable(buf);
    }
    decref(o);
  }
}

// Runs the reachability analysis again on the unreachable set alone. Objects a
// finalizer made reachable from outside (and all they reach) go to the older
// generation; the rest stays in unreachable_.
//
// If no user code ran since deduce_unreachable (no finalizer, no weak-reference
// callback, no debug sink), nothing can have changed: no object died (no
// tombstone), no reference was created or moved, so the analysis would find
// exactly the same list in the same order. It is skipped then, and also when
// a cheaper check proves that it would find every object unreachable again
// (unreachable_unchanged: weak-reference callbacks, which cannot reach the
// garbage, and finalizers that resurrected nothing).
void Collector::handle_resurrected_objects() {
  if (!user_code_ran_) return;
  remove_tombstones(unreachable_);
  begin_counting();
  if (unreachable_unchanged()) {
    end_counting();
    return;
  }
  if (old_unlisted_) {
    // move_unreachable_unlisted works in young's buffer and hands it over as
    // the unreachable list: the list itself is the new young (no copy, no
    // room needed).
    young_.clear();
    young_.swap(unreachable_);
  } else {
    young_.swap(reachable_);  // empty since promote, room for n (see promote)
    young_.assign(unreachable_.begin(), unreachable_.end());  // fits: no allocation
    unreachable_.clear();
  }
  std::vector<Object*>& resurrected = reachable_;
  slot_base_ = old_unlisted_ ? old_.next_slot : old_.objs.size();
  deduce_unreachable(young_, resurrected, unreachable_, /*refs_ready=*/false);
  end_counting();
  append_to_old(resurrected);
  resurrected.clear();
}

// Whether the analysis would find every object of unreachable_ (tombstones
// removed) unreachable again, so that it can be skipped. Each object's
// gc_refs would be its refcount minus the references to it from the list;
// none is below 0 (trace() reports only references the object holds), so
// all are 0 -- no root, nothing survives, the list stays as it is, in its
// order -- exactly when the refcounts add up to the references from the
// list into the list. One pass that reads the headers and traces each
// object, instead of update_refs, subtract_refs and move_unreachable (two
// passes that write every header and one that traces). On the way the
// objects that moved down over tombstones get their new index.
bool Collector::unreachable_unchanged() noexcept {
  InternalRefCounter counter;
  std::uint64_t refcounts = 0;
  Object* const* const objs = unreachable_.data();
  const std::size_t n = unreachable_.size();
  std::size_t i = 0;
  try {  // (trace_threw: objs[i] is the object being traced)
    for (; i < n; ++i) {
      prefetch_at(unreachable_, i + kAhead);
      Object* o = objs[i];
      const std::uint32_t rc = ObjectAccess::rc(o);
      if (REFGC_UNLIKELY(rc == 0)) return false;  // the full analysis reports it
      refcounts += rc;
      if (ObjectAccess::index(o) != i)
        ObjectAccess::set_slot(o, kCollecting, static_cast<std::uint32_t>(i));
      o->trace(counter);
    }
  } catch (...) {
    trace_threw(objs[i], "handle_resurrected_objects");
  }
  return refcounts == counter.count;
}

// CPython's delete_garbage: for each object still in the list, take every
// reference out of it (tp_clear) while holding it. Objects that survive that
// (held by something the cascade did not free) go to the older generation.
void Collector::delete_garbage() {
  if (heap_.debug & gc::DEBUG_SAVEALL) {
    for (std::size_t i = 0; i < unreachable_.size(); ++i) {
      Object* o = unreachable_[i];
      if (o == nullptr) continue;
      try {
        heap_.garbage.push_back(Ref<Object>(o));
      } catch (...) {
        write_unraisable("<garbage collection>", "out of memory saving garbage in");
      }
      if (unreachable_[i] == o) {  // still alive: it may die later
        unreachable_[i] = nullptr;
        move_to_old(o);
      }
    }
    unreachable_.clear();
    return;
  }
  const int level = tls.trash_nesting;
  if (REFGC_LIKELY(level < kTrashLimit)) {
    clear_garbage<true>(level);
  } else {
    clear_garbage<false>(level);
  }
}

// delete_garbage's loop (the trashcan level held, or not: Releaser).
template <bool kHeld>
void Collector::clear_garbage(int level) {
  Releaser<kHeld> release(heap_, unreachable_, level);
  ClearTracer<Releaser<kHeld>> tracer(release, taken_);
  // The list keeps its size through the loop (deaths leave tombstones).
  Object** const list = unreachable_.data();
  const std::size_t n = unreachable_.size();
  for (std::size_t i = 0; i < n; ++i) {
    if (i + kAhead < n) prefetch(list[i + kAhead]);  // a null or dead entry is fine: no fault
    Object* o = list[i];
    if (o == nullptr) continue;
    incref(o);
    trace_or_stop(o, tracer, "delete_garbage");
    tracer.drop();
    release(o);
    if (list[i] == o) {  // still alive: it may die later
      list[i] = nullptr;
      move_to_old(o);
    }
  }
  unreachable_.clear();
}

// Generation 0's count, which no one reads while the collection counts
// (only trace() runs), holds a trap: any make<T>() of a type with trace()
// finds it above the threshold and takes the slow path, HeapFast::
// maybe_collect, which refuses it (refuse_allocation). The allocation fast
// path stays as it is. end_counting puts the count back.
void Collector::begin_counting() noexcept {
  counting_ = true;
  saved_count0_ = heap_.gens[0].count;
  heap_.gens[0].count = std::numeric_limits<std::size_t>::max() / 2;
}

void Collector::end_counting() noexcept {
  counting_ = false;
  heap_.gens[0].count = saved_count0_;
}

void Collector::refuse_allocation() {
  throw std::logic_error(
      "refgc::make<T>() called inside trace() while the collector counts references (trace() "
      "must not allocate or call into refgc)");
}

void refuse_while_counting(const HeapImpl& heap, const char* what) {
  if (REFGC_LIKELY(heap.active == nullptr || !heap.active->counting())) return;
  throw std::logic_error(std::string("refgc: a trace() called by the collector while it counts "
                                     "references ") +
                         what + " (trace() must not call into refgc)");
}

void Collector::forget(Object* o, std::uint32_t index) noexcept {
  if (REFGC_UNLIKELY(counting_)) died_while_counting(o);
  REFGC_CHECK(index < unreachable_.size() && unreachable_[index] == o, o,
              "corrupt unreachable list (object not at its index)");
  unreachable_[index] = nullptr;
}

void Collector::debug_print_objects(const char* label, const std::vector<Object*>& list) {
  for (const Object* o : list) {
    if (o == nullptr) continue;
    std::string line = "gc: ";
    line += label;
    line += ' ';
    line += describe(o);
    heap_.debug_line(line);
  }
}

// The expensive tier: every generation vector agrees with its objects'
// headers, and the working lists with theirs.
void Collector::validate() const {
  auto check_gen = [](const Generation& g, std::uint32_t state) {
    std::size_t tombstones = 0;
    for (std::size_t i = 0; i < g.objs.size(); ++i) {
      const Object* o = g.objs[i];
      if (o == nullptr) {
        ++tombstones;
        continue;
      }
      REFGC_CHECK(ObjectAccess::state(o) == state, o, "validator: wrong generation state");
      REFGC_CHECK(ObjectAccess::index(o) == i, o, "validator: wrong generation index");
      REFGC_CHECK(ObjectAccess::rc(o) > 0, o, "validator: tracked object with refcount 0");
    }
    REFGC_CHECK(tombstones == g.tombstones, nullptr, "validator: tombstone count mismatch");
    REFGC_CHECK(g.dead_prefix <= g.tombstones, nullptr, "validator: dead prefix too long");
    for (std::size_t i = 0; i < g.dead_prefix; ++i)
      REFGC_CHECK(g.objs[i] == nullptr, g.objs[i], "validator: live object in the dead prefix");
  };
  for (std::uint32_t i = 0; i < 3; ++i) check_gen(heap_.gens[i], kGen0 + i);
  check_gen(heap_.permanent, kPermanent);
  // merge_walk's encoded list, until move_unreachable_unlisted scans it:
  // every entry decodes to an object of the set (state examined).
  auto check_list = [&](auto tag) {
    using Entry = decltype(tag);
    const EntryCodec<Entry> codec(heap_.pool, heap_.scratch.large);
    std::size_t size = list_size_;
    const EncodedList<Entry> list(list_bytes_, size);
    for (std::size_t i = 0; i < list.size(); ++i) {
      const Object* o = codec.decode(list[i]);
      REFGC_CHECK(ObjectAccess::state(o) == kExamined, o,
                  "validator: an entry of generation 2's rebuilt list is not being examined");
    }
  };
  if (list_width_ == 32) check_list(std::uint32_t{});
  if (list_width_ == 64) check_list(std::uint64_t{});
  // The unlisted generations: distinct virtual slots below next_slot, as
  // many as counted (gather_unlisted stops the program otherwise). Not
  // between deduce_unreachable and promote, while survivors have the older
  // state and are not counted yet.
  REFGC_CHECK(heap_.gens[2].objs.empty() && heap_.permanent.objs.empty(), nullptr,
              "validator: an unlisted generation has a list");
  // (Not while a walk of move_unreachable_unlisted is pending: it needs the
  // chunks' marks as merge_walk left them, and a gather unmarks the chunks
  // whose members are all in the set. Generation 2 is empty then.)
  if (uncounted_ == 0 && !scan_walk_ && validate_walks_) {
    ++heap_.validator_walks;
    try {
      std::vector<Object*> list;
      heap_.gather_unlisted(kGen2, list);
      heap_.gather_unlisted(kPermanent, list);
    } catch (const std::bad_alloc&) {
      // (no memory for the lists: this check is skipped, the collection goes on)
    }
    // Generation::walk_ordered: the walk meets generation 2 in slot order.
    if (heap_.gens[2].walk_ordered) {
      std::uint64_t next = 0;
      heap_.walk_unlisted([&](const Object* o) {
        if (ObjectAccess::state(o) != kGen2) return;
        REFGC_CHECK(ObjectAccess::index(o) >= next, o,
                    "validator: generation 2 not in walk order though marked so");
        next = std::uint64_t{ObjectAccess::index(o)} + 1;
      });
    }
  }
  for (std::size_t i = 0; i < unreachable_.size(); ++i) {
    const Object* o = unreachable_[i];
    if (o == nullptr) continue;
    REFGC_CHECK(ObjectAccess::state(o) == kCollecting, o, "validator: unreachable not collecting");
    REFGC_CHECK(ObjectAccess::index(o) == i, o, "validator: wrong unreachable index");
  }
}

}  // namespace refgc::detail
