// src/collect.cc: the collector engine. READ THIS FIRST: Collector::run() is
// the pipeline, one named phase per step, in CPython 3.11's order
// (gc_collect_main in Python/gc.c; docs/design/collector.md).
//
// Data layout. CPython threads every tracked object on a doubly-linked list
// through a 16-byte head before the object. refgc keeps a 16-byte header and
// holds each generation as a vector of object pointers in list order (heap_impl.h).
// During a collection the objects being examined are moved into young_; their
// header state becomes "collecting" and their index a dense id into the
// scratch arrays refs_ (gc_refs) and where_ (position in the tentative
// unreachable list). After the reachability pass the unreachable objects keep
// the "collecting" state and their index becomes their position in
// unreachable_, so that an object dying under a finalizer leaves a tombstone
// (forget()). List order matches CPython's exactly, so finalizers run in the
// same order as in CPython.
#include "collect.h"

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <new>
#include <string>

#include "refgc/tracer.h"
#include "refgc/unraisable.h"
#include "weak_hooks.h"

namespace refgc::detail {

namespace {

constexpr std::uint32_t kNowhere = 0xFFFFFFFFu;

bool in_collection(const Object* o) noexcept { return ObjectAccess::state(o) == kCollecting; }

// subtract_refs' visitor: each reference from inside the set is not a root.
class SubtractTracer final : public Tracer {
 public:
  SubtractTracer(std::vector<std::uint32_t>& refs) : refs_(refs) {}
  Object* current = nullptr;

 private:
  bool visit(Object* r) override {
    if (!in_collection(r)) return false;
    std::uint32_t& n = refs_[ObjectAccess::index(r)];
    if (REFGC_UNLIKELY(n == 0)) {
      std::fprintf(stderr, "refgc: the trace() of <%s at %p> reports it:\n",
                   type_name(*current).c_str(), static_cast<void*>(current));
      fatal_object(r,
                   "trace() reported a reference its object does not hold "
                   "(internal reference count below zero)");
    }
    --n;
    return false;
  }
  std::vector<std::uint32_t>& refs_;
};

// move_unreachable's visitor: everything a reachable object refers to is
// reachable. A referent already in the tentative unreachable list goes back
// to the tail of young (it will be scanned there); one not yet scanned gets
// gc_refs 1 so that the scan keeps it.
class ReachTracer final : public Tracer {
 public:
  ReachTracer(std::vector<Object*>& young, std::vector<Object*>& unreachable,
              std::vector<std::uint32_t>& refs, std::vector<std::uint32_t>& where)
      : young_(young), unreachable_(unreachable), refs_(refs), where_(where) {}

 private:
  bool visit(Object* r) override {
    if (!in_collection(r)) return false;
    const std::uint32_t id = ObjectAccess::index(r);
    if (where_[id] != kNowhere) {
      unreachable_[where_[id]] = nullptr;
      where_[id] = kNowhere;
      young_.push_back(r);  // capacity reserved: cannot throw
      refs_[id] = 1;
    } else if (refs_[id] == 0) {
      refs_[id] = 1;
    }
    return false;
  }
  std::vector<Object*>& young_;
  std::vector<Object*>& unreachable_;
  std::vector<std::uint32_t>& refs_;
  std::vector<std::uint32_t>& where_;
};

// delete_garbage's visitor (CPython's tp_clear): takes every reference out of
// the object; they are dropped after trace() returns.
class ClearTracer final : public Tracer {
 public:
  explicit ClearTracer(std::vector<Object*>& taken) : taken_(taken) {}

