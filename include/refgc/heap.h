// refgc/heap.h: heaps and threads (CPython's interpreter + GIL model).
//
// Every managed object belongs to a Heap: the heap whose pools it was
// allocated from, whose collector tracks it. A heap is used by one thread at a
// time. A thread uses the heap it holds:
//
//   * The default heap (Heap::default_heap()) is held implicitly by the first
//     thread that uses refgc without holding a heap -- normally main(), like
//     the main thread holding the GIL at start-up.
//   * Heap::Lock lock(heap) waits until no other thread holds `heap`, then
//     makes it this thread's heap until `lock` is destroyed (the previous heap
//     comes back).
//   * Heap::Unlock unlock; releases the heap this thread holds for a scope
//     (Python's Py_BEGIN_ALLOW_THREADS) so that another thread can lock it.
//     Only the current heap: a heap held further out (an outer Heap::Lock
//     of another heap, or the default heap held implicitly before a
//     Heap::Lock) stays held; release it in its own scope.
//   * Heaps locked inside one another stay held together: lock them in one
//     order everywhere (the default heap held implicitly comes first). Two
//     threads locking two heaps in opposite orders stop with a
//     "lock-order inversion" message instead of waiting for each other.
//   * A thread's Heap::Lock and Heap::Unlock scopes nest: each ends on the
//     thread that began it, after every one begun inside it (keep that
//     order when they live in a std::optional or std::unique_ptr). One that
//     ends out of order, or on another thread, stops the program in every
//     build ("a refgc::Heap::Lock of heap 0x... ended out of order").
//
//   std::thread worker([&] {
//     refgc::Heap::Lock lock(refgc::Heap::default_heap());
//     auto n = refgc::make<Node>();      // safe: this thread holds the heap
//   });
//   { refgc::Heap::Unlock unlock; worker.join(); }   // let the worker in
//
// Contract (docs/design/memory-model.md): every operation on an object --
// creating, copying or dropping a Ref, calling gc:: functions -- happens on the
// thread that holds the object's heap. Reference counts are not atomic.
// Objects of two live heaps do not reference each other (like objects of two
// CPython interpreters; orphans, below, may reference any). A collection
// that meets another live heap's object in a generation it collects stops,
// naming the referrer and the object (its header cannot say whose it is, and
// taking it into the set would corrupt the other heap's generation).
// Debug builds (REFGC_DEBUG) stop with a clear message when an allocation,
// a deallocation or a gc:: call comes from a thread that does not hold the
// heap, and when an object dies while the thread holds another heap.
//
// The default heap held implicitly is released when the thread ends, after
// its thread_local objects (thread_local Refs included) are destroyed.
//
// Destroying a Heap (~Heap) runs its atexit finalizers and a final full
// collection. It stops the program, in every build, when a Heap::Lock or
// Heap::Unlock of the heap is still alive (on any thread), when another
// thread holds it or waits in Heap::Lock for it, when a diag::LeakCheck on
// it is open, or when a TtlCache sweeper on it still runs; a Heap::Lock
// begun after the destruction ended uses a destroyed object (not detected). Objects still
// referenced then become orphans: they stay valid and untracked (never collected again), and may be
// used and dropped under any heap (the heap of whatever their death releases: their referents, weak
// references to them made under a live heap), one thread at a time (dropping or reading a weak
// reference to an orphan counts as using the orphan: its target is read before any lock; the
// orphans' dead heap's weak table itself is locked, so threads using different orphans of one dead
// heap may each drop their weak references to them);
// each gives its memory back to its own destroyed heap, which returns its
// chunks to the system when its last orphan dies
// (docs/design/memory-model.md, "Orphans"). Heap() throws std::length_error
// past 2^24 - 1 heaps alive or kept for their orphans at once.
#pragma once

#include <cstddef>
#include <memory>

#include "refgc/object.h"

namespace refgc {

namespace detail {
struct HeapImpl;
struct HeapFast;
}  // namespace detail

class Heap {
 public:
  Heap();
  ~Heap();
  Heap(const Heap&) = delete;
  Heap& operator=(const Heap&) = delete;

  // The process-wide heap. Never destroyed: at process exit it runs a final
  // collection so that pending cyclic garbage is finalized (CPython does the
  // same at interpreter shutdown), and one more after the destructors of
  // namespace-scope objects, for the cycles such globals held until then
  // (their finalizers must not use globals that are already destroyed).
  static Heap& default_heap();

  // The heap this thread holds (acquiring the default heap implicitly if it
  // holds none: if another thread holds the default heap, debug builds stop
  // with a message and release builds wait for it). Inside a Heap::Unlock
  // scope that released this thread's heap it stops the program.
  static Heap& current();

  // Objects allocated from this heap and not yet freed. Like every use of
  // the heap, call it on the thread that holds the heap, or while no thread
  // does: the count is not atomic (reading it while another thread
  // allocates is a data race).
  std::size_t live_objects() const noexcept;
  // Bytes the heap's pools have reserved from the system (same rule).
  std::size_t reserved_bytes() const noexcept;

  class Lock {
   public:
    explicit Lock(Heap& heap);
    ~Lock();
    Lock(const Lock&) = delete;
    Lock& operator=(const Lock&) = delete;

   private:
    Heap& heap_;
    Heap* previous_;
    bool nested_;
    // A Lock that takes the heap frees, before it releases the heap, the
    // deallocations the trashcan deferred on this thread (each under the
    // heap it was deferred under): the trashcan's state when it began.
    detail::TrashState outer_trash_;
  };

  // Releases the heap this thread holds, if any (nothing when it holds
  // none), until the scope ends; the end waits for the heap again.
  class Unlock {
   public:
    Unlock();
    ~Unlock();
    Unlock(const Unlock&) = delete;
    Unlock& operator=(const Unlock&) = delete;

   private:
    Heap* heap_;
    bool was_released_;  // an outer Unlock's mark, restored at the end
  };

  // Internal, not API: the library's access to the heap's state (public
  // because the library's free functions and templates need it).
  detail::HeapImpl& impl() noexcept { return *impl_; }
  detail::HeapFast& fast() noexcept { return *fast_; }

 private:
  std::unique_ptr<detail::HeapImpl> impl_;
  detail::HeapFast* fast_;  // the same object as *impl_, seen as its hot part
};

}  // namespace refgc
