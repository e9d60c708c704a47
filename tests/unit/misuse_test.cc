// Misuse gets a clear error (issue 2 item 9): always-on checks stop the
// program with the type and address; an empty dereference throws (RefTest).
// Compile-time misuse is in tests/compile_fail/.
#include <gtest/gtest.h>
#include <refgc/refgc.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "../../src/testing_hooks.h"
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

// Holds nest (refgc/heap.h): a thread's Heap::Lock and Heap::Unlock scopes
// end innermost first, on the thread that began them. Held through
// std::unique_ptr (a GUI toolkit keeping a Lock per window, say) they may
// end in another order: Lock(a), Lock(b), then a's end released a and b's
// end made a the thread's current heap again, unheld, with no message (a
// make<T>() then allocated from it while another thread locked it), and a
// Lock ended on another thread unlocked a mutex that thread did not own.
// Each stops now, naming the heap.
std::string misordered(const char* which) {
  return std::string("refgc: fatal: a refgc::Heap::") + which +
         " of heap 0x[0-9a-f]+ ended out of order: a thread's Heap::Lock and Heap::Unlock "
         "scopes nest";
}

TEST_F(MisuseDeathTest, ALockEndedBeforeALockBegunInsideItStops) {
  EXPECT_DEATH(
      {
        refgc::Heap a;
        refgc::Heap b;
        auto outer = std::make_unique<refgc::Heap::Lock>(a);
        auto inner = std::make_unique<refgc::Heap::Lock>(b);
        outer.reset();
      },
      misordered("Lock"));
}

TEST_F(MisuseDeathTest, ALockEndedOnAnotherThreadThanItsOwnStops) {
  EXPECT_DEATH(
      {
        refgc::Heap a;
        auto lock = std::make_unique<refgc::Heap::Lock>(a);
        std::thread([&] { lock.reset(); }).join();
      },
      misordered("Lock"));
}

TEST_F(MisuseDeathTest, AnUnlockEndedBeforeALockBegunInsideItStops) {
  EXPECT_DEATH(
      {
        refgc::Heap a;
        refgc::Heap b;
        refgc::Heap::Lock lock(a);
        auto unlock = std::make_unique<refgc::Heap::Unlock>();
        auto inner = std::make_unique<refgc::Heap::Lock>(b);
        unlock.reset();
      },
      misordered("Unlock"));
}

