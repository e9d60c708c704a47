// refgc/gc.h: Python's gc module, acting on the current heap.
//
//   refgc::gc::disable();                      // no automatic collections
//   auto a = refgc::make<Node>(), b = refgc::make<Node>();
//   a->other = b; b->other = a;                // a cycle
//   a.reset(); b.reset();                      // unreachable, counts 1 and 1
//   std::size_t n = refgc::gc::collect();      // 2, like CPython 3.11
//
// Semantics are CPython 3.11's (docs/design/collector.md): three generations,
// thresholds (700, 10, 10) compared with a strict `>`, the 25% long-lived rule
// before a full collection, weak references cleared and their callbacks run
// before finalizers, finalizers run once, resurrected objects survive, and
// collect() returns the number of unreachable objects found.
#pragma once

#include <array>
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <string_view>
#include <vector>

#include "refgc/ref.h"

namespace refgc::gc {

inline constexpr int DEBUG_STATS = 1;
inline constexpr int DEBUG_COLLECTABLE = 2;
inline constexpr int DEBUG_UNCOLLECTABLE = 4;
inline constexpr int DEBUG_SAVEALL = 32;
inline constexpr int DEBUG_LEAK = DEBUG_COLLECTABLE | DEBUG_UNCOLLECTABLE | DEBUG_SAVEALL;

// Collects generations 0..generation and returns the number of unreachable
// objects found (CPython's n + m), which counts, as CPython 3.11's
// handle_weakrefs does, the weak references that were not garbage but died
// right after their callback ran: a weak container of a live owner that
// loses a garbage member frees that member's weak reference, so the result
// is one more than DEBUG_COLLECTABLE lists
// (WeakRefTest.CollectCountsWeakRefObjectsFreedRightAfterTheirCallback).
// Runs even when automatic collection is
// disabled; returns 0 at once when called while a collection is running (from
// a finalizer, weak callback or gc callback). Throws std::invalid_argument
// ("invalid generation") unless 0 <= generation <= 2.
std::size_t collect(int generation = 2);

// Automatic collection on (the default) or off; collect() works either way.
void enable();
void disable();
bool isenabled();

// (threshold0, threshold1, threshold2); default (700, 10, 10).
std::array<int, 3> get_threshold();
// Omitted thresholds are unchanged; threshold0 == 0 disables automatic
// collection. Negative values throw std::invalid_argument.
void set_threshold(int threshold0);
void set_threshold(int threshold0, int threshold1);
void set_threshold(int threshold0, int threshold1, int threshold2);

// (count0, count1, count2): tracked allocations minus deallocations since the
// last collection; collections of generation 0 since the last collection of
// generation 1; collections of generation 1 since the last full collection.
std::array<std::size_t, 3> get_count();

// Tracked objects in generations 0-2 (frozen objects excluded), oldest
// position first within a generation. Generation -1 is every generation, as
// CPython 3.11's gc.get_objects(-1) is gc.get_objects(None); any other
// generation outside 0..2 throws std::invalid_argument.
std::vector<Ref<Object>> get_objects();
std::vector<Ref<Object>> get_objects(int generation);

// Tracked (non-frozen) objects whose trace() reports any of `objs`.
std::vector<Ref<Object>> get_referrers(std::initializer_list<const Object*> objs);
template <class... T>
std::vector<Ref<Object>> get_referrers(const Ref<T>&... objs) {
  return get_referrers({static_cast<const Object*>(objs.get())...});
}

// Everything each argument's trace() reports, in trace order.
std::vector<Ref<Object>> get_referents(std::initializer_list<const Object*> objs);
template <class... T>
std::vector<Ref<Object>> get_referents(const Ref<T>&... objs) {
  return get_referents({static_cast<const Object*>(objs.get())...});
}

// Tracked by the collector (frozen objects included).
bool is_tracked(const Object& obj) noexcept;
template <class T>
bool is_tracked(const Ref<T>& r) noexcept {
  return r && is_tracked(static_cast<const Object&>(*r));
}
// finalize() has already run for this object. Inside finalize() itself, as in
// CPython 3.11: false when the object dies by refcount (set once the call
// returns), true when the collector calls it (set before the call).
bool is_finalized(const Object& obj) noexcept;
template <class T>
bool is_finalized(const Ref<T>& r) noexcept {
  return r && is_finalized(static_cast<const Object&>(*r));
}

struct GenerationStats {
  std::size_t collections = 0;
  std::size_t collected = 0;
  std::size_t uncollectable = 0;
};
// Per generation since the heap was made: collections run, objects
// collected, uncollectable objects found (CPython's gc.get_stats()).
std::array<GenerationStats, 3> get_stats();

// Moves every tracked object into the permanent generation (never collected,
// invisible to get_objects and get_referrers) and zeroes the counts. Throws
// std::length_error, changing nothing, if the permanent generation would
// pass 2^25 objects (the header's index).
void freeze();
// Moves the permanent generation back into generation 2. Throws
// std::length_error, changing nothing, if generation 2 would pass 2^25
// objects (counting, when a finalizer or weak-reference callback calls it
// during a collection whose survivors join generation 2, the objects that
// collection may still move there and, as it cannot renumber then, the
// slots of members that died since generation 2 was last renumbered).
void unfreeze();
std::size_t get_freeze_count();

// gc.garbage: objects saved by DEBUG_SAVEALL (and uncollectable ones).
// Mutate it; the collector appends to it.
std::vector<Ref<Object>>& garbage();

struct CollectInfo {
  int generation = 0;
  std::size_t collected = 0;
  std::size_t uncollectable = 0;
};
using Callback = std::function<void(std::string_view phase, const CollectInfo& info)>;
// gc.callbacks: called with "start" before and "stop" after every collection,
// automatic ones included. Exceptions go to the unraisable hook. A callback
// may change the vector: as in CPython, each phase walks it by index to its
// current end, so a callback appended during a phase runs in it, and one that
// removes itself (or an earlier one) makes the next one miss that phase.
// Each callback is called itself, not a copy, so state it keeps (a mutable
// lambda's captures) lasts from one call to the next. While it runs, its
// entry holds a stand-in that calls it (so the entry's target<T>() is not
// the callback's type then): calling the entry, or a copy of it taken
// meanwhile, calls the running callback itself. Once the call returns, each
// entry in the vector holding the stand-in holds the callback again (a copy
// of it, if there are several); a copy kept elsewhere stays a stand-in that
// shares the callback. Without the memory for the stand-in, the callback is
// not called (an unraisable std::bad_alloc).
// At process exit (the default heap's collections after main returns:
// refgc/heap.h) they run in the first collection only, and only if automatic
// collection is enabled, as CPython's shutdown runs one collection with
// gc.callbacks when gc is enabled and its later ones without; so a callback
// that captures main's locals by reference must be removed before main
// returns. The DEBUG_* output is printed by every exit collection.
std::vector<Callback>& callbacks();

// gc.set_debug(flags) / gc.get_debug(): the DEBUG_* bits above. Output
// goes to the debug sink (set_debug_sink below); DEBUG_SAVEALL keeps
// collected objects in garbage() instead of freeing them.
void set_debug(int flags);
int get_debug();
// Where DEBUG_* messages go, one line per call without the newline. The
// default writes to stderr; an empty sink restores it. Returns the previous
// sink, always callable (the default too), so that a new sink can pass lines
// on to it. The sink runs inside collections: an exception it throws goes to
// the unraisable hook (object "<gc debug sink>"), that line is lost, and the
// collection goes on. It is one sink for the whole process, shared by every
// heap: heaps collecting on several threads at once call it concurrently, so
// it must be thread-safe when more than one heap collects with DEBUG_*.
// Each line goes to the installed sink itself, not a copy, so that state it
// keeps (a mutable lambda's captures) lasts from one line to the next; the
// sink returned is the previous one itself, or, while a call of it still
// runs (the sink replacing itself, or a line on another thread), a sink that
// calls it.
using DebugSink = std::function<void(std::string_view line)>;
DebugSink set_debug_sink(DebugSink sink);

}  // namespace refgc::gc
