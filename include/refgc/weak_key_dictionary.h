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
// alive for ever, also as in Python). get() returns V{} for a missing key,
// at() throws std::out_of_range. Iteration walks a snapshot and skips keys that
// died meanwhile (see weak_value_dictionary.h).
#pragma once

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <unordered_map>
#include <utility>
#include <vector>

#include "refgc/weak_ref.h"

namespace refgc {

template <class T, class V>
class WeakKeyDictionary {
  struct Entry {
    WeakRef<T> key;
    V value;
  };
  struct State {
    std::unordered_map<const Object*, Entry> data;
  };

 public:
  WeakKeyDictionary() : state_(std::make_shared<State>()) {}
  WeakKeyDictionary(WeakKeyDictionary&&) noexcept = default;
  WeakKeyDictionary& operator=(WeakKeyDictionary&&) noexcept = default;

  // d[key] = value
  void set(const Ref<T>& key, V value) {
    mut();
    if (!key) throw std::invalid_argument("WeakKeyDictionary: empty key");
    const Object* id = static_cast<const Object*>(key.get());
    auto it = st().data.find(id);
    if (it != st().data.end()) {
      it->second.value = std::move(value);
      return;
    }
    std::weak_ptr<State> weak = state_;
    WeakRef<T> w(key, [weak, id](const WeakRef<T>&) {
      if (auto s = weak.lock()) s->data.erase(id);
    });
    st().data.emplace(id, Entry{std::move(w), std::move(value)});
  }
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
  bool contains(const Ref<T>& key) const { return find(key) != nullptr; }
  std::size_t size() const noexcept { return st().data.size(); }
  bool empty() const noexcept { return st().data.empty(); }
  void erase(const Ref<T>& key) {
    auto it = key ? mut().data.find(static_cast<const Object*>(key.get())) : mut().data.end();
    if (it == mut().data.end()) throw std::out_of_range("WeakKeyDictionary::erase: key not found");
    Entry dead = std::move(it->second);  // dies after the map is consistent
    st().data.erase(it);
  }
  void clear() noexcept {
    std::unordered_map<const Object*, Entry> dead;
    dead.swap(st().data);
  }

  class iterator {
   public:
    using Snapshot = std::vector<std::pair<WeakRef<T>, V>>;
    iterator() = default;
    iterator(std::shared_ptr<Snapshot> snap, std::size_t i) : snap_(std::move(snap)), i_(i) {
      settle();
    }
    const std::pair<Ref<T>, V>& operator*() const { return current_; }
    const std::pair<Ref<T>, V>* operator->() const { return &current_; }
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
        if (Ref<T> k = (*snap_)[i_].first()) {
          current_ = {std::move(k), (*snap_)[i_].second};
          return;
        }
      }
      i_ = static_cast<std::size_t>(-1);  // == end()
    }
    std::shared_ptr<Snapshot> snap_;
    std::size_t i_ = 0;
    std::pair<Ref<T>, V> current_;
  };
  iterator begin() const {
    auto snap = std::make_shared<typename iterator::Snapshot>();
    snap->reserve(st().data.size());
    for (const auto& [id, e] : st().data) snap->emplace_back(e.key, e.value);
    return iterator(std::move(snap), 0);
  }
  iterator end() const { return iterator(nullptr, static_cast<std::size_t>(-1)); }

 private:
  const Entry* find(const Ref<T>& key) const {
    if (!key) return nullptr;
    auto it = st().data.find(static_cast<const Object*>(key.get()));
    return it == st().data.end() ? nullptr : &it->second;
  }
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
