// refgc/weak_value_dictionary.h: WeakValueDictionary<K, T>, a map whose
// values are weak references (Python's weakref.WeakValueDictionary).
//
//   refgc::WeakValueDictionary<std::string, Model> cache;
//   cache.set("a", model);        // does not keep `model` alive
//   cache.get("a");               // a strong Ref, or null
//   model.reset();                // the entry disappears now, no collection needed
//   cache.contains("a");          // false
//
// An entry disappears as soon as its value dies (if the value sits in a
// garbage cycle: when the collector frees the cycle). get() gives null for a
// missing or dead key, at() throws std::out_of_range (KeyError), size() counts
// the entries, erase() throws std::out_of_range for a missing key. An entry
// whose value died stays until its removal callback runs, right after the
// value's weak references are all cleared: a callback of the value that runs
// first sees it counted by size(), erased by erase(), and missing for get(),
// at(), contains() and pop() (which also removes it), as in CPython; so does
// a finalizer of a dictionary's owner that the collector found garbage with
// it (its entries' callbacks never run). Storing a
// value that cannot be weakly referenced throws std::invalid_argument.
//
// An object that owns a dictionary traces it, `t(cache)` (tracer.h, trace()
// below): its keys (when K holds Refs) and its entries' weak-reference
// objects are reported, never the values, so a cycle through a key
// (Python's `o.wvd[o] = n`) is collected; the collector's clearing leaves
// the dictionary empty.
//
// Iteration: `for (auto& [key, value] : dict)` walks, in insertion order (as
// a CPython dict), a snapshot that begin() takes: a copy of each key and of
// its entry's weak reference at that moment (Python's `for k, v in
// list(d.items())`, but with the values held weakly). Each step gives the
// snapshot's key and a strong Ref to the snapshot's value, held while it is
// visited, and skips an entry whose snapshot value has died since. The
// dictionary may change freely during the loop: no iterator is invalidated
// and nothing throws (CPython 3.11 can raise "dictionary changed size during
// iteration"). What the loop sees of such changes:
//   * an entry erased during the loop is still visited, with its old value,
//     if that value lives;
//   * a key whose value is replaced during the loop shows its old value if
//     that lives, and is skipped if not (CPython, walking the live dict,
//     shows the new value);
//   * entries added during the loop are not visited.
// The iterator (iterator and const_iterator are one type) is a
// std::input_iterator: single-pass, as Python's, since a step takes a strong
// reference to the value it reaches and keeps it in the iterator, and skips
// an entry whose value died by then. So the dictionary is a sized input
// range for the std::ranges algorithms and views. std::ranges::size is
// size(): it counts an entry whose value died and whose removal callback
// has not run yet (see above), which a walk skips. A default-constructed
// iterator is at the end.
//
// Keys: hashed with std::hash<K>, compared with ==. Both may throw: set(),
// get(), at(), contains(), erase() and pop() then let the exception out and
// leave the dictionary unchanged (CPython raises the same way). Each entry
// keeps the hash computed when it was set, as a CPython dict does: an
// operation hashes its key once, growing never rehashes, and removing an
// entry when its value dies calls neither the hash nor ==, so it cannot fail
// (CPython hashes the key again there, and reports a failure to
// sys.unraisablehook). Equal keys must hash equal, a key's hash must not
// change while it is in the dictionary, K's move constructor must not throw,
// and the hash, == and K's copy constructor must not use the dictionary.
//
// When a key dies differs from CPython, where the entry's weak reference (a
// KeyedRef) holds a second reference to the key given to `d[k] = v`: there
// a key given for an equal key already present lives on with the entry (the
// dict keeps the first key), and when a value dies by refcount with two or
// more weak references with callbacks, its entries' keys die only after all
// of its callbacks ran (PyObject_ClearWeakRefs holds the weak references
// until then; this includes a key erased by one of those callbacks). Here an
// entry holds one key, the first, which dies with the entry: in erase(),
// pop() or clear(), or inside its removal callback, before the value's later
// callbacks. Visible only through a key that owns objects with finalizers or
// destructors (python3 3.11.7, a user weak reference made before `d[K(1)] =
// v`, then `del v`: "user callback" then "del key"; refgc logs them the
// other way round).
//
// Not thread-safe by itself: like every refgc object it is used by the thread
// holding the heap (the removal callbacks run on that thread too).
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

template <class K, class T>
class WeakValueDictionary {
  using Map = detail::FlatMap<K, WeakRef<T>>;
  struct State {
    Map data;
  };

 public:
  WeakValueDictionary() = default;
  WeakValueDictionary(WeakValueDictionary&&) noexcept = default;
  WeakValueDictionary& operator=(WeakValueDictionary&&) noexcept = default;

  // d[key] = value. The dictionary holds its own key for the call: a copy
  // of `key`, or `key` itself, moved, when it is an rvalue (left moved-from
  // even if the key was present). A new entry takes it.
  void set(const K& key, const Ref<T>& value) { set_entry(K(key), value); }
  void set(K&& key, const Ref<T>& value) { set_entry(std::move(key), value); }

