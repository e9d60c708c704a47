// refgc/detail/pool.h: size-class pools for managed objects (pymalloc-style).
// Internal (namespace refgc::detail); in a public header only so that
// make<T>() can allocate inline. Refill and large objects: src/pool.cc.
//
// Sizes up to kMaxSmall bytes are rounded up to a multiple of 8 and served
// from per-class free lists, refilled by bumping through 256 KiB chunks taken
// from the system. (A type aligned to 16 has a size that is a multiple of 16:
// its class's slots are 16-aligned in a chunk that is.) Larger objects go to
// ::operator new, behind a 16-byte link that keeps them on a list. Freed
// slots are pushed on their class's free list (the link is stored in the
// slot's first word; the header's state says "freed"). Chunks go back to the
// system when the heap is destroyed with no live object left.
//
// Invariant: every slot of a chunk below its class's bump pointer is either a
// live object, on exactly one free list, or memory given back by make<T>()
// when a constructor threw. for_each_slot() walks them all (and the large
// objects): the collector finds the objects of its unlisted generations that
// way (generation 2 and the permanent one keep no list: docs/design/
// memory-model.md). A slot starts with its object (refgc::Object is the
// primary base at offset 0: make<T>() checks it).
//
// A page map (two levels, indexed by address / 4 KiB; a page at a chunk's
// edge may be shared with the chunk next to it) finds the chunk of any small
// object. Each chunk has
// a mark, set (mark()) whenever one of its objects joins an unlisted
// generation; walk_marked() skips unmarked chunks and unmarks those where the
// caller found no member. A walk then costs the chunks that hold old objects,
// not every chunk the heap ever used.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "refgc/config.h"

// Under AddressSanitizer a free slot is poisoned past its object header, so
// that a use of a freed object's members is reported: the pool keeps its
// slots mapped, which ASan would otherwise take for live memory. The header
// (16 bytes: the free-list link, the refcount, the freed state) stays
// readable, since for_each_slot()'s callers read a free slot's state.
#if defined(__SANITIZE_ADDRESS__)
#define REFGC_POOL_POISON 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define REFGC_POOL_POISON 1
#endif
#endif
#ifdef REFGC_POOL_POISON
#include <sanitizer/asan_interface.h>
#endif

namespace refgc::detail {

class Pool {
 public:
  static constexpr std::size_t kGranule = 8;
  static constexpr std::size_t kMaxSmall = 512;
  static constexpr std::size_t kClasses = kMaxSmall / kGranule;
  static constexpr std::size_t kChunkBytes = 256 * 1024;
  // A free slot's bytes from here on are poisoned under AddressSanitizer:
  // the object header (refgc::Object, 16 bytes on 64-bit targets) is not.
  static constexpr std::size_t kPoisonFrom = 16;
  // The link in front of a large object (keeps the address 16-aligned).
  static constexpr std::size_t kLargeLink = 16;

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
#ifdef REFGC_POOL_POISON
      ASAN_UNPOISON_MEMORY_REGION(slot, (c + 1) * kGranule);
#endif
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
#ifdef REFGC_POOL_POISON
    if ((c + 1) * kGranule > kPoisonFrom)
      ASAN_POISON_MEMORY_REGION(static_cast<char*>(p) + kPoisonFrom,
                                (c + 1) * kGranule - kPoisonFrom);
#endif
  }

  std::size_t live() const noexcept { return live_; }
  std::size_t reserved_bytes() const noexcept { return reserved_; }
  // Give the chunks back to the system. Only when live() == 0.
  void release_all() noexcept;

  // Calls f(void* slot) for every slot ever handed out and not given back
  // to the system: each small slot below its class's bump pointer, chunk by
  // chunk in address order within a chunk, then each large object. The
  // caller tells live objects from free slots by their header. f must not
  // allocate from or free to this pool.
  template <class F>
  void for_each_slot(F&& f) const {
    // By index, each chunk copied: f may allocate (a trace() that makes an
    // untracked object), and a new chunk then grows chunks_.
    for (std::size_t i = 0; i < chunks_.size(); ++i) walk_chunk(Chunk(chunks_[i]), f);
    for_each_large(f);
  }

