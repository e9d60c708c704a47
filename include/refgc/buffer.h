// refgc/buffer.h: Buffer, a managed array of bytes or numbers, and its views
// (numpy's array views, Python's bytearray + memoryview).
//
//   using Array = refgc::BufferOf<std::int64_t>;
//   auto arr = refgc::make<Array>(std::vector<std::int64_t>{1, 2, 3, 4, 5});
//   auto view = arr->view(1, 4);          // shares arr's memory; +1 on arr
//   (*view)[0] = 99;                      // arr is now [1, 99, 3, 4, 5]
//   refgc::shares_memory(arr, view);      // true
//   arr->append(6);                       // throws refgc::BufferError: a view exists
//   auto copy = view->copy();             // a new Buffer: shares nothing
//   auto bytes = refgc::make<refgc::Buffer>("abcdef");   // Buffer = BufferOf<std::uint8_t>
//
// Semantics (seed behaviour 31, docs/guide/caches.md):
//   * BufferOf<T> owns a contiguous array of a trivially copyable T; `Buffer`
//     is BufferOf<std::uint8_t> (a bytearray).
//   * view(begin, end) returns a BufferView: a managed object that shares the
//     elements [begin, end) of the base and holds one strong reference to the
//     base (the base lives as long as any view of it). Writes through a view
//     change the base. A view of a view is a view of the same base (numpy's
//     `base` is the original array; memoryview's `obj` likewise).
//   * While views exist (exports() > 0) the base cannot change its size or
//     reallocate: resize(), append(), extend(), clear(), reserve() and
//     shrink_to_fit() throw refgc::BufferError, as CPython's array and
//     bytearray raise BufferError. Element writes stay allowed.
//   * view bounds must satisfy begin <= end <= size(), else std::out_of_range;
//     element access with [] and at() takes Python's indices (negative ones
//     count from the end) and is checked (std::out_of_range); data() and
//     span() are unchecked.
//   * Values are checked where Python checks them: for an integer element
//     type, append(), resize(n, v), the (n, v) constructor and set(i, v) take
//     an integer of any type and throw if the element type cannot hold it
//     (bytes: std::out_of_range "byte must be in range(0, 256)", Python's
//     ValueError; other integers: std::overflow_error, array.array's
//     OverflowError) instead of narrowing it; a floating-point value does
//     not compile (Python's TypeError). buf[i] = v through the T& that []
//     and at() return is a plain C++ assignment: it narrows as C++ does, so
//     write buf->set(i, v) where v may not fit.
//   * == compares the elements (with T's ==, or byte-wise for a struct that
//     has none); bytes (std::uint8_t, char, unsigned char, std::byte) print
//     as b'...', numbers (std::int8_t included) as [1, 2, 3].
//   * copy() makes a new Buffer with the same elements: shares_memory() with
//     the source is false.
//   * BufferView::release() (memoryview.release()) drops the view's reference
//     to the base early; using a released view throws std::logic_error.
//   * A Buffer holds no references: it is not tracked by the collector. A view
//     is tracked (like memoryview) and reports its base, which the collector
//     never clears (a cycle cannot run through a Buffer).
#pragma once

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "refgc/detail/integers.h"
#include "refgc/ref.h"
#include "refgc/tracer.h"

namespace refgc {

// Python's BufferError: a buffer cannot be resized while views of it exist.
class BufferError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

template <class T>
class BufferView;

namespace detail {
// Bytes print as b'...'; signed char (std::int8_t) is a number, as Python's
// array('b', [-1, 2]) prints [-1, 2].
template <class T>
inline constexpr bool kByteLike = std::is_same_v<T, std::uint8_t> || std::is_same_v<T, char> ||
                                  std::is_same_v<T, unsigned char> || std::is_same_v<T, std::byte>;

// repr() of a run of elements: b'...' for bytes, [a, b, c] for numbers.
template <class T>
std::string elements_repr(std::span<const T> items) {
  std::string s;
  if constexpr (kByteLike<T>) {
    // Python's bytes repr: single quotes unless the data holds ' and no ".
    bool single = false, dbl = false;
    for (const T& x : items) {
      single = single || static_cast<unsigned char>(x) == '\'';
      dbl = dbl || static_cast<unsigned char>(x) == '"';
    }
    const char quote = single && !dbl ? '"' : '\'';
    s = "b";
    s += quote;
    for (const T& x : items) {
      const auto c = static_cast<unsigned char>(x);
      if (c == '\\' || c == static_cast<unsigned char>(quote)) {
        s += '\\';
        s += static_cast<char>(c);
      } else if (c == '\t') {
        s += "\\t";
      } else if (c == '\n') {
        s += "\\n";
      } else if (c == '\r') {
        s += "\\r";
      } else if (c >= 0x20 && c < 0x7f) {
        s += static_cast<char>(c);
      } else {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(c));
        s += buf;
      }
    }
    s += quote;
  } else if constexpr (std::is_arithmetic_v<T>) {
    s = "[";
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i != 0) s += ", ";
      if constexpr (std::is_floating_point_v<T>) {
        // Python's float repr (std::to_string printed 1e-10 as 0.000000).
        s += repr_float(items[i]);
      } else {
        s += std::to_string(items[i]);
      }
    }
    s += "]";
  } else {
    s = "<" + std::to_string(items.size()) + " elements>";
  }
  return s;
}

