// refgc/list.h: List<T>, a managed list of strong references (Python's list).
//
//   auto row = refgc::make<refgc::List<refgc::Int>>();
//   row->append(refgc::make<refgc::Int>(0));
//   auto grid = row->repeat(3);            // row * 3: [0, 0, 0], one Int thrice
//   auto matrix = refgc::make<refgc::List<refgc::List<refgc::Int>>>();
//   for (int i = 0; i < 3; ++i) matrix->append(row);   // [[0]] * 3: one shared row
//   auto tail = grid->slice(1, 3);         // a NEW list sharing the elements
//   refgc::Ref<refgc::Int> x = row->pop(); // pop hands the reference over
//
// Every slot holds one reference (a list holding the same object twice adds
// two). Indices follow Python: negative ones count from the end; an index out
// of range throws std::out_of_range. The list is tracked by the collector and
// traces its elements last to first, like CPython; a dying or cleared list
// releases them last to first too (CPython's list_dealloc, _list_clear).
//
// Iteration follows Python's list iterator: an iterator is the list and an
// index, and reads the list's current size and storage at every step, so a
// loop whose body appends, removes or clears sees what Python's `for x in
// lst` sees (removing the current element skips the next one; appended
// elements are visited; clear() ends the loop) and never reads freed slots.
// An iterator made by begin() (not end()) holds the list, as Python's does:
// a body that drops the last other reference to the list finishes the loop
// (a managed object that keeps such an iterator traces it, `t(it)`).
// Dereferencing at or past the current end throws std::out_of_range. What an
// iterator yields is the list's own slot (Ref<T>&, so std::sort and
// assignment through it work): when the body may change the list, take the
// element by value, which holds it through the body as Python's loop
// variable does:
//
//   for (refgc::Ref<Listener> l : *listeners) l->fire();  // may unsubscribe
//
// (with `auto& l`, the slot may hold another element, or be freed by a
// growing append, once the body changed the list). A list returned by
// value is iterated through its handle, `for (refgc::Ref<Listener> l :
// snapshot())`, which the loop keeps (Ref<T>::begin()); `*snapshot()`
// would dangle: its temporary handle dies before the loop starts.
// Iterators compare by position; end() stands for the size at the time of
// the comparison.
//
// Layout: 32 bytes, the object header plus two words. A list of at most one
// element keeps it in the first word (a Ref is one pointer), with no further
// allocation (a million nested one-element lists cost 32 bytes each); a
// longer one points there to an array from ::operator new whose capacity is
// stored just before the elements. The second word is the size, its top bit
// set when the elements are in such an array.
//
// == (equals()) is Python's list ==: any two lists, whatever their element
// types (a List<Int> and a List<Object>, or lists of them), are equal when
// they have the same size and each pair of elements is the same object
// (`is`, two empty slots included) or equals() the other (Python's ==: the
// element's equals(), then, if false and the other is of another type, the
// other's; detail::equal_objects), as index(), count(), contains() and
// remove() compare. Nested more than
// detail::CompareGuard::kMaxDepth deep it throws std::runtime_error (Python's
// RecursionError). A List is never equal to an object that is not a List.
#pragma once

#include <compare>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <new>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "refgc/ref.h"
#include "refgc/tracer.h"

namespace refgc {

template <class T>
class List;

namespace detail {

// The base of every List<T>, whatever T: what List<T>::equals() needs to
// compare itself with a List<U> (Python compares any two lists). No data
// members (the vtable pointer is Object's): List keeps its 32 bytes.
class ListBase : public Object {
 public:
  // *a == *b for lists of different element types.
  friend bool operator==(const ListBase& a, const ListBase& b) { return a.equals(b); }

 protected:
  ListBase() noexcept = default;

 private:
  template <class T>
  friend class refgc::List;
  // The number of elements, and a new reference to the i-th (i < equality_size()).
  virtual std::size_t equality_size() const noexcept = 0;
  virtual Ref<Object> equality_item(std::size_t i) const noexcept = 0;
};

static_assert(sizeof(ListBase) == sizeof(Object), "ListBase adds nothing to the header");

}  // namespace detail

template <class T = Object>
class List : public detail::ListBase {
 public:
  static constexpr const char* refgc_type_name = "List";
  using value_type = Ref<T>;
  template <bool kConst>
  class basic_iterator;
  using iterator = basic_iterator<false>;
  using const_iterator = basic_iterator<true>;

