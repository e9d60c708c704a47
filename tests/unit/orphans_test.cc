// Orphans: objects still referenced when their Heap is destroyed
// (docs/design/memory-model.md, "Orphans"). They stay valid; whichever heap
// the thread holds when one dies, its memory goes back to its own (dead)
// heap's pool, its weak references are found in its own heap's table, and
// the dead heap gives its memory back when its last orphan is gone.
//
// Python has no second heap to compare with; what is checked is that nothing
// of the heap the thread holds changes (its live_objects(), the slots it
// hands out) and that the orphan's death keeps CPython's order (finalizer,
// weak references cleared, callbacks, destructor: cpython-semantics §1.7).
#include <gtest/gtest.h>
#include <refgc/refgc.h>

#include <cstdint>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "../../src/testing_hooks.h"
#include "support/gc_fixture.h"

namespace {

using refgc::make;
using refgc::Ref;
using refgc::WeakRef;
namespace testing_hooks = refgc::detail::testing;

std::vector<std::string> events;

struct Node : refgc::Object {
  Ref<Node> next;
  std::string name;
  explicit Node(std::string n = {}) : name(std::move(n)) {}
  ~Node() override {
    if (!name.empty()) events.push_back("destroy " + name);
  }
  void trace(refgc::Tracer& t) override { t(next); }
};

// A Node with a finalizer; `rescue` (if set) resurrects it once.
Ref<refgc::Object> rescued;
struct Finalized : Node {
  using Node::Node;
  bool rescue = false;
  void finalize() override {
    events.push_back("finalize " + name);
    if (rescue) rescued = Ref<refgc::Object>(this);
  }
};

class Orphans : public refgc_test::GcTest {
 protected:
  void SetUp() override {
    GcTest::SetUp();
    events.clear();
    rescued.reset();
    orphaned_before_ = testing_hooks::orphaned_heaps();
  }
  void TearDown() override {
    rescued.reset();
    GcTest::TearDown();
  }
  // Runs `make` with a fresh heap held and destroys that heap: what `make`
  // stored outside it is left as orphans.
  template <class F>
  static void in_a_heap_that_dies(F make) {
    refgc::Heap dying;
    refgc::Heap::Lock lock(dying);
    make();
  }
  std::size_t orphaned_before_ = 0;
};

// An orphan dying while the thread holds another heap: that heap's count of
// live objects stays as it was, and the orphan's slot is never handed out by
// it (it went back to the dead heap's pool, not to this one's free list).
TEST_F(Orphans, AnOrphanDyingUnderAnotherHeapLeavesThatHeapsPoolAlone) {
  Ref<Node> node;
  Ref<refgc::Int> number;  // untracked: the plain deallocation path
  Ref<Node> keeper;        // keeps the dead heap (and its chunks) until the end
  in_a_heap_that_dies([&] {
    node = make<Node>("n");
    number = make<refgc::Int>(12345);
    keeper = make<Node>();
  });
  const void* node_slot = node.get();
  const void* number_slot = number.get();
  EXPECT_EQ(node->name, "n");  // the orphans are still valid
  EXPECT_EQ(number->value(), 12345);

  refgc::Heap other;
  refgc::Heap::Lock lock(other);
  auto mine = make<Node>();
  EXPECT_EQ(other.live_objects(), 1u);
  node.reset();
  number.reset();
  EXPECT_EQ(events, std::vector<std::string>{"destroy n"});
  EXPECT_EQ(other.live_objects(), 1u);
  auto again = make<Node>();
  auto again_number = make<refgc::Int>(1);
  EXPECT_NE(static_cast<const void*>(again.get()), node_slot);
  EXPECT_NE(static_cast<const void*>(again_number.get()), number_slot);
  EXPECT_EQ(other.live_objects(), 3u);
  keeper.reset();
  EXPECT_EQ(other.live_objects(), 3u);
}

// The same under the default heap, the one a thread holds without asking.
TEST_F(Orphans, AnOrphanDyingUnderTheDefaultHeapLeavesItsCountAlone) {
  Ref<Node> node;
  in_a_heap_that_dies([&] { node = make<Node>("n"); });
  refgc::Heap& heap = refgc::Heap::current();
  const std::size_t before = heap.live_objects();
  node.reset();
  EXPECT_EQ(heap.live_objects(), before);
  EXPECT_EQ(events, std::vector<std::string>{"destroy n"});
}

// The dead heap keeps its memory while an orphan lives and gives it back
// (with the rest of its state) when the last one dies.
TEST_F(Orphans, ADeadHeapIsKeptUntilItsLastOrphanDies) {
  Ref<Node> a;
  Ref<Node> b;
  in_a_heap_that_dies([&] {
    a = make<Node>("a");
    b = make<Node>("b");
  });
  EXPECT_EQ(testing_hooks::orphaned_heaps(), orphaned_before_ + 1);
  a.reset();
  EXPECT_EQ(testing_hooks::orphaned_heaps(), orphaned_before_ + 1);
  b.reset();
  EXPECT_EQ(testing_hooks::orphaned_heaps(), orphaned_before_);
  EXPECT_EQ(events, (std::vector<std::string>{"destroy a", "destroy b"}));
}

// A heap that dies with nothing left alive keeps nothing.
TEST_F(Orphans, AHeapThatDiesEmptyLeavesNoOrphanedHeap) {
  in_a_heap_that_dies([] { auto temporary = make<Node>(); });
  EXPECT_EQ(testing_hooks::orphaned_heaps(), orphaned_before_);
}

// cpython-semantics §1.7 on an orphan: its weak references (made while its
// heap lived) are cleared and their callbacks run when it dies under another
// heap; getweakrefcount sees them from any heap.
TEST_F(Orphans, AnOrphansWeakReferencesAreClearedAndCalledBackWhenItDies) {
  Ref<Node> node;
  WeakRef<Node> plain;
  WeakRef<Node> with_callback;
  in_a_heap_that_dies([&] {
    node = make<Node>("n");
    plain = WeakRef<Node>(node);
    with_callback = WeakRef<Node>(node, [](const WeakRef<Node>& w) {
      events.push_back(w.alive() ? "callback (alive)" : "callback");
    });
  });
  refgc::Heap other;
  refgc::Heap::Lock lock(other);
  EXPECT_EQ(refgc::getweakrefcount(node), 2u);
  EXPECT_EQ(plain.lock().get(), node.get());
  node.reset();
  EXPECT_EQ(events, (std::vector<std::string>{"callback", "destroy n"}));
  EXPECT_FALSE(plain.alive());
  EXPECT_FALSE(with_callback.alive());
  EXPECT_EQ(other.live_objects(), 0u);
}

// A weak reference made under another heap to an orphan is linked where the
// orphan's others are: both are counted, and both die with it.
TEST_F(Orphans, AWeakReferenceMadeUnderAnotherHeapToAnOrphanDiesWithIt) {
  Ref<Node> node;
  WeakRef<Node> old_one;
  in_a_heap_that_dies([&] {
    node = make<Node>("n");
    old_one = WeakRef<Node>(node);
  });
  refgc::Heap other;
  refgc::Heap::Lock lock(other);
  int calls = 0;
  WeakRef<Node> new_one(node, [&calls](const WeakRef<Node>&) { ++calls; });
  EXPECT_EQ(refgc::getweakrefcount(node), 2u);
  EXPECT_EQ(refgc::getweakrefs(node).size(), 2u);
  node.reset();
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(old_one.alive());
  EXPECT_FALSE(new_one.alive());
  new_one = WeakRef<Node>();
  EXPECT_EQ(other.live_objects(), 0u);
}

// An orphaned weak reference dying first unlinks itself from its orphaned
// referent's list (in the dead heap's table), which then dies cleanly.
TEST_F(Orphans, AnOrphanedWeakReferenceDyingFirstLeavesItsReferentConsistent) {
  Ref<Node> node;
  WeakRef<Node> weak;
  in_a_heap_that_dies([&] {
    node = make<Node>("n");
    weak = WeakRef<Node>(node, [](const WeakRef<Node>&) { events.push_back("callback"); });
  });
  refgc::Heap other;
  refgc::Heap::Lock lock(other);
  EXPECT_EQ(refgc::getweakrefcount(node), 1u);
  weak = WeakRef<Node>();
  EXPECT_EQ(refgc::getweakrefcount(node), 0u);
  node.reset();
  EXPECT_EQ(events, std::vector<std::string>{"destroy n"});  // no callback: it died first
  EXPECT_EQ(testing_hooks::orphaned_heaps(), orphaned_before_);
}

// A weak reference to an orphan that is cyclic garbage of the heap the
// thread holds: the collector's handle_weakrefs clears it and takes it out
// of the orphan's list (in the dead heap's table) before any finalizer runs,
// with no callback (§1.9: a weak reference that is garbage itself gets
// none). CPython 3.11, the same with an object of the same heap:
//   class H:
//       def __del__(self): print(self.w() is not None)   # prints False
//   h = H(); h.self = h; h.w = weakref.ref(n, cb); del h; gc.collect()
struct Holder : refgc::Object {
  Ref<Holder> self;
  WeakRef<Node> weak;
  void trace(refgc::Tracer& t) override { t(self, weak); }
  void finalize() override {
    events.push_back(weak.alive() ? "finalize: weak alive" : "finalize: weak cleared");
  }
};
TEST_F(Orphans, ACollectedWeakReferenceToAnOrphanLeavesItsListConsistent) {
  Ref<Node> node;
  in_a_heap_that_dies([&] { node = make<Node>("n"); });
  refgc::Heap other;
  refgc::Heap::Lock lock(other);
  {
    auto h = make<Holder>();
    h->self = h;
    h->weak = WeakRef<Node>(node, [](const WeakRef<Node>&) { events.push_back("callback"); });
  }
  EXPECT_EQ(refgc::getweakrefcount(node), 1u);
  EXPECT_EQ(refgc::gc::collect(), 2u);  // the holder and its weak reference
  EXPECT_EQ(refgc::getweakrefcount(node), 0u);
  node.reset();
  EXPECT_EQ(events, (std::vector<std::string>{"finalize: weak cleared", "destroy n"}));
  EXPECT_EQ(other.live_objects(), 0u);
  EXPECT_EQ(testing_hooks::orphaned_heaps(), orphaned_before_);
}

// PEP 442 on an orphan: finalize() runs once, when it dies by refcount under
// another heap; if it resurrects the object, the object stays a valid orphan
// and its next death destroys it without a second finalize().
TEST_F(Orphans, AnOrphansFinalizerRunsOnceAndMayResurrectIt) {
  Ref<Finalized> f;
  in_a_heap_that_dies([&] {
    f = make<Finalized>("f");
    f->rescue = true;
  });
  refgc::Heap other;
  refgc::Heap::Lock lock(other);
  f.reset();
  EXPECT_EQ(events, std::vector<std::string>{"finalize f"});
  ASSERT_TRUE(rescued);
  EXPECT_EQ(static_cast<Finalized&>(*rescued).name, "f");
  EXPECT_FALSE(refgc::gc::is_tracked(rescued));  // still an orphan, not this heap's
  EXPECT_EQ(other.live_objects(), 0u);
  rescued.reset();
  EXPECT_EQ(events, (std::vector<std::string>{"finalize f", "destroy f"}));
  EXPECT_EQ(other.live_objects(), 0u);
  EXPECT_EQ(testing_hooks::orphaned_heaps(), orphaned_before_);
}

// An orphan may be given references to the current heap's objects; its death
// releases them into their own heap as usual.
TEST_F(Orphans, AnOrphanHoldingThisHeapsObjectReleasesItWhenItDies) {
  Ref<Node> node;
  in_a_heap_that_dies([&] { node = make<Node>("orphan"); });
  refgc::Heap other;
  refgc::Heap::Lock lock(other);
  node->next = make<Node>("mine");
  EXPECT_EQ(other.live_objects(), 1u);
  node.reset();
  EXPECT_EQ(events, (std::vector<std::string>{"destroy orphan", "destroy mine"}));
  EXPECT_EQ(other.live_objects(), 0u);
  auto fresh = make<Node>();  // this heap's free list is intact
  EXPECT_EQ(other.live_objects(), 1u);
}

// A long chain of orphans dies through the trashcan (no stack overflow), each
// link back into the dead heap, which then goes.
TEST_F(Orphans, ALongChainOfOrphansDiesWithoutDeepRecursion) {
  Ref<Node> head;
  constexpr int kLength = 200000;
  in_a_heap_that_dies([&] {
    for (int i = 0; i < kLength; ++i) {
      auto n = make<Node>();
      n->next = std::move(head);
      head = std::move(n);
    }
  });
  refgc::Heap other;
  refgc::Heap::Lock lock(other);
  auto mine = make<Node>();
  head.reset();
  EXPECT_EQ(other.live_objects(), 1u);
  EXPECT_EQ(testing_hooks::orphaned_heaps(), orphaned_before_);
}

// A cycle of orphans is never collected (orphans are untracked: no heap's
// collector looks at them), so it keeps its dead heap; breaking it by hand
// frees both and the heap.
TEST_F(Orphans, ACycleOfOrphansIsKeptUntilBrokenByHand) {
  Ref<Node> a;
  in_a_heap_that_dies([&] {
    a = make<Node>("a");
    a->next = make<Node>("b");
    a->next->next = a;
  });
  EXPECT_FALSE(refgc::gc::is_tracked(a));
  refgc::gc::collect();
  EXPECT_TRUE(events.empty());
  a->next->next.reset();
  a.reset();
  EXPECT_EQ(events, (std::vector<std::string>{"destroy a", "destroy b"}));
  EXPECT_EQ(testing_hooks::orphaned_heaps(), orphaned_before_);
}

}  // namespace

