// Misuse gets a clear error (issue 2 item 9): always-on checks stop the
// program with the type and address; debug builds also catch empty derefs.
// Compile-time misuse is in tests/compile_fail/.
#include <gtest/gtest.h>
#include <refgc/refgc.h>

#include <memory>

#include "support/gc_fixture.h"

namespace {

using refgc::make;
using refgc::Ref;

struct Node : refgc::Object {
  static constexpr const char* refgc_type_name = "Node";
  Ref<Node> next;
  void trace(refgc::Tracer& t) override { t(next); }
};

struct SelfDropper : refgc::Object {
  static constexpr const char* refgc_type_name = "SelfDropper";
  ~SelfDropper() override { refgc::subtle::decref(*this); }
};

struct Liar : refgc::Object {
  static constexpr const char* refgc_type_name = "Liar";
  Ref<Node> held;
  void trace(refgc::Tracer& t) override {
    t(held);
    t(held);  // reports the same reference twice: it holds it once
  }
};

class MisuseDeathTest : public refgc_test::GcTest {
 protected:
  void SetUp() override {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    GcTest::SetUp();
  }
};

// A Heap::Unlock ends by locking its heap again, and the Lock it suspended
// by unlocking it: destroying the heap inside the Unlock scope stops, as
// destroying it under a live Heap::Lock does.
TEST_F(MisuseDeathTest, DestroyingAHeapInsideAnUnlockOfItStops) {
  EXPECT_DEATH(
      {
        auto heap = std::make_unique<refgc::Heap>();
        refgc::Heap::Lock lock(*heap);
        refgc::Heap::Unlock unlock;
        heap.reset();
      },
      "refgc: fatal: a refgc::Heap was destroyed while a thread that holds it has released it "
      "for a scope \\(a Heap::Unlock on it is alive\\)");
}

TEST_F(MisuseDeathTest, DroppingAReferenceTwiceStopsAsUseOfADeadObject) {
  EXPECT_DEATH(
      {
        auto x = make<Node>();
        refgc::subtle::decref(*x);  // frees it; x's destructor drops it again
      },
      "refgc: fatal: refcount underflow or use of a dead object: <dead object at 0x");
}

TEST_F(MisuseDeathTest, ReviveADeadObjectFromARawPointerStops) {
  EXPECT_DEATH(
      {
        Node* raw = make<Node>().get();  // the temporary dies at the `;`
        Ref<Node> again(raw);
      },
      "refcount underflow or use of a dead object");
}

// The heap walk reads each object's header at the start of its slot, so
// refgc::Object must be the type's primary base: a type that puts another
// polymorphic base first stops at make<T>() with a sentence naming it.
struct Listener {
  virtual ~Listener() noexcept(false) = default;
  virtual void notify() {}
};
struct ListenerFirst : Listener, refgc::Object {};

TEST_F(MisuseDeathTest, AnObjectWhoseRefgcBaseIsNotFirstStopsAtMake) {
  EXPECT_DEATH(make<ListenerFirst>(),
               "make<.*ListenerFirst>: refgc::Object must be the type's first base");
}

TEST_F(MisuseDeathTest, UnderflowOnAnObjectBeingDestroyedNamesItsType) {
  EXPECT_DEATH(make<SelfDropper>().reset(),
               "refcount underflow or use of a dead object: <SelfDropper at 0x");
}

TEST_F(MisuseDeathTest, ATraceReportingAReferenceItDoesNotHoldStopsTheCollector) {
  // design.md: a trace() that reports a reference the object does not hold is
  // detected (internal count below zero) and stops with the type name.
  EXPECT_DEATH(
      {
        auto liar = make<Liar>();
        liar->held = make<Node>();
        refgc::gc::collect();
      },
      "the trace\\(\\) of <Liar at 0x[0-9a-f]+> reports it:\n.*trace\\(\\) reported a "
      "reference its object does not hold.*<Node at 0x");
}

TEST_F(MisuseDeathTest, AnObjectOnTheStackStopsWithAClearMessage) {
  EXPECT_DEATH({ Node n; }, "constructed outside refgc::make<T>\\(\\)");
}

TEST_F(MisuseDeathTest, AnObjectInsideMakeSharedStopsWithAClearMessage) {
  EXPECT_DEATH({ auto p = std::make_shared<Node>(); }, "constructed outside refgc::make<T>\\(\\)");
}

#if REFGC_DEBUG
TEST_F(MisuseDeathTest, DereferencingAnEmptyRefStopsInDebugBuilds) {
  EXPECT_DEATH(
      {
        Ref<Node> empty;
        (void)empty->next;
      },
      "dereferencing an empty refgc::Ref");
}
#endif

TEST_F(MisuseDeathTest, InvalidGenerationsAndThresholdsThrow) {
  // cpython-semantics §3 B30: collect(3) and collect(-1) -> ValueError.
  EXPECT_THROW(refgc::gc::collect(3), std::invalid_argument);
  EXPECT_THROW(refgc::gc::collect(-1), std::invalid_argument);
  EXPECT_THROW(refgc::gc::get_objects(3), std::invalid_argument);
  EXPECT_THROW(refgc::gc::get_objects(-1), std::invalid_argument);
  EXPECT_THROW(refgc::gc::set_threshold(-1), std::invalid_argument);
  EXPECT_THROW(refgc::gc::set_threshold(700, -1, 10), std::invalid_argument);
  EXPECT_EQ(refgc::gc::get_threshold()[0], 700);
}

}  // namespace
