// src/weak_hooks.h: where the weak-reference core plugs into the deallocation
// path and the collector (src/weak_core.cc).
#pragma once

#include <typeinfo>
#include <vector>

#include "refgc/object.h"
#include "refgc/weak_ref.h"

namespace refgc::detail {

struct HeapImpl;

// Whether o is a weak-reference object. Compares the type_info addresses:
// WeakRefObject has a key function (its destructor, in weak_core.cc), so its
// type_info is one object; type_info's operator== may instead compare the
// mangled names with strcmp (GCC without merged names), which was 3% of W6
// cyclic (a check per unreachable object).
inline bool is_weakref_object(const Object* o) noexcept {
  return &typeid(*o) == &typeid(WeakRefObject);
}

// Refcount death (CPython's PyObject_ClearWeakRefs): clears every weak
// reference to `o`, then runs the callbacks of those still alive, newest first.
void clear_weakrefs_on_dealloc(HeapImpl& heap, Object* o) noexcept;
// The same for an orphan dying: its weak references are taken out of its
// dead heap's table under that table's lock (HeapImpl::orphan_weak_mutex),
// then cleared and their callbacks run without it.
void clear_orphan_weakrefs(HeapImpl& owner, Object* o) noexcept;

// Collector phase handle_weakrefs: clears every weak reference to the objects
// in `unreachable` and runs the callbacks of weak references that are not
// themselves garbage; each one its callback left alive then moves to the end
// of the generation the survivors joined (Collector::rejoin_old), as in
// CPython. Returns the number of weak-reference objects freed right after
// their callback ran (CPython adds it to the collected count).
std::size_t handle_weakrefs(HeapImpl& heap, const std::vector<Object*>& unreachable,
                            Collector& collector) noexcept;

}  // namespace refgc::detail
