// Writing an element through a List's const_iterator (what begin() of a
// const List gives) must not compile; the control writes through the
// iterator of the same list, not const.
#include <refgc/refgc.h>

#include <utility>

int main() {
  auto l = refgc::make<refgc::List<refgc::Int>>();
  l->append(refgc::make<refgc::Int>(1));
#ifdef REFGC_COMPILE_FAIL
  *std::as_const(*l).begin() = refgc::make<refgc::Int>(2);
#else
  *l->begin() = refgc::make<refgc::Int>(2);
#endif
  return (*l)[0]->value() == 2 ? 0 : 1;
}
