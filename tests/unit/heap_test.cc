// Heaps (issue 2 item 6; docs/design/memory-model.md).
#include <gtest/gtest.h>
#include <refgc/refgc.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "../../src/testing_hooks.h"
#include "support/chunk_placement.h"
#include "support/gc_fixture.h"

namespace {

using refgc::make;
using refgc::Ref;

int finalized = 0;
struct Node : refgc::Object {
  Ref<Node> other;
  void trace(refgc::Tracer& t) override { t(other); }
  void finalize() override { ++finalized; }
};

class HeapTest : public refgc_test::GcTest {};

TEST_F(HeapTest, LiveObjectsCountsAllocationsNotYetFreed) {
  refgc::Heap& heap = refgc::Heap::current();
  const std::size_t before = heap.live_objects();
  {
    auto a = make<Node>();
    auto b = make<refgc::Int>(1);
    EXPECT_EQ(heap.live_objects(), before + 2);
  }
  EXPECT_EQ(heap.live_objects(), before);
}

TEST_F(HeapTest, EachHeapHasItsOwnCollectorState) {
  refgc::Heap other;
  std::size_t other_objects = 0;
  std::array<std::size_t, 3> other_count{};
  {
    refgc::Heap::Lock lock(other);
    refgc::gc::disable();
    auto a = make<Node>();
    auto b = make<Node>();
    other_objects = refgc::gc::get_objects().size();
    other_count = refgc::gc::get_count();
    a->other = b;
    b->other = a;
  }  // the cycle stays in `other`
  EXPECT_EQ(other_objects, 2u);
  EXPECT_EQ(other_count[0], 2u);
  EXPECT_TRUE(refgc::gc::get_objects().empty() ||
              refgc::gc::get_objects().size() != other_objects ||
              &refgc::Heap::current() != &other);
  EXPECT_EQ(&refgc::Heap::current(), &refgc::Heap::default_heap());
}

TEST_F(HeapTest, DestroyingAHeapCollectsItsCyclicGarbage) {
  finalized = 0;
  {
    refgc::Heap heap;
    {
      refgc::Heap::Lock lock(heap);
      refgc::gc::disable();
      auto a = make<Node>();
      auto b = make<Node>();
      a->other = b;
      b->other = a;
    }
    EXPECT_EQ(finalized, 0);
    EXPECT_EQ(heap.live_objects(), 2u);
  }
  EXPECT_EQ(finalized, 2);
}

// The final collection of ~Heap is a collection like gc::collect(): a
// finalizer's gc::collect() returns 0 and an automatic collection does not
// start inside it (cpython-semantics: collect() while a collection runs
// returns 0). Found by review, 2026-11-23: it ran a second collection of
// the heap inside the final one, over the same scratch lists; 1 of 20
// finalizers ran and the heap was kept for orphans. Cyclic garbage the
// finalizers make is collected by ~Heap's next round, so nothing stays.
struct Plain : refgc::Object {
  Ref<refgc::Object> other;
  void trace(refgc::Tracer& t) override { t(other); }
};
int nested_collected = 0;
struct CollectingNode : Plain {
  void finalize() override {
    ++finalized;
    for (int i = 0; i < 800; ++i) make<Plain>();  // past threshold 0: would start one
    auto a = make<Plain>();                       // and cyclic garbage for it to find
    auto b = make<Plain>();
    a->other = b;
    b->other = a;
    nested_collected += static_cast<int>(refgc::gc::collect());
  }
};

TEST_F(HeapTest, AFinalizerCollectingDuringTheHeapsFinalCollectionRunsNoNestedCollection) {
  finalized = 0;
  nested_collected = 0;
  const std::size_t kept_before = refgc::detail::testing::orphaned_heaps();
  {
    refgc::Heap heap;
    {
      refgc::Heap::Lock lock(heap);
      for (int i = 0; i < 10; ++i) {
        auto a = make<CollectingNode>();
        auto b = make<CollectingNode>();
        a->other = b;
        b->other = a;
      }
    }
  }
  EXPECT_EQ(finalized, 20);
  EXPECT_EQ(nested_collected, 0);
  EXPECT_EQ(refgc::detail::testing::orphaned_heaps(), kept_before);  // nothing left
}

TEST_F(HeapTest, LockIsReentrantOnTheSameThread) {
  refgc::Heap heap;
  refgc::Heap::Lock outer(heap);
  {
    refgc::Heap::Lock inner(heap);
    auto n = make<Node>();
    EXPECT_EQ(&refgc::Heap::current(), &heap);
  }
  EXPECT_EQ(&refgc::Heap::current(), &heap);
}

TEST_F(HeapTest, LockRestoresThePreviousHeap) {
  refgc::Heap& before = refgc::Heap::current();
  {
    refgc::Heap heap;
    refgc::Heap::Lock lock(heap);
    EXPECT_EQ(&refgc::Heap::current(), &heap);
  }
  EXPECT_EQ(&refgc::Heap::current(), &before);
}

TEST_F(HeapTest, PoolsReuseFreedSlots) {
  refgc::Heap heap;
  refgc::Heap::Lock lock(heap);
  for (int i = 0; i < 100000; ++i) make<Node>();
  const std::size_t reserved = heap.reserved_bytes();
  EXPECT_GT(reserved, 0u);
  for (int i = 0; i < 100000; ++i) make<Node>();
  EXPECT_EQ(heap.reserved_bytes(), reserved);  // nothing new reserved for churn
}

// cpython-semantics §3 I87. python3 3.11.7:
//   id(A()) == id(A())                                    -> True
//   ids = set(); for i in range(5): ids.add(id(A()))      -> len(ids) == 1
//   x = A(); i = id(x); del x; y = A(); id(y) == i        -> True
// In C++ a temporary lives to the end of its full expression, so the first
// case is two statements here (Python frees the first A() before making the
// second). The pool hands out the slot freed last first, as CPython's does.
TEST_F(HeapTest, ANewObjectTakesTheIdOfTheObjectOfItsSizeFreedJustBefore) {
  const std::uintptr_t first = refgc::id(make<Node>());
  const std::uintptr_t second = refgc::id(make<Node>());
  EXPECT_EQ(first, second);

  std::set<std::uintptr_t> ids;
  for (int i = 0; i < 5; ++i) ids.insert(refgc::id(make<Node>()));
  EXPECT_EQ(ids.size(), 1u);

  auto x = make<Node>();
  const std::uintptr_t freed = refgc::id(x);
  x.reset();
  auto y = make<Node>();
  EXPECT_EQ(refgc::id(y), freed);
  auto z = make<Node>();  // while y lives, a new object gets another id
  EXPECT_NE(refgc::id(z), refgc::id(y));
}

// A Python `__slots__` instance: tracked, with 0 or 2 fields.
struct NoSlots : refgc::Object {
  void trace(refgc::Tracer&) override {}
};
struct TwoSlots : refgc::Object {
  Ref<refgc::Object> p, q;
  void trace(refgc::Tracer& t) override { t(p, q); }
};
struct PlainAtom : refgc::Object {};

// cpython-semantics §3 I89. python3 3.11.7: getsizeof(object()) 16;
// a `__slots__ = ()` instance 32; a 2-slot instance 48; a weakref 80
// (its __sizeof__ 64); 1 -> 28; [] -> 56 (its __sizeof__ 40).
// CPython's getsizeof adds the 16-byte GC head to a GC object's __sizeof__;
// refgc keeps the collector's state in the 16-byte header
// (docs/design/memory-model.md), so a tracked object's size is its fields',
// 16 less than CPython's for the same fields.
TEST_F(HeapTest, GetsizeofIsTheHeaderAndTheFieldsWithNoGcHead) {
  EXPECT_EQ(refgc::getsizeof(make<PlainAtom>()), 16u);  // object(): 16
  EXPECT_EQ(refgc::getsizeof(make<NoSlots>()), 16u);    // __slots__ = (): 32 = 16 + GC head
  EXPECT_EQ(refgc::getsizeof(make<TwoSlots>()), 32u);   // 2 slots: 48 = 32 + GC head
  auto target = make<Node>();
  refgc::WeakRef<Node> w(target);
  EXPECT_EQ(refgc::getsizeof(w.object()), 64u);  // a weakref: 80 = 64 + GC head
  // Different layouts: refgc's Int is the header and an int64_t (CPython's 1:
  // a 24-byte header with its size and one 4-byte digit, 28); an empty List
  // is the header, one inline element slot and the size word (CPython's []:
  // header, size, item pointer and capacity, 40, plus the GC head).
  EXPECT_EQ(refgc::getsizeof(make<refgc::Int>(1)), 24u);
  EXPECT_EQ(refgc::getsizeof(make<refgc::List<refgc::Int>>()), 32u);
}

TEST_F(HeapTest, ObjectsLargerThanThePoolClassesWork) {
  struct Big : refgc::Object {
    char payload[4096] = {};
  };
  const std::size_t before = refgc::Heap::current().live_objects();
  auto b = make<Big>();
  b->payload[4095] = 'x';
  EXPECT_EQ(refgc::getsizeof(b), sizeof(Big));
  b.reset();
  EXPECT_EQ(refgc::Heap::current().live_objects(), before);
}

// Size classes step by 8 bytes: a 24-byte object takes a 24-byte slot (a
// chain node with one reference: vtable pointer, header, reference), and a
// type aligned to 16 still gets a 16-aligned address (its size is a
// multiple of 16, so is its class's slot).
TEST_F(HeapTest, SizeClassesStepByEightBytesAndKeepSixteenByteAlignment) {
  struct Link : refgc::Object {
    Ref<Link> next;
    void trace(refgc::Tracer& t) override { t(next); }
  };
  struct alignas(16) Wide : refgc::Object {
    long double value = 1.5L;
  };
  static_assert(sizeof(Link) == 24);
  refgc::Heap heap;  // a fresh pool: no slot reused from an earlier test
  refgc::Heap::Lock lock(heap);
  const std::size_t before = heap.reserved_bytes();
  std::vector<Ref<Link>> links;
  constexpr std::size_t kLinks = 4 * refgc::detail::Pool::kChunkBytes / 24;
  for (std::size_t i = 0; i < kLinks; ++i) links.push_back(make<Link>());
  // Four chunks of 24-byte slots (five with one partly used before), not six
  // of 32-byte ones.
  EXPECT_LE(heap.reserved_bytes() - before, 5 * refgc::detail::Pool::kChunkBytes);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(links[1].get()) -
                reinterpret_cast<std::uintptr_t>(links[0].get()),
            24u);
  for (int i = 0; i < 100; ++i) {
    auto w = make<Wide>();
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(w.get()) % 16, 0u);
    EXPECT_EQ(w->value, 1.5L);
  }
}

