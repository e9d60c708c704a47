// src/weak_table.h: the heap's side table from a referent to the head of its
// weak list (CPython keeps that head in the object; refgc keeps the header at
// 16 bytes and pays only for objects that have weak references).
//
// Open addressing, one flat array of 8-byte slots, no allocation per entry.
// A slot holds only the head: the key is the head's referent (a head is
// linked and alive, so it has one), read when a probe must compare; an
// insertion (the key is known to be absent) reads none. Half the memory of
// key-and-head slots, which page faults made visible in every W6 row. Keys
// are object addresses (never null). A key's first slot is its address order
// (objects allocated together, in 16-byte granules, land in neighbouring
// slots, so walking objects in allocation order walks the table in order:
// a random hash made every lookup a cache miss and dropping 1M weakly
// referenced objects twice as slow). After a collision the key tries the
// rest of its group of eight slots (the same cache line), then jumps by a
// step taken from a mix of the address (double hashing over groups): keys
// whose first slots collide do not form runs. Linear probing formed them:
// pool chunks from two address regions (mmap and brk) could map onto the
// same slots, and W6 create measured 1.1 to 450 probes per insert from run to
// run; on the same recorded keys this sequence (with groups of four 16-byte
// slots) took 1.05 to 1.2 probes, and fewer than 0.03 per insert left the
// first cache line.
//
// A removed key leaves a tombstone (double hashing has no backward-shift
// deletion); insert() reuses the first tombstone on the key's probe sequence,
// and a rehash drops them when live keys plus tombstones reach half the
// slots. Invariant: every key is found on its probe sequence before any empty
// slot; live keys plus tombstones stay at or below half the slots.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <utility>

#include "huge_pages.h"
#include "refgc/detail/group_probe.h"
#include "refgc/weak_ref.h"

namespace refgc::detail {

class WeakHeadTable {
 public:
  WeakRefObject* find(const Object* key) const noexcept {
    if (slots_.empty()) return nullptr;
    for (Probe p(bits(key), mask());; p.next()) {
      const std::uintptr_t s = slots_[p.i];
      if (s == kEmpty) return nullptr;
      if (s != kTombstone && key_of(s) == key) return head_of(s);
    }
  }
  // Makes room for one insertion. May throw std::bad_alloc when the table
  // grows; the table is unchanged then.
  void reserve_one() {
    if ((size_ + tombstones_ + 1) * 2 > slots_.size()) rehash();
  }
  // Inserts a key that is absent, after reserve_one(); `head` already points
  // to `key` (its referent).
  void insert(const Object* key, WeakRefObject* head) noexcept {
    for (Probe p(bits(key), mask());; p.next()) {
      std::uintptr_t& s = slots_[p.i];
      if (s == kEmpty || s == kTombstone) {
        if (s == kTombstone) --tombstones_;
        s = reinterpret_cast<std::uintptr_t>(head);
        ++size_;
        return;
      }
    }
  }
  // The next three are for a key that is present: its WR bit says so. A key
  // that is absent (its weak references are in another heap's table: a
  // cross-heap misuse, memory-model.md) is left alone and reported -- false,
  // or null -- for the caller to stop.
  // Replaces the head of the key (no allocation).
  [[nodiscard]] bool replace(const Object* key, WeakRefObject* head) noexcept {
    const std::size_t i = index_of(key);
    if (REFGC_UNLIKELY(i == kAbsent)) return false;
    slots_[i] = reinterpret_cast<std::uintptr_t>(head);
    return true;
  }
  // Removes the key and returns its head.
  [[nodiscard]] WeakRefObject* take(const Object* key) noexcept {
    const std::size_t i = index_of(key);
    if (REFGC_UNLIKELY(i == kAbsent)) return nullptr;
    WeakRefObject* head = head_of(slots_[i]);
    remove(slots_[i]);
    return head;
  }
  // Removes the key.
  [[nodiscard]] bool erase(const Object* key) noexcept {
    const std::size_t i = index_of(key);
    if (REFGC_UNLIKELY(i == kAbsent)) return false;
    remove(slots_[i]);
    return true;
  }
  std::size_t size() const noexcept { return size_; }

