// refgc/weak_set.h: WeakSet<T>, a set of weak references to objects (Python's
// weakref.WeakSet).
//
//   refgc::WeakSet<Node> live;
//   live.add(node);               // does not keep `node` alive
//   node.reset();                 // the member disappears now
//   live.size();                  // 0
//
// Members are compared by identity. contains() of an empty Ref is false;
// add() of an object that cannot be weakly referenced throws
// std::invalid_argument, and so do remove(), erase() and discard() (Python's
// TypeError), where contains() is false. Iteration walks a snapshot that
// begin() takes of the members' weak references, in insertion order
// (CPython's set order is its hash order), and skips members that died
// meanwhile, giving a strong Ref to each member while it is visited: members
// removed during the loop are still visited while they live, members added
// are not, and the loop never fails. The iterator is a std::input_iterator
// and the set a sized input range (see weak_value_dictionary.h).
//
// An object that owns a set traces it, `t(live)` (tracer.h, trace() below):
// only the members' weak-reference objects are reported, never a member;
// the collector's clearing leaves the set empty.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "refgc/detail/weak_container.h"
#include "refgc/weak_ref.h"

namespace refgc {

template <class T>
class WeakSet {
  using Map = detail::FlatMap<const Object*, WeakRef<T>, detail::AddressHash>;
  struct State {
    Map data;
  };

 public:
  WeakSet() = default;
  WeakSet(WeakSet&&) noexcept = default;
  WeakSet& operator=(WeakSet&&) noexcept = default;

  void add(const Ref<T>& obj_arg) {
    if (!obj_arg) throw std::invalid_argument("WeakSet::add: empty Ref");
    // Held for the call: creating the weak reference may collect, and a
    // finalizer may drop the caller's reference (then the member dies when
    // this returns, and its callback removes it).
    REFGC_DEBUG_REQUIRE_HEAP("uses a weak container");
    const Ref<T> obj = obj_arg;
    const Object* id = static_cast<const Object*>(obj.get());
    // The set's state too, as Python holds `self` (pin_for_call()).
    const auto held = state_.pin_for_call();
    Map& data = held->data;
    if (find_live(data, id) != Map::npos) return;
    // The callback removes its own entry: one whose weak reference a
    // collection cleared may stay at the same address (find_live()).
    WeakRef<T> w(obj, [weak = state_.weak(), id](const WeakRef<T>& dead) noexcept {
      if (auto s = weak.lock()) {
        s->data.erase_if(Map::hash(id),
                         [&dead](const auto& e) noexcept { return is(e.second, dead); });
      }
    });
    // Creating `w` may have collected, and a finalizer added `obj`: look again
    // (Python's add() is then a no-op). `w` dies unused, its callback unrun.
    if (find_live(data, id) != Map::npos) return;
    data.emplace_new(id, Map::hash(id), std::move(w));
  }
  // `obj in s`: a live member with this identity.
  bool contains(const Ref<T>& obj) const {
    return obj && find_live(static_cast<const Object*>(obj.get())) != st().data.npos;
  }
  // remove(): throws std::out_of_range (KeyError) if absent; discard() does
  // not. Both throw std::invalid_argument (Python's TypeError) for an object
  // that cannot be weakly referenced, which contains() reports absent.
  void remove(const Ref<T>& obj) {
    if (!erase_member(obj)) throw std::out_of_range("WeakSet::remove: not a member");
  }
  void discard(const Ref<T>& obj) { (void)erase_member(obj); }
  // erase(): remove() under the name the weak dictionaries use (the API
  // contract's weak-container `erase`): std::out_of_range if absent.
  void erase(const Ref<T>& obj) { remove(obj); }
  // len(s), len(s) == 0.
  std::size_t size() const noexcept { return st().data.size(); }
  bool empty() const noexcept { return st().data.empty(); }
  // Members die after the set is empty. A moved-from set is empty already.
  void clear() noexcept {
    if (State* s = state_.existing()) s->data.clear();
  }

  // What the set holds strongly, for its owner's trace(): `t(set)` calls
  // this (tracer.h). Its members' weak-reference objects, never a member:
  // Python's WeakSet keeps its weak references in a set the collector
  // traverses. So weak references that are garbage with the set's owner are
  // found and their callbacks never run (CPython's handle_weakrefs), and
  // `t(set)` is written like `t(dict)`. The collector's clearing tracer takes
  // them, and the set then empties itself.
  void trace(Tracer& t) {
    State* s = state_.existing();
    if (s == nullptr) return;  // moved from: empty
    if (t.clearing()) {
      s->data.for_each_mut([&t](auto& e) { t(e.second); });
      s->data.clear();  // everything it held is taken: nothing dies here
      return;
    }
    std::as_const(s->data).for_each([&t](const auto& e) { t(e.second.object()); });
  }

  struct LiveMember {
    bool operator()(const WeakRef<T>& w, std::optional<Ref<T>>& out) const {
      Ref<T> member = w();
      if (!member) return false;
      out.emplace(std::move(member));
      return true;
    }
  };
  using iterator = detail::SnapshotIterator<WeakRef<T>, Ref<T>, LiveMember>;
  iterator begin() const {
    auto snap = std::make_shared<typename iterator::Snapshot>();
    snap->reserve(st().data.size());
    st().data.for_each([&snap](const auto& e) { snap->push_back(e.second); });
    return iterator(std::move(snap), 0);
  }
  iterator end() const { return iterator::end(); }
  using const_iterator = iterator;  // only const: each step gives a copy, held

 private:
  // Removes the live member `obj`; false if it is not one (an empty Ref
  // included). ws.remove(5) and ws.discard(5) raise TypeError.
  bool erase_member(const Ref<T>& obj) {
    if (!obj) return false;
    const std::size_t at = find_live(static_cast<const Object*>(obj.get()));
    if (at == st().data.npos) {
      detail::refuse_unweakrefable_key<T>(obj.get());
      return false;
    }
    st().data.erase(at);  // the entry dies after the set is consistent
    return true;
  }
  // The entry of the live member at `id`: an entry whose weak reference is
  // dead never matches, as a dead weak reference in CPython compares equal
  // only to itself (see WeakKeyDictionary::find_live; review 2026-11-24,
  // session 17).
  std::size_t find_live(const Object* key) const { return find_live(st().data, key); }
  static std::size_t find_live(const Map& data, const Object* key) {
    return data.find_if(Map::hash(key), [key](const auto& e) noexcept {
      return e.first == key && e.second.alive();
    });
  }
  detail::WeakContainerState<State> state_;
  const State& st() const noexcept { return state_.st(); }
  State& st() { return state_.mut(); }
  State& mut() { return state_.mut(); }
};

}  // namespace refgc