// A deallocation deferred by the trashcan (deeper than its limit) is freed
// under the heap it was deferred under: a destructor deep in a chain that
// takes another heap and drops that heap's objects gives them back to it,
// not to the heap whose chain it is. (The trashcan was the thread's, and the
// outermost deallocation freed what it held into its own heap.)
struct DeepLink : refgc::Object {
  Ref<DeepLink> next;
  std::function<void()> on_death;
  ~DeepLink() override {
    if (on_death) on_death();
  }
  void trace(refgc::Tracer& t) override { t(next); }
};
TEST_F(Orphans, ADeferredDeallocationIsFreedUnderTheHeapItWasDeferredUnder) {
  refgc::Heap& home = refgc::Heap::current();
  const std::size_t home_before = home.live_objects();
  refgc::Heap other;
  std::vector<Ref<Node>> theirs;
  {
    refgc::Heap::Lock lock(other);
    for (int i = 0; i < 200; ++i) theirs.push_back(make<Node>());
  }
  Ref<DeepLink> head;
  for (int i = 199; i >= 0; --i) {  // link i dies at depth i + 1
    auto link = make<DeepLink>();
    link->next = std::move(head);
    link->on_death = [&other, &theirs, i] {
      refgc::Heap::Lock lock(other);
      theirs[static_cast<std::size_t>(i)].reset();
    };
    head = std::move(link);
  }
  head.reset();
  EXPECT_EQ(home.live_objects(), home_before);
  EXPECT_EQ(other.live_objects(), 0u);
  refgc::Heap::Lock lock(other);
  auto fresh = make<Node>();  // its free list is its own
  EXPECT_EQ(other.live_objects(), 1u);
}

