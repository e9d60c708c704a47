// src/weak_core.cc: the weak-reference core. Every weak reference is a
// WeakRefObject linked from its referent's entry in the heap's side table
// (HeapImpl::weaklists); the referent's header bit WR says the entry exists,
// so objects without weak references pay nothing.
//
// Refcount death (clear_weakrefs_on_dealloc) and collector death
// (handle_weakrefs) follow CPython 3.11 (cpython-semantics §1.7, §1.9):
// every weak reference is cleared before any callback runs; callbacks run in
// list order (newest first), each holding its weak reference; only weak
// references that are alive (and, in a collection, not garbage themselves)
// get their callback.
#include <algorithm>
#include <cstdio>
#include <mutex>
#include <stdexcept>
#include <string>

#include "collect.h"
#include "dealloc_inline.h"
#include "heap_impl.h"
#include "refgc/unraisable.h"
#include "refgc/weak_ref.h"
#include "weak_hooks.h"

namespace refgc::detail {

struct WeakAccess {
  static void set_referent(WeakRefObject& w, Object* r) noexcept {
    w.referent_ = reinterpret_cast<std::uintptr_t>(r);
  }
  // w is dead: referent() is null from now on. A hash taken while alive is
  // kept (it is the address).
  static void clear_referent(WeakRefObject& w) noexcept {
    w.referent_ = (w.referent_ & WeakRefObject::kHashed) ? (w.referent_ | WeakRefObject::kDead) : 0;
  }
  static WeakRefObject*& prev(WeakRefObject& w) noexcept { return w.prev_; }
  static WeakRefObject*& next(WeakRefObject& w) noexcept { return w.next_; }
  // Runs the callback once: __callback__ becomes None first. The callable
  // and the object it uses stay in w through the call (still traced) and are
  // released after it, the traced object first.
  static void call_callback(WeakRefObject& w) noexcept {
    WeakCallback& cb = w.callback_;
    if (cb.callable()) {
      cb.disarm();
      cb.call_and_reset(w);
    } else {
      cb.reset();
    }
  }
  // The same, but the callable (and what it holds) stays in w, still
  // reading as w's callback (has_callback()), until w dies: a collection's
  // way (gc's handle_weakrefs calls wr_callback and leaves it in place).
  static void call_callback_keeping_it(WeakRefObject& w) noexcept {
    WeakCallback& cb = w.callback_;
    if (cb.callable()) cb.call_and_keep(w);
  }
  // Refcount death with several callbacks: each is disarmed (reads None)
  // before the first runs, then called, then released by release_callback().
  static void disarm_callback(WeakRefObject& w) noexcept { w.callback_.disarm(); }
  static void call_disarmed_callback(WeakRefObject& w) noexcept {
    if (!w.callback_.empty()) w.callback_.call_and_keep(w);
  }
  static void release_callback(WeakRefObject& w) noexcept { w.callback_.reset(); }
};

[[gnu::cold]] void report_weak_callback_exception(const WeakRefObject& w) noexcept {
  char buf[96];
  std::snprintf(buf, sizeof buf, "<weakref callback of weakref at %p>",
                static_cast<const void*>(&w));
  write_unraisable(buf);
}

namespace {

void set_has_weakrefs(Object* o, bool on) noexcept {
  if (on) {
    ObjectAccess::gc(o) |= kHasWeakrefs;
  } else {
    ObjectAccess::gc(o) &= ~std::uint32_t{kHasWeakrefs};
  }
}

// A weak reference made while the thread held heap A, to an object of live
// heap B, is linked in A's table (the referent's header does not say which
// heap it belongs to): B's table has no entry for the object. Met again
// under B, that misuse stops with these sentences (or, when making another
// weak reference, throws: new_weakref) instead of reading B's table for a
// key it never had. Making the first one is not detected (memory-model.md,
// "Cross-heap references").
constexpr const char* kWeakRefsElsewhere =
    "an object with weak references has none in this heap's table (a WeakRef to it was made "
    "while the thread held another heap: refgc/heap.h)";
constexpr const char* kWeakRefElsewhere =
    "a weak reference is not in this heap's table of its referent (it was made while the thread "
    "held another heap: refgc/heap.h)";

// Takes w out of its referent's list; w becomes dead. `current`: the heap
// the thread holds; an orphan referent's list is in its own dead heap's
// table (weak_table_heap).
void unlink(HeapImpl& current, WeakRefObject* w) noexcept {
  Object* r = w->referent();
  HeapImpl& heap = weak_table_heap(current, r);
  const WeakTableGuard guard(heap, current);
  WeakRefObject* prev = WeakAccess::prev(*w);
  WeakRefObject* next = WeakAccess::next(*w);
  if (prev != nullptr) {
    WeakAccess::next(*prev) = next;
  } else if (next != nullptr) {
    if (!heap.weaklists.replace(r, next)) fatal_object(r, kWeakRefElsewhere);
  } else {
    if (!heap.weaklists.erase(r)) fatal_object(r, kWeakRefElsewhere);
    if (!is_orphan(ObjectAccess::gc(r))) set_has_weakrefs(r, false);  // an orphan keeps WR
  }
  if (next != nullptr) WeakAccess::prev(*next) = prev;
  WeakAccess::prev(*w) = WeakAccess::next(*w) = nullptr;
  WeakAccess::clear_referent(*w);
}

// Detaches o's whole list from the table and returns its head; the weak
// references in it still point to o and to each other. o has weak
// references (its WR bit is set), so it has an entry: one lookup.
WeakRefObject* take_list(HeapImpl& heap, Object* o) noexcept {
  WeakRefObject* head = heap.weaklists.take(o);
  if (REFGC_UNLIKELY(head == nullptr)) fatal_object(o, kWeakRefsElsewhere);
  set_has_weakrefs(o, false);
  return head;
}

// Clears one weak reference of a detached list and returns the next one.
WeakRefObject* clear_and_next(WeakRefObject* w) noexcept {
  WeakRefObject* next = WeakAccess::next(*w);
  WeakAccess::prev(*w) = WeakAccess::next(*w) = nullptr;
  WeakAccess::clear_referent(*w);
  return next;
}

// The weak references whose callbacks are due, each held (+1) until its
// call, in order. They are chained through their own (now unused) `next_`
// links: a dead weak reference is out of every list and is never linked
// again, so collecting them needs no memory and no callback can be lost to
// an allocation failure (a lost callback left stale entries in weak
// containers).
class DueCallbacks {
 public:
  DueCallbacks() = default;
  DueCallbacks(const DueCallbacks&) = delete;
  DueCallbacks& operator=(const DueCallbacks&) = delete;
  ~DueCallbacks() {
    while (WeakRefObject* w = pop()) decref(w);
  }
  void push(WeakRefObject* w) noexcept {
    incref(w);
    WeakAccess::next(*w) = nullptr;
    if (tail_ != nullptr) {
      WeakAccess::next(*tail_) = w;
    } else {
      head_ = w;
    }
    tail_ = w;
  }
  // Refcount death with two or more weak references (CPython's
  // PyObject_ClearWeakRefs holds them and their callbacks in a tuple): every
  // callback runs, in order, before any is released; then, last first, each
  // callback is released and then its weak reference (the tuple's order of
  // release). python3 3.11.7: "cb 2, cb 1, cap dies 1, cap dies 2".
  void run_all_then_release() noexcept {
    // The chain is left linked through the calls: dead weak references are
    // never linked again, so user code cannot change it. Every callback
    // reads None before the first runs, as CPython moves them all into its
    // tuple first (python3 3.11.7: each callback sees the other's
    // __callback__, and its own, as None).
    for (WeakRefObject* w = head_; w != nullptr; w = WeakAccess::next(*w))
      WeakAccess::disarm_callback(*w);
    for (WeakRefObject* w = head_; w != nullptr; w = WeakAccess::next(*w)) {
      if (WeakRefObject* n = WeakAccess::next(*w)) __builtin_prefetch(n, 1);
      WeakAccess::call_disarmed_callback(*w);
    }
    WeakRefObject* reversed = nullptr;
    for (WeakRefObject* w = head_; w != nullptr;) {
      WeakRefObject* next = WeakAccess::next(*w);
      WeakAccess::next(*w) = reversed;
      reversed = w;
      w = next;
    }
    head_ = tail_ = nullptr;
    while (WeakRefObject* w = reversed) {
      reversed = WeakAccess::next(*w);
      WeakAccess::next(*w) = nullptr;
      WeakAccess::release_callback(*w);
      decref(w);
    }
  }
  // Puts `first`'s callbacks, in their order, before these; `first` is left
  // empty.
  void prepend(DueCallbacks& first) noexcept {
    if (first.head_ == nullptr) return;
    WeakAccess::next(*first.tail_) = head_;
    head_ = first.head_;
    if (tail_ == nullptr) tail_ = first.tail_;
    first.head_ = first.tail_ = nullptr;
  }
  // Runs them in order; returns how many weak references died right after
  // their callback. Each callback is released right after its call, as
  // CPython's PyObject_ClearWeakRefs releases a lone callback.
  //
  // In a collection (`collector` set), each callable stays in its weak
  // reference and dies with it, as gc's handle_weakrefs leaves wr_callback
  // to the weak reference (python3 3.11.7: a callback's captures outlive the
  // collection while its weak reference is held); each weak reference left
  // alive moves to the generation the survivors joined.
  std::size_t run(Collector* collector = nullptr) noexcept {
    std::size_t freed = 0;
    while (WeakRefObject* w = pop()) {
      if (head_ != nullptr) __builtin_prefetch(head_, 1);
      if (collector != nullptr) {
        WeakAccess::call_callback_keeping_it(*w);
      } else {
        WeakAccess::call_callback(*w);
      }
      if (w->refcount() == 1) {
        ++freed;
      } else if (collector != nullptr) {
        collector->rejoin_old(w);
      }
      decref(w);
    }
    return freed;
  }

