// refgc/detail/group_probe.h: the probe sequence of refgc's open-addressing
// tables (the weak side table, src/weak_table.h; the weak containers'
// index, weak_container.h). Internal.
#pragma once

#include <cstddef>
#include <cstdint>

namespace refgc::detail {

// A key's probe sequence in a power-of-two table of `mask + 1` slots: its
// first slot, then the other slots of its group of kGroup (one cache line for
// the side table), then the groups reached by steps of an odd stride mixed
// from `hash` (odd: it visits every group). The stride is computed only when
// the first group is full. The current slot is `i`; next() moves on.
template <std::size_t kGroup>
struct GroupProbe {
  static_assert(kGroup != 0 && (kGroup & (kGroup - 1)) == 0, "kGroup: a power of two");
  GroupProbe(std::uint64_t h, std::size_t first, std::size_t m) noexcept
      : hash(h), mask(m), i(first & m), group(i & ~(kGroup - 1)) {}
  void next() noexcept {
    if (++seen < kGroup) {
      i = group | ((i + 1) & (kGroup - 1));
      return;
    }
    if (step == 0) {
      std::uint64_t z = hash * 0x9E3779B97F4A7C15ull;
      z ^= z >> 32;
      z *= 0xD6E8FEB86659FD93ull;
      z ^= z >> 32;
      step = (static_cast<std::size_t>(z) | 1) * kGroup;
    }
    group = (group + step) & mask;
    i = group;
    seen = 0;
  }
  std::uint64_t hash;
  std::size_t mask;
  std::size_t i;
  std::size_t group;
  std::size_t seen = 0;
  std::size_t step = 0;
};

}  // namespace refgc::detail