  Ref<T> get(const K& key) const {
    const std::size_t at = st().data.find(key);
    return at == st().data.npos ? Ref<T>() : st().data[at].second();
  }
  Ref<T> at(const K& key) const {
    Ref<T> v = get(key);
    if (!v) throw std::out_of_range("WeakValueDictionary::at: key not found");
    return v;
  }
  bool contains(const K& key) const {
    const std::size_t at = st().data.find(key);
    return at != st().data.npos && st().data[at].second.alive();
  }
  // len(d): the entries, those whose value has died and whose removal
  // callback has not run yet included (see the top of this file), as
  // CPython counts them (review 2026-11-24, session 17).
  std::size_t size() const noexcept { return st().data.size(); }
  bool empty() const noexcept { return st().data.empty(); }
  // del d[key]: an entry whose value has died and whose removal callback has
  // not run yet is removed too (CPython's `del self.data[key]`).
  void erase(const K& key) {
    const std::size_t at = mut().data.find(key);
    if (at == mut().data.npos) throw std::out_of_range("WeakValueDictionary::erase: key not found");
    mut().data.erase(at);
  }
  // d.pop(key): removes the entry and returns its value (strong). An entry
  // whose value has died is removed, then std::out_of_range thrown, as
  // CPython's `self.data.pop(key)()` does.
  Ref<T> pop(const K& key) {
    const std::size_t at = mut().data.find(key);
    if (at == mut().data.npos) throw std::out_of_range("WeakValueDictionary::pop: key not found");
    Ref<T> v = mut().data[at].second();
    mut().data.erase(at);
    if (!v) throw std::out_of_range("WeakValueDictionary::pop: key not found");
    return v;
  }
  // d.clear(), which is MutableMapping.clear() in Python: popitem() until
  // empty, the last entry first, each entry (its weak reference, then its
  // key) dying before the next is taken. A moved-from dictionary is empty
  // already: nothing to allocate.
  void clear() noexcept {
    // The state is held through the loop: a key's destructor may destroy
    // this dictionary (drop its owner's last reference).
    if (const auto s = state_.pin()) s->data.clear_last_first([](auto&) noexcept {});
  }

  // What the dictionary holds strongly, for its owner's trace(): `t(dict)`
  // calls this (tracer.h). Each entry's weak-reference object, then its key
  // when K holds Refs (detail::is_traceable); never a value. Python's
  // WeakValueDictionary keeps the same in a dict the collector traverses, so
  // a cycle through a key is collected. An entry whose value died, its
  // removal callback not run yet, still holds its key: it is reported too.
  // The collector's clearing tracer takes them all, and the dictionary then
  // empties itself, as CPython's tp_clear leaves a dict empty, without
  // hashing a key (one the collector emptied first would crash a hash that
  // reads it; FlatMap::clear() uses none). A key that is not traceable is
  // destroyed there, inside trace(): it must not own managed objects.
  void trace(Tracer& t) {
    State* s = state_.existing();
    if (s == nullptr) return;  // moved from: empty
    if (t.clearing()) {
      s->data.for_each_mut([&t](auto& e) {
        t(e.second);
        if constexpr (detail::is_traceable<K>()) t(e.first);
      });
      s->data.clear();  // everything it held is taken: nothing dies here
      return;
    }
    std::as_const(s->data).for_each([&t](const auto& e) {
      t(e.second.object());                                 // reported, never taken
      if constexpr (detail::is_traceable<K>()) t(e.first);  // const: the same
    });
  }

  struct LiveEntry {
    bool operator()(const std::pair<K, WeakRef<T>>& e,
                    std::optional<std::pair<K, Ref<T>>>& out) const {
      Ref<T> v = e.second();
      if (!v) return false;
      out.emplace(e.first, std::move(v));
      return true;
    }
  };
  using iterator =
      detail::SnapshotIterator<std::pair<K, WeakRef<T>>, std::pair<K, Ref<T>>, LiveEntry>;
  iterator begin() const {
    auto snap = std::make_shared<typename iterator::Snapshot>();
    snap->reserve(st().data.size());
    st().data.for_each([&snap](const auto& e) { snap->push_back(e); });
    return iterator(std::move(snap), 0);
  }
  iterator end() const { return iterator::end(); }
  using const_iterator = iterator;  // only const: each step gives a copy, held

 private:
  // set(). `key` is the call's own, as Python holds both arguments: a
  // finalizer of a collection that creating the weak reference runs may free
  // or move what the caller's key referred to (an element of a std::vector it
  // grows; review 2026-11-24, session 17: ASan heap-use-after-free).
  void set_entry(K key, const Ref<T>& value_arg) {
    // Held for the call: creating the weak reference may collect, and a
    // finalizer may drop the caller's reference (then the value dies when
    // this returns, and its callback removes the entry).
    REFGC_DEBUG_REQUIRE_HEAP("uses a weak container");
    const Ref<T> value = value_arg;
    const std::size_t h = Map::hash(key);  // may throw: nothing changed
    // The dictionary's state too, as Python holds `self` (pin_for_call()).
    const auto held = state_.pin_for_call();
    // The removal callback finds its entry by the stored hash and by its weak
    // reference, calling no user code: it runs where nothing can throw.
    WeakRef<T> w(value, [weak = state_.weak(), h](const WeakRef<T>& dead) noexcept {
      auto s = weak.lock();
      if (!s) return;  // the dictionary is gone
      // remove only if the entry is still this one
      s->data.erase_if(h, [&dead](const auto& e) noexcept { return is(e.second, dead); });
    });
    // Creating `w` may have collected, and a finalizer set or erased `key`:
    // insert_or_assign looks it up now.
    held->data.insert_or_assign(std::move(key), h, std::move(w));
  }
  detail::WeakContainerState<State> state_;
  const State& st() const noexcept { return state_.st(); }
  State& st() { return state_.mut(); }
  State& mut() { return state_.mut(); }
};

}  // namespace refgc