// Two chunks whose edges share a page with a gap between them, where the C
// heap may put a large object: an address in the gap is in neither chunk.
// (Named the later chunk once, a large object in the gap got a position
// inside it: a full collection that rebuilt generation 2's list then read
// an object where there was none. Found by Orphans.ManyHeapsDying..., whose
// heaps fragment the C heap.)
TEST_F(HeapTest, AnAddressInTheGapBetweenTwoChunksSharingAPageIsInNeither) {
  using refgc_test::ChunkPlacement;
  constexpr std::size_t kGap = 1024;
  // The first chunk ends 2 KiB past a page boundary, the second starts kGap
  // bytes later, in the same page.
  constexpr std::size_t kFirst = 2048;
  constexpr std::size_t kSecond = kFirst + ChunkPlacement::kChunk + kGap;
  ChunkPlacement placement(3 * ChunkPlacement::kChunk, {kFirst, kSecond});
  refgc::detail::Pool pool;
  // Two size classes: one chunk each, in the order the arena hands them out.
  void* a = pool.allocate(24);
  void* b = pool.allocate(40);
  const std::byte* const first = ChunkPlacement::arena() + kFirst;
  const std::byte* const second = ChunkPlacement::arena() + kSecond;
  ASSERT_EQ(static_cast<std::byte*>(a), first);
  ASSERT_EQ(static_cast<std::byte*>(b), second);
  const std::byte* end_of_first = first + ChunkPlacement::kChunk;
  const auto page = [](const void* p) { return reinterpret_cast<std::uintptr_t>(p) / 4096; };
  ASSERT_EQ(page(end_of_first), page(second));
  const std::byte* in_gap = end_of_first + kGap / 2;
  EXPECT_FALSE(pool.contains(in_gap));
  EXPECT_EQ(pool.mark(in_gap), refgc::detail::Pool::kLargePosition);
  EXPECT_TRUE(pool.contains(end_of_first - 24));  // the first chunk's last slot
  EXPECT_TRUE(pool.contains(second));
  EXPECT_EQ(pool.mark(second), refgc::detail::Pool::kChunkBytes);
  EXPECT_EQ(pool.mark(end_of_first - 24), refgc::detail::Pool::kChunkBytes - 24);
  pool.free(a, 24);
  pool.free(b, 40);
}

}  // namespace
