// tests/support/chunk_placement.h: places the pools' 256 KiB chunks at
// chosen offsets of a page-aligned arena (src/testing_hooks.h,
// set_chunk_source), where glibc puts them only by chance: back to back, or
// with a gap, sharing the page at their edges. One placement at a time; the
// heap (or pool) that uses it must be made after it and gone before it.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <utility>
#include <vector>

#include "../../src/testing_hooks.h"
#include "refgc/detail/pool.h"

namespace refgc_test {

class ChunkPlacement {
 public:
  static constexpr std::size_t kChunk = refgc::detail::Pool::kChunkBytes;

  // The n-th chunk asked for is arena() + offsets[n]; past the last one the
  // source refuses (std::bad_alloc in the pool).
  ChunkPlacement(std::size_t arena_bytes, std::vector<std::size_t> offsets) {
    arena_ = static_cast<std::byte*>(std::aligned_alloc(4096, arena_bytes));
    offsets_ = std::move(offsets);
    handed_ = 0;
    refgc::detail::testing::set_chunk_source(&allocate, &release);
  }
  ~ChunkPlacement() {
    refgc::detail::testing::set_chunk_source(nullptr, nullptr);
    std::free(arena_);
    arena_ = nullptr;
  }
  ChunkPlacement(const ChunkPlacement&) = delete;
  ChunkPlacement& operator=(const ChunkPlacement&) = delete;

  static std::byte* arena() { return arena_; }
  // How many chunks were handed out.
  static std::size_t handed() { return handed_; }

 private:
  static void* allocate(std::size_t bytes) {
    if (bytes != kChunk || handed_ == offsets_.size()) return nullptr;
    return arena_ + offsets_[handed_++];
  }
  static void release(void*) {}  // the arena goes with the placement

  static inline std::byte* arena_ = nullptr;
  static inline std::vector<std::size_t> offsets_;
  static inline std::size_t handed_ = 0;
};

}  // namespace refgc_test