// ~Heap drops gc::garbage() and gc::callbacks() after its final collection;
// cycles only they kept are collected then, not left as orphans (which no
// collector would ever free, keeping the dead heap for good).
TEST_F(Orphans, CyclesKeptOnlyByGarbageOrCallbacksDieWithTheirHeap) {
  {
    refgc::Heap heap;
    refgc::Heap::Lock lock(heap);
    refgc::gc::set_debug(refgc::gc::DEBUG_SAVEALL);
    auto a = make<Node>("saved a");
    a->next = make<Node>("saved b");
    a->next->next = a;
    a.reset();
    EXPECT_EQ(refgc::gc::collect(), 2u);
    EXPECT_EQ(refgc::gc::garbage().size(), 2u);
  }
  {
    refgc::Heap heap;
    refgc::Heap::Lock lock(heap);
    auto a = make<Node>("captured a");
    a->next = make<Node>("captured b");
    a->next->next = a;
    refgc::gc::callbacks().push_back([a](std::string_view, const refgc::gc::CollectInfo&) {});
  }
  EXPECT_EQ(testing_hooks::orphaned_heaps(), orphaned_before_);
  EXPECT_EQ(events.size(), 4u);
}

// A frozen garbage cycle takes part in its heap's final collection (it is
// finalized and freed) instead of staying as unreachable orphans that keep
// the dead heap for good. (CPython leaves the permanent generation alone at
// shutdown, where the process ends.)
struct FinalizedNode : Node {
  using Node::Node;
  void finalize() override { events.push_back("finalize " + name); }
};
TEST_F(Orphans, AFrozenGarbageCycleIsCollectedWhenItsHeapDies) {
  {
    refgc::Heap heap;
    refgc::Heap::Lock lock(heap);
    auto a = make<FinalizedNode>("frozen a");
    a->next = make<Node>("frozen b");
    a->next->next = a;
    a.reset();
    refgc::gc::freeze();
    EXPECT_EQ(refgc::gc::get_freeze_count(), 2u);
    EXPECT_EQ(refgc::gc::collect(), 0u);  // frozen: not examined
  }
  // (Clearing a, first in the list, drops b's last reference: b goes first.)
  EXPECT_EQ(events, (std::vector<std::string>{"finalize frozen a", "destroy frozen b",
                                              "destroy frozen a"}));
  EXPECT_EQ(testing_hooks::orphaned_heaps(), orphaned_before_);
}

