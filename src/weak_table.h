// src/weak_table.h: the heap's side table from a referent to the head of its
// weak list (CPython keeps that head in the object; refgc keeps the header at
// 16 bytes and pays only for objects that have weak references).
//
// Open addressing, one flat array, no allocation per entry. Keys are object
// addresses (never null, never 1). A key's first slot is its address order
// (objects allocated together, in 16-byte granules, land in neighbouring
// slots, so walking objects in allocation order walks the table in order:
// a random hash made every lookup a cache miss and dropping 1M weakly
// referenced objects twice as slow). After a collision the key tries the
// rest of its group of four slots (the same cache line), then jumps by a
// step taken from a mix of the address (double hashing over groups): keys
// whose first slots collide do not form runs. Linear probing formed them:
// pool chunks from two address regions (mmap and brk) could map onto the
// same slots, and W6 create measured 1.1 to 450 probes per insert from run to
// run; on the same recorded keys this sequence takes 1.05 to 1.2 probes, and
// fewer than 0.03 per insert leave the first cache line.
//
// A removed key leaves a tombstone (double hashing has no backward-shift
// deletion); set() reuses the first tombstone on the key's probe sequence,
// and a rehash drops them when live keys plus tombstones reach half the
// slots. Invariant: every key is found on its probe sequence before any empty
// slot; live keys plus tombstones stay at or below half the slots.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <utility>

namespace refgc {
class Object;
namespace detail {

class WeakRefObject;

class WeakHeadTable {
 public:
  WeakRefObject* find(const Object* key) const noexcept {
    if (slots_.empty()) return nullptr;
    const std::uintptr_t k = bits(key);
    for (Probe p(k, mask());; p.next()) {
      const Slot& s = slots_[p.i];
      if (s.key == k) return s.head;
      if (s.key == kEmpty) return nullptr;
    }
  }
  // Sets key's head (inserting the key if needed). May throw std::bad_alloc
  // when the table grows; the table is unchanged then.
  void set(const Object* key, WeakRefObject* head) {
    if ((size_ + tombstones_ + 1) * 2 > slots_.size()) rehash();
    const std::uintptr_t k = bits(key);
    Slot* reuse = nullptr;
    for (Probe p(k, mask());; p.next()) {
      Slot& s = slots_[p.i];
      if (s.key == k) {
        s.head = head;
        return;
      }
      if (s.key == kTombstone) {
        if (reuse == nullptr) reuse = &s;
      } else if (s.key == kEmpty) {
        if (reuse != nullptr) {
          --tombstones_;
        } else {
          reuse = &s;
        }
        *reuse = Slot{k, head};
        ++size_;
        return;
      }
    }
  }
  // Replaces the head of a key that is present (no allocation).
  void replace(const Object* key, WeakRefObject* head) noexcept {
    slots_[index_of(bits(key))].head = head;
  }
  // Removes a key that is present and returns its head.
  WeakRefObject* take(const Object* key) noexcept {
    Slot& s = slots_[index_of(bits(key))];
    WeakRefObject* head = s.head;
    remove(s);
    return head;
  }
  void erase(const Object* key) noexcept {
    if (slots_.empty()) return;
    const std::uintptr_t k = bits(key);
    for (Probe p(k, mask());; p.next()) {
      Slot& s = slots_[p.i];
      if (s.key == k) return remove(s);
      if (s.key == kEmpty) return;
    }
  }
  std::size_t size() const noexcept { return size_; }

