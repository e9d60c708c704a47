// src/testing_hooks.h: seams for tests that cannot reach a limit for real.
// Not installed; only tests/ includes it.
#pragma once

#include <chrono>
#include <cstddef>

namespace refgc {
class Heap;
}

namespace refgc::detail::testing {

// Lowers (or restores, with 0) the most entries a collection may leave in
// the generation its survivors join (HeapImpl::slot_limit; by default the
// 25-bit header index's 2^25 - 1), so that a test with a few thousand
// objects meets the check a heap of 33 million would.
void set_slot_limit(Heap& heap, std::size_t limit) noexcept;

// Replaces (or restores, with nulls) where every pool takes its 256 KiB
// chunks from and gives them back to (by default std::malloc and
// std::free), so that a test can place chunks where glibc may or may not:
// back to back, sharing the page at their edge. Process-wide: set it before
// making the heap that will use it, restore it after that heap is gone.
void set_chunk_source(void* (*allocate)(std::size_t), void (*release)(void*)) noexcept;

// Makes a full collection that rebuilds generation 2's list (its slots out
// of heap-walk order) use the 8-byte entries it otherwise takes only past
// 16 GiB of pool chunks (or 2^31 large objects), or restores the default.
void force_wide_list(Heap& heap, bool wide) noexcept;

// Whether a thread other than the caller becomes the holder of `heap`
// (Heap::Lock) within `within`, polled: lets a test see a thread that takes
// a heap it has no business holding (an abandoned TtlCache sweeper).
bool held_by_another_thread(Heap& heap, std::chrono::milliseconds within) noexcept;

// The room (vector capacity, in entries) of generation `g`'s list (0 or 1).
std::size_t generation_room(Heap& heap, int g) noexcept;

// How many entries generation `g` uses: its vector's size (tombstones
// included) for 0 and 1, its next virtual slot (gaps included) for 2. At
// most the index limit (set_slot_limit) after every collection.
std::size_t generation_entries(Heap& heap, int g) noexcept;

// Whether generation 2's slots still ascend in heap-walk order
// (Generation::walk_ordered): its full collections then rebuild no list.
bool walk_ordered(Heap& heap) noexcept;

// How many times the collector's validator walked `heap` to check
// generation 2 and the permanent generation (debug builds; always 0 in
// release builds, which do not validate).
std::size_t validator_walks(Heap& heap) noexcept;

// The state of the 25% long-lived rule (CPython's long_lived_total and
// long_lived_pending), for the differential tests to compare with CPython's
// after every operation.
struct LongLived {
  std::size_t total = 0;
  std::size_t pending = 0;
};
LongLived long_lived(Heap& heap) noexcept;

// How many finalizers (refgc::finalize) the process-wide registry holds:
// the ones that may still run.
std::size_t registered_finalizers() noexcept;

// How many destroyed heaps are kept for their orphans (objects still
// referenced when their heap was destroyed; src/orphans.cc).
std::size_t orphaned_heaps() noexcept;

// Whether the calling thread holds `heap` (its owner is this thread).
bool held_by_this_thread(Heap& heap) noexcept;

// How many threads wait in Heap::Lock for `heap` (blocked on its mutex).
std::size_t threads_waiting_to_lock(Heap& heap) noexcept;

}  // namespace refgc::detail::testing
