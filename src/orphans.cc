// src/orphans.cc: heaps destroyed while some of their objects were still
// referenced from outside, and the death of those objects (orphans).
// docs/design/memory-model.md, "Orphans".
//
// ~Heap marks each object still alive an orphan: untracked (no collector
// looks at it again), the orphan bit and the heap's number in its index, and
// the WR bit set, so that its refcount death leaves the inline path for
// dealloc_orphan() whatever heap the thread then holds (dealloc_slow_body
// and dealloc_weakly_referenced check the mark first). The dead heap's state
// -- its pool, which owns the orphans' memory, and its weak table, which has
// their weak references -- stays instead of being destroyed. Every heap has
// a number from birth (so that ~Heap needs no memory to keep one), the index
// of its entry in a process-wide table: an orphan's heap is one lookup away,
// reading nothing of any heap's state. The heap is destroyed, giving its
// chunks back, when its last orphan dies.
//
// Threads: the table has a mutex. The orphans of one dead heap, like the
// objects of a live one, are used by one thread at a time (their counts are
// not atomic); orphans of different dead heaps may die on different threads.
#include <memory>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "dealloc_inline.h"
#include "heap_impl.h"
#include "weak_hooks.h"

namespace refgc::detail {

namespace {

struct HeapTable {
  std::mutex mutex;
  std::vector<HeapImpl*> heaps{nullptr};  // by number; 0 is no heap's
  std::vector<std::uint32_t> free;        // numbers to give again (room for all)
};

HeapTable& table() {
  static HeapTable* t = new HeapTable;  // never destroyed: orphans may die at exit
  return *t;
}

// Gives a dead heap back to the system once its last orphan is gone.
void release_if_empty(HeapImpl& heap) noexcept {
  if (heap.pool.live() != 0) return;
  orphaned_heap_count.fetch_sub(1, std::memory_order_relaxed);
  delete &heap;  // ~HeapImpl gives its number back; ~Pool its chunks
}

}  // namespace

void number_heap(HeapImpl& heap) {
  HeapTable& t = table();
  std::lock_guard<std::mutex> lock(t.mutex);
  if (!t.free.empty()) {
    heap.number = t.free.back();
    t.free.pop_back();
  } else {
    if (t.heaps.size() > kMaxHeapNumber)
      throw std::length_error("refgc: more than 2^24 - 1 heaps alive or kept for their orphans");
    t.free.reserve(t.heaps.size() + 1);  // unnumber_heap must not allocate
    t.heaps.push_back(nullptr);
    heap.number = static_cast<std::uint32_t>(t.heaps.size() - 1);
  }
  t.heaps[heap.number] = &heap;
}

void unnumber_heap(HeapImpl& heap) noexcept {
  if (heap.number == 0) return;
  HeapTable& t = table();
  std::lock_guard<std::mutex> lock(t.mutex);
  t.heaps[heap.number] = nullptr;
  t.free.push_back(heap.number);  // reserved by number_heap
  heap.number = 0;
}

void orphan_heap(std::unique_ptr<HeapImpl> impl) noexcept {
  HeapImpl& heap = *impl;
  const std::uint32_t mark = kOrphanBit | (heap.number << kIndexShift) | kUntracked | kHasWeakrefs;
  heap.pool.for_each_slot([mark](void* slot) {
    auto* o = static_cast<Object*>(slot);
    std::uint32_t& gc = ObjectAccess::gc(o);
    if ((gc & kStateMask) == kFreed) return;
    gc = (gc & (kFinalized | kHasFinalizer | kIsGc)) | mark;
  });
  // What only a live heap needs goes now; the pool and the weak table stay.
  for (Generation& g : heap.gens) g = Generation{};
  heap.permanent = Generation{};
  (void)heap.scratch.trim();
  heap.growth_peaks.clear();
  {
    std::lock_guard<std::mutex> lock(table().mutex);
    heap.orphaned = true;
  }
  orphaned_heap_count.fetch_add(1, std::memory_order_relaxed);
  (void)impl.release();  // the table's entry owns it now
}

HeapImpl& orphan_owner(const Object* o) noexcept {
  const std::uint32_t number = (ObjectAccess::gc(o) >> kIndexShift) & kMaxHeapNumber;
  HeapTable& t = table();
  HeapImpl* heap = nullptr;
  {
    std::lock_guard<std::mutex> lock(t.mutex);
    if (number < t.heaps.size() && t.heaps[number] != nullptr && t.heaps[number]->orphaned)
      heap = t.heaps[number];
  }
  if (heap == nullptr)
    fatal_object(o, "an orphan whose destroyed heap is not kept (corrupt header)");
  return *heap;
}

void dealloc_orphan(Object* o) noexcept {
  HeapImpl& owner = orphan_owner(o);
  // PEP 442 as on the live path, but the orphan stays untracked: no heap's
  // collector may take it. Resurrected, it is still an orphan.
  if (finalizer_pending(ObjectAccess::gc(o)) && call_finalizer(nullptr, o)) return;
  const std::uint32_t flags = ObjectAccess::gc(o);
  clear_orphan_weakrefs(owner, o);  // under the dead heap's table lock
  // Its own pool's count and free list; the objects its destructor releases
  // go wherever they belong (this path again for other orphans).
  destroy(owner, o, flags);
  release_if_empty(owner);
}

namespace testing {

std::size_t orphaned_heaps() noexcept { return orphaned_heap_count.load(); }

}  // namespace testing

}  // namespace refgc::detail