// Ended in order, the same holds through std::unique_ptr are fine.
TEST_F(MisuseDeathTest, LocksAndUnlocksEndedInnermostFirstThroughUniquePtrsAreFine) {
  refgc::Heap a;
  refgc::Heap b;
  auto outer = std::make_unique<refgc::Heap::Lock>(a);
  auto unlock = std::make_unique<refgc::Heap::Unlock>();
  auto inner = std::make_unique<refgc::Heap::Lock>(b);
  EXPECT_EQ(&refgc::Heap::current(), &b);
  inner.reset();
  unlock.reset();
  EXPECT_EQ(&refgc::Heap::current(), &a);
  EXPECT_TRUE(refgc::detail::testing::held_by_this_thread(a));
  outer.reset();
  EXPECT_FALSE(refgc::detail::testing::held_by_this_thread(a));
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

// Review 2026-11-23 (session 14): a constructor that stored Ref<T>(this)
// and then threw left that reference pointing at a slot make<T>() gave back
// to the pool; the next object of the size class got the same address, and
// dropping the stale reference destroyed it. No check fired. It now stops,
// naming the type. (Python keeps such an object alive; C++ has already
// destroyed its members when the exception leaves the constructor.)
refgc::Ref<refgc::Object> g_registered;
struct RegistersThenThrows : refgc::Object {
  explicit RegistersThenThrows(bool fail) {
    g_registered = refgc::Ref<refgc::Object>(this);  // REGISTRY.append(self)
    if (fail) throw std::runtime_error("bad argument");
  }
};
struct TakesThisAndGivesItBack : refgc::Object {
  TakesThisAndGivesItBack() {
    refgc::Ref<refgc::Object> self(this);  // dropped before the throw
    self.reset();
    throw std::runtime_error("bad argument");
  }
};

TEST_F(MisuseDeathTest, AConstructorThatThrowsAfterStoringAReferenceToItselfStops) {
  EXPECT_DEATH(
      {
        try {
          (void)make<RegistersThenThrows>(true);
        } catch (const std::runtime_error&) {
        }
      },
      "make<.*RegistersThenThrows>: the constructor of the object at 0x[0-9a-f]+ threw after "
      "storing a strong reference to it");
  // Without a reference left behind, the exception just goes through.
  EXPECT_THROW((void)make<TakesThisAndGivesItBack>(), std::runtime_error);
  auto ok = make<RegistersThenThrows>(false);
  EXPECT_EQ(ok->refcount(), 2u);  // ok and g_registered
  g_registered.reset();
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

// A trace() that throws (object.h: it must not). The collector cannot let
// the exception through: the headers of the set it examines hold counts and
// positions that only the rest of the collection gives back. It stops,
// naming the object whose trace() threw, the exception and the phase (before
// 2026-11-25: std::terminate, naming neither). Thrower throws on its
// throw_on-th trace() call, or on a clearing one.
struct Thrower : refgc::Object {
  static constexpr const char* refgc_type_name = "Thrower";
  Ref<refgc::Object> to;
  int calls = 0;
  int throw_on = 0;  // 0: not by count
  bool when_clearing = false;
  bool non_std = false;
  void trace(refgc::Tracer& t) override {
    ++calls;
    if (calls == throw_on || (when_clearing && t.clearing())) {
      if (non_std) throw 42;
      throw std::runtime_error("trace failed");
    }
    t(to);
  }
};
struct FinalizedThrower : Thrower {
  static constexpr const char* refgc_type_name = "FinalizedThrower";
  void finalize() override {}
};

std::string trace_threw(const char* phase, const char* type = "Thrower") {
  return std::string("refgc: fatal: trace\\(\\) threw during a collection \\(") + phase +
         "\\), which cannot be unwound \\(trace\\(\\) must not throw\\): "
         "std::runtime_error: trace failed: <" +
         type + " at 0x";
}

// Between bystanders (Node cycles made before and after it: the collector
// traces them too), so that the object named is the one whose trace() threw.
Ref<Thrower> thrower_among_bystanders() {
  auto before = make<Node>();
  before->next = before;
  auto t = make<Thrower>();
  t->to = before;
  auto after = make<Node>();
  after->next = after;
  return t;
}

TEST_F(MisuseDeathTest, ATraceThatThrowsDuringACollectionStopsNamingTheObjectAndTheException) {
  // Counting the references inside the set (CPython's subtract_refs).
  EXPECT_DEATH(
      {
        auto t = thrower_among_bystanders();
        t->throw_on = 1;
        refgc::gc::collect(0);
      },
      trace_threw("subtract_refs"));
  // Finding what the outside reaches (move_unreachable): t is held.
  EXPECT_DEATH(
      {
        auto t = thrower_among_bystanders();
        t->throw_on = 2;
        refgc::gc::collect(0);
      },
      trace_threw("move_unreachable"));
  // A full collection: generation 2 counted by the heap walk, and its
  // survivors found by the second walk (CPython's move_unreachable).
  for (int call : {1, 2}) {
    EXPECT_DEATH(
        {
          auto t = thrower_among_bystanders();
          refgc::gc::collect();
          t->throw_on = t->calls + call;
          refgc::gc::collect();
        },
        trace_threw(call == 1 ? "subtract_refs" : "move_unreachable"));
  }
  // Breaking the garbage cycle (CPython's delete_garbage, tp_clear).
  EXPECT_DEATH(
      {
        auto t = make<Thrower>();
        t->to = t;
        t->when_clearing = true;
        t.reset();
        refgc::gc::collect();
      },
      trace_threw("delete_garbage"));
  // After the finalizers, checking that they resurrected nothing
  // (CPython's handle_resurrected_objects).
  EXPECT_DEATH(
      {
        auto t = make<FinalizedThrower>();
        t->to = t;
        t->throw_on = 2;
        t.reset();
        refgc::gc::collect();
      },
      trace_threw("handle_resurrected_objects", "FinalizedThrower"));
}

TEST_F(MisuseDeathTest, ATraceThatThrowsANonStdExceptionDuringACollectionStopsSayingSo) {
  EXPECT_DEATH(
      {
        auto t = thrower_among_bystanders();
        t->throw_on = 1;
        t->non_std = true;
        refgc::gc::collect(0);
      },
      "refgc: fatal: trace\\(\\) threw during a collection \\(subtract_refs\\), which cannot be "
      "unwound \\(trace\\(\\) must not throw\\): a non-std exception \\(int\\): <Thrower at 0x");
}

// A trace() that calls into refgc while the collector counts references
// (from gathering the set to the end of the reachability pass, and again
// after finalizers): the headers of the set hold counts then. Before
// 2026-11-25 a make<T>() there went unseen in a young collection, could
// read a reallocated generation vector when generation 0 was appended to
// generation 1, and stopped with "generation list out of step with the heap
// walk" in a full collection; a dropped member stopped with "untracking an
// object in an impossible collector state" or "corrupt generation list
// ... another heap". Now make<T>() throws std::logic_error, which stops the
// collection naming the object whose trace() made it, and a death names
// trace() as its cause. (gc::collect() there returns 0, as in a finalizer.)
struct Maker : refgc::Object {
  static constexpr const char* refgc_type_name = "Maker";
  Ref<Node> made;
  bool armed = false;
  void trace(refgc::Tracer& t) override {
    if (armed) made = make<Node>();
    t(made);
  }
};
struct Dropper : refgc::Object {
  static constexpr const char* refgc_type_name = "Dropper";
  Ref<Node> only;  // its referent's only holder
  bool armed = false;
  void trace(refgc::Tracer& t) override {
    if (armed) only.reset();
    t(only);
  }
};

TEST_F(MisuseDeathTest, AMakeInsideTraceWhileTheCollectorCountsStopsNamingTheTracedObject) {
  const std::string stop =
      "std::logic_error: refgc::make<T>\\(\\) called inside trace\\(\\) while the collector "
      "counts references \\(trace\\(\\) must not allocate or call into refgc\\): <Maker at 0x";
  EXPECT_DEATH(
      {
        auto m = make<Maker>();
        m->armed = true;
        refgc::gc::collect(0);
      },
      stop);
  // Generation 1 collected, generation 0 appended to it while m's trace()
  // would grow generation 0's vector.
  EXPECT_DEATH(
      {
        auto m = make<Maker>();
        refgc::gc::collect(0);
        std::vector<Ref<Node>> young;
        for (int i = 0; i < 100; ++i) young.push_back(make<Node>());
        m->armed = true;
        refgc::gc::collect(1);
      },
      stop);
  EXPECT_DEATH(
      {
        auto m = make<Maker>();
        refgc::gc::collect();
        m->armed = true;
        refgc::gc::collect();
      },
      stop);
}

TEST_F(MisuseDeathTest, ADropInsideTraceWhileTheCollectorCountsStopsNamingTheDyingObject) {
  const char* stop =
      "refgc: fatal: an object died inside a trace\\(\\) called by the collector while it counts "
      "references \\(trace\\(\\) must not drop references or call into refgc\\): <Node at 0x";
  // Its referent already counted (made first), or not reached yet.
  for (bool referent_first : {true, false}) {
    EXPECT_DEATH(
        {
          Ref<Node> n;
          if (referent_first) n = make<Node>();
          auto d = make<Dropper>();
          d->only = referent_first ? n : make<Node>();
          n.reset();
          d->armed = true;
          refgc::gc::collect(0);
        },
        stop);
  }
}

// The same window, for the gc:: and diag:: functions that read or change
// the generations (before 2026-11-25: gc::get_objects() there stopped a full
// collection with "corrupt generation (its count disagrees with the heap)",
// and returned a list without the set in a young one).
struct Caller : refgc::Object {
  static constexpr const char* refgc_type_name = "Caller";
  Ref<Node> to;
  void (*call)() = nullptr;
  void trace(refgc::Tracer& t) override {
    if (call != nullptr) call();
    t(to);
  }
};

TEST_F(MisuseDeathTest, AHeapWalkInsideTraceWhileTheCollectorCountsStopsNamingTheTracedObject) {
  struct Case {
    void (*call)();
    const char* what;
    int generation;
  };
  const Case cases[] = {
      {[] { (void)refgc::gc::get_objects(); }, "calls gc::get_objects", 2},
      {[] { (void)refgc::gc::get_objects(0); }, "calls gc::get_objects", 0},
      {[] { refgc::gc::freeze(); }, "calls gc::freeze", 0},
      {[] { (void)refgc::diag::most_common_types(); }, "calls diag::most_common_types", 2},
  };
  for (const Case& c : cases) {
    EXPECT_DEATH(
        {
          auto caller = make<Caller>();
          if (c.generation == 2) refgc::gc::collect();
          caller->call = c.call;
          refgc::gc::collect(c.generation);
        },
        std::string("std::logic_error: refgc: a trace\\(\\) called by the collector while it "
                    "counts references ") +
            c.what + " \\(trace\\(\\) must not call into refgc\\): <Caller at 0x");
  }
}

TEST_F(MisuseDeathTest, AnObjectOnTheStackStopsWithAClearMessage) {
  EXPECT_DEATH({ Node n; }, "constructed outside refgc::make<T>\\(\\)");
}

TEST_F(MisuseDeathTest, AnObjectInsideMakeSharedStopsWithAClearMessage) {
  EXPECT_DEATH({ auto p = std::make_shared<Node>(); }, "constructed outside refgc::make<T>\\(\\)");
}

// Inside a noexcept function (a destructor, trace()) the exception an empty
// dereference throws stops the program, still naming the type (RefTest has
// the throw itself).
TEST_F(MisuseDeathTest, DereferencingAnEmptyRefInsideANoexceptFunctionStopsNamingTheType) {
  EXPECT_DEATH(
      {
        Ref<Node> empty;
        [&]() noexcept { (void)empty->next; }();
      },
      "dereferencing an empty refgc::Ref<\\(anonymous namespace\\)::Node>");
}

// Objects of two live heaps do not reference each other (refgc/heap.h). A
// header's state says which generation an object is in, not whose: a
// collection meeting a reference to another live heap's object of a
// generation it collects would take that object into its set and leave a
// count in the header where the other heap keeps the object's position, and
// the other heap's next collection or gc::get_objects would stop on it (or
// a release build go on with it wrong: review of 2026-11-23). The collector
// stops at once instead, naming the member and the other heap's object.
// One case per way an object joins a collection: a young collection, a full
// collection whose generation 2 is in walk order (no list) or not (a
// rebuilt list), a large object (in no chunk), and a refcount too big for
// the header's count bits (the collector's overflow table).
struct Link : refgc::Object {
  static constexpr const char* refgc_type_name = "Link";
  Ref<refgc::Object> to;
  void trace(refgc::Tracer& t) override { t(to); }
};
struct BigLink : Link {  // over the pool's largest size class: a large object
  static constexpr const char* refgc_type_name = "BigLink";
  char payload[2048] = {};
};

std::string foreign_stop(const char* type) {
  return std::string(
             "<Link at 0x[0-9a-f]+>, a member of the heap being collected, references:\n"
             ".*refgc: fatal: an object of another live heap joined this heap's collection "
             "\\(objects of two live heaps must not reference each other: refgc/heap.h\\): <") +
         type + " at 0x";
}

// x (of the held heap) gets a reference to a new T of heap `other`, left
// in `other`'s generation 0, or 2 after a full collection of `other`.
template <class T>
void link_to_other_heap(Link& x, refgc::Heap& other, int generation) {
  refgc::Heap::Lock lock(other);
  auto y = make<T>();
  if (generation == 2) refgc::gc::collect();
  x.to = y;
}

// Runs scenario(a, b) holding heap a (of two new heaps), in a child process
// that must stop naming an object of type `type` of the other heap.
template <class F>
void expect_foreign_stop(F scenario, const char* type) {
  EXPECT_DEATH(
      {
        refgc::Heap a;
        refgc::Heap b;
        refgc::Heap::Lock lock(a);
        scenario(a, b);
      },
      foreign_stop(type));
}

TEST_F(MisuseDeathTest, AYoungCollectionMeetingAnotherLiveHeapsYoungObjectStops) {
  expect_foreign_stop(
      [](refgc::Heap&, refgc::Heap& b) {
        auto x = make<Link>();
        link_to_other_heap<Link>(*x, b, 0);
        refgc::gc::collect(0);
      },
      "Link");
}

TEST_F(MisuseDeathTest,
       AFullCollectionMeetingAnotherLiveHeapsOldObjectStopsWithGenerationTwoInWalkOrder) {
  expect_foreign_stop(
      [](refgc::Heap& a, refgc::Heap& b) {
        auto x = make<Link>();
        refgc::gc::collect();  // x: generation 2 of a, which is in walk order
        if (!refgc::detail::testing::walk_ordered(a)) std::abort();
        link_to_other_heap<Link>(*x, b, 2);
        refgc::gc::collect();
      },
      "Link");
}

TEST_F(MisuseDeathTest, AFullCollectionMeetingAnotherLiveHeapsOldObjectStopsWhenItRebuildsItsList) {
  expect_foreign_stop(
      [](refgc::Heap& a, refgc::Heap& b) {
        auto gap = make<Link>();
        auto x = make<Link>();
        gap.reset();           // a free slot below x
        refgc::gc::collect();  // x: generation 2 of a
        auto z = make<Link>();
        refgc::gc::collect();  // z joins after x, below it: out of walk order
        if (refgc::detail::testing::walk_ordered(a)) std::abort();
        link_to_other_heap<Link>(*x, b, 2);
        refgc::gc::collect();
      },
      "Link");
}

TEST_F(MisuseDeathTest, ACollectionMeetingAnotherLiveHeapsLargeObjectStops) {
  for (const int generation : {0, 2}) {
    SCOPED_TRACE(generation);
    expect_foreign_stop(
        [generation](refgc::Heap&, refgc::Heap& b) {
          auto x = make<Link>();
          if (generation == 2) refgc::gc::collect();
          link_to_other_heap<BigLink>(*x, b, generation);
          refgc::gc::collect(generation);
        },
        "BigLink");
  }
}

// A count of 2^25 - 1 or more does not fit the header's count bits: the
// object joins through the collector's overflow table (SubtractTracer).
TEST_F(MisuseDeathTest, ACollectionMeetingAnotherLiveHeapsObjectWithAHugeRefcountStops) {
  expect_foreign_stop(
      [](refgc::Heap&, refgc::Heap& b) {
        auto x = make<Link>();
        link_to_other_heap<Link>(*x, b, 0);
        for (std::uint32_t i = 0; i < refgc::detail::kMaxIndex; ++i) refgc::subtle::incref(*x->to);
        refgc::gc::collect(0);
      },
      "Link");
}

// The introspection functions do not stop on a reference to another live
// heap's object (docs/design/memory-model.md, "Cross-heap references",
// review of 2026-11-25): they see it as an object outside the heap and
// write nothing to its header, so its own heap finds it where it was (in
// its generation 2 here: a collection of b, gc::get_objects(2)), with its
// count as before.
TEST_F(MisuseDeathTest, IntrospectionMeetingAnotherLiveHeapsObjectLeavesThatHeapIntact) {
  refgc::Heap a;
  refgc::Heap b;
  refgc::Heap::Lock lock(a);
  auto x = make<Link>();
  Ref<refgc::Object> y;
  link_to_other_heap<Link>(*x, b, 2);
  y = x->to;
  const std::size_t count = y->refcount();
  {
    auto referents = refgc::gc::get_referents({x.get()});
    ASSERT_EQ(referents.size(), 1u);
    EXPECT_EQ(referents[0].get(), y.get());
    auto referrers = refgc::gc::get_referrers({y.get()});
    ASSERT_EQ(referrers.size(), 1u);
    EXPECT_EQ(referrers[0].get(), x.get());
    auto chain = refgc::diag::find_backref_chain(y);
    ASSERT_EQ(chain.size(), 2u);  // x holds it, x is held from outside
    EXPECT_EQ(chain[0].get(), x.get());
    char address[32];
    std::snprintf(address, sizeof address, "%p", static_cast<const void*>(y.get()));
    const std::string dot = refgc::diag::to_dot({{"x", x}});
    EXPECT_NE(dot.find(address), std::string::npos) << dot;  // drawn, as x's referent
    EXPECT_EQ(refgc::diag::count("Link"), 1u);               // x only: the census is a's
    refgc::gc::freeze();
    EXPECT_EQ(refgc::gc::get_freeze_count(), 1u);
    refgc::gc::unfreeze();
  }
  EXPECT_EQ(y->refcount(), count);
  refgc::Heap::Lock hold_b(b);
  x->to.reset();
  const auto old = refgc::gc::get_objects(2);
  ASSERT_EQ(old.size(), 1u);
  EXPECT_EQ(old[0].get(), y.get());
  EXPECT_EQ(refgc::gc::collect(), 0u);
  EXPECT_TRUE(refgc::gc::is_tracked(*y));
  y.reset();
}

// A WeakRef made while the thread holds heap a, to an object of live heap b,
// is linked in a's weak-reference table (the referent's header does not say
// which heap it belongs to). Each way the two meet again under b stops with
// a sentence naming the object, where it used to read b's table for a key
// it never had: an endless probe, or a read past an empty table. (The
// creation itself is not detected: memory-model.md "Cross-heap references".)
std::string foreign_weakref_stop(const char* what) {
  return std::string("refgc: fatal: ") + what + " \\(.* another heap: refgc/heap.h\\): <Link at 0x";
}

// Made while the thread holds b: b's object y (b's weak table is not empty:
// `other` is weakly referenced), and a weak reference to y made while
// holding a, linked in a's table (with a callback: not the shared one; then
// a is collected, so that the weak-reference object sits in a's unlisted
// generation 2, whose members leave without an index check).
struct WeakUnderAnotherHeap {
  Ref<Link> other = make<Link>();
  refgc::WeakRef<Link> keep{other};
  Ref<Link> y = make<Link>();
  refgc::WeakRef<Link> w;
  WeakUnderAnotherHeap(refgc::Heap& a, bool with_callback) {
    refgc::Heap::Lock hold_a(a);
    if (with_callback) {
      w = refgc::WeakRef<Link>(y, [](const refgc::WeakRef<Link>&) {});
      refgc::gc::collect();
    } else {
      w = refgc::WeakRef<Link>(y);
    }
  }
};

TEST_F(MisuseDeathTest, AnObjectWeaklyReferencedUnderAnotherHeapStopsWhenItDiesUnderItsOwn) {
  EXPECT_DEATH(
      {
        refgc::Heap a;
        refgc::Heap b;
        refgc::Heap::Lock hold_b(b);
        WeakUnderAnotherHeap s(a, /*with_callback=*/false);
        s.y.reset();  // dies under b
      },
      foreign_weakref_stop("an object with weak references has none in this heap's table"));
}

TEST_F(MisuseDeathTest, AWeakRefMadeUnderAnotherHeapStopsWhenItDiesUnderTheReferentsHeap) {
  EXPECT_DEATH(
      {
        refgc::Heap a;
        refgc::Heap b;
        refgc::Heap::Lock hold_b(b);
        WeakUnderAnotherHeap s(a, /*with_callback=*/true);
        refgc::gc::collect();          // y: generation 2 of b
        s.w = refgc::WeakRef<Link>();  // the weak reference dies under b, its referent alive
      },
      // Debug builds stop one step earlier, at the weak-reference object's
      // own death under the wrong heap (memory-model.md, "Detection").
      std::string("refgc: fatal: (a weak reference is not in this heap's table of its referent "
                  "\\(.* another heap: refgc/heap.h\\): <Link|an object of another heap dies "
                  "while this thread holds a different heap .*<weakref\\.ReferenceType) at 0x"));
}

TEST_F(MisuseDeathTest, AWeakRefToAnObjectWeaklyReferencedUnderAnotherHeapIsRefused) {
  refgc::Heap a;
  refgc::Heap b;
  refgc::Heap::Lock hold_b(b);
  WeakUnderAnotherHeap s(a, /*with_callback=*/false);
  try {
    refgc::WeakRef<Link> again(s.y, [](const refgc::WeakRef<Link>&) {});
    ADD_FAILURE() << "a second weak reference under b was made";
  } catch (const std::logic_error& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind("refgc: cannot create a weak reference to <Link at 0x", 0), 0u) << what;
    EXPECT_NE(what.find(">: it has weak references in another heap's table"), std::string::npos)
        << what;
  }
  {
    refgc::Heap::Lock hold_a(a);  // undo the misuse where it was made
    s.w = refgc::WeakRef<Link>();
  }
  EXPECT_EQ(refgc::getweakrefcount(s.y), 0u);
}

TEST_F(MisuseDeathTest, InvalidGenerationsAndThresholdsThrow) {
  // cpython-semantics §3 B30: collect(3) and collect(-1) -> ValueError.
  EXPECT_THROW(refgc::gc::collect(3), std::invalid_argument);
  EXPECT_THROW(refgc::gc::collect(-1), std::invalid_argument);
  EXPECT_THROW(refgc::gc::get_objects(3), std::invalid_argument);
  EXPECT_THROW(refgc::gc::get_objects(-2), std::invalid_argument);  // -1 is None: every one
  EXPECT_THROW(refgc::gc::set_threshold(-1), std::invalid_argument);
  EXPECT_THROW(refgc::gc::set_threshold(700, -1, 10), std::invalid_argument);
  EXPECT_EQ(refgc::gc::get_threshold()[0], 700);
}

}  // namespace