 private:
  static constexpr std::uintptr_t kEmpty = 0;
  static constexpr std::uintptr_t kTombstone = 1;
  struct Slot {
    std::uintptr_t key = kEmpty;
    WeakRefObject* head = nullptr;
  };
  static std::uintptr_t bits(const Object* key) noexcept {
    return reinterpret_cast<std::uintptr_t>(key);
  }
  std::size_t mask() const noexcept { return slots_.size() - 1; }
  // A key's probe sequence: its address order first, then the other slots of
  // its group of four (one cache line), then the groups reached by steps of
  // an odd stride mixed from the address (odd: it visits every group of the
  // power-of-two table). The stride is computed only when the first group is
  // full.
  static constexpr std::size_t kGroup = 4;
  struct Probe {
    Probe(std::uintptr_t k, std::size_t m) noexcept
        : key(k), mask(m), i(static_cast<std::size_t>(k >> 4) & m), group(i & ~(kGroup - 1)) {}
    void next() noexcept {
      if (++seen < kGroup) {
        i = group | ((i + 1) & (kGroup - 1));
        return;
      }
      if (step == 0) {
        std::uint64_t z = static_cast<std::uint64_t>(key) * 0x9E3779B97F4A7C15ull;
        z ^= z >> 32;
        z *= 0xD6E8FEB86659FD93ull;
        z ^= z >> 32;
        step = (static_cast<std::size_t>(z) | 1) * kGroup;
      }
      group = (group + step) & mask;
      i = group;
      seen = 0;
    }
    std::uintptr_t key;
    std::size_t mask;
    std::size_t i;
    std::size_t group;
    std::size_t seen = 0;
    std::size_t step = 0;
  };
  // The slot of a key that is present.
  std::size_t index_of(std::uintptr_t key) const noexcept {
    Probe p(key, mask());
    while (slots_[p.i].key != key) p.next();
    return p.i;
  }
  void remove(Slot& s) noexcept {
    --size_;
    if (size_ == 0 && slots_.size() <= kSmall) {
      // Empty and small: start clean (cheap), no tombstones left behind.
      for (Slot& t : slots_) t = Slot{};
      tombstones_ = 0;
      return;
    }
    s = Slot{kTombstone, nullptr};
    ++tombstones_;
  }
  // Live keys plus tombstones reached half the slots: rebuild without the
  // tombstones, twice as large if live keys alone fill a quarter.
  void rehash() {
    std::size_t n = slots_.empty() ? 16 : slots_.size();
    if ((size_ + 1) * 4 > n) n *= 2;
    Slots old(n);
    old.swap(slots_);  // slots_ is the new array
    tombstones_ = 0;
    for (const Slot& s : old) {
      if (s.key == kEmpty || s.key == kTombstone) continue;
      Probe p(s.key, mask());
      while (slots_[p.i].key != kEmpty) p.next();
      slots_[p.i] = s;
    }
  }
  static constexpr std::size_t kSmall = 64;
  static_assert(sizeof(Slot) * kGroup == 64, "a group of slots is one cache line");
  // The slot array, its groups on cache lines (64-byte aligned). Allocated
  // with the plain operator new (over-allocated and aligned by hand), the
  // allocation fault-injection tests replace.
  class Slots {
   public:
    Slots() = default;
    explicit Slots(std::size_t n)
        : raw_(::operator new(n * sizeof(Slot) + kLine)),
          data_(static_cast<Slot*>(align(raw_))),
          size_(n) {
      std::uninitialized_value_construct_n(data_, n);
    }
    Slots(const Slots&) = delete;
    Slots& operator=(const Slots&) = delete;
    ~Slots() { ::operator delete(raw_); }
    void swap(Slots& o) noexcept {
      std::swap(raw_, o.raw_);
      std::swap(data_, o.data_);
      std::swap(size_, o.size_);
    }
    bool empty() const noexcept { return size_ == 0; }
    std::size_t size() const noexcept { return size_; }
    Slot& operator[](std::size_t i) noexcept { return data_[i]; }
    const Slot& operator[](std::size_t i) const noexcept { return data_[i]; }
    Slot* begin() noexcept { return data_; }
    Slot* end() noexcept { return data_ + size_; }
    const Slot* begin() const noexcept { return data_; }
    const Slot* end() const noexcept { return data_ + size_; }

   private:
    static constexpr std::size_t kLine = 64;
    static void* align(void* p) noexcept {
      const auto a = reinterpret_cast<std::uintptr_t>(p);
      return reinterpret_cast<void*>((a + kLine - 1) & ~std::uintptr_t{kLine - 1});
    }
    void* raw_ = nullptr;
    Slot* data_ = nullptr;
    std::size_t size_ = 0;
  };
  Slots slots_;
  std::size_t size_ = 0;
  std::size_t tombstones_ = 0;
};

}  // namespace detail
}  // namespace refgc
