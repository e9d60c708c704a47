// refgc/list.h: List<T>, a managed list of strong references (Python's list).
//
//   auto row = refgc::make<refgc::List<refgc::Int>>();
//   row->append(refgc::make<refgc::Int>(0));
//   auto grid = row->repeat(3);            // [[0]] * 3: three references to...
//   auto matrix = refgc::make<refgc::List<refgc::List<refgc::Int>>>();
//   for (int i = 0; i < 3; ++i) matrix->append(row);   // ...one shared row
//   auto tail = grid->slice(1, 3);         // a NEW list sharing the elements
//   refgc::Ref<refgc::Int> x = row->pop(); // pop hands the reference over
//
// Every slot holds one reference (a list holding the same object twice adds
// two). Indices follow Python: negative ones count from the end; an index out
// of range throws std::out_of_range. The list is tracked by the collector and
// traces its elements last to first, like CPython.
//
// Iterators are std::vector's: appending or removing while iterating
// invalidates them, as in C++ (Python raises nothing and gives odd results).
#pragma once

#include <cstddef>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "refgc/ref.h"
#include "refgc/tracer.h"

namespace refgc {

template <class T = Object>
class List : public Object {
 public:
  static constexpr const char* refgc_type_name = "List";
  using value_type = Ref<T>;
  using iterator = typename std::vector<Ref<T>>::iterator;
  using const_iterator = typename std::vector<Ref<T>>::const_iterator;

  List() = default;
  List(std::initializer_list<Ref<T>> items) : items_(items) {}
  explicit List(std::vector<Ref<T>> items) : items_(std::move(items)) {}

  void append(Ref<T> x) { items_.push_back(std::move(x)); }
  void insert(std::ptrdiff_t i, Ref<T> x) {
    items_.insert(items_.begin() + clamp(i), std::move(x));
  }
  void extend(const List& other) {
    std::vector<Ref<T>> copy(other.items_);  // other may be *this
    for (auto& x : copy) items_.push_back(std::move(x));
  }

  // Removes the last (or the i-th) element and hands its reference to the
  // caller: the count is unchanged if the result is kept, -1 if discarded.
  Ref<T> pop() {
    if (items_.empty()) throw std::out_of_range("pop from empty list");
    Ref<T> x = std::move(items_.back());
    items_.pop_back();
    return x;
  }
  Ref<T> pop(std::ptrdiff_t i) {
    if (items_.empty()) throw std::out_of_range("pop from empty list");
    const std::size_t at = checked(i, "pop index out of range");
    Ref<T> x = std::move(items_[at]);
    items_.erase(items_.begin() + static_cast<std::ptrdiff_t>(at));
    return x;
  }

  // del lst[i]: removes the element and drops its reference.
  void erase(std::ptrdiff_t i) {
    const std::size_t at = checked(i, "list assignment index out of range");
    Ref<T> dropped = std::move(items_[at]);
    items_.erase(items_.begin() + static_cast<std::ptrdiff_t>(at));
  }  // `dropped` dies here, after the list is consistent again

  // Empties the list and drops every reference. Aliases see the empty list.
  void clear() noexcept {
    std::vector<Ref<T>> dropped;
    dropped.swap(items_);
  }  // elements are released after the list is already empty

  std::size_t size() const noexcept { return items_.size(); }
  bool empty() const noexcept { return items_.empty(); }

  // lst[i], Python indexing (negative from the end), checked.
  Ref<T>& operator[](std::ptrdiff_t i) { return items_[checked(i, "list index out of range")]; }
  const Ref<T>& operator[](std::ptrdiff_t i) const {
    return items_[checked(i, "list index out of range")];
  }
  Ref<T>& at(std::ptrdiff_t i) { return (*this)[i]; }
  const Ref<T>& at(std::ptrdiff_t i) const { return (*this)[i]; }

