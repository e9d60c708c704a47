// refgc/detail/pool.h: size-class pools for managed objects (pymalloc-style).
// Internal (namespace refgc::detail); in a public header only so that
// make<T>() can allocate inline. Refill and large objects: src/pool.cc.
//
// Sizes up to kMaxSmall bytes are rounded up to a multiple of 16 and served
// from per-class free lists, refilled by bumping through 256 KiB chunks taken
// from the system. Larger objects go to ::operator new. Freed slots are pushed
// on their class's free list (the link is stored in the slot's first word, the
// header's state is set to "freed"). Chunks go back to the system when the
// heap is destroyed with no live object left.
//
// Invariant: every slot of a chunk below its class's bump pointer is either a
// live object or on exactly one free list.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace refgc::detail {

class Pool {
 public:
  static constexpr std::size_t kGranule = 16;
  static constexpr std::size_t kMaxSmall = 512;
  static constexpr std::size_t kClasses = kMaxSmall / kGranule;
  static constexpr std::size_t kChunkBytes = 256 * 1024;

  Pool() = default;
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;
  ~Pool();

  void* allocate(std::size_t size) {
    if (size > kMaxSmall) return allocate_large(size);
    const std::size_t c = (size + kGranule - 1) / kGranule - 1;
    FreeSlot* slot = free_[c];
    if (slot != nullptr) {
      free_[c] = slot->next;
      ++live_;
      return slot;
    }
    return refill(c);
  }

  void free(void* p, std::size_t size) noexcept {
    --live_;
    if (size > kMaxSmall) {
      free_large(p, size);
      return;
    }
    const std::size_t c = (size + kGranule - 1) / kGranule - 1;
    auto* slot = static_cast<FreeSlot*>(p);
    slot->next = free_[c];
    free_[c] = slot;
  }

  std::size_t live() const noexcept { return live_; }
  std::size_t reserved_bytes() const noexcept { return reserved_; }
  // Give the chunks back to the system. Only when live() == 0.
  void release_all() noexcept;

 private:
  struct FreeSlot {
    FreeSlot* next;
  };
  struct Bump {
    char* next = nullptr;
    char* end = nullptr;
  };
  void* refill(std::size_t c);
  void* allocate_large(std::size_t size);
  void free_large(void* p, std::size_t size) noexcept;

  FreeSlot* free_[kClasses] = {};
  Bump bump_[kClasses] = {};
  std::vector<void*> chunks_;
  std::size_t live_ = 0;
  std::size_t reserved_ = 0;
};

}  // namespace refgc::detail
