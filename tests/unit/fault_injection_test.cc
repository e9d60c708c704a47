// Out of memory at every allocation of a collection, of make<T>() and of weak
// reference creation: the operation fails with std::bad_alloc or is skipped,
// and the heap stays consistent (issue 3 item 5: "running out of memory during
// a collection leaves the heap consistent"). This binary replaces the global
// operator new so that the k-th allocation fails.
#include <gtest/gtest.h>
#include <refgc/refgc.h>

#include <cstdlib>
#include <new>
#include <string>
#include <vector>

namespace {
long g_fail_after = -1;  // the allocation that fails: 0 = the next one; -1 = none
bool g_failed = false;
}  // namespace

void* operator new(std::size_t n) {
  if (g_fail_after >= 0 && g_fail_after-- == 0) {
    g_failed = true;
    throw std::bad_alloc();
  }
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

using refgc::make;
using refgc::Ref;

int g_finalized = 0;
struct Node : refgc::Object {
  Ref<Node> next;
  std::vector<Ref<Node>> kids;
  void trace(refgc::Tracer& t) override { t(next, kids); }
  void finalize() override { ++g_finalized; }
};

struct NoFaults {
  ~NoFaults() { g_fail_after = -1; }
};

// Builds `pairs` two-object garbage cycles and a live chain of `live` nodes.
Ref<Node> build(int pairs, int live) {
  for (int i = 0; i < pairs; ++i) {
    auto a = make<Node>(), b = make<Node>();
    a->next = b;
    b->next = a;
    a->kids.push_back(make<Node>());  // hangs off the garbage
  }
  Ref<Node> head;
  for (int i = 0; i < live; ++i) {
    auto n = make<Node>();
    n->next = std::move(head);
    head = std::move(n);
  }
  return head;
}

TEST(FaultInjection, AFailedAllocationAnywhereInACollectionLeavesTheHeapConsistent) {
  std::vector<std::string> reported;
  auto old = refgc::set_unraisable_hook(
      [&](const refgc::Unraisable& u) { reported.push_back(u.err_msg + " " + u.type_name()); });
  refgc::Heap heap;
  refgc::Heap::Lock lock(heap);
  refgc::gc::disable();
  int injected = 0;
  for (long k = 0; k < 40; ++k) {
    NoFaults restore;
    g_finalized = 0;
    Ref<Node> live = build(20, 30);
    const std::size_t before = heap.live_objects();
    g_failed = false;
    g_fail_after = k;
    const std::size_t n = refgc::gc::collect();  // never throws
    g_fail_after = -1;
    injected += g_failed ? 1 : 0;
    // Whatever the fault skipped, a second collection finishes the job.
    const std::size_t m = refgc::gc::collect();
    EXPECT_EQ(n + m, 60u) << "fault at allocation " << k;
    EXPECT_EQ(g_finalized, 60) << "fault at allocation " << k;
    EXPECT_EQ(heap.live_objects(), before - 60) << "fault at allocation " << k;
    std::size_t chain = 0;
    for (Ref<Node> p = live; p; p = p->next) ++chain;
    EXPECT_EQ(chain, 30u);
    live.reset();
    EXPECT_EQ(heap.live_objects(), 0u);
  }
  EXPECT_GT(injected, 0);  // the faults really hit the collector
  ASSERT_FALSE(reported.empty());
  EXPECT_EQ(reported[0], "Out of memory: collection skipped in std::bad_alloc");
  refgc::set_unraisable_hook(std::move(old));
}

TEST(FaultInjection, AFailedAllocationInMakeThrowsAndLeavesCountsAlone) {
  refgc::Heap heap;
  refgc::Heap::Lock lock(heap);
  refgc::gc::disable();
  Ref<Node> keep = build(0, 10);
  for (long k = 0; k < 6; ++k) {
    NoFaults restore;
    const auto count = refgc::gc::get_count();
    const std::size_t live = heap.live_objects();
    g_failed = false;
    g_fail_after = k;
    try {
      auto n = make<Node>();
      n->kids.resize(4);  // the vector allocates through operator new
      g_fail_after = -1;
      n->kids.clear();
    } catch (const std::bad_alloc&) {
    }
    g_fail_after = -1;
    EXPECT_EQ(refgc::gc::get_count(), count) << "fault at allocation " << k;
    EXPECT_EQ(heap.live_objects(), live) << "fault at allocation " << k;
  }
  keep.reset();
  EXPECT_EQ(heap.live_objects(), 0u);
}

TEST(FaultInjection, AFailedAllocationWhileCreatingWeakReferencesLosesNothing) {
  refgc::Heap heap;
  refgc::Heap::Lock lock(heap);
  refgc::gc::disable();
  for (long k = 0; k < 12; ++k) {
    NoFaults restore;
    int calls = 0;
    auto target = make<Node>();
    std::vector<refgc::WeakRef<Node>> refs;
    refs.reserve(8);
    refgc::WeakValueDictionary<int, Node> cache;
    g_fail_after = k;
    try {
      for (int i = 0; i < 4; ++i)
        refs.emplace_back(target, [&calls](const refgc::WeakRef<Node>&) { ++calls; });
      cache.set(1, target);
    } catch (const std::bad_alloc&) {
    }
    g_fail_after = -1;
    const std::size_t made = refs.size();
    EXPECT_EQ(refgc::getweakrefcount(target), made + (cache.contains(1) ? 1 : 0)) << k;
    target.reset();  // every weak reference that exists dies and calls back
    EXPECT_EQ(static_cast<std::size_t>(calls), made) << k;
    EXPECT_FALSE(cache.contains(1));
    for (auto& w : refs) EXPECT_FALSE(w.alive());
  }
  EXPECT_EQ(heap.live_objects(), 0u);
}

}  // namespace