 private:
  static constexpr std::uintptr_t kEmpty = 0;
  static constexpr std::uintptr_t kTombstone = 1;
  static std::uintptr_t bits(const Object* key) noexcept {
    return reinterpret_cast<std::uintptr_t>(key);
  }
  static WeakRefObject* head_of(std::uintptr_t s) noexcept {
    return reinterpret_cast<WeakRefObject*>(s);
  }
  static const Object* key_of(std::uintptr_t s) noexcept { return head_of(s)->referent(); }
  std::size_t mask() const noexcept { return slots_.size() - 1; }
  // A key's probe sequence (detail/group_probe.h): its address order first,
  // then the other slots of its group of eight (one cache line), then other
  // groups by a stride mixed from the address.
  static constexpr std::size_t kGroup = 8;
  struct Probe : GroupProbe<kGroup> {
    Probe(std::uintptr_t k, std::size_t m) noexcept
        : GroupProbe<kGroup>(k, static_cast<std::size_t>(k >> 4), m) {}
  };
  // The key's slot, or kAbsent: every key is met on its probe sequence
  // before any empty slot.
  static constexpr std::size_t kAbsent = ~std::size_t{0};
  std::size_t index_of(const Object* key) const noexcept {
    if (slots_.empty()) return kAbsent;
    for (Probe p(bits(key), mask());; p.next()) {
      const std::uintptr_t s = slots_[p.i];
      if (s == kEmpty) return kAbsent;
      if (s != kTombstone && key_of(s) == key) return p.i;
    }
  }
  void remove(std::uintptr_t& s) noexcept {
    --size_;
    if (size_ == 0 && slots_.size() <= kSmall) {
      // Empty and small: start clean (cheap), no tombstones left behind.
      for (std::uintptr_t& t : slots_) t = kEmpty;
      tombstones_ = 0;
      return;
    }
    s = kTombstone;
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
    // Each key is read from its head, a cache miss per entry: fetch the
    // heads a few slots ahead.
    const std::size_t size = old.size();
    for (std::size_t j = 0; j < size; ++j) {
      if (j + kAhead < size && old[j + kAhead] > kTombstone)
        __builtin_prefetch(head_of(old[j + kAhead]));
      const std::uintptr_t s = old[j];
      if (s == kEmpty || s == kTombstone) continue;
      Probe p(bits(key_of(s)), mask());
      while (slots_[p.i] != kEmpty) p.next();
      slots_[p.i] = s;
    }
  }
  static constexpr std::size_t kAhead = 16;
  static constexpr std::size_t kSmall = 64;
  static_assert(sizeof(std::uintptr_t) * kGroup == 64 || sizeof(std::uintptr_t) != 8,
                "a group of slots is one cache line");
  // The slot array, its groups on cache lines (64-byte aligned). Allocated
  // with the plain operator new (over-allocated and aligned by hand), the
  // allocation fault-injection tests replace.
  class Slots {
   public:
    Slots() = default;
    explicit Slots(std::size_t n)
        : raw_(::operator new(n * sizeof(std::uintptr_t) + kLine)),
          data_(static_cast<std::uintptr_t*>(align(raw_))),
          size_(n) {
      // Written whole at once (zeroed, then filled): huge pages if large.
      advise_huge(data_, n * sizeof(std::uintptr_t));
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
    std::uintptr_t& operator[](std::size_t i) noexcept { return data_[i]; }
    const std::uintptr_t& operator[](std::size_t i) const noexcept { return data_[i]; }
    std::uintptr_t* begin() noexcept { return data_; }
    std::uintptr_t* end() noexcept { return data_ + size_; }
    const std::uintptr_t* begin() const noexcept { return data_; }
    const std::uintptr_t* end() const noexcept { return data_ + size_; }

   private:
    static constexpr std::size_t kLine = 64;
    static void* align(void* p) noexcept {
      const auto a = reinterpret_cast<std::uintptr_t>(p);
      return reinterpret_cast<void*>((a + kLine - 1) & ~std::uintptr_t{kLine - 1});
    }
    void* raw_ = nullptr;
    std::uintptr_t* data_ = nullptr;
    std::size_t size_ = 0;
  };
  Slots slots_;
  std::size_t size_ = 0;
  std::size_t tombstones_ = 0;
};

}  // namespace refgc::detail