  // An empty list; a list of the given elements, one new reference each.
  List() noexcept {}
  List(std::initializer_list<Ref<T>> items) {
    reserve(items.size());
    for (const Ref<T>& x : items) push(Ref<T>(x));
  }
  explicit List(std::vector<Ref<T>> items) {
    reserve(items.size());
    for (Ref<T>& x : items) push(std::move(x));
  }
  ~List() override { destroy_storage(data(), size(), is_heap()); }

  // lst.append(x). Throws std::length_error past the largest size (never
  // reached in practice) and std::bad_alloc, changing nothing.
  void append(Ref<T> x) {
    if (size() == capacity()) grow(size() + 1);
    push(std::move(x));
  }
  // lst.insert(i, x): before position i, clamped like Python's (a negative
  // i counts from the end; past either end inserts there). Never throws
  // std::out_of_range.
  template <detail::SequenceIndex I>
  void insert(I i, Ref<T> x) {
    const std::size_t at = detail::python_clamp(i, size());
    if (size() == capacity()) grow(size() + 1);
    Ref<T>* d = data();
    const std::size_t n = size();
    if (at == n) {
      push(std::move(x));
      return;
    }
    new (d + n) Ref<T>(std::move(d[n - 1]));
    set_size(n + 1);
    for (std::size_t k = n - 1; k > at; --k) d[k] = std::move(d[k - 1]);
    d[at] = std::move(x);
  }
  // lst.extend(other): a new reference to each of other's elements, in
  // order; `other` may be this list (its elements are added once).
  void extend(const List& other) {
    const std::size_t n = other.size();  // other may be *this
    reserve(size() + n);
    const Ref<T>* src = other.data();
    for (std::size_t k = 0; k < n; ++k) push(Ref<T>(src[k]));
  }

  // Removes the last (or the i-th) element and hands its reference to the
  // caller: the count is unchanged if the result is kept, -1 if discarded.
  Ref<T> pop() {
    if (empty()) throw std::out_of_range("pop from empty list");
    Ref<T> x = std::move(data()[size() - 1]);
    drop_last();
    return x;
  }
  template <detail::SequenceIndex I>
  Ref<T> pop(I i) {
    if (empty()) throw std::out_of_range("pop from empty list");
    const std::size_t at = checked(i, "pop index out of range");
    Ref<T> x = std::move(data()[at]);
    close_gap(at);
    return x;
  }

  // del lst[i]: removes the element and drops its reference.
  template <detail::SequenceIndex I>
  void erase(I i) {
    const std::size_t at = checked(i, "list assignment index out of range");
    Ref<T> dropped = std::move(data()[at]);
    close_gap(at);
  }  // `dropped` dies here, after the list is consistent again

  // lst.remove(x): removes the first element that is, or equals, x (as
  // index() finds it) and drops its reference. Throws std::out_of_range
  // when there is none (Python's ValueError: list.remove(x): x not in list).
  // x is held through the call, as Python holds the argument: it may be one
  // of this list's slots, which an equals() may empty, and its death (user
  // code) must wait until the element is out (review, API audit 2026-11-24:
  // a finalizer of x run between index() and the removal emptied the list,
  // and the removal then went past its end).
  void remove(const Ref<T>& x) {
    const Ref<T> held = x;
    const auto self = detail::hold_unless_dying(this);  // equals() may drop it
    std::size_t at;
    try {
      at = index(held);
    } catch (const std::out_of_range&) {
      throw std::out_of_range("list.remove(x): x not in list");
    }
    erase(at);
  }

  // Empties the list and drops every reference. Aliases see the empty list.
  void clear() noexcept {
    if (is_heap()) {
      Ref<T>* d = slot_.data;
      const std::size_t n = size();
      slot_.data = nullptr;  // back to the one inline slot, empty
      size_ = 0;
      destroy_storage(d, n, true);
    } else if (size_ != 0) {
      Ref<T> dropped = std::move(slot_.one);
      slot_.one.~Ref<T>();
      slot_.data = nullptr;
      size_ = 0;
    }
  }  // elements are released after the list is already empty

  // len(lst), and len(lst) == 0.
  std::size_t size() const noexcept { return size_ & ~kHeapBit; }
  bool empty() const noexcept { return size() == 0; }

