// A bool is not an index: lst[true] must not compile (Python accepts it as
// 1, but in C++ it is almost always a mistyped condition). List and Buffer
// take any other integer type (detail::SequenceIndex).
#include <refgc/refgc.h>

int main() {
  auto l = refgc::make<refgc::List<refgc::Int>>();
  l->append(refgc::make<refgc::Int>(1));
#ifdef REFGC_COMPILE_FAIL
  return (*l)[true]->value() == 1 ? 0 : 1;
#else
  return (*l)[0]->value() == 1 ? 0 : 1;
#endif
}
