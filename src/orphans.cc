// src/orphans.cc: heaps destroyed while some of their objects were still
// referenced from outside, and the death of those objects (orphans).
// docs/design/memory-model.md, "Orphans".
//
// ~Heap marks each object still alive an orphan: untracked (no collector
// looks at it again), index kOrphanIndex, and the WR bit set, so that its
// refcount death leaves the inline path for dealloc_orphan() whatever heap
// the thread then holds (dealloc_slow_body and dealloc_weakly_referenced
// check the mark first). The dead heap's state -- its pool, which owns the
// orphans' memory, and its weak table, which has their weak references --
// moves to a process-wide list instead of being destroyed. An orphan's heap
// is found by address (Pool::contains: the page map, or the large objects'
// list); the heap is destroyed, giving its chunks back, when its last
// orphan dies.
//
// Threads: the list has a mutex. The orphans of one dead heap, like the
// objects of a live one, are used by one thread at a time (their counts are
// not atomic); orphans of different dead heaps may die on different threads.
#include <memory>
#include <mutex>

#include "dealloc_inline.h"
#include "heap_impl.h"
#include "weak_hooks.h"

namespace refgc::detail {

namespace {

struct Orphanage {
  std::mutex mutex;
  HeapImpl* first =
      nullptr;  // linked through HeapImpl::next_orphaned (orphaned_heap_count of them)
};

Orphanage& orphanage() {
  static Orphanage* o = new Orphanage;  // never destroyed: orphans may die at exit
  return *o;
}

// Gives a dead heap back to the system once its last orphan is gone.
void release_if_empty(HeapImpl& heap) noexcept {
  if (heap.pool.live() != 0) return;
  Orphanage& o = orphanage();
  {
    std::lock_guard<std::mutex> lock(o.mutex);
    for (HeapImpl** p = &o.first; *p != nullptr; p = &(*p)->next_orphaned) {
      if (*p == &heap) {
        *p = heap.next_orphaned;
        orphaned_heap_count.fetch_sub(1, std::memory_order_relaxed);
        break;
      }
    }
  }
  delete &heap;  // ~Pool gives the chunks back (nothing in them is alive)
}

}  // namespace

void orphan_heap(std::unique_ptr<HeapImpl> impl) noexcept {
  HeapImpl& heap = *impl;
  heap.pool.for_each_slot([](void* slot) {
    auto* o = static_cast<Object*>(slot);
    std::uint32_t& gc = ObjectAccess::gc(o);
    if ((gc & kStateMask) == kFreed) return;
    gc = (gc & (kFinalized | kHasFinalizer | kIsGc)) | kHasWeakrefs | kOrphanMark;
  });
  // What only a live heap needs goes now; the pool and the weak table stay.
  for (Generation& g : heap.gens) g = Generation{};
  heap.permanent = Generation{};
  (void)heap.scratch.trim();
  heap.growth_peaks.clear();
  Orphanage& o = orphanage();
  std::lock_guard<std::mutex> lock(o.mutex);
  heap.next_orphaned = o.first;
  o.first = impl.release();
  orphaned_heap_count.fetch_add(1, std::memory_order_relaxed);
}

HeapImpl& orphan_owner(const Object* o) noexcept {
  Orphanage& orphans = orphanage();
  std::lock_guard<std::mutex> lock(orphans.mutex);
  for (HeapImpl* h = orphans.first; h != nullptr; h = h->next_orphaned)
    if (h->pool.contains(o)) return *h;
  fatal_object(o, "an orphan that no destroyed heap holds (corrupt header)");
}

void dealloc_orphan(Object* o) noexcept {
  HeapImpl& owner = orphan_owner(o);
  std::uint32_t& gc = ObjectAccess::gc(o);
  if (finalizer_pending(gc)) {
    // PEP 442 as on the live path (object.cc, call_finalizer), but the
    // orphan stays untracked: no heap's collector may take it.
    gc |= kFinalized;
    ObjectAccess::rc(o) = 1;
    try {
      o->finalize();
    } catch (...) {
      report_exception(o, "finalize");
    }
    std::uint32_t& rc = ObjectAccess::rc(o);
    REFGC_CHECK(rc != 0, o, "refcount underflow inside finalize()");
    if (--rc != 0) return;  // resurrected: still an orphan
  }
  const std::uint32_t flags = gc;
  if (owner.weaklists.find(o) != nullptr) clear_weakrefs_on_dealloc(owner, o);
  // Its own pool's count and free list; the objects its destructor releases
  // go wherever they belong (this path again for other orphans).
  destroy(owner, o, flags);
  release_if_empty(owner);
}

namespace testing {

std::size_t orphaned_heaps() noexcept { return orphaned_heap_count.load(); }

}  // namespace testing

}  // namespace refgc::detail