  // lst[i], Python indexing, checked: a negative i counts from the end; i of
  // any integer type but bool, an unscoped enumerator or a type convertible
  // to an integer (detail::SequenceIndex; an unsigned one never counts from
  // the end, so a size_t that wrapped below zero throws instead of naming the
  // last element). The slot is borrowed from the list
  // (REFGC_LIFETIMEBOUND): copy it, `Ref<T> x = lst->at(i);`, to keep it.
  template <detail::SequenceIndex I>
  Ref<T>& operator[](I i) REFGC_LIFETIMEBOUND {
    return data()[checked(i, "list index out of range")];
  }
  template <detail::SequenceIndex I>
  const Ref<T>& operator[](I i) const REFGC_LIFETIMEBOUND {
    return data()[checked(i, "list index out of range")];
  }
  template <detail::SequenceIndex I>
  Ref<T>& at(I i) REFGC_LIFETIMEBOUND {
    return (*this)[i];
  }
  template <detail::SequenceIndex I>
  const Ref<T>& at(I i) const REFGC_LIFETIMEBOUND {
    return (*this)[i];
  }

  // Position of the first element that is, or equals, x. Throws
  // std::out_of_range when there is none (Python's ValueError).
  std::size_t index(const Ref<T>& x) const {
    const Ref<T> held = x;  // x may be one of this list's slots (see below)
    const auto self = detail::hold_unless_dying(this);
    for (std::size_t i = 0; i < size(); ++i)
      if (same_or_equal(data()[i], held)) return i;
    throw std::out_of_range("List::index: value is not in list");
  }
  // These compare with equals(), user code that may throw or change the
  // list: each element is held through its comparison and the size read
  // again after it (CPython's list_contains, listindex, listcount), and the
  // list is held through the call (an equals() may drop its last other
  // reference: review 2026-11-24). The
  // argument is held once on entry: it may be one of this list's own slots
  // (l->count(l->at(1))), which an equals() that grows the list frees
  // (review 2026-11-23: AddressSanitizer heap-use-after-free).
  bool contains(const Ref<T>& x) const {
    const Ref<T> held = x;
    const auto self = detail::hold_unless_dying(this);
    for (std::size_t i = 0; i < size(); ++i)
      if (same_or_equal(data()[i], held)) return true;
    return false;
  }
  std::size_t count(const Ref<T>& x) const {
    const Ref<T> held = x;
    const auto self = detail::hold_unless_dying(this);
    std::size_t n = 0;
    for (std::size_t i = 0; i < size(); ++i) n += same_or_equal(data()[i], held) ? 1 : 0;
    return n;
  }

  // lst[i:j]: a new list holding new references to the same elements
  // (shallow). Bounds are clamped like Python's.
  template <detail::SequenceIndex I, detail::SequenceIndex J>
  Ref<List> slice(I i, J j) const {
    const std::size_t b = detail::python_clamp(i, size()), e = detail::python_clamp(j, size());
    std::vector<Ref<T>> part;
    if (b < e) part.assign(data() + b, data() + e);
    return make<List>(std::move(part));
  }
  // lst[:]
  Ref<List> copy() const { return make<List>(std::vector<Ref<T>>(data(), data() + size())); }
  // lst * n: a new list with n references to each element, in order; n of
  // any integer type, and n <= 0 gives an empty list, as in Python
  // ([1, 2] * -1 == []). Throws std::length_error, before allocating
  // anything, when the result would pass the largest size a List holds (as
  // append() does there), and std::bad_alloc when memory runs out (both
  // Python's MemoryError).
  template <std::integral I>
  requires(!std::same_as<I, bool> && sizeof(I) <= sizeof(std::size_t)) Ref<List> repeat(I count)
  const {
    std::vector<Ref<T>> out;
    if (count <= 0 || size() == 0) return make<List>(std::move(out));
    const auto n = static_cast<std::size_t>(count);  // positive, and no wider than std::size_t
    if (n > kMaxSize / size()) throw std::length_error("List: too many elements");
    out.reserve(size() * n);
    for (std::size_t k = 0; k < n; ++k) out.insert(out.end(), data(), data() + size());
    return make<List>(std::move(out));
  }

