// BufferOf<bool> must not compile, with a sentence that names the
// alternative: its elements would be a std::vector<bool>, which packs bits
// and has no data() to share with views (noted by a review, 2026-11-23; it
// failed deep inside BufferOf's members before).
#include <refgc/refgc.h>

#include <cstdint>
#include <vector>

int main() {
#ifdef REFGC_COMPILE_FAIL
  auto b = refgc::make<refgc::BufferOf<bool>>(std::vector<bool>{true, false});
#else
  auto b = refgc::make<refgc::BufferOf<std::uint8_t>>(std::vector<std::uint8_t>{1, 0});
#endif
  return b->size() == 2 ? 0 : 1;
}