 private:
  bool visit(Object*) override { return true; }
  void visit_const(Object*) override {}
  void take(Object* r) noexcept override {
    try {
      taken_.push_back(r);
    } catch (...) {
      decref(r);  // out of memory: drop it now
    }
  }
  std::vector<Object*>& taken_;
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
      old_state_(static_cast<std::uint32_t>(kGen0 + (generation < 2 ? generation + 1 : 2))) {
  heap_.active = this;
  ++heap_.compaction_blocked;
}

Collector::~Collector() {
  heap_.active = nullptr;
  --heap_.compaction_blocked;
  // Only generations with many tombstones are squeezed (O(their size)); a
  // young collection must not touch the old heap.
  for (Generation& g : heap_.gens) heap_.maybe_compact(g);
  heap_.maybe_compact(heap_.permanent);
}

// ---------------------------------------------------------------------------
// The pipeline.
// ---------------------------------------------------------------------------
std::size_t Collector::run() noexcept {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point t0 = Clock::now();
  const bool stats = (heap_.debug & gc::DEBUG_STATS) != 0;
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
  if (generation_ < 2) ++heap_.gens[generation_ + 1].count;
  for (int i = 0; i <= generation_; ++i) heap_.gens[i].count = 0;

  // 2. Scratch space, all of it now, so that no later phase can fail.
  std::size_t n = 0;
  for (int i = 0; i <= generation_; ++i) n += heap_.gens[i].size();
  if (!reserve_scratch(n)) return 0;  // reported; nothing was changed

  // 3. young_ = generation N, then the younger generations appended in order.
  merge_young();
  REFGC_VALIDATE(validate());

  // 4. Split young_ into survivors and the unreachable set.
  deduce_unreachable(young_, reachable_, unreachable_);
  REFGC_VALIDATE(validate());

  // 5. Survivors move to the next generation (generation 2 stays).
  promote(reachable_);
  if (heap_.debug & gc::DEBUG_COLLECTABLE) debug_print_objects("collectable", unreachable_);

  // 6. Weak references to garbage are cleared; callbacks of live weak
  //    references run before any finalizer (handle_weakrefs).
  std::size_t m = handle_weakrefs(heap_, unreachable_);

  // 7. finalize() once for every unreachable object (PEP 442).
  finalize_garbage();

  // 8. Finalizers may have resurrected objects: whatever is reachable again
  //    from outside the set survives, and is never finalized again.
  handle_resurrected_objects();
  REFGC_VALIDATE(validate());

  // 9. Break the remaining cycles with the clearing tracer; refcounting frees
  //    the rest. DEBUG_SAVEALL keeps them in gc::garbage() instead.
  m += unreachable_.size();
  delete_garbage();

  // 10. Statistics, debug output, result.
  if (stats) {
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

bool Collector::reserve_scratch(std::size_t n) noexcept {
  try {
    young_.reserve(2 * n);  // objects moved back from unreachable are re-appended
    unreachable_.reserve(n);
    refs_.reserve(n);
    where_.reserve(n);
    old_.objs.reserve(old_.objs.size() + n);
    taken_.reserve(64);
    return true;
  } catch (const std::bad_alloc&) {
    write_unraisable("<garbage collection>", "Out of memory: collection skipped in");
    return false;
  }
}

// Postcondition: young_ holds the objects of generation N followed by those of
// generations 0..N-1, tombstones removed; those generations are empty.
void Collector::merge_young() {
  auto append = [&](Generation& g) {
    for (Object* o : g.objs)
      if (o != nullptr) young_.push_back(o);
    g.objs.clear();
    g.tombstones = 0;
  };
  append(heap_.gens[generation_]);
  for (int i = 0; i < generation_; ++i) append(heap_.gens[i]);
}

// CPython's deduce_unreachable. Postcondition: `reachable` holds the objects
// of `young` referenced from outside the set or reachable from such an
// object, in state kReached; `unreachable` holds the rest, in state
// kCollecting with index = position in `unreachable`. `young` is consumed.
void Collector::deduce_unreachable(std::vector<Object*>& young, std::vector<Object*>& reachable,
                                   std::vector<Object*>& unreachable) {
  update_refs(young);
  subtract_refs(young);
  move_unreachable(young, reachable, unreachable);
  young.clear();
}

// Postcondition: every object of `young` is in state kCollecting with index i
// (its dense id) and refs_[i] == its refcount.
void Collector::update_refs(const std::vector<Object*>& young) {
  refs_.resize(young.size());
  for (std::size_t i = 0; i < young.size(); ++i) {
    Object* o = young[i];
    const std::uint32_t rc = ObjectAccess::rc(o);
    REFGC_CHECK(rc != 0, o, "tracked object with refcount 0 found by the collector");
    ObjectAccess::set_slot(o, kCollecting, static_cast<std::uint32_t>(i));
    refs_[i] = rc;
  }
}

// Postcondition: refs_[i] == the number of references to young[i] from
// outside the set (references from inside are subtracted).
void Collector::subtract_refs(const std::vector<Object*>& young) {
  SubtractTracer tracer(refs_);
  for (Object* o : young) {
    tracer.current = o;
    o->trace(tracer);
  }
}

// CPython's move_unreachable, on vectors. Walks young front to back; young
// grows at the tail when a tentatively unreachable object turns out reachable.
// Survivors are compacted in place at the front of young (no second array):
// position `out` never passes the scan position i.
// Invariant: young[0, out) are the scanned reachable objects (kReached) in
// order; every other object before position i is tentatively in
// `unreachable` (where_ set). At the end young's buffer becomes `reachable`.
void Collector::move_unreachable(std::vector<Object*>& young, std::vector<Object*>& reachable,
                                 std::vector<Object*>& unreachable) {
  where_.assign(young.size(), kNowhere);
  unreachable.clear();
  ReachTracer tracer(young, unreachable, refs_, where_);
  std::size_t out = 0;
  for (std::size_t i = 0; i < young.size(); ++i) {
    Object* o = young[i];
    const std::uint32_t id = ObjectAccess::index(o);
    if (refs_[id] > 0) {
      o->trace(tracer);  // may append to young's tail (capacity reserved)
      ObjectAccess::set_state(o, kReached);
      young[out++] = o;
    } else {
      where_[id] = static_cast<std::uint32_t>(unreachable.size());
      unreachable.push_back(o);
    }
  }
  young.resize(out);
  reachable.clear();
  reachable.swap(young);  // young now holds reachable's (empty) buffer
  remove_tombstones(unreachable);
  for (std::size_t i = 0; i < unreachable.size(); ++i)
    ObjectAccess::set_slot(unreachable[i], kCollecting, static_cast<std::uint32_t>(i));
}

// Survivors join the older generation, keeping CPython's long-lived counts.
void Collector::promote(std::vector<Object*>& survivors) {
  if (generation_ == 1) heap_.long_lived_pending += survivors.size();
  for (Object* o : survivors) move_to_old(o);
  if (generation_ == 2) {
    heap_.long_lived_pending = 0;
    heap_.long_lived_total = survivors.size();
  }
  survivors.clear();
}

void Collector::move_to_old(Object* o) {
  old_.objs.push_back(o);  // capacity reserved in reserve_scratch
  ObjectAccess::set_slot(o, old_state_, static_cast<std::uint32_t>(old_.objs.size() - 1));
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
    if ((gc & (kHasFinalizer | kFinalized)) != kHasFinalizer) continue;
    gc |= kFinalized;
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
void Collector::handle_resurrected_objects() {
  remove_tombstones(unreachable_);
  young_.swap(reachable_);  // the 2n buffer (empty since promote) back into young_
  young_.assign(unreachable_.begin(), unreachable_.end());  // fits: no allocation
  unreachable_.clear();
  std::vector<Object*>& resurrected = reachable_;
  deduce_unreachable(young_, resurrected, unreachable_);
  for (Object* o : resurrected) move_to_old(o);
  resurrected.clear();
}

// CPython's delete_garbage: for each object still in the list, take every
// reference out of it (tp_clear) while holding it. Objects that survive that
// (held by something the cascade did not free) go to the older generation.
void Collector::delete_garbage() {
  const bool save_all = (heap_.debug & gc::DEBUG_SAVEALL) != 0;
  for (std::size_t i = 0; i < unreachable_.size(); ++i) {
    Object* o = unreachable_[i];
    if (o == nullptr) continue;
    if (save_all) {
      try {
        heap_.garbage.push_back(Ref<Object>(o));
      } catch (...) {
        write_unraisable("<garbage collection>", "out of memory saving garbage in");
      }
    } else {
      incref(o);
      {
        ClearTracer tracer(taken_);
        o->trace(tracer);
      }
      std::vector<Object*> drop;
      drop.swap(taken_);
      for (Object* r : drop) decref(r);
      drop.clear();
      if (taken_.empty()) taken_.swap(drop);  // keep the capacity
      decref(o);
    }
    if (unreachable_[i] == o) {  // still alive: it may die later
      unreachable_[i] = nullptr;
      move_to_old(o);
    }
  }
  unreachable_.clear();
}

void Collector::forget(Object* o, std::uint32_t index) noexcept {
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
  };
  for (std::uint32_t i = 0; i < 3; ++i) check_gen(heap_.gens[i], kGen0 + i);
  check_gen(heap_.permanent, kPermanent);
  for (std::size_t i = 0; i < unreachable_.size(); ++i) {
    const Object* o = unreachable_[i];
    if (o == nullptr) continue;
    REFGC_CHECK(ObjectAccess::state(o) == kCollecting, o, "validator: unreachable not collecting");
    REFGC_CHECK(ObjectAccess::index(o) == i, o, "validator: wrong unreachable index");
  }
}

}  // namespace refgc::detail