  // Iteration (see the top of this file): begin() holds the list.
  iterator begin() noexcept { return iterator(this, 0, false); }
  iterator end() noexcept { return iterator(this, 0, true); }
  const_iterator begin() const noexcept { return const_iterator(this, 0, false); }
  const_iterator end() const noexcept { return const_iterator(this, 0, true); }

  void trace(Tracer& t) override {
    Ref<T>* d = data();
    for (std::size_t i = size(); i-- > 0;) {  // last first, like CPython
#if defined(__GNUC__) || defined(__clang__)
      // The collector's tracers write each element's header: fetch the
      // header kTraceAhead elements on (a full collection of a 1M-element
      // list of nodes made in order: 10.5 -> 10.0 ms; 128 or 256 ahead the
      // same within the noise).
      if (i >= kTraceAhead) __builtin_prefetch(d[i - kTraceAhead].get(), 1);
#endif
      t(d[i]);
    }
    // The collector's clearing tracer took every element: the list empties
    // itself, as CPython's list tp_clear leaves [] (not [None, None]).
    if (t.clearing()) clear();
  }

  std::string repr() const override {
    detail::ReprGuard guard(this);
    if (!guard) return "[...]";
    const auto self = detail::hold_unless_dying(this);  // a repr() may drop it
    std::string s = "[";
    const std::size_t limit = detail::ReprLimit::current();
    for (std::size_t i = 0; i < size(); ++i) {
      if (i != 0) s += ", ";
      if (s.size() > limit) {
        s += "...";
        break;
      }
      const Ref<T> x = data()[i];  // held: its repr() may change this list
      s += x ? element_repr(*x) : "None";
    }
    return s + "]";
  }
  // "[i]": the first position that holds `target` (diagnostics).
  std::string reference_name(const Object& target) const override {
    for (std::size_t i = 0; i < size(); ++i)
      if (static_cast<const Object*>(data()[i].get()) == &target)
        return "[" + std::to_string(i) + "]";
    return {};
  }
  // The element array (with its capacity word); nothing while the elements
  // fit in the list itself.
  std::size_t extra_size() const noexcept override {
    return is_heap() ? sizeof(std::size_t) + capacity() * sizeof(Ref<T>) : 0;
  }
  // Python's list == (see the top of this file), with any List<U>. Lists
  // nested (or containing themselves) more than CompareGuard::kMaxDepth deep
  // throw std::runtime_error, as Python's == raises RecursionError, instead
  // of overflowing the stack. The sizes are read again after each
  // comparison, which may change either list (CPython's list_richcompare).
  bool equals(const Object& other) const override {
    // Both held: an element's equals() may drop either's last other reference.
    const auto self = detail::hold_unless_dying(this);
    const auto peer = detail::hold_unless_dying(&other);
    if (const auto* o = dynamic_cast<const List*>(&other)) {  // the same T: no virtual calls
      if (o->size() != size()) return false;
      const detail::CompareGuard guard;
      for (std::size_t i = 0; i < size() && i < o->size(); ++i)
        if (!same_or_equal(data()[i], o->data()[i])) return false;
      return o->size() == size();
    }
    const auto* o = dynamic_cast<const detail::ListBase*>(&other);
    if (o == nullptr || o->equality_size() != size()) return false;
    const detail::CompareGuard guard;
    for (std::size_t i = 0; i < size() && i < o->equality_size(); ++i)
      if (!same_or_equal(Ref<Object>(data()[i]), o->equality_item(i))) return false;
    return o->equality_size() == size();
  }
  friend bool operator==(const List& a, const List& b) { return a.equals(b); }

  // Python's list iterator (see the top of this file): the list, an index,
  // and, for one made by begin() of a live list, a reference holding the
  // list. Random access; end() is a position that follows the size.
  template <bool kConst>
  class basic_iterator {
    using ListPtr = std::conditional_t<kConst, const List*, List*>;
    using Slot = std::conditional_t<kConst, const Ref<T>, Ref<T>>;

   public:
    using iterator_category = std::random_access_iterator_tag;
    using iterator_concept = std::random_access_iterator_tag;
    using value_type = Ref<T>;
    using difference_type = std::ptrdiff_t;
    using pointer = Slot*;
    using reference = Slot&;

