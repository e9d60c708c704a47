// refgc/detail/pair_iteration.h: what the iterators of Dict (dict.h) and
// LruCache (lru_cache.h) share. Internal.
//
// A step of either yields std::pair<const K&, const Ref<V>&>, references into
// the container's entry (its key and its value are not stored as a pair, so
// there is no pair to refer to); its value type is std::pair<K, Ref<V>>,
// what copying an entry out gives. For std::input_iterator and the concepts
// built on it (std::indirectly_readable), the two pairs need a common
// reference, the pair of references: C++23 gives every two pairs one (P2321,
// std::basic_common_reference<pair, pair>); C++20 has none, so this header
// gives these two pairs theirs (allowed: Ref<V> is a type of this library,
// and it is the type C++23's rule gives).
#pragma once

#include <type_traits>
#include <utility>
#include <version>

#include "refgc/ref.h"

namespace refgc::detail {

// What an iterator yielding a pair by value returns from operator->: the pair,
// kept in the proxy, so `it->first` reads it.
template <class R>
struct ArrowProxy {
  R value;
  const R* operator->() const noexcept { return &value; }
};

}  // namespace refgc::detail

#if !defined(__cpp_lib_ranges_zip)  // C++23's library has the general rule
template <class K, class V, template <class> class TQual, template <class> class UQual>
struct std::basic_common_reference<std::pair<K, refgc::Ref<V>>,
                                   std::pair<const K&, const refgc::Ref<V>&>, TQual, UQual> {
  using type = std::pair<const K&, const refgc::Ref<V>&>;
};
template <class K, class V, template <class> class TQual, template <class> class UQual>
struct std::basic_common_reference<std::pair<const K&, const refgc::Ref<V>&>,
                                   std::pair<K, refgc::Ref<V>>, TQual, UQual> {
  using type = std::pair<const K&, const refgc::Ref<V>&>;
};
#endif
