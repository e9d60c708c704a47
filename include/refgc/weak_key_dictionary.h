// refgc/weak_key_dictionary.h: WeakKeyDictionary<T, V>, a map keyed by weak
// references to objects (Python's weakref.WeakKeyDictionary).
//
//   refgc::WeakKeyDictionary<Widget, std::string> labels;
//   labels.set(widget, "OK");     // does not keep `widget` alive
//   widget.reset();               // the entry disappears now
//
// Keys are compared by identity (the object, not its value: C++ objects have
// no universal __eq__/__hash__). Values are held as given (a Ref value is a
// strong reference, as in Python; a value that refers back to its key keeps it
// alive for as long as the dictionary lives, also as in Python). get()
// returns V{} for a missing key (or an empty Ref), at() and erase() throw
// std::out_of_range. A key that cannot be weakly referenced is refused as
// set() refuses it, std::invalid_argument (Python's TypeError), by get(),
// at() and erase(); contains() is false for it (Python's `5 in d`).
//
// An object that owns a dictionary traces it, `t(labels)` (tracer.h, trace()
// below): its values and its entries' weak-reference objects are reported,
// never the keys, so a cycle through a value (Python's `o.wkd[k] = o`) is
// collected; the collector's clearing leaves the dictionary empty.
//
// Iteration walks, in insertion order (as a CPython dict), a snapshot that
// begin() takes: each entry's weak key and a copy of its value, the copies
// held until the loop ends (Python's `for k, v in list(d.items())`). Each
// step gives a strong Ref to the key and the snapshot's value, and skips
// keys that died since. So a value replaced during the loop shows its old
// value (CPython, walking the live dict, shows the new one), an entry erased
// during the loop is still visited while its key lives, entries added are
// not visited, and the loop never fails (see weak_value_dictionary.h). The
// iterator is a std::input_iterator and the dictionary a sized input range,
// as there.
//
// set() on a present key, erase(), clear() and a key's death destroy the old
// value only once the dictionary is consistent again, so a value's destructor
// may use the dictionary; clear() also clears the entries such destructors
// add, as Python's clear() does. V's move constructor must not throw, and its
// copy constructor (iteration, get()) must not change the dictionary.
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

template <class T, class V>
class WeakKeyDictionary {
  struct Entry {
    WeakRef<T> key;
    V value;
  };
  using Map = detail::FlatMap<const Object*, Entry, detail::AddressHash>;
  struct State {
    Map data;
  };

 public:
  WeakKeyDictionary() = default;
  WeakKeyDictionary(WeakKeyDictionary&&) noexcept = default;
  WeakKeyDictionary& operator=(WeakKeyDictionary&&) noexcept = default;

  // d[key] = value. A replaced value is moved out and destroyed last, once
  // the dictionary is consistent: its destructor may use the dictionary.
  void set(const Ref<T>& key_arg, V value) {
    if (!key_arg) throw std::invalid_argument("WeakKeyDictionary: empty key");
    // Held for the call: creating the weak reference may collect, and a
    // finalizer may drop the caller's reference (then the key dies when this
    // returns, and its callback removes the entry).
    REFGC_DEBUG_REQUIRE_HEAP("uses a weak container");
    const Ref<T> key = key_arg;
    const Object* id = static_cast<const Object*>(key.get());
    // The dictionary's state too, as Python holds `self` (pin_for_call()).
    const auto held = state_.pin_for_call();
    Map& data = held->data;
    std::size_t at = find_live(data, id);
    if (at == Map::npos) {
      // The callback removes its own entry: one whose weak reference a
      // collection cleared may stay at the same address (find_live()).
      WeakRef<T> w(key, [weak = state_.weak(), id](const WeakRef<T>& dead) noexcept {
        if (auto s = weak.lock()) {
          s->data.erase_if(Map::hash(id),
                           [&dead](const auto& e) noexcept { return is(e.second.key, dead); });
        }
      });
      // Creating `w` may have collected, and a finalizer set `key` meanwhile:
      // look again (in Python too the finalizer's assignment comes first and
      // this one replaces its value).
      at = find_live(data, id);
      if (at == Map::npos) {
        data.emplace_new(id, Map::hash(id), Entry{std::move(w), std::move(value)});
        return;
      }
    }  // an unused `w` dies here, its callback unrun
    [[maybe_unused]] V old = std::exchange(data[at].second.value, std::move(value));
  }  // `old` dies here, then the hold on the state
  V get(const Ref<T>& key) const {
    const Entry* e = find(key);
    return e == nullptr ? V{} : e->value;
  }
  const V& at(const Ref<T>& key) const {
    const Entry* e = find(key);
    if (e == nullptr) throw std::out_of_range("WeakKeyDictionary::at: key not found");
    return e->value;
  }
  V& at(const Ref<T>& key) {
    const Entry* e = find(key);
    if (e == nullptr) throw std::out_of_range("WeakKeyDictionary::at: key not found");
    return const_cast<Entry*>(e)->value;
  }
  // `key in d`: false for a key that cannot be weakly referenced, which the
  // other lookups refuse (std::invalid_argument: Python's TypeError).
  bool contains(const Ref<T>& key) const { return find_entry(key) != nullptr; }
  std::size_t size() const noexcept { return st().data.size(); }
  bool empty() const noexcept { return st().data.empty(); }
  void erase(const Ref<T>& key) {
    const std::size_t at = key ? find_live(static_cast<const Object*>(key.get())) : st().data.npos;
    if (at == st().data.npos) {
      detail::refuse_unweakrefable_key<T>(key.get());  // del d[5]: TypeError
      throw std::out_of_range("WeakKeyDictionary::erase: key not found");
    }
    st().data.erase(at);  // the entry dies after the map is consistent
  }
  // d.clear(), which is MutableMapping.clear() in Python: popitem() until
  // empty. The last entry is taken out first and its value dies (after its
  // weak reference, as popitem's `key` goes before the returned value) before
  // the next is taken: values die last to first, each seeing the entries
  // before it. A moved-from dictionary is empty already.
  void clear() noexcept {
    // The state is held through the loop: a value's destructor may destroy
    // this dictionary (drop its owner's last reference).
    if (const auto s = state_.pin())
      s->data.clear_last_first([](auto& e) noexcept { e.second.key = WeakRef<T>(); });
  }

