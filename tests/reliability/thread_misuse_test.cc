// Thread misuse (issue 7 item 6): every refgc entry point, used from a thread
// that does not hold the heap, stops the program in debug builds
// (REFGC_DEBUG=1) with a message naming the operation. Built only in debug
// builds (tests/reliability/CMakeLists.txt); release builds compile the checks
// out.
//
// The scenario of every test: the main thread holds the default heap (it made
// an object), and an intruder thread that holds no heap touches refgc. Like
// CPython calling the C API without the GIL (Python/pystate.c's
// _Py_EnsureTstateNotNULL: "the function must be called with the GIL held"),
// the debug build stops instead of racing on the reference counts.
//
// How each entry point is checked (docs/design/memory-model.md, "Heaps and
// threads"):
//   * make<T>(), gc::*, WeakRef creation, getweakrefcount/getweakrefs,
//     finalize(), Heap::current(): they use the current heap, and a thread
//     holding none takes the default heap implicitly -- or stops in debug
//     builds when another thread holds it.
//   * Ref copy/assignment/reset/destruction (incref/decref), WeakRef call and
//     alive(), every weak-container operation, gc::is_tracked/is_finalized:
//     debug builds check that the thread holds a heap (REFGC_DEBUG_REQUIRE_HEAP,
//     one thread-local load) and otherwise take the same path.
//   * Inside a Heap::Unlock scope every entry point stops (always on for those
//     that use the current heap).
#include <gtest/gtest.h>
#include <refgc/refgc.h>

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#if REFGC_DEBUG