// An integer of another type than T, for an element of integer type T:
// BufferOf's value-taking members check it (buffer_element) where a
// conversion would narrow it silently.
template <class V, class T>
concept other_integer_for = std::is_integral_v<T> && kInteger<V> && !std::is_same_v<V, T>;

// A value of another integer type as an element of integer type T, as
// Python stores it: a byte (uint8_t, unsigned char, char: a bytearray) must
// be in range(0, 256), else std::out_of_range("byte must be in range(0,
// 256)"), Python's ValueError (a char argument is a byte already: stored as
// its unsigned char); other element types throw std::overflow_error, as
// array.array raises OverflowError ("signed short integer is greater than
// maximum").
template <class T, class V>
T buffer_element(V v) {
  if constexpr (kByteLike<T>) {
    if constexpr (!std::is_same_v<V, char>) {
      if (!integer_fits<unsigned char>(v)) throw std::out_of_range("byte must be in range(0, 256)");
    }
    return static_cast<T>(static_cast<unsigned char>(v));
  } else {
    if (!integer_fits<T>(v)) {
      if constexpr (signed_integer<V>()) {
        if (v < 0) throw std::overflow_error("Buffer element is less than minimum");
      }
      throw std::overflow_error("Buffer element is greater than maximum");
    }
    return static_cast<T>(v);
  }
}

template <class X>
concept buffer_like = requires(const X& x) {
  { x.memory() } -> std::same_as<std::span<const std::byte>>;
};
}  // namespace detail

// A managed, resizable array of T (a bytearray / array.array / numpy array).
template <class T>
class BufferOf : public Object {
  static_assert(std::is_trivially_copyable_v<T>,
                "refgc::BufferOf<T>: T must be trivially copyable (bytes, numbers, PODs)");
  static_assert(!std::is_same_v<std::remove_cv_t<T>, bool>,
                "refgc::BufferOf<bool> is not supported (std::vector<bool> packs bits): use "
                "BufferOf<std::uint8_t> with 0 and 1");

 public:
  static constexpr const char* refgc_type_name = "Buffer";
  using value_type = T;
  using iterator = T*;
  using const_iterator = const T*;

  // An empty buffer.
  BufferOf() = default;
  // n value-initialized (zero) elements.
  explicit BufferOf(std::size_t n) : data_(n) {}
  // n copies of `value`. For an integer T, a value of another integer type
  // is checked (detail::buffer_element: bytearray(b'x') * n refuses 300 as
  // bytearray([300]) does) and a floating-point one refused at compile time
  // (Python's TypeError: 'float' object cannot be interpreted as an integer).
  BufferOf(std::size_t n, const T& value) : data_(n, value) {}
  template <detail::other_integer_for<T> V>
  BufferOf(std::size_t n, V value) : data_(n, detail::buffer_element<T>(value)) {}
  template <std::floating_point V>
  requires std::is_integral_v<T> BufferOf(std::size_t n, V value)
  = delete;
  BufferOf(std::initializer_list<T> items) : data_(items) {}
  explicit BufferOf(std::vector<T> items) : data_(std::move(items)) {}
  explicit BufferOf(std::span<const T> items) : data_(items.begin(), items.end()) {}
  // The bytes of a string (byte-sized T only): make<Buffer>("abcdef").
  // For a char buffer, a char array (a string literal) is its bytes without
  // the last one (the terminating NUL): the span constructor would take it
  // too, and make<BufferOf<char>>("abc") was ambiguous. Other byte buffers
  // keep the string_view constructor (up to the first NUL).
  template <std::size_t N>
  explicit BufferOf(const char (&bytes)[N]) requires std::same_as<T, char>
      : BufferOf(std::string_view(bytes, N - 1)) {}
  explicit BufferOf(std::string_view bytes) requires(sizeof(T) == 1) : data_(bytes.size()) {
    std::transform(bytes.begin(), bytes.end(), data_.begin(),
                   [](char c) { return static_cast<T>(static_cast<unsigned char>(c)); });
  }
  ~BufferOf() override = default;