#if !REFGC_DEBUG
namespace {
struct Tracked : refgc::Object {
  static constexpr const char* refgc_type_name = "Tracked";
  Ref<refgc::Object> x;
  void trace(refgc::Tracer& t) override { t(x); }
};
}  // namespace

// Usability review 2026-11-23 (session 16): in a release build, a tracked
// object of one heap dropped while the thread holds another (debug builds stop
// at the drop, naming the misuse: tests/reliability/thread_misuse_test.cc) was
// reported as "corrupt generation list (object not at its index)", which reads
// as a refgc bug. The message now names the likely misuse. (Release builds
// catch it only when the other heap's list disagrees, as here.)
TEST_F(MisuseDeathTest, InAReleaseBuildDroppingAnObjectOfAnotherHeapNamesTheLikelyMisuse) {
  EXPECT_DEATH(
      {
        refgc::Heap first;
        refgc::Heap second;
        Ref<Tracked> mine;
        {
          refgc::Heap::Lock lock(first);
          mine = make<Tracked>();
        }
        refgc::Heap::Lock lock(second);
        auto a = make<Tracked>();
        auto b = make<Tracked>();
        auto c = make<Tracked>();
        mine.reset();
      },
      "corrupt generation list \\(object not at its index; did an object of another heap die "
      "while this thread held a different heap\\? a debug build says so\\): <Tracked at 0x");
}
#endif