namespace {

using refgc::make;
using refgc::Ref;
using refgc::WeakRef;

struct Node : refgc::Object {
  Ref<Node> next;
  void trace(refgc::Tracer& t) override { t(next); }
};

// What the main thread holds when the intruder comes. Constructing it makes
// this thread the holder of the default heap.
struct World {
  Ref<Node> node = make<Node>();
  Ref<Node> spare = make<Node>();
  Ref<refgc::List<Node>> list = make<refgc::List<Node>>();
  WeakRef<Node> weak{node};
  refgc::WeakValueDictionary<int, Node> values;
  refgc::WeakKeyDictionary<Node, int> keys;
  refgc::WeakSet<Node> set;
  refgc::Finalizer finalizer;
  World() {
    values.set(1, node);
    keys.set(node, 1);
    set.add(node);
    finalizer = refgc::finalize(node, [] {});
  }
};

// Runs `body` on a new thread that holds no heap.
template <class F>
void on_another_thread(F&& body) {
  std::thread intruder(std::forward<F>(body));
  intruder.join();
}

// The message for an operation (a regex for the part after "(it ").
std::string stops_because(const std::string& operation) {
  return "refgc: fatal: this thread uses refgc while another thread holds the default heap "
         "\\(it " +
         operation + "\\); take refgc::Heap::Lock";
}

class ThreadMisuseDeathTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

// --- objects and strong references ---

TEST_F(ThreadMisuseDeathTest, MakeOnAThreadThatDoesNotHoldTheHeapStops) {
  World w;
  EXPECT_DEATH(on_another_thread([] { auto n = make<Node>(); }),
               stops_because("allocates an object with refgc::make<T>\\(\\)"));
}

TEST_F(ThreadMisuseDeathTest, CopyingARefOnAThreadThatDoesNotHoldTheHeapStops) {
  World w;
  EXPECT_DEATH(on_another_thread([&] { Ref<Node> copy = w.node; }),
               stops_because("copies a Ref \\(reference count \\+1\\)"));
}

TEST_F(ThreadMisuseDeathTest, AssigningARefOnAThreadThatDoesNotHoldTheHeapStops) {
  World w;
  EXPECT_DEATH(on_another_thread([&] { w.spare = w.node; }),
               stops_because("copies a Ref \\(reference count \\+1\\)"));
}

TEST_F(ThreadMisuseDeathTest, ResettingARefOnAThreadThatDoesNotHoldTheHeapStops) {
  World w;
  Ref<Node> second = w.node;  // the reset is not the last reference
  EXPECT_DEATH(on_another_thread([&] { second.reset(); }),
               stops_because("drops a Ref \\(reference count -1\\)"));
}

TEST_F(ThreadMisuseDeathTest, DroppingTheLastReferenceOnAThreadThatDoesNotHoldTheHeapStops) {
  World w;
  EXPECT_DEATH(on_another_thread([&] {
                 Ref<Node> mine = std::move(w.spare);  // a move touches no count
               }),  // `mine` dies here: the object's last reference
               stops_because("drops a Ref \\(reference count -1\\)"));
}

TEST_F(ThreadMisuseDeathTest, SubtleIncrefOnAThreadThatDoesNotHoldTheHeapStops) {
  World w;
  EXPECT_DEATH(on_another_thread([&] { refgc::subtle::incref(*w.node); }),
               stops_because("copies a Ref \\(reference count \\+1\\)"));
}

TEST_F(ThreadMisuseDeathTest, GetrefcountOnAThreadThatDoesNotHoldTheHeapStops) {
  World w;
  EXPECT_DEATH(on_another_thread([&] { (void)refgc::getrefcount(w.node); }),
               stops_because("copies a Ref \\(reference count \\+1\\)"));
}

TEST_F(ThreadMisuseDeathTest, AppendingToAListOnAThreadThatDoesNotHoldTheHeapStops) {
  World w;
  EXPECT_DEATH(on_another_thread([&] { w.list->append(w.node); }),
               stops_because("copies a Ref \\(reference count \\+1\\)"));
}

// --- the gc module ---

TEST_F(ThreadMisuseDeathTest, CollectOnAThreadThatDoesNotHoldTheHeapStops) {
  World w;
  EXPECT_DEATH(on_another_thread([] { refgc::gc::collect(); }), stops_because("calls gc::collect"));
}

TEST_F(ThreadMisuseDeathTest, EnableOnAThreadThatDoesNotHoldTheHeapStops) {
  World w;
  EXPECT_DEATH(on_another_thread([] { refgc::gc::enable(); }), stops_because("calls gc::enable"));
}

TEST_F(ThreadMisuseDeathTest, DisableOnAThreadThatDoesNotHoldTheHeapStops) {
  World w;
  EXPECT_DEATH(on_another_thread([] { refgc::gc::disable(); }), stops_because("calls gc::disable"));
}

TEST_F(ThreadMisuseDeathTest, IsenabledOnAThreadThatDoesNotHoldTheHeapStops) {
  World w;
  EXPECT_DEATH(on_another_thread([] { (void)refgc::gc::isenabled(); }),
               stops_because("calls gc::isenabled"));
}

TEST_F(ThreadMisuseDeathTest, SetThresholdOnAThreadThatDoesNotHoldTheHeapStops) {
  World w;
  EXPECT_DEATH(on_another_thread([] { refgc::gc::set_threshold(100, 5, 5); }),
               stops_because("calls gc::set_threshold"));
}

TEST_F(ThreadMisuseDeathTest, GetThresholdOnAThreadThatDoesNotHoldTheHeapStops) {
  World w;
  EXPECT_DEATH(on_another_thread([] { (void)refgc::gc::get_threshold(); }),
               stops_because("calls gc::get_threshold"));
}

TEST_F(ThreadMisuseDeathTest, GetCountOnAThreadThatDoesNotHoldTheHeapStops) {
  World w;
  EXPECT_DEATH(on_another_thread([] { (void)refgc::gc::get_count(); }),
               stops_because("calls gc::get_count"));
}

TEST_F(ThreadMisuseDeathTest, GetObjectsOnAThreadThatDoesNotHoldTheHeapStops) {
  World w;
  EXPECT_DEATH(on_another_thread([] { (void)refgc::gc::get_objects(); }),
               stops_because("calls gc::get_objects"));
}

TEST_F(ThreadMisuseDeathTest, GetObjectsOfAGenerationOnAThreadThatDoesNotHoldTheHeapStops) {
  World w;
  EXPECT_DEATH(on_another_thread([] { (void)refgc::gc::get_objects(0); }),
               stops_because("calls gc::get_objects"));
}

TEST_F(ThreadMisuseDeathTest, GetReferrersOnAThreadThatDoesNotHoldTheHeapStops) {
  World w;
  const refgc::Object* raw = w.node.get();
  EXPECT_DEATH(on_another_thread([raw] { (void)refgc::gc::get_referrers({raw}); }),
               stops_because("calls gc::get_referrers"));
}

TEST_F(ThreadMisuseDeathTest, GetReferentsOnAThreadThatDoesNotHoldTheHeapStops) {
  World w;
  const refgc::Object* raw = w.list.get();
  EXPECT_DEATH(on_another_thread([raw] { (void)refgc::gc::get_referents({raw}); }),
               stops_because("calls gc::get_referents"));
}

TEST_F(ThreadMisuseDeathTest, IsTrackedOnAThreadThatDoesNotHoldTheHeapStops) {
  World w;
  const refgc::Object* raw = w.node.get();
  EXPECT_DEATH(on_another_thread([raw] { (void)refgc::gc::is_tracked(*raw); }),
               stops_because("calls gc::is_tracked"));
}

TEST_F(ThreadMisuseDeathTest, IsFinalizedOnAThreadThatDoesNotHoldTheHeapStops) {
  World w;
  const refgc::Object* raw = w.node.get();
  EXPECT_DEATH(on_another_thread([raw] { (void)refgc::gc::is_finalized(*raw); }),
               stops_because("calls gc::is_finalized"));
}

TEST_F(ThreadMisuseDeathTest, GetStatsOnAThreadThatDoesNotHoldTheHeapStops) {
  World w;
  EXPECT_DEATH(on_another_thread([] { (void)refgc::gc::get_stats(); }),
               stops_because("calls gc::get_stats"));
}

TEST_F(ThreadMisuseDeathTest, FreezeOnAThreadThatDoesNotHoldTheHeapStops) {
  World w;
  EXPECT_DEATH(on_another_thread([] { refgc::gc::freeze(); }), stops_because("calls gc::freeze"));
}

TEST_F(ThreadMisuseDeathTest, UnfreezeOnAThreadThatDoesNotHoldTheHeapStops) {
  World w;
  EXPECT_DEATH(on_another_thread([] { refgc::gc::unfreeze(); }),
               stops_because("calls gc::unfreeze"));
}

TEST_F(ThreadMisuseDeathTest, GetFreezeCountOnAThreadThatDoesNotHoldTheHeapStops) {
  World w;
  EXPECT_DEATH(on_another_thread([] { (void)refgc::gc::get_freeze_count(); }),
               stops_because("calls gc::get_freeze_count"));
}

TEST_F(ThreadMisuseDeathTest, GarbageOnAThreadThatDoesNotHoldTheHeapStops) {
  World w;
  EXPECT_DEATH(on_another_thread([] { (void)refgc::gc::garbage(); }),
               stops_because("calls gc::garbage"));
}

TEST_F(ThreadMisuseDeathTest, CallbacksOnAThreadThatDoesNotHoldTheHeapStops) {
  World w;
  EXPECT_DEATH(on_another_thread([] { (void)refgc::gc::callbacks(); }),
               stops_because("calls gc::callbacks"));
}

TEST_F(ThreadMisuseDeathTest, SetDebugOnAThreadThatDoesNotHoldTheHeapStops) {
  World w;
  EXPECT_DEATH(on_another_thread([] { refgc::gc::set_debug(refgc::gc::DEBUG_STATS); }),
               stops_because("calls gc::set_debug"));
}

TEST_F(ThreadMisuseDeathTest, GetDebugOnAThreadThatDoesNotHoldTheHeapStops) {
  World w;
  EXPECT_DEATH(on_another_thread([] { (void)refgc::gc::get_debug(); }),
               stops_because("calls gc::get_debug"));
}

// --- weak references ---

TEST_F(ThreadMisuseDeathTest, CreatingAWeakRefOnAThreadThatDoesNotHoldTheHeapStops) {
  World w;
  EXPECT_DEATH(on_another_thread([&] { WeakRef<Node> again(w.node); }),
               stops_because("creates a WeakRef"));
}

TEST_F(ThreadMisuseDeathTest, CreatingAWeakRefWithACallbackOnAThreadThatDoesNotHoldTheHeapStops) {
  World w;
  EXPECT_DEATH(on_another_thread([&] { WeakRef<Node> cb(w.node, [](const WeakRef<Node>&) {}); }),
               stops_because("creates a WeakRef"));
}

TEST_F(ThreadMisuseDeathTest, CallingAWeakRefOnAThreadThatDoesNotHoldTheHeapStops) {
  World w;
  EXPECT_DEATH(on_another_thread([&] { (void)w.weak(); }), stops_because("calls a WeakRef"));
}

TEST_F(ThreadMisuseDeathTest, CallingADeadWeakRefOnAThreadThatDoesNotHoldTheHeapStops) {
  World w;
  WeakRef<Node> dead(w.spare);
  w.spare.reset();
  EXPECT_DEATH(on_another_thread([&] { (void)dead(); }), stops_because("calls a WeakRef"));
}

TEST_F(ThreadMisuseDeathTest, AskingWhetherAWeakRefIsAliveOnAThreadThatDoesNotHoldTheHeapStops) {
  World w;
  EXPECT_DEATH(on_another_thread([&] { (void)w.weak.alive(); }), stops_because("reads a WeakRef"));
}

TEST_F(ThreadMisuseDeathTest, CopyingAWeakRefOnAThreadThatDoesNotHoldTheHeapStops) {
  World w;
  EXPECT_DEATH(on_another_thread([&] { WeakRef<Node> copy = w.weak; }),
               stops_because("copies a Ref \\(reference count \\+1\\)"));
}

TEST_F(ThreadMisuseDeathTest, GetweakrefcountOnAThreadThatDoesNotHoldTheHeapStops) {
  World w;
  EXPECT_DEATH(on_another_thread([&] { (void)refgc::getweakrefcount(w.node); }),
               stops_because("calls getweakrefcount"));
}

TEST_F(ThreadMisuseDeathTest, GetweakrefsOnAThreadThatDoesNotHoldTheHeapStops) {
  World w;
  EXPECT_DEATH(on_another_thread([&] { (void)refgc::getweakrefs(w.node); }),
               stops_because("calls getweakrefs"));
}

// --- weak containers ---

TEST_F(ThreadMisuseDeathTest, WeakValueDictionarySetOnAThreadThatDoesNotHoldTheHeapStops) {
  World w;
  EXPECT_DEATH(on_another_thread([&] { w.values.set(2, w.node); }),
               stops_because("uses a weak container"));
}

TEST_F(ThreadMisuseDeathTest, WeakValueDictionaryGetOnAThreadThatDoesNotHoldTheHeapStops) {
  World w;
  EXPECT_DEATH(on_another_thread([&] { (void)w.values.get(1); }),
               stops_because("uses a weak container"));
}

TEST_F(ThreadMisuseDeathTest, WeakValueDictionarySizeOnAThreadThatDoesNotHoldTheHeapStops) {
  World w;
  EXPECT_DEATH(on_another_thread([&] { (void)w.values.size(); }),
               stops_because("uses a weak container"));
}

TEST_F(ThreadMisuseDeathTest, WeakValueDictionaryEraseOnAThreadThatDoesNotHoldTheHeapStops) {
  World w;
  EXPECT_DEATH(on_another_thread([&] { w.values.erase(1); }),
               stops_because("uses a weak container"));
}

TEST_F(ThreadMisuseDeathTest, WeakKeyDictionarySetOnAThreadThatDoesNotHoldTheHeapStops) {
  World w;
  EXPECT_DEATH(on_another_thread([&] { w.keys.set(w.spare, 2); }),
               stops_because("uses a weak container"));
}

TEST_F(ThreadMisuseDeathTest, WeakKeyDictionaryContainsOnAThreadThatDoesNotHoldTheHeapStops) {
  World w;
  EXPECT_DEATH(on_another_thread([&] { (void)w.keys.contains(w.node); }),
               stops_because("uses a weak container"));
}

TEST_F(ThreadMisuseDeathTest, WeakSetAddOnAThreadThatDoesNotHoldTheHeapStops) {
  World w;
  EXPECT_DEATH(on_another_thread([&] { w.set.add(w.spare); }),
               stops_because("uses a weak container"));
}

TEST_F(ThreadMisuseDeathTest, WeakSetContainsOnAThreadThatDoesNotHoldTheHeapStops) {
  World w;
  EXPECT_DEATH(on_another_thread([&] { (void)w.set.contains(w.node); }),
               stops_because("uses a weak container"));
}

TEST_F(ThreadMisuseDeathTest, IteratingAWeakSetOnAThreadThatDoesNotHoldTheHeapStops) {
  World w;
  EXPECT_DEATH(on_another_thread([&] {
                 for (const auto& member : w.set) (void)member;
               }),
               stops_because("uses a weak container"));
}

// --- finalize() and the heap ---

TEST_F(ThreadMisuseDeathTest, FinalizeOnAThreadThatDoesNotHoldTheHeapStops) {
  World w;
  EXPECT_DEATH(on_another_thread([&] { auto f = refgc::finalize(w.node, [] {}); }),
               stops_because("calls refgc::finalize\\(\\)"));
}

TEST_F(ThreadMisuseDeathTest, PeekingAFinalizerOnAThreadThatDoesNotHoldTheHeapStops) {
  World w;
  EXPECT_DEATH(on_another_thread([&] { (void)w.finalizer.peek(); }),
               stops_because("calls a WeakRef"));
}

TEST_F(ThreadMisuseDeathTest, HeapCurrentOnAThreadThatDoesNotHoldTheHeapStops) {
  World w;
  EXPECT_DEATH(on_another_thread([] { (void)refgc::Heap::current(); }),
               stops_because("calls refgc::Heap::current\\(\\)"));
}

TEST_F(ThreadMisuseDeathTest, AThreadHoldingAnExplicitHeapStillCannotUseTheDefaultHeapsObjects) {
  // The main thread holds the default heap and, inside it, a heap of its own.
  World w;
  refgc::Heap mine;
  refgc::Heap::Lock lock(mine);
  auto local = make<Node>();
  EXPECT_DEATH(on_another_thread([&] { Ref<Node> copy = local; }),
               stops_because("copies a Ref \\(reference count \\+1\\)"));
}

TEST_F(ThreadMisuseDeathTest, CopyingARefInsideAnUnlockScopeStops) {
  // Py_BEGIN_ALLOW_THREADS, then touching an object: the GIL is not held.
  World w;
  EXPECT_DEATH(
      {
        refgc::Heap::Unlock unlock;
        Ref<Node> copy = w.node;
      },
      "refgc: fatal: refgc used inside a refgc::Heap::Unlock scope: this thread released its "
      "heap \\(it copies a Ref \\(reference count \\+1\\)\\)");
}

TEST_F(ThreadMisuseDeathTest, CollectInsideAnUnlockScopeStops) {
  World w;
  EXPECT_DEATH(
      {
        refgc::Heap::Unlock unlock;
        refgc::gc::collect();
      },
      "refgc used inside a refgc::Heap::Unlock scope: this thread released its heap \\(it calls "
      "gc::collect\\)");
}

// A nested Unlock (a helper that releases the heap, called inside an Unlock
// scope) keeps the outer scope's mark: use after it still stops. (Before,
// the inner scope's end cleared the mark, the use quietly took the default
// heap again, and the outer scope's end deadlocked on the heap's mutex.)
TEST_F(ThreadMisuseDeathTest, UseAfterANestedUnlockEndsInsideAnUnlockScopeStillStops) {
  World w;
  EXPECT_DEATH(
      {
        refgc::Heap::Unlock unlock;
        { refgc::Heap::Unlock inner; }
        refgc::gc::collect();
      },
      "refgc used inside a refgc::Heap::Unlock scope: this thread released its heap \\(it calls "
      "gc::collect\\)");
}

// heap.cc, ~Heap: a heap this thread still holds through a live Heap::Lock,
// or with a diag::LeakCheck still open on it, cannot be destroyed: the
// lock's or the scope's end would use the dead heap. (Before: a
// heap-use-after-free.)
TEST_F(ThreadMisuseDeathTest, DestroyingAHeapWhileALockOrALeakCheckOnItIsAliveStops) {
  EXPECT_DEATH(
      {
        auto heap = std::make_unique<refgc::Heap>();
        refgc::Heap::Lock lock(*heap);
        heap.reset();
      },
      "refgc: fatal: a refgc::Heap was destroyed while this thread still holds it \\(a "
      "Heap::Lock on it is alive\\)");
  EXPECT_DEATH(
      {
        auto heap = std::make_unique<refgc::Heap>();
        std::optional<refgc::diag::LeakCheck> check;
        {
          refgc::Heap::Lock lock(*heap);
          check.emplace();
        }
        heap.reset();
      },
      "refgc: fatal: a refgc::Heap was destroyed while a diag::LeakCheck on it is still open");
  EXPECT_DEATH(
      {
        refgc::Heap heap;
        std::optional<refgc::diag::LeakCheck> check;
        {
          refgc::Heap::Lock lock(heap);
          check.emplace();
        }
        check.reset();  // the scope ends where its heap is not held
      },
      "refgc: fatal: a diag::LeakCheck scope ended on a thread that does not hold its heap");
}

// An object dying while the thread holds another heap than its own would be
// freed into that heap's pool (docs/design/memory-model.md, "Heaps and
// threads"): debug builds stop, naming the object. Tracked and untracked
// objects alike (the check is the held pool's page map).
TEST_F(ThreadMisuseDeathTest, DroppingAnObjectOfAnotherLiveHeapStops) {
  EXPECT_DEATH(
      {
        refgc::Heap first;
        refgc::Heap second;
        Ref<refgc::Int> number;
        {
          refgc::Heap::Lock lock(first);
          number = make<refgc::Int>(1);
        }
        refgc::Heap::Lock lock(second);
        number.reset();
      },
      "refgc: fatal: an object of another heap dies while this thread holds a different heap "
      "\\(drop it while holding its own: refgc::Heap::Lock\\): <Int at 0x");
  EXPECT_DEATH(
      {
        refgc::Heap first;
        Ref<Node> node;
        {
          refgc::Heap::Lock lock(first);
          node = make<Node>();
        }
        node.reset();  // under the default heap, which this thread holds
      },
      "an object of another heap dies while this thread holds a different heap");
}

// An orphan (its heap was destroyed) is not another heap's object: it may die
// under any heap, checks on.
TEST(ThreadMisuse, AnOrphanMayDieWhileTheThreadHoldsAnyHeap) {
  Ref<Node> node;
  {
    refgc::Heap dying;
    refgc::Heap::Lock lock(dying);
    node = make<Node>();
  }
  refgc::Heap other;
  refgc::Heap::Lock lock(other);
  node.reset();
  EXPECT_EQ(other.live_objects(), 0u);
}

// The legitimate hand-off still works with the checks on: the intruder takes
// the heap with Heap::Lock while the holder waits in Heap::Unlock.
TEST(ThreadMisuse, AThreadThatLocksTheHeapMayUseEveryEntryPoint) {
  World w;
  std::size_t seen = 0;
  {
    refgc::Heap::Unlock unlock;
    on_another_thread([&] {
      refgc::Heap::Lock lock(refgc::Heap::default_heap());
      Ref<Node> copy = w.node;
      copy->next = make<Node>();
      refgc::gc::collect();
      seen = w.values.size() + w.keys.size() + w.set.size() + (w.weak.alive() ? 1 : 0) +
             refgc::getweakrefcount(w.node);
      copy->next.reset();
    });
  }
  // 3 containers of one entry, alive, and 5 weak references: the shared one
  // and those of the two dictionaries, the set and the finalizer.
  EXPECT_EQ(seen, 1u + 1u + 1u + 1u + 5u);
}

}  // namespace

#endif  // REFGC_DEBUG