  // Element count; raw, unchecked access to the elements (valid until the
  // next size change); iteration.
  std::size_t size() const noexcept { return data_.size(); }
  bool empty() const noexcept { return data_.empty(); }
  T* data() noexcept REFGC_LIFETIMEBOUND { return data_.data(); }
  const T* data() const noexcept REFGC_LIFETIMEBOUND { return data_.data(); }
  std::span<T> span() noexcept REFGC_LIFETIMEBOUND { return {data_.data(), data_.size()}; }
  std::span<const T> span() const noexcept REFGC_LIFETIMEBOUND {
    return {data_.data(), data_.size()};
  }
  iterator begin() noexcept { return data_.data(); }
  iterator end() noexcept { return data_.data() + data_.size(); }
  const_iterator begin() const noexcept { return data_.data(); }
  const_iterator end() const noexcept { return data_.data() + data_.size(); }

  // Checked element access with Python's indices: a negative one counts from
  // the end (buf[-1] is the last element); out of range throws
  // std::out_of_range("Buffer index out of range").
  // i of any integer type but bool, an unscoped enumerator or a type
  // convertible to an integer (detail::SequenceIndex); an unsigned one never
  // counts from the end (a size_t that wrapped below zero throws).
  template <detail::SequenceIndex I>
  T& operator[](I i) {
    return data_[detail::python_index(i, data_.size(), "Buffer index out of range")];
  }
  template <detail::SequenceIndex I>
  const T& operator[](I i) const {
    return data_[detail::python_index(i, data_.size(), "Buffer index out of range")];
  }
  template <detail::SequenceIndex I>
  T& at(I i) {
    return (*this)[i];
  }
  template <detail::SequenceIndex I>
  const T& at(I i) const {
    return (*this)[i];
  }
  // buf[i] = value, checked: [] and at() return a T&, and an integer of a
  // wider type assigned to it narrows silently ((*bytes)[0] = 300 stores
  // 44), where Python's `ba[0] = 300` raises. set() takes any integer for an
  // integer T and checks it as append() does (the value first, then the
  // index, as Python does), and refuses a floating-point one at compile time.
  template <detail::SequenceIndex I>
  void set(I i, const T& value) {
    (*this)[i] = value;
  }
  template <detail::SequenceIndex I, detail::other_integer_for<T> V>
  void set(I i, V value) {
    const T x = detail::buffer_element<T>(value);
    (*this)[i] = x;
  }
  template <detail::SequenceIndex I, std::floating_point V>
  requires std::is_integral_v<T>
  void set(I i, V value) = delete;

  // A view of the elements [begin, end) sharing this buffer's memory; it
  // holds a strong reference to this buffer (+1). Throws std::out_of_range
  // unless begin <= end <= size().
  Ref<BufferView<T>> view(std::size_t begin, std::size_t end) {
    return make<BufferView<T>>(Ref<BufferOf>(this), begin, end);
  }
  // A view of every element.
  Ref<BufferView<T>> view() { return view(0, size()); }

  // A new buffer with the same elements (shares no memory).
  Ref<BufferOf> copy() const { return make<BufferOf>(data_); }
  // The elements as a std::vector (tolist()).
  std::vector<T> to_vector() const { return data_; }

  // How many views share this buffer's memory now (CPython's ob_exports).
  std::size_t exports() const noexcept { return exports_; }

