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
// live entries, erase() throws std::out_of_range for a missing key. Storing a
// value that cannot be weakly referenced throws std::invalid_argument.
//
// Iteration: `for (auto& [key, value] : dict)` walks, in insertion order
// (as a CPython dict), the entries that existed when the loop started,
// skipping those whose value has died since, and gives a strong Ref to each
// value while it is visited. Entries may die or be added and removed during
// the loop: no iterator is invalidated and nothing throws (CPython 3.11 can
// raise "dictionary changed size during iteration"). Entries added during
// the loop are not visited.
//
// Not thread-safe by itself: like every refgc object it is used by the thread
// holding the heap (the removal callbacks run on that thread too).
#pragma once

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

#include "refgc/detail/weak_container.h"
#include "refgc/weak_ref.h"

namespace refgc {

template <class K, class T>
class WeakValueDictionary {
  struct State {
    detail::FlatMap<K, WeakRef<T>> data;
  };

 public:
  WeakValueDictionary() = default;
  WeakValueDictionary(WeakValueDictionary&&) noexcept = default;
  WeakValueDictionary& operator=(WeakValueDictionary&&) noexcept = default;

  // d[key] = value
  void set(const K& key, const Ref<T>& value) {
    WeakRef<T> w(value, [weak = state_.weak(), key](const WeakRef<T>& dead) {
      auto s = weak.lock();
      if (!s) return;  // the dictionary is gone
      // remove only if the entry is still this one
      s->data.erase_if(key, [&dead](const auto& e) { return is(e.second, dead); });
    });
    st().data.insert_or_assign(key, std::move(w));
  }
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
  std::size_t size() const noexcept {
    std::size_t n = 0;
    st().data.for_each([&n](const auto& e) { n += e.second.alive() ? 1 : 0; });
    return n;
  }
  bool empty() const noexcept { return size() == 0; }
  void erase(const K& key) {
    const std::size_t at = mut().data.find(key);
    if (at == mut().data.npos || !mut().data[at].second.alive())
      throw std::out_of_range("WeakValueDictionary::erase: key not found");
    mut().data.erase(at);
  }
  // d.pop(key): removes the entry and returns its value (strong).
  Ref<T> pop(const K& key) {
    Ref<T> v = at(key);
    mut().data.erase(mut().data.find(key));  // present: at() found it
    return v;
  }
  void clear() noexcept { st().data.clear(); }

  struct LiveEntry {
    bool operator()(const std::pair<K, WeakRef<T>>& e, std::pair<K, Ref<T>>& out) const {
      Ref<T> v = e.second();
      if (!v) return false;
      out = {e.first, std::move(v)};
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

 private:
  detail::WeakContainerState<State> state_;
  const State& st() const noexcept { return state_.st(); }
  State& st() { return state_.mut(); }
  State& mut() { return state_.mut(); }
};

}  // namespace refgc