    basic_iterator() noexcept = default;
    // A managed object that keeps an iterator traces it, `t(it)`, as it
    // traces a Ref: the iterator holds the list (Python's list iterator is
    // tracked too), and an element that keeps an iterator of its own list
    // is a cycle the collector must see. Diff review 2026-11-24 (session 17).
    using refgc_self_tracing = void;
    void trace(Tracer& t) {
      t(hold_);
      // Taken by the collector, the list may die: the iterator is then at
      // the end of no list (dereferencing it throws), not a dangling one.
      if (t.clearing()) list_ = nullptr;
    }
    // iterator -> const_iterator (implicit, as for pointers)
    template <bool kOther>
    requires(kConst && !kOther) basic_iterator(const basic_iterator<kOther>& o)
    noexcept : list_(o.list_), hold_(o.hold_), i_(o.i_), end_(o.end_) {}

    // The element at this position; throws std::out_of_range when the
    // position is at or past the list's current end.
    reference operator*() const { return list_->data()[element()]; }
    pointer operator->() const { return &**this; }
    reference operator[](difference_type n) const { return *(*this + n); }

    basic_iterator& operator++() noexcept {
      settle();
      ++i_;
      return *this;
    }
    basic_iterator operator++(int) noexcept {
      basic_iterator was = *this;
      ++*this;
      return was;
    }
    basic_iterator& operator--() noexcept {
      settle();
      --i_;
      return *this;
    }
    basic_iterator operator--(int) noexcept {
      basic_iterator was = *this;
      --*this;
      return was;
    }
    basic_iterator& operator+=(difference_type n) noexcept {
      settle();
      i_ += static_cast<std::size_t>(n);  // modulo 2^64: a negative n moves back
      return *this;
    }
    basic_iterator& operator-=(difference_type n) noexcept { return *this += -n; }
    friend basic_iterator operator+(basic_iterator it, difference_type n) noexcept {
      return it += n;
    }
    friend basic_iterator operator+(difference_type n, basic_iterator it) noexcept {
      return it += n;
    }
    friend basic_iterator operator-(basic_iterator it, difference_type n) noexcept {
      return it -= n;
    }
    friend difference_type operator-(const basic_iterator& a, const basic_iterator& b) noexcept {
      return static_cast<difference_type>(a.position()) -
             static_cast<difference_type>(b.position());
    }
    friend bool operator==(const basic_iterator& a, const basic_iterator& b) noexcept {
      return a.position() == b.position();
    }
    friend std::strong_ordering operator<=>(const basic_iterator& a,
                                            const basic_iterator& b) noexcept {
      return a.position() <=> b.position();
    }

   private:
    friend class List;
    template <bool>
    friend class basic_iterator;
    basic_iterator(ListPtr list, std::size_t i, bool end) noexcept : list_(list), i_(i), end_(end) {
      // (Not while the list is being destroyed: its count is 0 then.)
      if (!end)
        hold_ = detail::hold_unless_dying(const_cast<List*>(static_cast<const List*>(list)));
    }
    // end() stands for the current size; an index past a list that shrank
    // is at its end.
    std::size_t position() const noexcept {
      if (list_ == nullptr) return 0;
      const std::size_t n = list_->size();
      return end_ || i_ > n ? n : i_;
    }
    void settle() noexcept {
      if (list_ != nullptr) i_ = position();
      end_ = false;
    }
    std::size_t element() const {
      if (list_ == nullptr || end_ || i_ >= list_->size())
        throw std::out_of_range("List iterator: no element at this position (past the end)");
      return i_;
    }

    ListPtr list_ = nullptr;
    Ref<List> hold_;  // non-const: a clearing tracer takes it
    std::size_t i_ = 0;
    bool end_ = false;
  };

 private:
  static_assert(sizeof(Ref<T>) == sizeof(Ref<T>*) && alignof(Ref<T>) <= alignof(std::size_t),
                "List keeps one Ref in the place of a pointer");
  static constexpr std::size_t kHeapBit = std::size_t{1} << (sizeof(std::size_t) * 8 - 1);
  static constexpr std::size_t kTraceAhead = 64;  // elements (trace())
  // The most elements a List holds (grow() and repeat() throw
  // std::length_error past it): half of what the size word could count.
  static constexpr std::size_t kMaxSize = (kHeapBit - sizeof(std::size_t)) / sizeof(Ref<T>) / 2;

  // ListBase, for a List<U> comparing itself with this list.
  std::size_t equality_size() const noexcept override { return size(); }
  Ref<Object> equality_item(std::size_t i) const noexcept override { return data()[i]; }