// The same when the collection that frees what the callbacks kept runs a
// finalize() that adds a callback holding a cycle of the dying heap
// (Python: gc.callbacks.append(...) in __del__): dropped and collected too.
struct AddsCallback : refgc::Object {
  Ref<AddsCallback> self;
  void trace(refgc::Tracer& t) override { t(self); }
  void finalize() override {
    Ref<Node> captured = make<Node>("captured by a late callback");
    captured->next = captured;  // a cycle: only a collection frees it
    refgc::gc::callbacks().push_back(
        [captured](std::string_view, const refgc::gc::CollectInfo&) {});
  }
};
TEST_F(Orphans, ACallbackAddedByTheHeapsLastCollectionIsDroppedToo) {
  {
    refgc::Heap heap;
    refgc::Heap::Lock lock(heap);
    auto a = make<AddsCallback>();
    a->self = a;
    refgc::gc::callbacks().push_back([a](std::string_view, const refgc::gc::CollectInfo&) {});
  }
  EXPECT_EQ(testing_hooks::orphaned_heaps(), orphaned_before_);
  EXPECT_EQ(events, std::vector<std::string>{"destroy captured by a late callback"});
}

// A refgc::finalize() made while its heap shuts down (by a finalizer that
// the heap's final collection runs) never runs (Python's
// finalize._shutdown), and holds nothing of the dead heap once its handle is
// gone: the heap is not kept.
struct FinalizesAtShutdown : refgc::Object {
  Ref<FinalizesAtShutdown> self;
  Ref<Node> blob;
  void trace(refgc::Tracer& t) override { t(self, blob); }
  void finalize() override {
    Ref<Node> b = blob;
    (void)refgc::finalize(b, [b] { events.push_back("late finalizer ran"); });
  }
};
TEST_F(Orphans, AFinalizeMadeWhileItsHeapShutsDownNeverRunsAndKeepsNothing) {
  {
    refgc::Heap heap;
    refgc::Heap::Lock lock(heap);
    auto f = make<FinalizesAtShutdown>();
    f->self = f;  // cyclic garbage for the heap's final collection
    f->blob = make<Node>("blob");
  }
  EXPECT_EQ(events, std::vector<std::string>{"destroy blob"});
  EXPECT_EQ(testing_hooks::orphaned_heaps(), orphaned_before_);
}

