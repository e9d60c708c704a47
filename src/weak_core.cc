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
#include <string>

#include "heap_impl.h"
#include "refgc/unraisable.h"
#include "refgc/weak_ref.h"
#include "weak_hooks.h"

namespace refgc::detail {

struct WeakAccess {
  static Object*& referent(WeakRefObject& w) noexcept { return w.referent_; }
  static WeakRefObject::Callback take_callback(WeakRefObject& w) noexcept {
    WeakRefObject::Callback cb = std::move(w.callback_);
    w.callback_ = nullptr;
    return cb;
  }
  static void drop_traced_callback(WeakRefObject& w) noexcept { w.traced_callback_.reset(); }
};

namespace {

void set_has_weakrefs(Object* o, bool on) noexcept {
  if (on) {
    ObjectAccess::gc(o) |= kHasWeakrefs;
  } else {
    ObjectAccess::gc(o) &= ~std::uint32_t{kHasWeakrefs};
  }
}

// Takes the referent's whole weak list out of the side table.
std::vector<WeakRefObject*> take_list(HeapImpl& heap, Object* o) noexcept {
  std::vector<WeakRefObject*> list;
  auto it = heap.weaklists.find(o);
  if (it != heap.weaklists.end()) {
    list.swap(it->second);
    heap.weaklists.erase(it);
  }
  set_has_weakrefs(o, false);
  return list;
}

void call_callback(WeakRefObject& w) noexcept {
  WeakRefObject::Callback cb = WeakAccess::take_callback(w);  // __callback__ becomes None
  if (cb) {
    try {
      cb(w);
    } catch (...) {
      char buf[96];
      std::snprintf(buf, sizeof buf, "<weakref callback of weakref at %p>",
                    static_cast<void*>(&w));
      write_unraisable(buf);
    }
  }
  WeakAccess::drop_traced_callback(w);
}

}  // namespace

WeakRefObject::~WeakRefObject() {
  Object* r = referent_;
  if (r == nullptr) return;
  referent_ = nullptr;
  HeapImpl& heap = current_impl();
  auto it = heap.weaklists.find(r);
  if (it == heap.weaklists.end()) return;
  auto& list = it->second;
  list.erase(std::remove(list.begin(), list.end(), this), list.end());
  if (list.empty()) {
    heap.weaklists.erase(it);
    set_has_weakrefs(r, false);
  }
}

std::size_t WeakRefObject::hash() const {
  if (!hashed_) {
    if (referent_ == nullptr) throw std::logic_error("weak object has gone away");
    hash_ = std::hash<const Object*>{}(referent_);
    hashed_ = true;
  }
  return hash_;
}

std::string WeakRefObject::repr() const {
  char buf[160];
  if (referent_ == nullptr) {
    std::snprintf(buf, sizeof buf, "<weakref at %p; dead>", static_cast<const void*>(this));
  } else {
    std::snprintf(buf, sizeof buf, "<weakref at %p; to '%s' at %p>", static_cast<const void*>(this),
                  type_name(*referent_).c_str(), static_cast<const void*>(referent_));
  }
  return buf;
}

Ref<WeakRefObject> new_weakref(Object* referent, WeakRefObject::Callback callback,
                               Ref<Object> traced_callback) {
  if (!is_weakrefable(*referent)) {
    throw std::invalid_argument("cannot create weak reference to '" + type_name(*referent) +
                                "' object");
  }
  HeapImpl& heap = current_impl();
  const bool basic = !callback && !traced_callback;
  if (basic) {  // ref(o) is ref(o): share the callback-less one
    auto it = heap.weaklists.find(referent);
    if (it != heap.weaklists.end() && !it->second.empty()) {
      WeakRefObject* head = it->second.front();
      if (!head->has_callback() && ObjectAccess::rc(head) > 0) return Ref<WeakRefObject>(head);
    }
  }
  Ref<WeakRefObject> w = make<WeakRefObject>(std::move(callback), std::move(traced_callback));
  auto& list = heap.weaklists[referent];
  const bool has_basic = !list.empty() && !list.front()->has_callback();
  const std::size_t at = basic ? 0 : (has_basic ? 1 : 0);
  list.insert(list.begin() + static_cast<std::ptrdiff_t>(at), w.get());
  WeakAccess::referent(*w) = referent;
  set_has_weakrefs(referent, true);
  return w;
}

std::size_t weakref_count(const Object& o) noexcept {
  if (!(ObjectAccess::gc(&o) & kHasWeakrefs)) return 0;
  HeapImpl& heap = current_impl();
  auto it = heap.weaklists.find(&o);
  return it == heap.weaklists.end() ? 0 : it->second.size();
}

std::vector<Ref<WeakRefObject>> weakrefs_of(const Object& o) {
  std::vector<Ref<WeakRefObject>> out;
  if (!(ObjectAccess::gc(&o) & kHasWeakrefs)) return out;
  HeapImpl& heap = current_impl();
  auto it = heap.weaklists.find(&o);
  if (it == heap.weaklists.end()) return out;
  for (WeakRefObject* w : it->second)
    if (ObjectAccess::rc(w) > 0) out.push_back(Ref<WeakRefObject>(w));
  return out;
}

void clear_weakrefs_on_dealloc(HeapImpl& heap, Object* o) noexcept {
  std::vector<WeakRefObject*> list = take_list(heap, o);
  // Clear all of them first, holding the ones whose callback will run.
  std::vector<Ref<WeakRefObject>> to_call;
  try {
    to_call.reserve(list.size());
  } catch (...) {
    // Out of memory: callbacks are skipped, the weak references still die.
  }
  for (WeakRefObject* w : list) {
    WeakAccess::referent(*w) = nullptr;
    if (w->has_callback() && ObjectAccess::rc(w) > 0 && to_call.size() < to_call.capacity())
      to_call.push_back(Ref<WeakRefObject>(w));
  }
  for (auto& w : to_call) call_callback(*w);
}

std::size_t handle_weakrefs(HeapImpl& heap, const std::vector<Object*>& unreachable) noexcept {
  std::vector<Ref<WeakRefObject>> to_call;
  // Pass 1: clear every weak reference to garbage, and every weak reference
  // that is garbage; remember the callbacks of live, non-garbage ones.
  for (Object* o : unreachable) {
    if (o == nullptr) continue;
    if (typeid(*o) == typeid(WeakRefObject)) {
      auto* w = static_cast<WeakRefObject*>(o);
      if (Object* r = w->referent()) {  // unlink: its callback will never run
        auto it = heap.weaklists.find(r);
        if (it != heap.weaklists.end()) {
          auto& list = it->second;
          list.erase(std::remove(list.begin(), list.end(), w), list.end());
          if (list.empty()) {
            heap.weaklists.erase(it);
            set_has_weakrefs(r, false);
          }
        }
        WeakAccess::referent(*w) = nullptr;
      }
    }
    if (!(ObjectAccess::gc(o) & kHasWeakrefs)) continue;
    for (WeakRefObject* w : take_list(heap, o)) {
      WeakAccess::referent(*w) = nullptr;
      if (!w->has_callback() || ObjectAccess::rc(w) == 0) continue;
      if (ObjectAccess::state(w) == kCollecting) continue;  // garbage itself: "died first"
      try {
        to_call.push_back(Ref<WeakRefObject>(w));
      } catch (...) {
        // Out of memory: this callback is skipped.
      }
    }
  }
  // Pass 2: run the callbacks; count the weak references they freed.
  std::size_t freed = 0;
  for (auto& w : to_call) {
    call_callback(*w);
    if (w->refcount() == 1) ++freed;
    w.reset();
  }
  return freed;
}

}  // namespace refgc::detail