  // Size changes. Each throws refgc::BufferError while views exist. For an
  // integer T, append() and resize() take a value of any integer type and
  // check it (detail::buffer_element: Buffer's append(300) throws
  // std::out_of_range("byte must be in range(0, 256)") as python3's
  // bytearray().append(300) raises ValueError; it stored 44), and refuse a
  // floating-point one at compile time (Python's TypeError). A refused
  // value leaves the buffer unchanged.
  void resize(std::size_t n) {
    check_resizable();
    data_.resize(n);
  }
  void resize(std::size_t n, const T& value) {
    check_resizable();
    data_.resize(n, value);
  }
  template <detail::other_integer_for<T> V>
  void resize(std::size_t n, V value) {
    resize(n, detail::buffer_element<T>(value));
  }
  template <std::floating_point V>
  requires std::is_integral_v<T>
  void resize(std::size_t n, V value) = delete;
  void append(const T& x) {
    check_resizable();
    data_.push_back(x);
  }
  template <detail::other_integer_for<T> V>
  void append(V x) {
    append(detail::buffer_element<T>(x));
  }
  template <std::floating_point V>
  requires std::is_integral_v<T>
  void append(V x) = delete;
  void extend(std::span<const T> items) {
    check_resizable();
    data_.insert(data_.end(), items.begin(), items.end());
  }
  void clear() {
    check_resizable();
    data_.clear();
  }
  void reserve(std::size_t n) {
    check_resizable();
    data_.reserve(n);
  }
  void shrink_to_fit() {
    check_resizable();
    data_.shrink_to_fit();
  }

  // The bytes this buffer owns (for shares_memory).
  std::span<const std::byte> memory() const noexcept {
    return std::as_bytes(std::span<const T>(data_.data(), data_.size()));
  }

  // "b'abc'" for bytes, "[1, 2, 3]" for numbers.
  std::string repr() const override { return detail::elements_repr<T>(span()); }
  std::size_t extra_size() const noexcept override { return data_.capacity() * sizeof(T); }
  // Element-wise equality with another BufferOf<T> or a BufferView<T>.
  bool equals(const Object& other) const override {
    if (const auto* b = dynamic_cast<const BufferOf*>(&other)) return same_elements(*this, *b);
    if (const auto* v = dynamic_cast<const BufferView<T>*>(&other))
      return !v->released() && same_elements(*this, *v);
    return false;
  }
  friend bool operator==(const BufferOf& a, const BufferOf& b) { return a.equals(b); }

 private:
  friend class BufferView<T>;
  template <class A, class B>
  static bool same_elements(const A& a, const B& b) {
    if (a.size() != b.size()) return false;
    if constexpr (std::equality_comparable<T>) {
      for (std::size_t i = 0; i < a.size(); ++i)
        if (!(a.data()[i] == b.data()[i])) return false;
      return true;
    } else {  // a struct without ==: its bytes (padding included)
      return a.size() == 0 || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
    }
  }
  void check_resizable() const {
    if (exports_ != 0) throw BufferError("cannot resize an array that is exporting buffers");
  }

  std::vector<T> data_;
  std::size_t exports_ = 0;
};

// A bytearray.
using Buffer = BufferOf<std::uint8_t>;

// A window [offset, offset + size) on a BufferOf<T>: memoryview / a numpy view.
// Holds one strong reference to its base until it dies or is released.
template <class T>
class BufferView final : public Object {
 public:
  static constexpr const char* refgc_type_name = "BufferView";
  using value_type = T;
  using iterator = T*;

  // memoryview(base)[begin:end]. Throws std::invalid_argument for an empty
  // base, std::out_of_range unless begin <= end <= base->size().
  BufferView(Ref<BufferOf<T>> base, std::size_t begin, std::size_t end)
      : base_(std::move(base)), offset_(begin), size_(end - begin) {
    if (!base_) throw std::invalid_argument("BufferView: empty base");
    if (begin > end || end > base_->size()) {
      throw std::out_of_range("Buffer::view: range [" + std::to_string(begin) + ", " +
                              std::to_string(end) + ") is out of bounds for size " +
                              std::to_string(base_->size()));
    }
    ++base_->exports_;
  }
  // Gives the export and the reference back to the base (release()).
  ~BufferView() override { release(); }

  // The buffer this view shares (numpy's `base`, memoryview's `obj`); empty
  // once released.
  const Ref<BufferOf<T>>& base() const noexcept { return base_; }
  // Where the view starts in its base.
  std::size_t offset() const noexcept { return offset_; }
  // Element count (fixed until release()). On a released view both throw
  // std::logic_error, as len() of a released memoryview raises ValueError.
  std::size_t size() const {
    checked_base();
    return size_;
  }
  bool empty() const { return size() == 0; }

