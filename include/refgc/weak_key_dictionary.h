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
// at() throws std::out_of_range. Iteration walks a snapshot, in insertion
// order (as a CPython dict), and skips keys that died meanwhile (see
// weak_value_dictionary.h).
#pragma once

#include <cstddef>
#include <memory>
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
  struct State {
    detail::FlatMap<const Object*, Entry, detail::AddressHash> data;
  };

 public:
  WeakKeyDictionary() = default;
  WeakKeyDictionary(WeakKeyDictionary&&) noexcept = default;
  WeakKeyDictionary& operator=(WeakKeyDictionary&&) noexcept = default;

  // d[key] = value
  void set(const Ref<T>& key, V value) {
    if (!key) throw std::invalid_argument("WeakKeyDictionary: empty key");
    const Object* id = static_cast<const Object*>(key.get());
    if (const std::size_t at = st().data.find(id); at != st().data.npos) {
      st().data[at].second.value = std::move(value);
      return;
    }
    WeakRef<T> w(key, [weak = state_.weak(), id](const WeakRef<T>&) {
      if (auto s = weak.lock()) {
        s->data.erase_if(id, [](const auto&) { return true; });
      }
    });
    st().data.emplace_new(id, Entry{std::move(w), std::move(value)});
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
    const std::size_t at =
        key ? mut().data.find(static_cast<const Object*>(key.get())) : mut().data.npos;
    if (at == mut().data.npos) throw std::out_of_range("WeakKeyDictionary::erase: key not found");
    st().data.erase(at);  // the entry dies after the map is consistent
  }
  void clear() noexcept { st().data.clear(); }  // entries die after the map is empty

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
    st().data.for_each(
        [&snap](const auto& e) { snap->emplace_back(e.second.key, e.second.value); });
    return iterator(std::move(snap), 0);
  }
  iterator end() const { return iterator::end(); }

 private:
  const Entry* find(const Ref<T>& key) const {
    if (!key) return nullptr;
    const std::size_t at = st().data.find(static_cast<const Object*>(key.get()));
    return at == st().data.npos ? nullptr : &st().data[at].second;
  }
  detail::WeakContainerState<State> state_;
  const State& st() const noexcept { return state_.st(); }
  State& st() { return state_.mut(); }
  State& mut() { return state_.mut(); }
};

}  // namespace refgc
