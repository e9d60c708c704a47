// src/pool.cc: chunk refill and large objects. See refgc/detail/pool.h.
#include "refgc/detail/pool.h"

#include <cstdlib>
#include <new>

namespace refgc::detail {

Pool::~Pool() {
  if (live_ == 0) {
    release_all();
    return;
  }
  free_map();
  // Otherwise objects are still referenced from outside the heap: the chunks
  // are deliberately kept (leaked) so those references stay valid.
}

void Pool::release_all() noexcept {
  for (const Chunk& c : chunks_) std::free(c.base);
  chunks_.clear();
  free_map();
  last_marked_ = 0;
  for (auto& f : free_) f = nullptr;
  for (auto& b : bump_) b = Bump{};
  reserved_ = 0;
}

void* Pool::refill(std::size_t c) {
  const std::size_t slot = (c + 1) * kGranule;
  Bump& b = bump_[c];
  if (b.next == nullptr || b.next + slot > b.end) {
    // Classes share nothing: each class carves its own run from a chunk.
    const std::size_t run = kChunkBytes;
    chunks_.reserve(chunks_.size() + 1);  // may throw before we allocate
    // From the C heap, aligned to a page: the page map needs each page to
    // belong to one chunk. No stronger alignment: mapping chunks aligned to
    // their 256 KiB directly put the objects made together in different
    // chunks on the same cache sets (W6 create with automatic collection
    // off measured about 10 ns per weak reference more, 71-74 against
    // 61-63), while the C heap's placement varies the higher address bits.
    void* mem = std::aligned_alloc(kPage, run);
    if (mem == nullptr) throw std::bad_alloc();
    try {
      map_chunk(static_cast<char*>(mem), static_cast<std::uint32_t>(chunks_.size() + 1));
    } catch (...) {
      std::free(mem);
      throw;
    }
    chunks_.push_back(Chunk{static_cast<char*>(mem), static_cast<std::uint32_t>(c), false});
    reserved_ += run;
    b.base = static_cast<char*>(mem);
    b.next = b.base;
    b.end = b.next + (run / slot) * slot;
  }
  void* p = b.next;
  b.next += slot;
  ++live_;
  return p;
}

void Pool::free_map() noexcept {
  if (map_ == nullptr) return;
  for (std::size_t r = 0; r < kRoot; ++r) std::free(map_[r]);
  std::free(map_);
  map_ = nullptr;
}

// Enters each page of a chunk in the page map (index + 1), making the root
// and the leaves on first use (zeroed: their untouched pages cost nothing).
void Pool::map_chunk(const char* base, std::uint32_t index) {
  const auto first = reinterpret_cast<std::uintptr_t>(base) >> kPageShift;
  const auto last = (reinterpret_cast<std::uintptr_t>(base) + kChunkBytes - 1) >> kPageShift;
  if ((last >> kLeafBits) >= kRoot) throw std::bad_alloc();  // beyond the 47-bit map
  if (map_ == nullptr) {
    map_ = static_cast<std::uint32_t**>(std::calloc(kRoot, sizeof(std::uint32_t*)));
    if (map_ == nullptr) throw std::bad_alloc();
  }
  for (std::uintptr_t page = first; page <= last; ++page) {
    std::uint32_t*& leaf = map_[page >> kLeafBits];
    if (leaf == nullptr) {
      leaf = static_cast<std::uint32_t*>(std::calloc(kLeaf, sizeof(std::uint32_t)));
      if (leaf == nullptr) throw std::bad_alloc();  // (pages entered so far: harmless)
    }
    leaf[page & (kLeaf - 1)] = index;
  }
}

// A large object is kept on a list through a link in front of it, so that
// for_each_slot() finds it.
void* Pool::allocate_large(std::size_t size) {
  auto* l = static_cast<LargeLink*>(::operator new(size + kLargeLink));
  l->next = &large_;  // at the tail: the walk meets them oldest first
  l->prev = large_.prev;
  large_.prev->next = l;
  large_.prev = l;
  ++live_;
  return reinterpret_cast<char*>(l) + kLargeLink;
}

void Pool::free_large(void* p, std::size_t size) noexcept {
  auto* l = reinterpret_cast<LargeLink*>(static_cast<char*>(p) - kLargeLink);
  l->prev->next = l->next;
  l->next->prev = l->prev;
#ifdef __cpp_sized_deallocation
  ::operator delete(l, size + kLargeLink);
#else
  (void)size;  // clang 14 does not enable sized deallocation by default
  ::operator delete(l);
#endif
}

}  // namespace refgc::detail
