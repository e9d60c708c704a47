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

#include "refgc/detail/weak_container.h"
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
  WeakKeyDictionary() = default;
  WeakKeyDictionary(WeakKeyDictionary&&) noexcept = default;
  WeakKeyDictionary& operator=(WeakKeyDictionary&&) noexcept = default;

  // d[key] = value
  void set(const Ref<T>& key, V value) {
    if (!key) throw std::invalid_argument("WeakKeyDictionary: empty key");
    const Object* id = static_cast<const Object*>(key.get());
    auto it = st().data.find(id);
    if (it != st().data.end()) {
      it->second.value = std::move(value);
      return;
    }
    WeakRef<T> w(key, [weak = state_.weak(), id](const WeakRef<T>&) {
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

  struct LiveEntry {
    bool operator()(const std::pair<WeakRef<T>, V>& e, std::pair<Ref<T>, V>& out) const {
      Ref<T> k = e.first();
      if (!k) return false;
      out = {std::move(k), e.second};
      return true;
    }
  };
  using iterator =
      detail::SnapshotIterator<std::pair<WeakRef<T>, V>, std::pair<Ref<T>, V>, LiveEntry>;
  iterator begin() const {
    auto snap = std::make_shared<typename iterator::Snapshot>();
    snap->reserve(st().data.size());
    for (const auto& [id, e] : st().data) snap->emplace_back(e.key, e.value);
    return iterator(std::move(snap), 0);
  }
  iterator end() const { return iterator::end(); }

 private:
  const Entry* find(const Ref<T>& key) const {
    if (!key) return nullptr;
    auto it = st().data.find(static_cast<const Object*>(key.get()));
    return it == st().data.end() ? nullptr : &it->second;
  }
  detail::WeakContainerState<State> state_;
  const State& st() const noexcept { return state_.st(); }
  State& st() { return state_.mut(); }
  State& mut() { return state_.mut(); }
};

}  // namespace refgc