namespace stress {

// Every Stressed node alive, so that the end of the test can break the
// cycles of orphans (no collector frees them) and count what is left.
std::vector<refgc::Object*> registry;
int finalizer_runs = 0;
int callback_runs = 0;
std::vector<Ref<refgc::Object>> rescued_many;

struct Stressed : refgc::Object {
  Ref<refgc::Object> a;
  Ref<refgc::Object> b;
  WeakRef<refgc::Object> weak;  // made in the same heap as the node
  bool resurrect = false;
  Stressed() { registry.push_back(this); }
  ~Stressed() override { std::erase(registry, static_cast<refgc::Object*>(this)); }
  void trace(refgc::Tracer& t) override { t(a, b, weak); }
  void finalize() override {
    ++finalizer_runs;
    if (resurrect && rescued_many.size() < 64) rescued_many.push_back(Ref<refgc::Object>(this));
  }
};
// Drops the rescued objects; their deaths may rescue others (a finalizer
// runs while the vector is being emptied), so it is moved out first.
void drop_rescued() {
  while (!rescued_many.empty()) {
    std::vector<Ref<refgc::Object>> batch = std::move(rescued_many);
    rescued_many.clear();
    batch.clear();
  }
}

struct Large : Stressed {  // past the pools' size classes: a large object
  char pad[600] = {};
};

}  // namespace stress

