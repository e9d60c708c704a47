// src/huge_pages.h: transparent-huge-page advice for large buffers written
// whole at once (the collector's scratch, the weak side table).
#pragma once

#include <cstddef>
#include <cstdint>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace refgc::detail {

// Asks for huge pages on the 2 MiB-aligned interior of [p, p + bytes): one
// page fault per 2 MiB instead of 512 when the buffer is then written. Advice
// only; errors are ignored, and elsewhere than Linux it does nothing.
inline void advise_huge(void* p, std::size_t bytes) noexcept {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr std::uintptr_t kHuge = std::uintptr_t{2} << 20;
  const auto begin = reinterpret_cast<std::uintptr_t>(p);
  const std::uintptr_t lo = (begin + kHuge - 1) & ~(kHuge - 1);
  const std::uintptr_t hi = (begin + bytes) & ~(kHuge - 1);
  if (hi > lo) (void)madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_HUGEPAGE);
#else
  (void)p;
  (void)bytes;
#endif
}

}  // namespace refgc::detail
