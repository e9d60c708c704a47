// src/pool.cc: chunk refill and large objects. See refgc/detail/pool.h.
#include "refgc/detail/pool.h"

#include <cstdlib>
#include <new>

#if defined(__unix__)
#include <sys/mman.h>
#endif

namespace refgc::detail {

namespace {

// Chunks come straight from the system (mmap), not from the C heap: their
// pages become resident only as the bump pointer reaches them, and the C
// heap does not interleave the collector's short-lived scratch vectors with
// them, whose freed blocks would stay resident between chunks (W7 measures
// resident bytes per object).
// Aligned to its size (the page map finds a chunk by address / size): twice
// the size is mapped and the ends that do not fit are given back.
void* chunk_alloc(std::size_t bytes) noexcept {
#if defined(__unix__)
  void* p = mmap(nullptr, 2 * bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  char* const raw = static_cast<char*>(p);
  const std::uintptr_t a = reinterpret_cast<std::uintptr_t>(raw);
  char* const base = raw + ((bytes - a % bytes) % bytes);
  if (base != raw) munmap(raw, static_cast<std::size_t>(base - raw));
  char* const end = raw + 2 * bytes;
  if (base + bytes != end) munmap(base + bytes, static_cast<std::size_t>(end - (base + bytes)));
  return base;
#else
  return std::aligned_alloc(bytes, bytes);
#endif
}

void chunk_free(void* p, std::size_t bytes) noexcept {
#if defined(__unix__)
  munmap(p, bytes);
#else
  (void)bytes;
  std::free(p);
#endif
}

}  // namespace

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
  for (const Chunk& c : chunks_) chunk_free(c.base, kChunkBytes);
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
    void* mem = chunk_alloc(run);
    if (mem == nullptr) throw std::bad_alloc();
    try {
      map_chunk(static_cast<char*>(mem), static_cast<std::uint32_t>(chunks_.size() + 1));
    } catch (...) {
      chunk_free(mem, run);
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

// Enters a chunk in the page map (index + 1), making the root and the leaf
// on first use (zeroed: their untouched pages cost nothing).
void Pool::map_chunk(const char* base, std::uint32_t index) {
  const auto a = reinterpret_cast<std::uintptr_t>(base);
  const std::uintptr_t r = a >> kLeafShift;
  if (r >= kRoot) throw std::bad_alloc();  // beyond the 47-bit map
  if (map_ == nullptr) {
    map_ = static_cast<std::uint32_t**>(std::calloc(kRoot, sizeof(std::uint32_t*)));
    if (map_ == nullptr) throw std::bad_alloc();
  }
  if (map_[r] == nullptr) {
    map_[r] = static_cast<std::uint32_t*>(std::calloc(kLeaf, sizeof(std::uint32_t)));
    if (map_[r] == nullptr) throw std::bad_alloc();
  }
  map_[r][(a >> kChunkShift) & (kLeaf - 1)] = index;
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
