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
// Iteration: `for (auto& [key, value] : dict)` walks the entries that existed
// when the loop started, skipping those whose value has died since, and gives
// a strong Ref to each value while it is visited. Entries may die or be
// added and removed during the loop: no iterator is invalidated and nothing
// throws (CPython 3.11 can raise "dictionary changed size during iteration").
// Entries added during the loop are not visited.
//
// Not thread-safe by itself: like every refgc object it is used by the thread
// holding the heap (the removal callbacks run on that thread too).
#pragma once

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <unordered_map>
#include <utility>
#include <vector>

#include "refgc/weak_ref.h"

namespace refgc {

template <class K, class T>
class WeakValueDictionary {
  struct State {
    std::unordered_map<K, WeakRef<T>> data;
  };

 public:
  WeakValueDictionary() : state_(std::make_shared<State>()) {}
  WeakValueDictionary(WeakValueDictionary&&) noexcept = default;
  WeakValueDictionary& operator=(WeakValueDictionary&&) noexcept = default;

  // d[key] = value
  void set(const K& key, const Ref<T>& value) {
    mut();
    std::weak_ptr<State> weak = state_;
    WeakRef<T> w(value, [weak, key](const WeakRef<T>& dead) {
      auto s = weak.lock();
      if (!s) return;  // the dictionary is gone
      auto it = s->data.find(key);  // remove only if the entry is still this one
      if (it != s->data.end() && is(it->second, dead)) s->data.erase(it);
    });
    st().data.insert_or_assign(key, std::move(w));
  }
  Ref<T> get(const K& key) const {
    auto it = st().data.find(key);
    return it == st().data.end() ? Ref<T>() : it->second();
  }
  Ref<T> at(const K& key) const {
    Ref<T> v = get(key);
    if (!v) throw std::out_of_range("WeakValueDictionary::at: key not found");
    return v;
  }
  bool contains(const K& key) const {
    auto it = st().data.find(key);
    return it != st().data.end() && it->second.alive();
  }
  std::size_t size() const noexcept {
    std::size_t n = 0;
    for (const auto& [k, w] : st().data) n += w.alive() ? 1 : 0;
    return n;
  }
  bool empty() const noexcept { return size() == 0; }
  void erase(const K& key) {
    auto it = st().data.find(key);
    if (it == st().data.end() || !it->second.alive())
      throw std::out_of_range("WeakValueDictionary::erase: key not found");
    st().data.erase(it);
  }
  // d.pop(key): removes the entry and returns its value (strong).
  Ref<T> pop(const K& key) {
    Ref<T> v = at(key);
    st().data.erase(key);
    return v;
  }
  void clear() noexcept { st().data.clear(); }

  class iterator {
   public:
    using Snapshot = std::vector<std::pair<K, WeakRef<T>>>;
    iterator() = default;
    iterator(std::shared_ptr<Snapshot> snap, std::size_t i) : snap_(std::move(snap)), i_(i) {
      settle();
    }
    const std::pair<K, Ref<T>>& operator*() const { return current_; }
    const std::pair<K, Ref<T>>* operator->() const { return &current_; }
    iterator& operator++() {
      ++i_;
      settle();
      return *this;
    }
    bool operator==(const iterator& o) const { return i_ == o.i_; }

   private:
    void settle() {
      current_ = {};
      if (!snap_) return;
      for (; i_ < snap_->size(); ++i_) {
        if (Ref<T> v = (*snap_)[i_].second()) {
          current_ = {(*snap_)[i_].first, std::move(v)};
          return;
        }
      }
      i_ = static_cast<std::size_t>(-1);  // == end()
    }
    std::shared_ptr<Snapshot> snap_;
    std::size_t i_ = 0;
    std::pair<K, Ref<T>> current_;
  };
  iterator begin() const {
    auto snap = std::make_shared<typename iterator::Snapshot>(st().data.begin(),
                                                              st().data.end());
    return iterator(std::move(snap), 0);
  }
  iterator end() const { return iterator(nullptr, static_cast<std::size_t>(-1)); }

 private:
  // A moved-from container is empty and usable: st() reads through an empty
  // state, mut() makes a new one.
  const State& st() const noexcept {
    static const State empty;
    return state_ ? *state_ : empty;
  }
  State& st() noexcept { return mut(); }
  State& mut() {
    if (!state_) state_ = std::make_shared<State>();
    return *state_;
  }
  std::shared_ptr<State> state_;  // callbacks hold it weakly
};

}  // namespace refgc
