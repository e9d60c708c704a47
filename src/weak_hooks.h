// src/weak_hooks.h: where the weak-reference core plugs into the deallocation
// path and the collector (src/weak_core.cc).
#pragma once

#include <vector>

#include "refgc/object.h"

namespace refgc::detail {

struct HeapImpl;

// Refcount death (CPython's PyObject_ClearWeakRefs): clears every weak
// reference to `o`, then runs the callbacks of those still alive, newest first.
void clear_weakrefs_on_dealloc(HeapImpl& heap, Object* o) noexcept;

// Collector phase handle_weakrefs: clears every weak reference to the objects
// in `unreachable` and runs the callbacks of weak references that are not
// themselves garbage. Returns the number of weak-reference objects freed right
// after their callback ran (CPython adds it to the collected count).
std::size_t handle_weakrefs(HeapImpl& heap, const std::vector<Object*>& unreachable) noexcept;

}  // namespace refgc::detail