  // Element access; all throw std::logic_error on a released view. [] and
  // at() are checked (std::out_of_range); data() and span() are not.
  T* data() const REFGC_LIFETIMEBOUND { return checked_base().data() + offset_; }
  std::span<T> span() const REFGC_LIFETIMEBOUND { return {data(), size_}; }
  iterator begin() const { return data(); }
  iterator end() const { return data() + size_; }
  // Python's indices, as BufferOf's (a negative one counts from the end).
  template <detail::SequenceIndex I>
  T& operator[](I i) const {
    return at(i);
  }
  template <detail::SequenceIndex I>
  T& at(I i) const {
    checked_base();
    return data()[detail::python_index(i, size_, "BufferView index out of range")];
  }
  // view[i] = value, checked as BufferOf::set() (memoryview's `m[0] = 300`
  // raises ValueError).
  template <detail::SequenceIndex I>
  void set(I i, const T& value) const {
    at(i) = value;
  }
  template <detail::SequenceIndex I, detail::other_integer_for<T> V>
  void set(I i, V value) const {
    const T x = detail::buffer_element<T>(value);
    at(i) = x;
  }
  template <detail::SequenceIndex I, std::floating_point V>
  requires std::is_integral_v<T>
  void set(I i, V value) const = delete;

  // A view of this view's elements [begin, end): a view of the same base.
  Ref<BufferView> view(std::size_t begin, std::size_t end) const {
    checked_base();
    if (begin > end || end > size_) {
      throw std::out_of_range("BufferView::view: range [" + std::to_string(begin) + ", " +
                              std::to_string(end) + ") is out of bounds for size " +
                              std::to_string(size_));
    }
    // The base is copied before make() allocates: that allocation may
    // collect, and a finalizer may drop the caller's last reference to this
    // view (Python holds `self` through the call).
    Ref<BufferOf<T>> base = base_;
    return make<BufferView>(std::move(base), offset_ + begin, offset_ + end);
  }
  // A new Buffer holding a copy of the elements (shares no memory).
  Ref<BufferOf<T>> copy() const {
    auto s = span();
    return make<BufferOf<T>>(std::vector<T>(s.begin(), s.end()));
  }
  // The elements as a std::vector (memoryview.tolist()).
  std::vector<T> to_vector() const {
    auto s = span();
    return std::vector<T>(s.begin(), s.end());
  }

  // memoryview.release(): drops the reference to the base now (the base may
  // die here) and lets it resize again. Idempotent.
  void release() noexcept {
    if (!base_) return;
    --base_->exports_;
    base_.reset();
  }
  // Whether release() was called.
  bool released() const noexcept { return !base_; }

  // The bytes this view covers (empty once released).
  std::span<const std::byte> memory() const noexcept {
    if (!base_) return {};
    return std::as_bytes(std::span<const T>(base_->data() + offset_, size_));
  }

  // Reports the base but never lets the collector clear it: the view's
  // export count must be given back with the reference (in release()).
  void trace(Tracer& t) override { t(std::as_const(base_)); }
  std::string repr() const override {
    if (!base_) return "<released BufferView>";
    return detail::elements_repr<T>(std::span<const T>(base_->data() + offset_, size_));
  }
  bool equals(const Object& other) const override {
    if (!base_) return this == &other;
    if (const auto* v = dynamic_cast<const BufferView*>(&other))
      return !v->released() && BufferOf<T>::same_elements(*this, *v);
    if (const auto* b = dynamic_cast<const BufferOf<T>*>(&other))
      return BufferOf<T>::same_elements(*this, *b);
    return false;
  }

 private:
  friend class BufferOf<T>;
  BufferOf<T>& checked_base() const {
    if (!base_) throw std::logic_error("operation forbidden on a released BufferView");
    return *base_;
  }

  Ref<BufferOf<T>> base_;
  std::size_t offset_;
  std::size_t size_;
};

// numpy.shares_memory(a, b): whether a and b (buffers or views) have at
// least one byte of memory in common. A copy never shares memory with its
// source; a released view shares nothing.
template <class A, class B>
requires detail::buffer_like<A> && detail::buffer_like<B>
bool shares_memory(const A& a, const B& b) noexcept {
  const std::span<const std::byte> x = a.memory();
  const std::span<const std::byte> y = b.memory();
  if (x.empty() || y.empty()) return false;
  const std::less<const std::byte*> less;
  return less(x.data(), y.data() + y.size()) && less(y.data(), x.data() + x.size());
}
template <class A, class B>
requires detail::buffer_like<A> && detail::buffer_like<B>
bool shares_memory(const Ref<A>& a, const Ref<B>& b) noexcept {
  return a && b && shares_memory(*a, *b);
}

}  // namespace refgc