 private:
  WeakRefObject* pop() noexcept {
    WeakRefObject* w = head_;
    if (w == nullptr) return nullptr;
    head_ = WeakAccess::next(*w);
    if (head_ == nullptr) tail_ = nullptr;
    WeakAccess::next(*w) = nullptr;
    return w;
  }
  WeakRefObject* head_ = nullptr;
  WeakRefObject* tail_ = nullptr;
};

}  // namespace

WeakRefObject::~WeakRefObject() {
  if (referent() != nullptr) unlink(current_impl(), this);
}

std::size_t WeakRefObject::hash() const {
  if (!(referent_ & kHashed)) {
    if (referent_ == 0) throw std::logic_error("weak object has gone away");
    referent_ |= kHashed;
  }
  return std::hash<const Object*>{}(
      reinterpret_cast<const Object*>(referent_ & ~(kHashed | kDead)));
}

std::string WeakRefObject::repr() const {
  char buf[160];
  const Object* r = referent();
  if (r == nullptr) {
    std::snprintf(buf, sizeof buf, "<weakref at %p; dead>", static_cast<const void*>(this));
  } else {
    std::snprintf(buf, sizeof buf, "<weakref at %p; to '%s' at %p>", static_cast<const void*>(this),
                  type_name(*r).c_str(), static_cast<const void*>(r));
  }
  return buf;
}

namespace {

[[noreturn, gnu::cold]] void refuse_weakref_elsewhere(const Object* referent) {
  char where[64];
  std::snprintf(where, sizeof where, " at %p>", static_cast<const void*>(referent));
  throw std::logic_error("refgc: cannot create a weak reference to <" + type_name(*referent) +
                         where +
                         ": it has weak references in another heap's table (a WeakRef to it "
                         "was made while the thread held another heap: refgc/heap.h)");
}

}  // namespace

Ref<WeakRefObject> new_weakref(Object* referent, WeakCallback&& callback, bool type_checked) {
  REFGC_DEBUG_REQUIRE_HEAP("creates a WeakRef");
  if (!type_checked && !is_weakrefable(*referent)) {
    throw std::invalid_argument("cannot create weak reference to '" + type_name(*referent) +
                                "' object");
  }
  // The referent's table (its own dead heap's for an orphan); the weak
  // reference itself is made in the heap the thread holds.
  HeapImpl& current = current_impl();
  HeapImpl& heap = weak_table_heap(current, referent);
  const bool basic = callback.empty();
  WeakRefObject* head;
  {
    const WeakTableGuard guard(heap, current);
    head = (ObjectAccess::gc(referent) & kHasWeakrefs) ? heap.weaklists.find(referent) : nullptr;
  }
  if (REFGC_UNLIKELY(head == nullptr && (ObjectAccess::gc(referent) & kHasWeakrefs) &&
                     !is_orphan(ObjectAccess::gc(referent))))
    refuse_weakref_elsewhere(referent);
  const bool head_is_basic = head != nullptr && head->is_basic() && ObjectAccess::rc(head) > 0;
  if (basic && head_is_basic) return Ref<WeakRefObject>(head);  // ref(o) is ref(o)
  // make() may run a collection whose finalizers drop the caller's last
  // reference to the referent (the Ref it passed may be a global, a member):
  // held until the weak reference is linked, as Python holds a call's
  // arguments. If that was the last reference, the referent dies when this
  // returns, clearing the new weak reference (its callback runs) instead of
  // leaving it linked to freed memory (review 2026-11-23).
  const Ref<Object> hold(referent);
  Ref<WeakRefObject> w = make<WeakRefObject>(std::move(callback));
  WeakRefObject* n = w.get();
  // make() may have run a collection that freed weak references to this
  // referent (the old head among them), or whose finalizers made one: read
  // the list again. A shared callback-less one made meanwhile is the answer
  // (ref(o) is ref(o)); `w` dies unused, after the guard (declared after
  // `w` and `hold`, so released before they die: their deaths may run user
  // code, never under the table's lock).
  const WeakTableGuard guard(heap, current);
  head = (ObjectAccess::gc(referent) & kHasWeakrefs) ? heap.weaklists.find(referent) : nullptr;
  if (basic && head != nullptr && head->is_basic() && ObjectAccess::rc(head) > 0)
    return Ref<WeakRefObject>(head);
  if (!basic && head != nullptr && head->is_basic()) {
    // after the shared callback-less one: newest first among the others
    WeakRefObject* after = WeakAccess::next(*head);
    WeakAccess::prev(*n) = head;
    WeakAccess::next(*n) = after;
    if (after != nullptr) WeakAccess::prev(*after) = n;
    WeakAccess::next(*head) = n;
    WeakAccess::set_referent(*n, referent);
  } else {
    if (head == nullptr) {
      heap.weaklists.reserve_one();            // may throw: nothing is linked yet
      WeakAccess::set_referent(*n, referent);  // the table reads its key from n
      heap.weaklists.insert(referent, n);
    } else {
      WeakAccess::set_referent(*n, referent);
      static_cast<void>(heap.weaklists.replace(referent, n));  // found just above
      WeakAccess::prev(*head) = n;
    }
    WeakAccess::next(*n) = head;
  }
  set_has_weakrefs(referent, true);
  return w;
}

namespace {

// Calls f(w) for each weak reference to `o` in its list, in order, except
// those whose count reached 0 while their destruction waits in the trashcan
// (CPython unlinks them at once): getweakrefcount and getweakrefs. A dead
// heap's table (an orphan's) is held meanwhile; f runs no user code.
template <class F>
void for_each_counted_weakref(const Object& o, F f) {
  if (!(ObjectAccess::gc(&o) & kHasWeakrefs)) return;
  HeapImpl& current = current_impl();
  HeapImpl& heap = weak_table_heap(current, &o);
  const WeakTableGuard guard(heap, current);
  for (WeakRefObject* w = heap.weaklists.find(&o); w != nullptr; w = WeakAccess::next(*w))
    if (ObjectAccess::rc(w) > 0) f(w);
}

}  // namespace

std::size_t weakref_count(const Object& o) noexcept {
  REFGC_DEBUG_REQUIRE_HEAP("calls getweakrefcount");
  std::size_t n = 0;
  for_each_counted_weakref(o, [&](WeakRefObject*) noexcept { ++n; });
  return n;
}

std::vector<Ref<WeakRefObject>> weakrefs_of(const Object& o) {
  REFGC_DEBUG_REQUIRE_HEAP("calls getweakrefs");
  std::vector<Ref<WeakRefObject>> out;
  for_each_counted_weakref(o, [&](WeakRefObject* w) { out.push_back(Ref<WeakRefObject>(w)); });
  return out;
}

namespace {

// clear_weakrefs_on_dealloc with two or more weak references: clear all of
// them first, holding the ones whose callback will run, then run those.
// CPython counts the list without its leading callback-less references (at
// most two: ref(o) and proxy(o)); with two or more left, every callback runs
// before any is released (DueCallbacks::run_all_then_release), with one, it
// is released right after its call.
[[gnu::noinline]] void clear_weakref_list(WeakRefObject* head) noexcept {
  DueCallbacks due;
  std::size_t count = 0, leading = 0;
  bool at_head = true;
  for (WeakRefObject* w = head; w != nullptr;) {
    if (at_head && !w->has_callback() && leading < 2) {
      ++leading;
    } else {
      at_head = false;
      ++count;
    }
    WeakRefObject* next = clear_and_next(w);
    if (w->has_callback() && ObjectAccess::rc(w) > 0) due.push(w);
    w = next;
  }
  if (count >= 2) {
    due.run_all_then_release();
  } else {
    due.run();
  }
}

REFGC_ALWAYS_INLINE void clear_weakrefs_inline(HeapImpl& heap, Object* o) noexcept {
  WeakRefObject* head = take_list(heap, o);
  if (REFGC_UNLIKELY(WeakAccess::next(*head) != nullptr)) return clear_weakref_list(head);
  // One weak reference (the usual case): the same steps without the list of
  // due callbacks.
  clear_and_next(head);
  if (head->has_callback() && ObjectAccess::rc(head) > 0) {
    incref(head);
    WeakAccess::call_callback(*head);
    decref(head);
  }
}

}  // namespace

void clear_weakrefs_on_dealloc(HeapImpl& heap, Object* o) noexcept {
  clear_weakrefs_inline(heap, o);
}

void clear_orphan_weakrefs(HeapImpl& owner, Object* o) noexcept {
  WeakRefObject* head;
  {
    const std::lock_guard<std::mutex> guard(owner.orphan_weak_mutex);
    head = owner.weaklists.take(o);
  }
  // Out of the table: no other thread reaches the list now. The callbacks
  // run without the lock.
  if (head != nullptr) clear_weakref_list(head);
}

void clear_weakrefs_of_failed_construction(Object* o) noexcept {
  clear_weakrefs_inline(current_impl(), o);
}

void dealloc_weakly_referenced(HeapImpl& heap, Object* o) noexcept {
  const std::uint32_t gc = ObjectAccess::gc(o);
  if (REFGC_UNLIKELY(is_orphan(gc))) return dealloc_orphan(o);
  clear_weakrefs_inline(heap, o);
  destroy(heap, o, gc);
}

std::size_t handle_weakrefs(HeapImpl& heap, const std::vector<Object*>& unreachable,
                            Collector& collector) noexcept {
  DueCallbacks due;
  // Pass 1: clear every weak reference to garbage, and every weak reference
  // that is garbage; remember the callbacks of live, non-garbage ones.
  // Last object to first, each one's due weak references put before those
  // of the objects after it: the callbacks still run in list order, and
  // pass 2 starts with the weak references touched last, the ones most
  // likely still in the cache. (Clearing order is not observable: no user
  // code runs in this pass; a weak reference that is garbage is cleared
  // with no callback whichever of it and its referent comes first.)
  for (std::size_t i = unreachable.size(); i-- > 0;) {
    Object* o = unreachable[i];
    if (o == nullptr) continue;
    if (is_weakref_object(o)) {
      auto* w = static_cast<WeakRefObject*>(o);
      if (w->referent() != nullptr) unlink(heap, w);  // its callback will never run
    }
    if (!(ObjectAccess::gc(o) & kHasWeakrefs)) continue;
    DueCallbacks mine;
    for (WeakRefObject* w = take_list(heap, o); w != nullptr;) {
      WeakRefObject* next = clear_and_next(w);
      // A weak reference that is garbage itself "died first": no callback.
      if (w->has_callback() && ObjectAccess::rc(w) > 0 && ObjectAccess::state(w) != kCollecting)
        mine.push(w);
      w = next;
    }
    due.prepend(mine);
  }
  // Pass 2: run the callbacks; count the weak references they freed, move
  // the others to the survivors' generation.
  return due.run(&collector);
}

}  // namespace refgc::detail
