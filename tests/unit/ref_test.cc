// Ref<T>, make<T>, getrefcount, id, is, getsizeof, casts, hashing.
// Seed behaviours 1-3, 7-9, 19-21 are covered in depth in
// tests/parity/seed_behaviours_test.cc; these tests pin the handle itself.
#include <gtest/gtest.h>
#include <refgc/refgc.h>

#include <type_traits>
#include <unordered_set>
#include <vector>

#include "support/gc_fixture.h"

namespace {

using refgc::make;
using refgc::Ref;

struct Base : refgc::Object {
  int base_value = 1;
};
struct Derived : Base {
  int derived_value = 2;
};
struct Other : refgc::Object {};

class RefTest : public refgc_test::GcTest {};

TEST_F(RefTest, HeaderIsSixteenBytes) {
  // design.md: "Aim for 16 bytes"; CPython spends 32 per tracked object.
  EXPECT_EQ(sizeof(refgc::Object), 16u);
  EXPECT_EQ(sizeof(Ref<Base>), sizeof(void*));
  auto x = make<Base>();
  EXPECT_TRUE(refgc::detail::ObjectAccess::layout_matches(x.get()));
}

TEST_F(RefTest, MakeGivesRefcountOneAndGetrefcountReportsTwo) {
  // Seed behaviour 2.
  auto x = make<Base>();
  EXPECT_EQ(x->refcount(), 1u);
  EXPECT_EQ(refgc::getrefcount(x), 2u);
}

TEST_F(RefTest, GetrefcountOfATemporaryReportsOne) {
  // Seed behaviour 9 (ERR-20: "always at least 2" is false).
  EXPECT_EQ(refgc::getrefcount(make<Base>()), 1u);
}

TEST_F(RefTest, CopyAddsOneAndDestroyingTheCopyRemovesIt) {
  auto x = make<Base>();
  {
    Ref<Base> y = x;
    EXPECT_EQ(x->refcount(), 2u);
  }
  EXPECT_EQ(x->refcount(), 1u);
}

TEST_F(RefTest, MoveTransfersWithoutTouchingTheCount) {
  auto x = make<Base>();
  Ref<Base> y = std::move(x);
  EXPECT_FALSE(x);  // NOLINT(bugprone-use-after-move): a moved-from Ref is empty
  EXPECT_EQ(y->refcount(), 1u);
  Ref<Base> z;
  z = std::move(y);
  EXPECT_EQ(z->refcount(), 1u);
}

TEST_F(RefTest, SelfAssignmentKeepsTheObjectAlive) {
  auto x = make<Base>();
  Ref<Base>& alias = x;
  x = alias;
  EXPECT_EQ(x->refcount(), 1u);
  x = std::move(alias);
  ASSERT_TRUE(x);
  EXPECT_EQ(x->refcount(), 1u);
}

TEST_F(RefTest, RebindingTakesOneFromTheOldAndAddsOneToTheNew) {
  // Seed behaviour 8.
  auto a = make<Base>();
  auto b = make<Base>();
  Ref<Base> h = a;
  EXPECT_EQ(a->refcount(), 2u);
  h = b;
  EXPECT_EQ(a->refcount(), 1u);
  EXPECT_EQ(b->refcount(), 2u);
}

TEST_F(RefTest, ImplicitUpcastSharesTheObject) {
  auto d = make<Derived>();
  Ref<Base> b = d;
  Ref<refgc::Object> o = d;
  EXPECT_EQ(d->refcount(), 3u);
  EXPECT_TRUE(refgc::is(b, d));
  EXPECT_TRUE(o == d);
  static_assert(!std::is_convertible_v<Ref<Base>, Ref<Derived>>, "no implicit downcast");
}

TEST_F(RefTest, RefCastIsCheckedAndStaticRefCastIsNot) {
  Ref<Base> b = make<Derived>();
  Ref<Derived> d = refgc::ref_cast<Derived>(b);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->derived_value, 2);
  EXPECT_FALSE(refgc::ref_cast<Other>(Ref<refgc::Object>(b)));
  Ref<Derived> s = refgc::static_ref_cast<Derived>(b);
  EXPECT_EQ(b->refcount(), 3u);
  Ref<Derived> moved = refgc::static_ref_cast<Derived>(std::move(b));
  EXPECT_EQ(moved->refcount(), 3u);
}

TEST_F(RefTest, RefFromRawPointerAddsAReference) {
  // api.md: Ref<Node>(this) adds one reference, like boost::intrusive_ptr.
  auto x = make<Base>();
  Base* raw = x.get();
  Ref<Base> again(raw);
  EXPECT_EQ(x->refcount(), 2u);
}

TEST_F(RefTest, IdIsTheAddressAndIsComparesIdentity) {
  // Seed behaviour 19.
  auto x = make<Base>();
  Ref<Base> alias = x;
  auto other = make<Base>();
  EXPECT_EQ(refgc::id(x), reinterpret_cast<std::uintptr_t>(x.get()));
  EXPECT_EQ(refgc::id(x), refgc::id(alias));
  EXPECT_TRUE(refgc::is(x, alias));
  EXPECT_FALSE(refgc::is(x, other));
  EXPECT_NE(x, other);
}

