// src/pool.cc: chunk refill and large objects. See refgc/detail/pool.h.
#include "refgc/detail/pool.h"

#include <cstdlib>
#include <new>

#include "testing_hooks.h"

namespace refgc::detail {

namespace {

// Where chunks come from: the C heap, or a test's own placement
// (testing::set_chunk_source).
void* (*chunk_allocate)(std::size_t) = std::malloc;
void (*chunk_release)(void*) = std::free;

}  // namespace

namespace testing {

void set_chunk_source(void* (*allocate)(std::size_t), void (*release)(void*)) noexcept {
  chunk_allocate = allocate != nullptr ? allocate : std::malloc;
  chunk_release = release != nullptr ? release : std::free;
}

}  // namespace testing

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
  for (const Chunk& c : chunks_) {
#ifdef REFGC_POOL_POISON
    // The chunk may be a test's own memory (testing::set_chunk_source).
    ASAN_UNPOISON_MEMORY_REGION(c.base, kChunkBytes);
#endif
    chunk_release(c.base);
  }
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
    // From the C heap, where glibc's placement varies chunks' addresses
    // modulo 256 KiB. (Mapping chunks directly, aligned to 256 KiB or 256
    // KiB apart, put objects made together in different chunks, a node and
    // its weak reference, on the same cache sets: W6 create with automatic
    // collection off took 67-76 ns per weak reference instead of 61-64.)
    void* mem = chunk_allocate(run);
    if (mem == nullptr) throw std::bad_alloc();
    chunks_.push_back(Chunk{static_cast<char*>(mem), static_cast<std::uint32_t>(c), false});
    try {
      map_chunk(static_cast<std::uint32_t>(chunks_.size()));
    } catch (...) {
      chunks_.pop_back();
      chunk_release(mem);
      throw;
    }
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

// Enters each page of chunk `index` (+ 1) in the page map, making the root
// and the leaves on first use (zeroed: their untouched pages cost nothing).
// A page at its edge already held by the chunk next to it stays that chunk's
// entry; the two chunks record each other (mark() goes by the address).
void Pool::map_chunk(std::uint32_t index) {
  Chunk& ch = chunks_[index - 1];
  const auto first = reinterpret_cast<std::uintptr_t>(ch.base) >> kPageShift;
  const auto last = (reinterpret_cast<std::uintptr_t>(ch.base) + kChunkBytes - 1) >> kPageShift;
  if ((last >> kLeafBits) >= kRoot) throw std::bad_alloc();  // beyond the 47-bit map
  if (map_ == nullptr) {
    map_ = static_cast<std::uint32_t**>(std::calloc(kRoot, sizeof(std::uint32_t*)));
    if (map_ == nullptr) throw std::bad_alloc();
  }
  for (std::uintptr_t page = first; page <= last; ++page) {  // leaves first: may throw
    std::uint32_t*& leaf = map_[page >> kLeafBits];
    if (leaf == nullptr) {
      leaf = static_cast<std::uint32_t*>(std::calloc(kLeaf, sizeof(std::uint32_t)));
      if (leaf == nullptr) throw std::bad_alloc();
    }
  }
  for (std::uintptr_t page = first; page <= last; ++page) {
    std::uint32_t& entry = map_[page >> kLeafBits][page & (kLeaf - 1)];
    if (entry == 0) {
      entry = index;
    } else if (page == first) {  // the chunk before ends in this page
      chunks_[entry - 1].after = index;
      ch.before = entry;
    } else {  // page == last: the chunk after starts in this page
      chunks_[entry - 1].before = index;
      ch.after = entry;
    }
  }
}

bool Pool::contains(const void* object) const noexcept {
  if (chunk_of(reinterpret_cast<std::uintptr_t>(object)) != 0) return true;
  for (const LargeLink* l = large_.next; l != &large_; l = l->next)
    if (reinterpret_cast<const char*>(l) + kLargeLink == object) return true;
  return false;
}

// A large object is kept on a list through a link in front of it, so that
// for_each_slot() finds it.
void* Pool::allocate_large(std::size_t size) {
  auto* l = static_cast<LargeLink*>(::operator new(size + kLargeLink));
  l->next = &large_;  // at the tail: the walk meets them oldest first
  l->prev = large_.prev;
  large_.prev->next = l;
  large_.prev = l;
  ++large_count_;
  ++live_;
  return reinterpret_cast<char*>(l) + kLargeLink;
}

void Pool::free_large(void* p, std::size_t size) noexcept {
  auto* l = reinterpret_cast<LargeLink*>(static_cast<char*>(p) - kLargeLink);
  l->prev->next = l->next;
  l->next->prev = l->prev;
  --large_count_;
#ifdef __cpp_sized_deallocation
  ::operator delete(l, size + kLargeLink);
#else
  (void)size;  // clang 14 does not enable sized deallocation by default
  ::operator delete(l);
#endif
}

}  // namespace refgc::detail