  bool is_heap() const noexcept { return (size_ & kHeapBit) != 0; }
  Ref<T>* data() noexcept { return is_heap() ? slot_.data : &slot_.one; }
  const Ref<T>* data() const noexcept { return is_heap() ? slot_.data : &slot_.one; }
  std::size_t capacity() const noexcept {
    return is_heap() ? reinterpret_cast<const std::size_t*>(slot_.data)[-1] : 1;
  }
  void set_size(std::size_t n) noexcept { size_ = n | (size_ & kHeapBit); }

  // Constructs x at the end; the capacity is there.
  void push(Ref<T>&& x) noexcept {
    const std::size_t n = size();
    new (data() + n) Ref<T>(std::move(x));
    set_size(n + 1);
  }
  // Destroys the last element (already moved from).
  void drop_last() noexcept {
    const std::size_t n = size();
    data()[n - 1].~Ref<T>();
    set_size(n - 1);
  }
  // Moves the elements after `at` one place down (data()[at] is moved from).
  void close_gap(std::size_t at) noexcept {
    Ref<T>* d = data();
    const std::size_t n = size();
    for (std::size_t k = at; k + 1 < n; ++k) d[k] = std::move(d[k + 1]);
    drop_last();
  }
  void reserve(std::size_t n) {
    if (n > capacity()) grow(n);
  }
  // Room for at least `need` elements (at least doubling); throws
  // std::bad_alloc / std::length_error before changing anything.
  void grow(std::size_t need) {
    if (need > kMaxSize) throw std::length_error("List: too many elements");
    std::size_t cap = capacity() * 2;
    if (cap < 4) cap = 4;
    if (cap < need) cap = need;
    void* block = ::operator new(sizeof(std::size_t) + cap * sizeof(Ref<T>));
    *static_cast<std::size_t*>(block) = cap;
    auto* fresh = reinterpret_cast<Ref<T>*>(static_cast<char*>(block) + sizeof(std::size_t));
    Ref<T>* old = data();
    const std::size_t n = size();
    for (std::size_t k = 0; k < n; ++k) {
      new (fresh + k) Ref<T>(std::move(old[k]));
      old[k].~Ref<T>();
    }
    if (is_heap()) free_block(old);
    slot_.data = fresh;
    size_ = n | kHeapBit;
  }
  static void free_block(Ref<T>* d) noexcept {
    std::size_t* block = reinterpret_cast<std::size_t*>(d) - 1;
#ifdef __cpp_sized_deallocation
    ::operator delete(static_cast<void*>(block), sizeof(std::size_t) + *block * sizeof(Ref<T>));
#else
    ::operator delete(static_cast<void*>(block));  // clang 14: no sized deallocation by default
#endif
  }
  // Destroys n elements last to first (CPython's list_dealloc and
  // _list_clear release them in that order), then frees the array if it is
  // one.
  static void destroy_storage(Ref<T>* d, std::size_t n, bool heap) noexcept {
    for (std::size_t k = n; k-- > 0;) d[k].~Ref<T>();
    if (heap) free_block(d);
  }

  // Takes copies: both stay alive through equals(), whatever it does.
  template <class A, class B>
  static bool same_or_equal(Ref<A> a, Ref<B> b) {
    if (a == b) return true;
    if (!a || !b) return false;
    return detail::equal_objects(static_cast<const Object&>(*a), static_cast<const Object&>(*b));
  }
  static std::string element_repr(const T& x) {
    return detail::repr_or_type(static_cast<const Object&>(x));
  }
  template <detail::SequenceIndex I>
  std::size_t checked(I i, const char* what) const {
    return detail::python_index(i, size(), what);
  }

  // The first word: the element itself while the capacity is 1 (constructed
  // while the size is 1), else the element array.
  union Slot {
    Slot() noexcept : data(nullptr) {}
    ~Slot() {}
    Ref<T> one;
    Ref<T>* data;
  } slot_;
  std::size_t size_ = 0;  // | kHeapBit when slot_.data is the element array
};

// Python's list refuses weak references ("cannot create weak reference to
// 'list' object"); a subclass of List accepts them (seed behaviour 52).
template <class T>
struct detail::refuses_weakrefs_exactly<List<T>> : std::true_type {};

}  // namespace refgc