TEST_F(RefTest, AFreedAddressMayBeReusedAtOnce) {
  // Seed behaviour 21: id(A()) == id(A()) is True in CPython (free list).
  std::uintptr_t first = refgc::id(make<Base>());
  std::uintptr_t second = refgc::id(make<Base>());
  EXPECT_EQ(first, second);
}

TEST_F(RefTest, HashingARefHashesTheIdentity) {
  auto x = make<Base>();
  Ref<Base> alias = x;
  std::unordered_set<Ref<Base>> set{x, alias, make<Base>()};
  EXPECT_EQ(set.size(), 2u);
  EXPECT_EQ(std::hash<Ref<Base>>{}(x), std::hash<Ref<Base>>{}(alias));
}

TEST_F(RefTest, EmptyRefsCompareEqualToNullAndReportNothing) {
  Ref<Base> empty;
  EXPECT_TRUE(empty == nullptr);
  EXPECT_FALSE(empty);
  EXPECT_EQ(refgc::getrefcount(empty), 0u);
  EXPECT_EQ(refgc::getsizeof(empty), 0u);
  Ref<Base> x = make<Base>();
  x = nullptr;
  EXPECT_FALSE(x);
}

TEST_F(RefTest, GetsizeofIsTheShallowSizeWithTheHeader) {
  // Seed behaviour 65: shallow size; a list adds its element array.
  auto b = make<Base>();
  EXPECT_EQ(refgc::getsizeof(b), sizeof(Base));
  auto d = make<Derived>();
  EXPECT_EQ(refgc::getsizeof(Ref<Base>(d)), sizeof(Derived));
  auto list = make<refgc::List<refgc::Int>>();
  const std::size_t empty = refgc::getsizeof(list);
  for (int i = 0; i < 1000; ++i) list->append(make<refgc::Int>(i));
  EXPECT_GE(refgc::getsizeof(list), empty + 1000 * sizeof(void*));
}

TEST_F(RefTest, SubtleReleaseAndAdoptRoundTripWithoutCounting) {
  auto x = make<Base>();
  Ref<Base> y = x;
  Base* raw = refgc::subtle::release(std::move(y));
  EXPECT_EQ(x->refcount(), 2u);
  Ref<Base> back = refgc::subtle::adopt(raw);
  EXPECT_EQ(x->refcount(), 2u);
  refgc::subtle::incref(*x);
  EXPECT_EQ(x->refcount(), 3u);
  refgc::subtle::decref(*x);
  EXPECT_EQ(x->refcount(), 2u);
}

class RefDeathTest : public refgc_test::GcTest {
 protected:
  void SetUp() override {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    GcTest::SetUp();
  }
};

TEST_F(RefDeathTest, CopyingARefAtTheMaximumCountStopsAsOverflow) {
  EXPECT_DEATH(
      {
        auto x = make<Base>();
        refgc::detail::ObjectAccess::rc(x.get()) = 0xFFFFFFFFu;
        Ref<Base> copy = x;
      },
      "refgc: fatal: refcount overflow: <");
}

TEST_F(RefDeathTest, DroppingARefOfADeadObjectStopsAndNamesItDead) {
  EXPECT_DEATH(
      {
        auto x = make<Base>();
        Base* raw = x.get();
        x.reset();
        refgc::detail::decref(raw);
      },
      "refgc: fatal: refcount underflow or use of a dead object: <dead object at 0x");
}

TEST_F(RefTest, CountsNearTheMaximumStillCopyAndDrop) {
  auto x = make<Base>();
  std::uint32_t& rc = refgc::detail::ObjectAccess::rc(x.get());
  rc = 0xFFFFFFFEu;
  {
    Ref<Base> copy = x;
    EXPECT_EQ(x->refcount(), 0xFFFFFFFFu);
  }
  EXPECT_EQ(x->refcount(), 0xFFFFFFFEu);
  rc = 1;
}

// ref.h: "Cleared before the reference is dropped". A std::vector<Ref> being
// cleared destroys its handles in order; a finalizer run by the second one
// traces the owner (gc::get_referents) and must not meet the first one's
// freed object. Python: holder.items = [Leaf(), Reporter()]; a __del__ in
// Reporter printing len(gc.get_referents(holder.items)) after
// holder.items.clear() prints 0. (Before, the program stopped: "use of a
// dead object", the first handle still pointing at the freed Leaf.)
struct Leaf : refgc::Object {
  Ref<refgc::Object> next;
  void trace(refgc::Tracer& t) override { t(next); }
};
struct Holder : refgc::Object {
  std::vector<Ref<refgc::Object>> items;
  void trace(refgc::Tracer& t) override { t(items); }
};
struct Reporter : refgc::Object {
  static inline Ref<Holder> holder;
  static inline std::size_t referents_seen = 99;
  void trace(refgc::Tracer&) override {}
  void finalize() override { referents_seen = refgc::gc::get_referents(holder).size(); }
};

TEST_F(RefTest, AHandleBeingDestroyedIsAlreadyEmptyForAFinalizerItRuns) {
  Reporter::holder = make<Holder>();
  Reporter::holder->items.push_back(make<Leaf>());
  Reporter::holder->items.push_back(make<Reporter>());
  Reporter::holder->items.clear();
  EXPECT_EQ(Reporter::referents_seen, 0u);
  Reporter::holder.reset();
}

}  // namespace