  // The position of an object in the walks' order (walk_marked,
  // for_each_slot: chunk by chunk, in address order within a chunk, then
  // the large objects): chunk index * kChunkBytes + offset in the chunk, or
  // kLargePosition for an object in no chunk (the large ones are walked
  // last, in an order this number does not tell).
  static constexpr std::uint64_t kLargePosition = ~std::uint64_t{0};
  // A small object's position divided by kGranule (objects are kGranule
  // aligned in a chunk) names it in kGranuleBits bits per chunk: the
  // collector's rebuilt generation-2 list keeps these (collect.cc,
  // EntryCodec), 4 bytes per entry while chunk_count() <= 2^16.
  static constexpr unsigned kGranuleBits = 15;
  static_assert(std::size_t{1} << kGranuleBits == kChunkBytes / kGranule);
  std::size_t chunk_count() const noexcept { return chunks_.size(); }
  // The large objects (not in a chunk) now live.
  std::size_t large_count() const noexcept { return large_count_; }
  // The object at mark()'s position / kGranule (a small object's).
  void* at_granule(std::uint64_t granule) const noexcept {
    REFGC_ASSERT((granule >> kGranuleBits) < chunks_.size(), "pool position past the last chunk");
    return chunks_[granule >> kGranuleBits].base +
           ((granule & ((std::uint64_t{1} << kGranuleBits) - 1)) * kGranule);
  }

  // An object of this pool joined an unlisted generation: its chunk is
  // marked (a large object, in no chunk, is always walked). Returns its
  // position in the walk's order (the lookup finds it anyway).
  std::uint64_t mark(const void* object) noexcept {
    const auto a = reinterpret_cast<std::uintptr_t>(object);
    if (a - last_marked_ < kChunkBytes)  // (objects come in runs)
      return last_position_ + (a - last_marked_);
    const std::uint32_t other = chunk_of(a);
    if (other == 0) return kLargePosition;
    Chunk* const c = &chunks_[other - 1];
    c->marked = true;
    last_marked_ = reinterpret_cast<std::uintptr_t>(c->base);
    last_position_ = std::uint64_t{other - 1} * kChunkBytes;
    return last_position_ + (a - last_marked_);
  }

  // Whether `object` was allocated from this pool (a chunk of it, by the page
  // map, or one of its large objects, by a walk of their list).
  bool contains(const void* object) const noexcept;
  // Whether `object` is in a chunk of this pool (the page map only: a large
  // object never is).
  bool in_chunks(const void* object) const noexcept {
    return chunk_of(reinterpret_cast<std::uintptr_t>(object)) != 0;
  }

  // Like for_each_slot, but only the marked chunks (and the large objects);
  // f(void* slot) returns whether the slot holds a member of an unlisted
  // generation, and a chunk where it never did is unmarked.
  template <class F>
  void walk_marked(F&& f) {
    last_marked_ = 0;  // unmarking below: the next mark() looks again
    // By index, each chunk copied, as in for_each_slot: f may allocate.
    for (std::size_t i = 0; i < chunks_.size(); ++i) {
      if (!chunks_[i].marked) continue;
      bool any = false;
      walk_chunk(Chunk(chunks_[i]), [&](void* slot) { any |= f(slot); });
      chunks_[i].marked = any;
    }
    for_each_large([&](void* slot) { (void)f(slot); });
  }

