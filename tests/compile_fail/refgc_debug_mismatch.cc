// Code compiled with REFGC_DEBUG=1 (a build without NDEBUG) linked to a
// library built with REFGC_DEBUG=0 must fail to link with a message that
// names the mismatch (usability review 2026-11-23: it named only
// acquire_heap_for). Registered for libraries built with REFGC_DEBUG=0 only.
#ifdef REFGC_COMPILE_FAIL
#undef REFGC_DEBUG
#define REFGC_DEBUG 1
#endif
#include <refgc/refgc.h>

struct Node : refgc::Object {};

int main() {
  auto n = refgc::make<Node>();
  return n ? 0 : 1;
}
