// src/pool.cc: chunk refill and large objects. See refgc/detail/pool.h.
#include "refgc/detail/pool.h"

#include <cstdlib>
#include <new>

namespace refgc::detail {

Pool::~Pool() {
  if (live_ == 0) release_all();
  // Otherwise objects are still referenced from outside the heap: the chunks
  // are deliberately kept (leaked) so those references stay valid.
}

void Pool::release_all() noexcept {
  for (void* c : chunks_) std::free(c);
  chunks_.clear();
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
    void* mem = std::malloc(run);
    if (mem == nullptr) throw std::bad_alloc();
    chunks_.push_back(mem);
    reserved_ += run;
    b.next = static_cast<char*>(mem);
    b.end = b.next + (run / slot) * slot;
  }
  void* p = b.next;
  b.next += slot;
  ++live_;
  return p;
}

void* Pool::allocate_large(std::size_t size) {
  void* p = ::operator new(size);
  ++live_;
  return p;
}

void Pool::free_large(void* p, std::size_t size) noexcept {
#ifdef __cpp_sized_deallocation
  ::operator delete(p, size);
#else
  (void)size;  // clang 14 does not enable sized deallocation by default
  ::operator delete(p);
#endif
}

}  // namespace refgc::detail
