// src/dealloc_inline.h: the inline part of the deallocation path (the body
// of refgc::detail::dealloc after the object left its generation), shared by
// src/object.cc and the collector's delete_garbage (src/collect.cc), which
// frees the objects of its unreachable list through it without the call and
// the heap lookup of dealloc(). The cold parts stay in src/object.cc. Order
// and semantics: see the top of src/object.cc.
#pragma once

#include <cstdint>

#include "heap_impl.h"

namespace refgc::detail {

inline constexpr int kTrashLimit = 50;

// The cold parts (src/object.cc).
// finalize() if pending (stops if it resurrected the object), the weak
// references, then destroy().
void dealloc_slow_body(HeapImpl& heap, Object* o) noexcept;
// An object with weak references and no pending finalize(): the weak
// references (clear_weakrefs_on_dealloc, inline there), then destroy()
// (src/weak_core.cc). Not cold: dropping weakly referenced objects (weak
// containers' values, objects watched by callbacks) is a path of its own.
void dealloc_weakly_referenced(HeapImpl& heap, Object* o) noexcept;
// Frees the thread's deferred deallocations (the outermost one finished, or
// a hold that takes its heap ends), each under the heap it was deferred
// under (`heap`, the current one, or one held further out), then the list
// itself: ts.trash is non-null only while some wait.
void drain_trash(HeapImpl& heap, ThreadState& ts) noexcept;
// Too deep: parks the object on the thread's list, with `heap`, the heap it
// dies under (it is freed under it); false if there is no memory to do so
// (the caller frees it now, one level deeper).
bool defer_dealloc(HeapImpl& heap, ThreadState& ts, Object* o) noexcept;
void report_destructor_exception(const Object* o) noexcept;
// An exception from o's `where` ("finalize") to the unraisable hook.
void report_exception(const Object* o, const char* where) noexcept;
// finalize() once (PEP 442): true if it resurrected the object. `heap`: the
// heap to re-track it in for the call, or null to leave it untracked.
bool call_finalizer(HeapImpl* heap, Object* o) noexcept;

// finalize() has not run yet for an object whose type has one.
inline bool finalizer_pending(std::uint32_t gc) noexcept {
  return (gc & (kHasFinalizer | kFinalized)) == kHasFinalizer;
}

// The object needs more than a destructor: a pending finalize() or weak
// references to clear, or it is an orphan (WR is set on every orphan).
inline bool needs_slow_path(std::uint32_t gc) noexcept {
  return finalizer_pending(gc) || (gc & kHasWeakrefs) != 0;
}

// The destructor, then the slot back to its pool; count0 -= 1 for GC types.
inline void destroy(HeapImpl& heap, Object* o, std::uint32_t gc) noexcept {
  try {
    ObjectAccess::destroy(o);
  } catch (...) {
    report_destructor_exception(o);
  }
  // The slot is marked freed (Object::operator delete); the pool keeps small
  // slots mapped, so the mark stays readable.
  heap.pool.free(o, ObjectAccess::freed_size(o));
  if (gc & kIsGc) {
    heap.on_gc_free();
    if (REFGC_UNLIKELY(!heap.leak_checks.empty())) leak_checks_forget(heap, o);
  }
}

inline void dealloc_body(HeapImpl& heap, Object* o) noexcept {
  const std::uint32_t gc = ObjectAccess::gc(o);
  if (REFGC_UNLIKELY(needs_slow_path(gc))) {
    if (finalizer_pending(gc)) {
      dealloc_slow_body(heap, o);
    } else {
      dealloc_weakly_referenced(heap, o);
    }
  } else {
    destroy(heap, o, gc);
  }
}

// dealloc after the object left its generation: the trashcan, then the body.
REFGC_ALWAYS_INLINE void dealloc_untracked(HeapImpl& heap, ThreadState& ts, Object* o) noexcept {
  if (REFGC_UNLIKELY(ts.trash_nesting >= kTrashLimit) && defer_dealloc(heap, ts, o)) return;
  ++ts.trash_nesting;
  dealloc_body(heap, o);
  --ts.trash_nesting;
  if (REFGC_UNLIKELY(ts.trash_nesting == 0 && ts.trash != nullptr && !ts.trash->empty()))
    drain_trash(heap, ts);
}

}  // namespace refgc::detail