 private:
  struct FreeSlot {
    FreeSlot* next;
  };
  struct Bump {
    char* base = nullptr;  // the chunk being carved
    char* next = nullptr;
    char* end = nullptr;
  };
  struct Chunk {
    char* base;
    std::uint32_t cls;
    bool marked;               // may hold a member of an unlisted generation
    std::uint32_t before = 0;  // the chunk (index + 1) ending in this one's first page
    std::uint32_t after = 0;   // the chunk (index + 1) starting in this one's last page
  };
  // The page map: address >> kPageShift (4 KiB pages), in a root of kRoot
  // leaves of kLeaf entries (chunk index + 1; 0: not a chunk's page). Covers
  // 47-bit addresses.
  static constexpr unsigned kPageShift = 12;
  static constexpr unsigned kLeafBits = 18;
  static constexpr std::size_t kLeaf = std::size_t{1} << kLeafBits;
  static constexpr unsigned kLeafShift = kPageShift + kLeafBits;
  static constexpr std::size_t kRoot = std::size_t{1} << (47 - kLeafShift);
  // The chunk (index + 1) that holds address `a`, or 0 if none does. A page
  // at a chunk's edge may also hold the end or the start of the chunk next
  // to it, and between them memory that is no chunk's (a large object the C
  // heap put in the gap): the one whose bytes hold the address is named.
  std::uint32_t chunk_of(std::uintptr_t a) const noexcept {
    const std::uintptr_t r = a >> kLeafShift;
    if (map_ == nullptr || r >= kRoot) return 0;
    const std::uint32_t* const leaf = map_[r];
    if (leaf == nullptr) return 0;
    const std::uint32_t i = leaf[(a >> kPageShift) & (kLeaf - 1)];
    if (i == 0) return 0;
    const Chunk& c = chunks_[i - 1];
    if (a - reinterpret_cast<std::uintptr_t>(c.base) < kChunkBytes) return i;
    const std::uint32_t next = a < reinterpret_cast<std::uintptr_t>(c.base) ? c.before : c.after;
    if (next == 0) return 0;
    return a - reinterpret_cast<std::uintptr_t>(chunks_[next - 1].base) < kChunkBytes ? next : 0;
  }
  void map_chunk(std::uint32_t index);
  void free_map() noexcept;
  static constexpr std::size_t kWalkAhead = 2048;  // bytes (walk_chunk)
  template <class F>
  void walk_chunk(const Chunk& ch, F&& f) const {
    const std::size_t slot = (std::size_t{ch.cls} + 1) * kGranule;
    const Bump& b = bump_[ch.cls];
    char* const end = b.base == ch.base ? b.next : ch.base + (kChunkBytes / slot) * slot;
    for (char* p = ch.base; p < end; p += slot) {
#if defined(__GNUC__) || defined(__clang__)
      // The walkers write the headers they meet (the collector's), and
      // their trace() calls keep the core busy between slots: fetching
      // ahead keeps the stream going (full collection of a 1M-node tree:
      // 2 KiB ahead took its two walks from 5.0 + 6.4 to 4.0 + 5.4 ms).
      __builtin_prefetch(p + kWalkAhead, 1);
#endif
      f(static_cast<void*>(p));
    }
  }
  template <class F>
  void for_each_large(F&& f) const {
    for (const LargeLink* l = large_.next; l != &large_; l = l->next)
      f(static_cast<void*>(reinterpret_cast<char*>(const_cast<LargeLink*>(l)) + kLargeLink));
  }
  struct LargeLink {
    LargeLink* prev;
    LargeLink* next;
  };
  static_assert(sizeof(LargeLink) <= kLargeLink);
  void* refill(std::size_t c);
  void* allocate_large(std::size_t size);
  void free_large(void* p, std::size_t size) noexcept;

  FreeSlot* free_[kClasses] = {};
  Bump bump_[kClasses] = {};
  std::vector<Chunk> chunks_;
  std::uint32_t** map_ = nullptr;      // kRoot leaves (allocated on first use)
  std::uintptr_t last_marked_ = 0;     // the base of the chunk mark() last marked
  std::uint64_t last_position_ = 0;    // its position (mark())
  LargeLink large_{&large_, &large_};  // the large objects' list (circular)
  std::size_t large_count_ = 0;        // its length
  std::size_t live_ = 0;
  std::size_t reserved_ = 0;
};

}  // namespace refgc::detail