  // What the dictionary holds strongly, for its owner's trace(): `t(dict)`
  // calls this (tracer.h). Each entry's value when V holds Refs
  // (detail::is_traceable), then its weak-reference object; never a key.
  // Python's WeakKeyDictionary keeps the same in a dict the collector
  // traverses, so a cycle through a value is collected. An entry whose key
  // died, its removal callback not run yet, still holds its value: it is
  // reported too. The collector's clearing tracer takes them all, and the
  // dictionary then empties itself, as CPython's tp_clear leaves a dict
  // empty (FlatMap::clear() hashes nothing). A value that is not traceable
  // is destroyed there, inside trace(): it must not own managed objects.
  void trace(Tracer& t) {
    State* s = state_.existing();
    if (s == nullptr) return;  // moved from: empty
    if (t.clearing()) {
      s->data.for_each_mut([&t](auto& e) {
        if constexpr (detail::is_traceable<V>()) t(e.second.value);
        t(e.second.key);
      });
      s->data.clear();  // everything it held is taken: nothing dies here
      return;
    }
    s->data.for_each_mut([&t](auto& e) {
      if constexpr (detail::is_traceable<V>()) t(e.second.value);
      t(e.second.key.object());  // const: reported, never taken
    });
  }

  struct LiveEntry {
    bool operator()(const std::pair<WeakRef<T>, V>& e,
                    std::optional<std::pair<Ref<T>, V>>& out) const {
      Ref<T> k = e.first();
      if (!k) return false;
      out.emplace(std::move(k), e.second);
      return true;
    }
  };
  using iterator =
      detail::SnapshotIterator<std::pair<WeakRef<T>, V>, std::pair<Ref<T>, V>, LiveEntry>;
  iterator begin() const {
    auto snap = std::make_shared<typename iterator::Snapshot>();
    snap->reserve(st().data.size());
    st().data.for_each(
        [&snap](const auto& e) { snap->emplace_back(e.second.key, e.second.value); });
    return iterator(std::move(snap), 0);
  }
  iterator end() const { return iterator::end(); }
  using const_iterator = iterator;  // only const: each step gives a copy, held

 private:
  // The entry of `key`, or null. For get() and at(): a key that cannot be
  // weakly referenced throws std::invalid_argument (d.get(5) and d[5] raise
  // TypeError); contains() uses find_entry().
  const Entry* find(const Ref<T>& key) const {
    const Entry* e = find_entry(key);
    if (e == nullptr) detail::refuse_unweakrefable_key<T>(key.get());
    return e;
  }
  const Entry* find_entry(const Ref<T>& key) const {
    if (!key) return nullptr;
    const std::size_t at = find_live(static_cast<const Object*>(key.get()));
    return at == st().data.npos ? nullptr : &st().data[at].second;
  }
  // The entry of the live object at `id`. An entry whose weak reference is
  // dead never matches, as a dead weak reference in CPython compares equal
  // only to itself: a collection that frees nothing (a finalizer resurrected
  // the garbage) clears the weak references of objects that live on, and an
  // owner's container then keeps their entries (their callbacks, garbage too,
  // never run); a new object may also take a dead key's address. Review
  // 2026-11-24 (session 17).
  std::size_t find_live(const Object* key) const { return find_live(st().data, key); }
  static std::size_t find_live(const Map& data, const Object* key) {
    return data.find_if(Map::hash(key), [key](const auto& e) noexcept {
      return e.first == key && e.second.key.alive();
    });
  }
  detail::WeakContainerState<State> state_;
  const State& st() const noexcept { return state_.st(); }
  State& st() { return state_.mut(); }
  State& mut() { return state_.mut(); }
};

}  // namespace refgc
