// src/weak_table.h: the heap's side table from a referent to the head of its
// weak list (CPython keeps that head in the object; refgc keeps the header at
// 16 bytes and pays only for objects that have weak references).
//
// Open addressing with linear probing and backward-shift deletion: one flat
// array, no allocation per entry. Keys are object addresses (never null).
// Invariant: every key sits at or after its home slot, with no empty slot in
// between (cyclically); the load factor stays at or below 1/2.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace refgc {
class Object;
namespace detail {

class WeakRefObject;

class WeakHeadTable {
 public:
  WeakRefObject* find(const Object* key) const noexcept {
    if (slots_.empty()) return nullptr;
    for (std::size_t i = home(key);; i = (i + 1) & mask()) {
      const Slot& s = slots_[i];
      if (s.key == key) return s.head;
      if (s.key == nullptr) return nullptr;
    }
  }
  // Sets key's head (inserting the key if needed). May throw std::bad_alloc
  // when the table grows; the table is unchanged then.
  void set(const Object* key, WeakRefObject* head) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    for (std::size_t i = home(key);; i = (i + 1) & mask()) {
      Slot& s = slots_[i];
      if (s.key == key) {
        s.head = head;
        return;
      }
      if (s.key == nullptr) {
        s = Slot{key, head};
        ++size_;
        return;
      }
    }
  }
  // Replaces the head of a key that is present (no allocation).
  void replace(const Object* key, WeakRefObject* head) noexcept {
    for (std::size_t i = home(key);; i = (i + 1) & mask()) {
      if (slots_[i].key == key) {
        slots_[i].head = head;
        return;
      }
    }
  }
  void erase(const Object* key) noexcept {
    if (slots_.empty()) return;
    std::size_t i = home(key);
    for (;; i = (i + 1) & mask()) {
      if (slots_[i].key == key) break;
      if (slots_[i].key == nullptr) return;
    }
    // Backward-shift: pull later entries of the run into the hole.
    for (std::size_t j = (i + 1) & mask();; j = (j + 1) & mask()) {
      if (slots_[j].key == nullptr) break;
      const std::size_t h = home(slots_[j].key);
      // Move j into the hole i if its home is not in (i, j] (cyclically).
      const bool between = (i <= j) ? (h > i && h <= j) : (h > i || h <= j);
      if (!between) {
        slots_[i] = slots_[j];
        i = j;
      }
    }
    slots_[i] = Slot{};
    --size_;
  }
  std::size_t size() const noexcept { return size_; }

 private:
  struct Slot {
    const Object* key = nullptr;
    WeakRefObject* head = nullptr;
  };
  std::size_t mask() const noexcept { return slots_.size() - 1; }
  // Address order: objects allocated together (pooled, 16-byte granules)
  // land in neighbouring slots, so walking objects in allocation order walks
  // the table in order too (a random hash made every lookup a cache miss and
  // dropping 1M weakly referenced objects twice as slow). Higher address bits
  // are folded in so that chunks far apart do not pile onto the same slots.
  std::size_t home(const Object* key) const noexcept {
    const auto x = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(key));
    return static_cast<std::size_t>((x >> 4) ^ (x >> 28)) & mask();
  }
  void grow() {
    std::vector<Slot> old(slots_.empty() ? 16 : slots_.size() * 2);
    old.swap(slots_);  // slots_ is the new, larger array
    size_ = 0;
    for (const Slot& s : old) {
      if (s.key == nullptr) continue;
      for (std::size_t i = home(s.key);; i = (i + 1) & mask()) {
        if (slots_[i].key == nullptr) {
          slots_[i] = s;
          ++size_;
          break;
        }
      }
    }
  }
  std::vector<Slot> slots_;
  std::size_t size_ = 0;
};

}  // namespace detail
}  // namespace refgc
