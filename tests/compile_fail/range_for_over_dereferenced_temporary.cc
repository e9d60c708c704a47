// Clang only (-Werror=dangling): a range-for over `*make_list()` dangles in
// C++20 -- the loop keeps the List&, the temporary Ref dies before the loop
// starts and frees the list -- and Ref's operator* is lifetimebound
// (REFGC_LIFETIMEBOUND), so clang reports it. The same for a borrowed view
// of a temporary handle's object (`make_str()->view()`). The control build
// iterates the handle itself, which the loop keeps (Ref<T>::begin()).
#include <refgc/refgc.h>

#include <cstdint>
#include <string_view>

refgc::Ref<refgc::List<refgc::Int>> make_list() {
  auto l = refgc::make<refgc::List<refgc::Int>>();
  l->append(refgc::make<refgc::Int>(1));
  return l;
}
refgc::Ref<refgc::Str> make_str() { return refgc::make<refgc::Str>("abc"); }

int main() {
  std::int64_t total = 0;
#ifdef REFGC_COMPILE_FAIL
  for (const auto& x : *make_list()) total += x->value();
  std::string_view text = make_str()->view();
#else
  for (const auto& x : make_list()) total += x->value();
  auto s = make_str();
  std::string_view text = s->view();
#endif
  return total == 1 && text == "abc" ? 0 : 1;
}