  // Position of the first element that is, or equals, x. Throws
  // std::out_of_range when there is none (Python's ValueError).
  std::size_t index(const Ref<T>& x) const {
    for (std::size_t i = 0; i < items_.size(); ++i)
      if (same_or_equal(items_[i], x)) return i;
    throw std::out_of_range("List::index: value is not in list");
  }
  bool contains(const Ref<T>& x) const noexcept {
    for (const auto& y : items_)
      if (same_or_equal(y, x)) return true;
    return false;
  }
  std::size_t count(const Ref<T>& x) const noexcept {
    std::size_t n = 0;
    for (const auto& y : items_) n += same_or_equal(y, x) ? 1 : 0;
    return n;
  }

  // lst[i:j]: a new list holding new references to the same elements
  // (shallow). Bounds are clamped like Python's.
  Ref<List> slice(std::ptrdiff_t i, std::ptrdiff_t j) const {
    const std::size_t b = clamp(i), e = clamp(j);
    std::vector<Ref<T>> part;
    if (b < e)
      part.assign(items_.begin() + static_cast<std::ptrdiff_t>(b),
                  items_.begin() + static_cast<std::ptrdiff_t>(e));
    return make<List>(std::move(part));
  }
  // lst[:]
  Ref<List> copy() const { return make<List>(items_); }
  // lst * n: a new list with n references to each element, in order.
  Ref<List> repeat(std::size_t n) const {
    std::vector<Ref<T>> out;
    out.reserve(items_.size() * n);
    for (std::size_t k = 0; k < n; ++k) out.insert(out.end(), items_.begin(), items_.end());
    return make<List>(std::move(out));
  }

  iterator begin() noexcept { return items_.begin(); }
  iterator end() noexcept { return items_.end(); }
  const_iterator begin() const noexcept { return items_.begin(); }
  const_iterator end() const noexcept { return items_.end(); }

  void trace(Tracer& t) override {
    for (std::size_t i = items_.size(); i-- > 0;) t(items_[i]);  // last first, like CPython
  }
  std::string repr() const override {
    detail::ReprGuard guard(this);
    if (!guard) return "[...]";
    std::string s = "[";
    const std::size_t limit = detail::ReprLimit::current();
    for (std::size_t i = 0; i < items_.size(); ++i) {
      if (i != 0) s += ", ";
      if (s.size() > limit) {
        s += "...";
        break;
      }
      s += items_[i] ? element_repr(*items_[i]) : "None";
    }
    return s + "]";
  }
  std::size_t extra_size() const noexcept override { return items_.capacity() * sizeof(Ref<T>); }
  bool equals(const Object& other) const override {
    const auto* o = dynamic_cast<const List*>(&other);
    if (o == nullptr || o->items_.size() != items_.size()) return false;
    for (std::size_t i = 0; i < items_.size(); ++i)
      if (!same_or_equal(items_[i], o->items_[i])) return false;
    return true;
  }
  friend bool operator==(const List& a, const List& b) { return a.equals(b); }

 private:
  static bool same_or_equal(const Ref<T>& a, const Ref<T>& b) {
    if (a == b) return true;
    if (!a || !b) return false;
    return static_cast<const Object&>(*a).equals(static_cast<const Object&>(*b));
  }
  static std::string element_repr(const T& x) {
    return detail::repr_or_type(static_cast<const Object&>(x));
  }
  std::size_t checked(std::ptrdiff_t i, const char* what) const {
    const auto n = static_cast<std::ptrdiff_t>(items_.size());
    if (i < 0) i += n;
    if (i < 0 || i >= n) throw std::out_of_range(what);
    return static_cast<std::size_t>(i);
  }
  std::size_t clamp(std::ptrdiff_t i) const noexcept {
    const auto n = static_cast<std::ptrdiff_t>(items_.size());
    if (i < 0) i += n;
    if (i < 0) i = 0;
    if (i > n) i = n;
    return static_cast<std::size_t>(i);
  }

  std::vector<Ref<T>> items_;
};

}  // namespace refgc
