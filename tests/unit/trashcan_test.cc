// The trashcan: release cascades never recurse without bound (issue 2 item 5;
// cpython-semantics §1.11 and §4). Every test runs on a thread whose stack is
// 256 KiB, where a recursive release of even 10,000 nodes would overflow.
#include <gtest/gtest.h>
#include <pthread.h>
#include <refgc/refgc.h>

#include <functional>

namespace {

using refgc::make;
using refgc::Ref;

// Runs `body` on a new thread with a `stack_bytes` stack, holding a fresh heap.
void run_on_small_stack(std::size_t stack_bytes, const std::function<void()>& body) {
  struct Ctx {
    const std::function<void()>* body;
  } ctx{&body};
  pthread_attr_t attr;
  ASSERT_EQ(pthread_attr_init(&attr), 0);
  ASSERT_EQ(pthread_attr_setstacksize(&attr, stack_bytes), 0);
  pthread_t thread;
  auto entry = [](void* p) -> void* {
    refgc::Heap heap;
    {
      refgc::Heap::Lock lock(heap);
      (*static_cast<Ctx*>(p)->body)();
    }
    return nullptr;
  };
  ASSERT_EQ(pthread_create(&thread, &attr, entry, &ctx), 0);
  ASSERT_EQ(pthread_join(thread, nullptr), 0);
  pthread_attr_destroy(&attr);
}

struct Link : refgc::Object {
  Ref<Link> next;
  void trace(refgc::Tracer& t) override { t(next); }
};

int finalized_links = 0;
struct FinalLink : refgc::Object {
  Ref<FinalLink> next;
  void trace(refgc::Tracer& t) override { t(next); }
  void finalize() override { ++finalized_links; }
};

constexpr std::size_t kSmallStack = 256 * 1024;

// Sanitizer builds run ten times slower: they use a 1,000,000-long chain,
// which already overflows a 256 KiB stack if released recursively.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr int kLongChain = 1'000'000;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr int kLongChain = 1'000'000;
#else
constexpr int kLongChain = 10'000'000;
#endif
#else
constexpr int kLongChain = 10'000'000;
#endif

TEST(Trashcan, ATenMillionLongChainIsFreedWithConstantStack) {
  // cpython-semantics §4: a 10^7 chain of instances, head deleted: ok.
  std::size_t live_after = 1;
  run_on_small_stack(kSmallStack, [&] {
    refgc::gc::disable();
    Ref<Link> head;
    for (int i = 0; i < kLongChain; ++i) {
      auto n = make<Link>();
      n->next = std::move(head);
      head = std::move(n);
    }
    head.reset();
    live_after = refgc::Heap::current().live_objects();
  });
  EXPECT_EQ(live_after, 0u);
}

TEST(Trashcan, AMillionNestedListsAreFreedWithConstantStack) {
  // cpython-semantics §4: nested lists 10^6 deep (l = [l]).
  std::size_t live_after = 1;
  run_on_small_stack(kSmallStack, [&] {
    refgc::gc::disable();
    using L = refgc::List<refgc::Object>;
    Ref<L> l = make<L>();
    for (int i = 0; i < 1'000'000; ++i) {
      auto outer = make<L>();
      outer->append(std::move(l));
      l = std::move(outer);
    }
    l.reset();
    live_after = refgc::Heap::current().live_objects();
  });
  EXPECT_EQ(live_after, 0u);
}

TEST(Trashcan, AMillionNestedDictsAreFreedWithConstantStack) {
  std::size_t live_after = 1;
  run_on_small_stack(kSmallStack, [&] {
    refgc::gc::disable();
    using D = refgc::Dict<int, refgc::Object>;
    Ref<D> d = make<D>();
    for (int i = 0; i < 1'000'000; ++i) {
      auto outer = make<D>();
      outer->set(0, std::move(d));
      d = std::move(outer);
    }
    d.reset();
    live_after = refgc::Heap::current().live_objects();
  });
  EXPECT_EQ(live_after, 0u);
}

TEST(Trashcan, AChainWithAFinalizerOnEveryNodeFinalizesEachOnce) {
  // cpython-semantics §4: "with __del__ on every node: ok".
  finalized_links = 0;
  std::size_t live_after = 1;
  run_on_small_stack(kSmallStack, [&] {
    refgc::gc::disable();
    Ref<FinalLink> head;
    for (int i = 0; i < 1'000'000; ++i) {
      auto n = make<FinalLink>();
      n->next = std::move(head);
      head = std::move(n);
    }
    head.reset();
    live_after = refgc::Heap::current().live_objects();
  });
  EXPECT_EQ(finalized_links, 1'000'000);
  EXPECT_EQ(live_after, 0u);
}

TEST(Trashcan, ARingOfAMillionIsCollectedWithConstantStack) {
  // cpython-semantics §3 A22 / §4: a ring of 10^6 instances -> collect gives
  // the ring's size, no crash.
  std::size_t collected = 0, live_after = 1;
  run_on_small_stack(kSmallStack, [&] {
    refgc::gc::disable();
    auto first = make<Link>();
    Ref<Link> last = first;
    for (int i = 1; i < 1'000'000; ++i) {
      auto n = make<Link>();
      last->next = n;
      last = std::move(n);
    }
    last->next = first;
    first.reset();
    last.reset();
    collected = refgc::gc::collect();
    live_after = refgc::Heap::current().live_objects();
  });
  EXPECT_EQ(collected, 1'000'000u);
  EXPECT_EQ(live_after, 0u);
}

TEST(Trashcan, CollectingWhileADeepStructureIsReachableDoesNotRecurse) {
  // cpython-semantics §4: gc.collect() with a reachable 10^6-deep nested list.
  std::size_t collected = 1;
  run_on_small_stack(kSmallStack, [&] {
    refgc::gc::disable();
    Ref<Link> head;
    for (int i = 0; i < 1'000'000; ++i) {
      auto n = make<Link>();
      n->next = std::move(head);
      head = std::move(n);
    }
    collected = refgc::gc::collect();
  });
  EXPECT_EQ(collected, 0u);
}

}  // namespace