// A randomized run (fixed seed) of heaps that die leaving orphans linked to
// the orphans of heaps dead before them, in every generation (young,
// generation 2, frozen), large and small, tracked and untracked, with
// finalizers that resurrect and weak references with callbacks in both
// directions; orphans are dropped under the default heap and under later
// heaps. In the end, with the orphan cycles broken by hand, every object is
// gone and so is every destroyed heap. (ASan checks the memory on the way.)
TEST_F(Orphans, ManyHeapsDyingWithCrossLinkedOrphansGiveEverythingBackInTheEnd) {
  using stress::Large;
  using stress::Stressed;
  // REFGC_STRESS_SEED (a nonzero number) explores other runs.
  const char* const seed_text = std::getenv("REFGC_STRESS_SEED");
  std::uint64_t seed = seed_text != nullptr ? std::strtoull(seed_text, nullptr, 10) : 0;
  if (seed == 0) seed = 0x9e3779b97f4a7c15ULL;
  auto next = [&seed](std::uint64_t n) {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed % n;
  };
  refgc::Heap& home = refgc::Heap::current();
  const std::size_t home_before = home.live_objects();
  std::vector<Ref<refgc::Object>> roots;  // outside every heap
  std::vector<WeakRef<refgc::Object>> home_weaks;
  auto any_root = [&]() -> Ref<refgc::Object> {
    return roots.empty() ? Ref<refgc::Object>() : roots[next(roots.size())];
  };
  for (int round = 0; round < 120; ++round) {
    {
      refgc::Heap heap;
      refgc::Heap::Lock lock(heap);
      if (next(2) == 0) refgc::gc::enable();  // automatic collections now and then
      std::vector<Ref<refgc::Object>> made;
      for (int i = 0; i < 60; ++i) {
        Ref<refgc::Object> o;
        switch (next(4)) {
          case 0:
            o = make<refgc::Int>(static_cast<std::int64_t>(i));
            break;
          case 1: {
            auto l = make<Large>();
            l->a = any_root();
            o = l;
            break;
          }
          default: {
            auto s = make<Stressed>();
            s->a = made.empty() ? any_root() : made[next(made.size())];
            s->b = any_root();
            s->resurrect = next(8) == 0;
            o = s;
          }
        }
        made.push_back(o);
        // Weak references of this heap, to its own objects or to orphans.
        if (auto* s = dynamic_cast<Stressed*>(o.get()); s != nullptr && next(3) == 0) {
          Ref<refgc::Object> target = next(2) == 0 ? made[next(made.size())] : any_root();
          if (target && refgc::detail::is_weakrefable(*target))
            s->weak = WeakRef<refgc::Object>(
                target, [](const WeakRef<refgc::Object>&) { ++stress::callback_runs; });
        }
        if (next(5) == 0) made[next(made.size())] = o;  // cycles
        if (auto* s = dynamic_cast<Stressed*>(made[next(made.size())].get())) s->b = o;
      }
      if (next(3) == 0) refgc::gc::collect();  // survivors to generation 2
      if (next(4) == 0) refgc::gc::freeze();
      for (int k = 0; k < 8; ++k) roots.push_back(made[next(made.size())]);
      if (next(2) == 0 && !roots.empty()) roots.erase(roots.begin() + next(roots.size()));
    }  // the heap dies: what `roots` reaches becomes orphans
    // Under the default heap: drop some orphans, make weak references to some.
    for (int k = 0; k < 4 && !roots.empty(); ++k) roots.erase(roots.begin() + next(roots.size()));
    if (auto r = any_root(); r && refgc::detail::is_weakrefable(*r))
      home_weaks.emplace_back(r, [](const WeakRef<refgc::Object>&) { ++stress::callback_runs; });
    if (next(4) == 0 && !home_weaks.empty()) home_weaks.erase(home_weaks.begin());
    if (next(4) == 0) stress::drop_rescued();
    refgc::gc::collect();
  }
  EXPECT_GT(testing_hooks::orphaned_heaps(), orphaned_before_);  // orphans are left
  EXPECT_GT(stress::finalizer_runs, 0);
  EXPECT_GT(stress::callback_runs, 0);
  // Break every link by hand (orphan cycles), then drop everything.
  roots.clear();
  stress::drop_rescued();
  std::vector<Ref<refgc::Object>> alive;
  for (refgc::Object* o : stress::registry) alive.emplace_back(o);
  for (auto& o : alive) {
    auto& s = static_cast<Stressed&>(*o);
    s.a.reset();
    s.b.reset();
    s.weak = WeakRef<refgc::Object>();
  }
  alive.clear();
  stress::drop_rescued();  // finalizers run by the drops above may rescue
  EXPECT_TRUE(stress::registry.empty());
  for (const auto& w : home_weaks) EXPECT_FALSE(w.alive());
  home_weaks.clear();
  refgc::gc::collect();
  EXPECT_EQ(testing_hooks::orphaned_heaps(), orphaned_before_);
  EXPECT_EQ(home.live_objects(), home_before);
}
