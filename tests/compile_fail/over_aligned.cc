// make<T>() of an over-aligned T must not compile: managed objects are
// 16-byte aligned (pool slots, and the link in front of a large object), and
// a review (2026-11-23, session 14) found alignas(64) objects placed at
// addresses 16 mod 64, and an alignas(32) AVX member crashing on an aligned
// load. alignas(16) is fine.
#include <refgc/refgc.h>

#include <cstdint>

#ifdef REFGC_COMPILE_FAIL
struct alignas(64) Wide : refgc::Object {
  int x = 1;
};
#else
struct alignas(16) Wide : refgc::Object {
  int x = 1;
};
#endif

int main() {
  auto w = refgc::make<Wide>();
  return reinterpret_cast<std::uintptr_t>(w.get()) % alignof(Wide) == 0 ? 0 : 1;
}
