// Buffer and BufferView (issue 6, item 3): shared memory, the strong
// reference a view holds, BufferError on resizing an exporting buffer, bounds,
// copies, release() and collection. Seed behaviour 31's parity test is in
// tests/parity/seed_behaviours_caches_test.cc.
#include <gtest/gtest.h>
#include <refgc/refgc.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/gc_fixture.h"

namespace {

using refgc::Buffer;
using refgc::BufferError;
using refgc::BufferOf;
using refgc::BufferView;
using refgc::make;
using refgc::Object;
using refgc::Ref;
using refgc::shares_memory;
using refgc::WeakRef;
namespace gc = refgc::gc;

using Ints = BufferOf<std::int64_t>;
using Vec = std::vector<std::int64_t>;

Ref<Ints> ints(Vec v) { return make<Ints>(std::move(v)); }

class Buffers : public refgc_test::GcTest {};

// Review 2026-11-23 (helper): floating-point elements printed with
// std::to_string (1e-10 as 0.000000); python3 3.11.7 prints
// array('d', [1e-10, 2.5, 1e20, 0.1]).tolist() as [1e-10, 2.5, 1e+20, 0.1].
TEST_F(Buffers, FloatingPointElementsPrintAsPythonPrintsFloats) {
  auto d = refgc::make<refgc::BufferOf<double>>(std::vector<double>{1e-10, 2.5, 1e20, 0.1});
  EXPECT_EQ(d->repr(), "[1e-10, 2.5, 1e+20, 0.1]");
  // array('f', [0.1, 3.0]).tolist() prints [0.10000000149011612, 3.0]: a
  // float element is shown as the double it converts to (it was [0.1, 3.0]).
  auto f = refgc::make<refgc::BufferOf<float>>(std::vector<float>{0.1f, 3.0f});
  EXPECT_EQ(f->repr(), "[0.10000000149011612, 3.0]");
}

// Review 2026-11-23 (session 14), python3 3.11.7: bytearray(b'abc')[-1] is
// 99 and bytearray(b'abc')[-4] raises IndexError; array('b', [-1, 2, 65])
// prints array('b', [-1, 2, 65]). refgc threw vector::_M_range_check for
// [-1], printed an std::int8_t buffer as b'\xff\x02A', and a buffer of a
// struct without == did not compile (its equality used ==).
struct Point {
  int x, y;
};

TEST_F(Buffers, IndicesCountFromTheEndLikePythonsAndInt8PrintsAsNumbers) {
  auto b = refgc::make<refgc::Buffer>(std::string_view("abc"));
  EXPECT_EQ((*b)[-1], 'c');
  EXPECT_EQ(b->at(-3), 'a');
  try {
    (void)(*b)[-4];
    ADD_FAILURE() << "out of range";
  } catch (const std::out_of_range& e) {
    EXPECT_STREQ(e.what(), "Buffer index out of range");
  }
  EXPECT_THROW((void)(*b)[3], std::out_of_range);
  auto v = b->view(1, 3);
  EXPECT_EQ((*v)[-1], 'c');
  EXPECT_EQ(v->at(-2), 'b');
  EXPECT_THROW((void)(*v)[-3], std::out_of_range);
  auto i8 = refgc::make<refgc::BufferOf<std::int8_t>>(std::vector<std::int8_t>{-1, 2, 65});
  EXPECT_EQ(i8->repr(), "[-1, 2, 65]");
  auto p = refgc::make<refgc::BufferOf<Point>>(std::vector<Point>{{1, 2}, {3, 4}});
  auto q = refgc::make<refgc::BufferOf<Point>>(std::vector<Point>{{1, 2}, {3, 4}});
  auto r = refgc::make<refgc::BufferOf<Point>>(std::vector<Point>{{1, 2}, {3, 5}});
  EXPECT_TRUE(*p == *q);
  EXPECT_FALSE(*p == *r);
}

// As List's (ContainersTest.AnUnsignedIndexThatWrappedBelowZero...): a
// size_t index that wrapped below zero is out of range, not the last byte.
TEST_F(Buffers, AnUnsignedIndexThatWrappedBelowZeroIsOutOfRange) {
  auto b = refgc::make<refgc::Buffer>(std::string_view("abc"));
  const std::size_t wrapped = std::size_t{0} - 1;
  EXPECT_THROW((void)(*b)[wrapped], std::out_of_range);
  EXPECT_THROW((void)b->at(wrapped), std::out_of_range);
  EXPECT_EQ((*b)[std::size_t{2}], 'c');
  EXPECT_EQ((*b)[-1L], 'c');
  auto v = b->view(1, 3);
  EXPECT_THROW((void)(*v)[wrapped], std::out_of_range);
  EXPECT_THROW((void)v->at(std::uint16_t{2}), std::out_of_range);
  EXPECT_EQ((*v)[std::size_t{1}], 'c');
}

// The header's "the bytes of a string" for a char buffer: a literal was
// ambiguous between the string and the span constructors (review
// 2026-11-23); it is its bytes without the terminating NUL.
TEST_F(Buffers, ACharBufferMadeFromAStringLiteralHoldsItsBytes) {
  auto b = refgc::make<refgc::BufferOf<char>>("abc");
  ASSERT_EQ(b->size(), 3u);
  EXPECT_EQ(std::string(b->span().begin(), b->span().end()), "abc");
}

TEST_F(Buffers, WritesThroughAViewChangeTheBase) {
  auto arr = ints({1, 2, 3, 4, 5});
  auto view = arr->view(1, 4);
  (*view)[0] = 99;
  view->span()[2] = 40;
  EXPECT_EQ(arr->to_vector(), (Vec{1, 99, 3, 40, 5}));
  EXPECT_EQ(view->to_vector(), (Vec{99, 3, 40}));
  (*arr)[2] = 7;  // and writes to the base show through the view
  EXPECT_EQ((*view)[1], 7);
  EXPECT_EQ(view->size(), 3u);
  EXPECT_EQ(view->offset(), 1u);
}

TEST_F(Buffers, EachViewAddsOneReferenceToTheBaseAndGivesItBackWhenItDies) {
  auto arr = ints({1, 2, 3});
  EXPECT_EQ(refgc::getrefcount(arr), 2u);
  auto v1 = arr->view(0, 1);
  EXPECT_EQ(refgc::getrefcount(arr), 3u);
  auto v2 = arr->view();
  EXPECT_EQ(refgc::getrefcount(arr), 4u);
  EXPECT_EQ(arr->exports(), 2u);
  v1.reset();
  EXPECT_EQ(refgc::getrefcount(arr), 3u);
  EXPECT_EQ(arr->exports(), 1u);
  v2.reset();
  EXPECT_EQ(refgc::getrefcount(arr), 2u);
  EXPECT_EQ(arr->exports(), 0u);
}

TEST_F(Buffers, TheBaseOutlivesItsLastNameWhileAViewLivesAndDiesWithTheView) {
  auto base = make<Buffer>("abcdef");
  WeakRef<Buffer> w(base);
  auto mv = base->view(2, 4);
  base.reset();
  EXPECT_TRUE(w.alive());
  EXPECT_EQ(mv->repr(), "b'cd'");
  EXPECT_TRUE(refgc::is(mv->base(), w()));
  mv.reset();
  EXPECT_FALSE(w.alive());
}

TEST_F(Buffers, EverySizeChangeOfABaseWithLiveViewsThrowsBufferError) {
  auto arr = ints({1, 2, 3});
  auto view = arr->view(0, 2);
  const std::int64_t more[] = {4, 5};
  EXPECT_THROW(arr->append(4), BufferError);
  EXPECT_THROW(arr->resize(10), BufferError);
  EXPECT_THROW(arr->resize(1, 0), BufferError);
  EXPECT_THROW(arr->extend(more), BufferError);
  EXPECT_THROW(arr->clear(), BufferError);
  EXPECT_THROW(arr->reserve(100), BufferError);
  EXPECT_THROW(arr->shrink_to_fit(), BufferError);
  try {
    arr->append(4);
    FAIL() << "append did not throw";
  } catch (const BufferError& e) {
    EXPECT_STREQ(e.what(), "cannot resize an array that is exporting buffers");
  }
  EXPECT_EQ(arr->to_vector(), (Vec{1, 2, 3}));
  (*arr)[0] = 10;  // element writes are allowed
  view.reset();
  arr->append(4);
  arr->extend(more);
  EXPECT_EQ(arr->to_vector(), (Vec{10, 2, 3, 4, 4, 5}));
}

TEST_F(Buffers, OutOfRangeViewBoundsThrow) {
  auto arr = ints({1, 2, 3});
  EXPECT_THROW((void)arr->view(0, 4), std::out_of_range);
  EXPECT_THROW((void)arr->view(2, 1), std::out_of_range);
  EXPECT_THROW((void)arr->view(4, 4), std::out_of_range);
  EXPECT_EQ(arr->exports(), 0u);  // a failed view exports nothing
  EXPECT_EQ(refgc::getrefcount(arr), 2u);
  EXPECT_EQ(arr->view(3, 3)->size(), 0u);  // an empty view at the end is fine
  auto view = arr->view(1, 3);
  EXPECT_THROW((void)view->view(0, 3), std::out_of_range);
  EXPECT_THROW((void)(*view)[2], std::out_of_range);
  EXPECT_THROW((void)(*arr)[3], std::out_of_range);
}

TEST_F(Buffers, AViewOfAViewIsAViewOfTheSameBase) {
  auto arr = ints({0, 1, 2, 3, 4, 5, 6, 7});
  auto outer = arr->view(2, 7);
  auto inner = outer->view(1, 3);  // base elements 3 and 4
  EXPECT_TRUE(refgc::is(inner->base(), arr));
  EXPECT_EQ(inner->offset(), 3u);
  EXPECT_EQ(inner->to_vector(), (Vec{3, 4}));
  EXPECT_EQ(arr->exports(), 2u);
  EXPECT_EQ(refgc::getrefcount(arr), 4u);    // arr + outer + inner (+ argument)
  EXPECT_EQ(refgc::getrefcount(outer), 2u);  // inner does not refer to outer
  (*inner)[0] = -3;
  EXPECT_EQ((*outer)[1], -3);
}

TEST_F(Buffers, CopyDoesNotShareMemory) {
  auto arr = ints({1, 2, 3, 4});
  auto view = arr->view(1, 3);
  auto from_view = view->copy();
  auto from_base = arr->copy();
  EXPECT_TRUE(shares_memory(arr, view));
  EXPECT_FALSE(shares_memory(arr, from_view));
  EXPECT_FALSE(shares_memory(view, from_view));
  EXPECT_FALSE(shares_memory(arr, from_base));
  EXPECT_EQ(from_view->to_vector(), (Vec{2, 3}));
  (*from_view)[0] = 100;
  EXPECT_EQ((*arr)[1], 2);
  EXPECT_EQ(from_view->exports(), 0u);
  EXPECT_EQ(arr->exports(), 1u);
  EXPECT_TRUE(*from_base == *arr);
}

TEST_F(Buffers, SharesMemoryIsTrueOnlyForOverlappingRanges) {
  auto arr = ints({1, 2, 3, 4, 5, 6});
  auto left = arr->view(0, 3);
  auto right = arr->view(3, 6);
  auto middle = arr->view(2, 4);
  auto empty = arr->view(2, 2);
  EXPECT_FALSE(shares_memory(left, right));  // adjacent, not overlapping
  EXPECT_TRUE(shares_memory(left, middle));
  EXPECT_TRUE(shares_memory(right, middle));
  EXPECT_FALSE(shares_memory(empty, arr));
  EXPECT_TRUE(shares_memory(arr, arr));
  EXPECT_TRUE(shares_memory(*left, *arr));  // also on objects
  EXPECT_FALSE(shares_memory(arr, ints({1, 2, 3, 4, 5, 6})));
  EXPECT_FALSE(shares_memory(Ref<Ints>(), arr));
}

TEST_F(Buffers, AReleasedViewRefusesUseAndLetsTheBaseResize) {
  auto arr = ints({1, 2, 3});
  auto view = arr->view(0, 3);
  EXPECT_EQ(refgc::getrefcount(arr), 3u);
  view->release();
  EXPECT_TRUE(view->released());
  EXPECT_FALSE(view->base());
  EXPECT_EQ(refgc::getrefcount(arr), 2u);
  EXPECT_EQ(arr->exports(), 0u);
  EXPECT_THROW((void)view->data(), std::logic_error);
  EXPECT_THROW((void)(*view)[0], std::logic_error);
  EXPECT_THROW((void)view->copy(), std::logic_error);
  // len() of a released memoryview raises too (python3 3.11.7: "ValueError:
  // operation forbidden on released memoryview object"): its size is gone
  // with the base, not the size it had.
  EXPECT_THROW((void)view->size(), std::logic_error);
  EXPECT_THROW((void)view->empty(), std::logic_error);
  EXPECT_FALSE(shares_memory(view, arr));
  view->release();  // idempotent
  arr->append(4);
  EXPECT_EQ(arr->size(), 4u);
}

TEST_F(Buffers, BytesPrintLikePythonBytesAndNumbersLikeALiteralList) {
  auto bytes = make<Buffer>(std::string_view("a'\\\n\x01z"));
  EXPECT_EQ(bytes->repr(), R"(b"a'\\\n\x01z")");  // Python: repr(b"a'\\\n\x01z")
  EXPECT_EQ(make<Buffer>("a\"'b")->repr(), R"(b'a"\'b')");
  EXPECT_EQ(make<Buffer>(std::string_view("\t\r\x7f\xff"))->repr(), R"(b'\t\r\x7f\xff')");
  EXPECT_EQ(ints({1, -2, 3})->repr(), "[1, -2, 3]");
  auto arr = ints({1, 2, 3});
  EXPECT_EQ(arr->view(1, 3)->repr(), "[2, 3]");
  EXPECT_EQ(make<Buffer>(3, std::uint8_t{'x'})->repr(), "b'xxx'");
}

TEST_F(Buffers, ABufferIsUntrackedAndAViewIsTrackedAndReportsItsBase) {
  auto arr = ints({1, 2});
  auto view = arr->view();
  EXPECT_FALSE(gc::is_tracked(*arr));
  EXPECT_TRUE(gc::is_tracked(*view));
  auto referents = gc::get_referents(view);
  ASSERT_EQ(referents.size(), 1u);
  EXPECT_TRUE(refgc::is(referents[0], arr));
}

// A view caught in a garbage cycle: the collector frees the cycle, and the
// view gives its export back with its reference (the base stays usable).
struct Holder : Object {
  Ref<Object> self;
  Ref<BufferView<std::int64_t>> view;
  void trace(refgc::Tracer& t) override { t(self, view); }
};

TEST_F(Buffers, AViewInAGarbageCycleGivesBackItsExportWhenCollected) {
  auto arr = ints({1, 2, 3});
  auto holder = make<Holder>();
  holder->self = holder;
  holder->view = arr->view(0, 2);
  holder.reset();
  EXPECT_EQ(arr->exports(), 1u);
  EXPECT_EQ(gc::collect(), 2u);  // the holder and its view
  EXPECT_EQ(arr->exports(), 0u);
  EXPECT_EQ(refgc::getrefcount(arr), 2u);
  arr->append(4);
  EXPECT_EQ(arr->size(), 4u);
}

TEST_F(Buffers, EqualityComparesElementsAndSizeofCountsTheStorage) {
  auto a = ints({1, 2, 3});
  auto b = ints({1, 2, 3});
  EXPECT_TRUE(*a == *b);
  EXPECT_FALSE(refgc::is(a, b));
  EXPECT_TRUE(a->equals(*b->view()));
  EXPECT_FALSE(a->equals(*b->view(0, 2)));
  auto big = make<Ints>(std::size_t{1000});
  EXPECT_GE(refgc::getsizeof(big), 8000u);
  EXPECT_LT(refgc::getsizeof(big->view()), 200u);  // shallow: a view owns no storage
}

TEST_F(Buffers, ABufferOfBytesCanBeBuiltFromAStringAndFilled) {
  auto b = make<Buffer>("xyz");
  EXPECT_EQ(b->size(), 3u);
  EXPECT_EQ((*b)[0], 'x');
  auto zeros = make<Buffer>(std::size_t{4});
  EXPECT_EQ(zeros->repr(), "b'\\x00\\x00\\x00\\x00'");
  auto v = b->view(1, 3);
  std::string seen(v->begin(), v->end());
  EXPECT_EQ(seen, "yz");
}

// A view's view(): allocating the new view may collect, and a finalizer of
// that collection may drop the caller's last reference to the view (a
// member, a global). The new view takes the base from the old one, which
// must be held through the allocation, as Python holds `self` (python3
// 3.11.7: `sub = h.view[1:3]` while Cyc.__del__ runs `h.view = None` prints
// `None b'bc'`). It read the freed view's base: AddressSanitizer
// use-after-poison (audit of allocating calls, 2026-11-24).
struct ClearsOnFinalize : Object {
  Ref<Object> self;
  Ref<BufferView<std::int64_t>>* slot = nullptr;
  void trace(refgc::Tracer& t) override { t(self); }
  void finalize() override { slot->reset(); }
};

TEST_F(Buffers, AViewOfAViewWhoseAllocationDropsTheOldViewStillSharesTheBase) {
  Ref<BufferView<std::int64_t>> held = make<Ints>(Vec{1, 2, 3})->view();
  auto cyc = make<ClearsOnFinalize>();
  cyc->self = cyc;
  cyc->slot = &held;
  cyc.reset();
  gc::enable();
  gc::set_threshold(1);  // the next tracked allocation collects
  Ref<BufferView<std::int64_t>> sub = held->view(1, 3);
  gc::disable();
  EXPECT_FALSE(held);  // the finalizer ran
  ASSERT_TRUE(sub);
  EXPECT_EQ(sub->to_vector(), (Vec{2, 3}));
  EXPECT_EQ(sub->base()->exports(), 1u);
}

// python3 3.11.7: bytearray().append(300), bytearray().append(-1),
// bytearray(b'a')[0] = 256 and bytearray([1, 300]) each raise "ValueError:
// byte must be in range(0, 256)"; array('h').append(70000) raises
// "OverflowError: signed short integer is greater than maximum",
// array('H').append(-1) "OverflowError: unsigned short is less than
// minimum". Buffer's append(300) stored 44, append(-1) 255 (review
// 2026-11-25).
TEST_F(Buffers, AnIntegerTheElementTypeCannotHoldIsRefusedInsteadOfNarrowed) {
  auto b = make<Buffer>("a");
  int big = 300;
  int negative = -1;
  try {
    b->append(big);
    FAIL() << "append(300) stored " << int{b->data()[1]};
  } catch (const std::out_of_range& e) {
    EXPECT_STREQ(e.what(), "byte must be in range(0, 256)");
  }
  EXPECT_THROW(b->append(negative), std::out_of_range);
  EXPECT_THROW(b->resize(3, big), std::out_of_range);
  EXPECT_THROW(b->set(0, 256), std::out_of_range);
  EXPECT_THROW(b->view()->set(0, big), std::out_of_range);
  EXPECT_THROW((make<Buffer>(std::size_t{2}, big)), std::out_of_range);
  EXPECT_EQ(b->repr(), "b'a'");  // each refusal left it unchanged
  b->append(255);
  b->append(true);    // bytearray().append(True) stores 1
  b->append('\xff');  // a char is a byte: 0xff, not -1
  b->set(-1, 0x41L);
  EXPECT_EQ(b->repr(), "b'a\\xff\\x01A'");

  auto shorts = make<BufferOf<std::int16_t>>();
  long wide = 70000;
  EXPECT_THROW(shorts->append(wide), std::overflow_error);
  EXPECT_THROW(shorts->append(-wide), std::overflow_error);
  EXPECT_THROW(make<BufferOf<std::uint16_t>>()->append(negative), std::overflow_error);
  EXPECT_THROW(make<BufferOf<std::int32_t>>()->append(std::uint64_t{1} << 40), std::overflow_error);
  shorts->append(-32768L);
  shorts->append(std::uint64_t{32767});
  EXPECT_EQ(shorts->repr(), "[-32768, 32767]");
#ifdef __SIZEOF_INT128__
  // An __int128 too, in strict mode (-std=c++20) as in GNU mode: 2**64 + 65
  // is not its low byte 'A'.
  __extension__ typedef __int128 Int128;
  EXPECT_THROW(b->append((Int128{1} << 64) + 65), std::out_of_range);
  EXPECT_THROW(shorts->append(-(Int128{1} << 64)), std::overflow_error);
#endif
  auto doubles = make<BufferOf<double>>();
  doubles->append(std::int64_t{1} << 62);  // a floating-point element is not checked
  EXPECT_EQ(doubles->size(), 1u);
}

}  // namespace
