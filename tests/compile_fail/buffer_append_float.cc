// A floating-point value for an integer Buffer must not compile: python3
// 3.11.7's bytearray().append(3.0) raises "TypeError: 'float' object cannot
// be interpreted as an integer"; Buffer's append(3.7) stored 3 (review
// 2026-11-25).
#include <refgc/refgc.h>

int main() {
  auto b = refgc::make<refgc::Buffer>();
#ifdef REFGC_COMPILE_FAIL
  b->append(3.7);
#else
  b->append(3);
#endif
  return b->size() == 1 ? 0 : 1;
}
