// src/diag.cc: refgc::diag -- the census, backref chains, pictures and leak
// checks (include/refgc/diag.h).
//
// Everything here reads the heap through the generation lists (the objects
// the collector tracks) and their trace() functions. The graph of one call is
// held in a HeapGraph: a dense id per object (the tracked objects in the
// heap's order, then every untracked object they refer to), each object's
// count of references from tracked objects, and, when asked for, the
// referrers of each object in compressed rows. Nothing here allocates managed
// objects or triggers a collection, except growth() and LeakCheck::check().
#include "refgc/diag.h"

#if __has_include(<link.h>)
#include <link.h>
#define REFGC_HAS_DL_ITERATE_PHDR 1
#else
#define REFGC_HAS_DL_ITERATE_PHDR 0
#endif

#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <limits>
#include <map>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>
#include <typeinfo>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "heap_impl.h"
#include "refgc/gc.h"
#include "refgc/tracer.h"
#include "refgc/unraisable.h"

extern char** environ;

namespace refgc {

namespace detail {

void leak_checks_forget(HeapImpl& heap, const Object* o) noexcept {
  for (diag::LeakCheck* scope : heap.leak_checks) scope->forget_(o);
}

}  // namespace detail

namespace diag {

namespace {

// The heap, refused inside a trace() the collector calls while it counts
// (detail::refuse_while_counting): every function here reads the
// generations.
detail::HeapImpl& heap_for(const char* what) {
  detail::HeapImpl& heap = detail::heap_for(what);
  detail::refuse_while_counting(heap, what);
  return heap;
}
using detail::HeapImpl;
using detail::ObjectAccess;

constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();

// Calls f(Object*) for each tracked object, generations 0..2 then the
// permanent generation, each in its list order.
template <class F>
void for_each_tracked(HeapImpl& heap, F&& f) {
  heap.for_each_tracked(/*with_permanent=*/true, f);
}

// The same without the permanent generation: what gc::get_objects() lists,
// as CPython's gc.get_objects(), which objgraph's census counts over, leaves
// frozen objects out.
template <class F>
void for_each_listed(HeapImpl& heap, F&& f) {
  heap.for_each_tracked(/*with_permanent=*/false, f);
}

// A tracer that hands every reference to a callable.
template <class F>
class CallTracer final : public Tracer {
 public:
  explicit CallTracer(F& f) : f_(f) {}

 private:
  bool visit(Object* r) override {
    f_(r);
    return false;
  }
  F& f_;
};

template <class F>
void for_each_reference(Object* o, F&& f) {
  if ((ObjectAccess::gc(o) & detail::kIsGc) == 0) return;
  CallTracer<std::remove_reference_t<F>> tracer(f);
  o->trace(tracer);
}

// The heap as a graph, for one diagnostic call.
class HeapGraph {
 public:
  HeapGraph(HeapImpl& heap, bool with_referrers) {
    // Each generation's list (the unlisted ones rebuilt by the heap walk),
    // tombstones and gaps included: an object's id is its generation's
    // offset plus its index.
    std::vector<Object*> unlisted[2];
    heap.gather_unlisted(detail::kGen2, unlisted[0]);
    heap.gather_unlisted(detail::kPermanent, unlisted[1]);
    const std::vector<Object*>* lists[4] = {&heap.gens[0].objs, &heap.gens[1].objs, &unlisted[0],
                                            &unlisted[1]};
    for (int g = 0; g < 4; ++g) {
      offset_[g] = total_;
      total_ += lists[g]->size();
    }
    nodes_.reserve(total_);
    for (const std::vector<Object*>* list : lists)
      nodes_.insert(nodes_.end(), list->begin(), list->end());
    incoming_.assign(total_, 0);

    // Pass 1: incoming counts (and ids for untracked targets).
    for (std::uint32_t i = 0; i < total_; ++i) {
      Object* o = nodes_[i];
      if (o == nullptr) continue;
      for_each_reference(o, [&](Object* t) { ++incoming_[add(t)]; });
    }
    if (!with_referrers) return;
    // Pass 2: the referrers of each node, in compressed rows, in heap order.
    start_.assign(nodes_.size() + 1, 0);
    for (std::size_t i = 0; i < nodes_.size(); ++i) start_[i + 1] = start_[i] + incoming_[i];
    referrers_.assign(start_.back(), 0);
    std::vector<std::uint32_t> fill(start_.begin(), start_.end() - 1);
    for (std::uint32_t i = 0; i < total_; ++i) {
      Object* o = nodes_[i];
      if (o == nullptr) continue;
      for_each_reference(o, [&](Object* t) { referrers_[fill[id(t)]++] = i; });
    }
  }

  // The object's id, or kNone if the heap holds no reference to it and it is
  // not tracked. Ids are fixed when the graph is built. The header (state
  // and index) finds a tracked object's id at once while the object is where
  // it was then; user code run meanwhile (a repr(), a GraphOptions callback,
  // a predicate) may have moved it -- gc::freeze(), gc::unfreeze(), or
  // allocations that compact generation 0 -- and then the id is looked up
  // by address.
  std::uint32_t id(const Object* o) const {
    const std::uint32_t s = ObjectAccess::state(o);
    const bool tracked = s >= detail::kGen0 && s <= detail::kPermanent;
    if (tracked) {
      const std::size_t i = offset_[s - 1] + ObjectAccess::index(o);
      if (i < total_ && nodes_[i] == o) return static_cast<std::uint32_t>(i);
    }
    auto it = extra_.find(o);
    if (it != extra_.end()) return it->second;
    return tracked ? moved_id(o) : kNone;
  }
  Object* object(std::uint32_t id) const { return nodes_[id]; }
  std::uint32_t incoming(std::uint32_t id) const { return id == kNone ? 0 : incoming_[id]; }
  // The object's refcount, without the graph's own hold (pin(), hold()).
  std::size_t refcount(const Object* o) const {
    const std::uint32_t rc = ObjectAccess::rc(o);
    const std::uint32_t i = pinning_ ? id(o) : kNone;
    const bool held = (i < pinned_.size() && pinned_[i]) || held_.count(o) != 0;
    return rc - (held ? 1u : 0u);
  }
  // Refcount minus references from tracked objects.
  std::size_t external(const Object* o) const {
    const std::size_t rc = refcount(o);
    const std::uint32_t in = incoming(id(o));
    return rc > in ? rc - in : 0;
  }
  // Holds every live object of the graph (a Ref each) until the graph is
  // destroyed: user code run meanwhile (a repr(), a GraphOptions callback, a
  // predicate) cannot free one under the raw pointers. Call it with
  // collections held off (HoldCollections): a collection would also move
  // objects between generations, which the ids rely on.
  void pin() {
    pinning_ = true;
    pinned_.assign(nodes_.size(), 0);
    pins_.reserve(nodes_.size());
    for (std::uint32_t i = 0; i < nodes_.size(); ++i) {
      Object* o = nodes_[i];
      if (o == nullptr || ObjectAccess::rc(o) == 0) continue;  // dying: the trashcan has it
      pins_.emplace_back(o);
      pinned_[i] = 1;
    }
  }
  // Holds an object met while user code may run that pin() did not hold:
  // one the graph does not list (in a collection running now, or made by
  // the user code) but a picture reaches by tracing. Nothing before pin():
  // the walks that run no user code hold nothing. (pinned_ is empty after
  // pin() too when the graph has no nodes: a picture drawn from a finalizer
  // while the collection's working set is the whole heap.)
  void hold(const Object* o) {
    if (!pinning_ || ObjectAccess::rc(o) == 0) return;
    const std::uint32_t i = id(o);
    if (i < pinned_.size() && pinned_[i]) return;
    if (!held_.insert(o).second) return;
    pins_.emplace_back(const_cast<Object*>(o));
  }
  // Referrers of `id` (requires with_referrers), in heap order.
  template <class F>
  void for_each_referrer(std::uint32_t id, F&& f) const {
    if (id == kNone) return;
    for (std::uint32_t k = start_[id]; k < start_[id + 1]; ++k) f(referrers_[k]);
  }

 private:
  // The id of a tracked object the header did not find: one that moved
  // since the graph was built, or one made since (kNone). The address index
  // is built at the first such lookup.
  std::uint32_t moved_id(const Object* o) const {
    if (!by_address_built_) {
      by_address_.reserve(total_);
      for (std::uint32_t i = 0; i < total_; ++i)
        if (nodes_[i] != nullptr) by_address_.emplace(nodes_[i], i);
      by_address_built_ = true;
    }
    auto it = by_address_.find(o);
    return it == by_address_.end() ? kNone : it->second;
  }

  std::uint32_t add(Object* t) {
    std::uint32_t i = id(t);
    if (i != kNone) return i;
    i = static_cast<std::uint32_t>(nodes_.size());
    extra_.emplace(t, i);
    nodes_.push_back(t);
    incoming_.push_back(0);
    return i;
  }

  std::size_t offset_[4] = {};
  std::size_t total_ = 0;  // tracked slots (tombstones included)
  std::vector<Object*> nodes_;
  std::vector<std::uint32_t> incoming_;
  std::unordered_map<const Object*, std::uint32_t> extra_;
  mutable std::unordered_map<const Object*, std::uint32_t> by_address_;  // moved_id()
  mutable bool by_address_built_ = false;
  std::vector<std::uint32_t> start_;
  std::vector<std::uint32_t> referrers_;
  bool pinning_ = false;                    // pin() was called
  std::vector<char> pinned_;                // by id: held in pins_ (pin())
  std::unordered_set<const Object*> held_;  // held in pins_ by hold()
  std::vector<Ref<Object>> pins_;           // released last, when the graph dies
};

// While a diagnostic runs user code over a HeapGraph, no collection runs:
// gc::collect() returns 0 (as when called during a collection) and no
// automatic one starts; the next allocation after it may start one.
class HoldCollections {
 public:
  explicit HoldCollections(HeapImpl& heap) : heap_(heap), saved_(heap.collecting) {
    heap.collecting = true;
  }
  ~HoldCollections() { heap_.collecting = saved_; }
  HoldCollections(const HoldCollections&) = delete;
  HoldCollections& operator=(const HoldCollections&) = delete;

 private:
  HeapImpl& heap_;
  bool saved_;
};

// Breadth-first over referrers from `start`; returns ids [root, ..., start]
// or an empty vector.
template <class Pred>
std::vector<std::uint32_t> backref_ids(const HeapGraph& graph, std::uint32_t start, Pred&& is_root,
                                       bool test_start, std::size_t max_depth) {
  if (start == kNone) return {};
  if (test_start && is_root(start)) return {start};
  std::unordered_map<std::uint32_t, std::uint32_t> parent;  // node -> the node it refers to
  parent.emplace(start, kNone);
  std::vector<std::uint32_t> frontier{start};
  for (std::size_t depth = 0; depth < max_depth && !frontier.empty(); ++depth) {
    std::vector<std::uint32_t> next;
    for (std::uint32_t node : frontier) {
      std::uint32_t found = kNone;
      graph.for_each_referrer(node, [&](std::uint32_t r) {
        if (found != kNone || !parent.emplace(r, node).second) return;
        if (is_root(r)) {
          found = r;
          return;
        }
        next.push_back(r);
      });
      if (found != kNone) {
        std::vector<std::uint32_t> chain;
        for (std::uint32_t x = found; x != kNone; x = parent[x]) chain.push_back(x);
        return chain;
      }
    }
    frontier = std::move(next);
  }
  return {};
}

// `v` cut to `max` characters, ending in "..." when cut (never inside a
// UTF-8 sequence).
std::string cut_to(std::string v, std::size_t max) {
  if (v.size() > max) {
    std::size_t cut = max - 3;
    while (cut > 0 && (static_cast<unsigned char>(v[cut]) & 0xC0) == 0x80) --cut;
    v.resize(cut);
    v += "...";
  }
  return v;
}

std::string short_value(const Object& o, std::size_t max = 40) {
  std::string v;
  try {
    // Containers stop building their repr soon after `max` characters.
    detail::ReprLimit limit(max);
    v = o.repr();
  } catch (...) {
    v = "<repr failed>";
  }
  return cut_to(std::move(v), max);
}

// Pictures name the references of an object that has at most this many
// (a List's or Dict's reference_name() scans its elements: naming every
// edge out of a large one drawn whole would be quadratic).
constexpr std::size_t kMaxNamedReferences = 256;

// from.reference_name(to) for a picture or a chain: cut like short_value,
// and "" when it throws (user code) or `to` is null.
std::string reference_label(const Object& from, const Object* to, std::size_t max = 40) {
  if (to == nullptr) return {};
  std::string v;
  try {
    detail::ReprLimit limit(max);  // a key's repr() stops early
    v = from.reference_name(*to);
  } catch (...) {
    return {};
  }
  return cut_to(std::move(v), max);
}

// Among the references `refs` of one holder, the objects it refers to more
// than once, whose references a picture draws unnamed: reference_name()
// gives one name per target (the first), which would label each of those
// references alike (a List [a, b, a] drew two arrows "[0]" and none "[2]").
// Empty (no set) when there are more than kMaxNamedReferences: none is
// named.
std::optional<std::unordered_set<const Object*>> unnamed_among(const std::vector<Object*>& refs) {
  if (refs.size() > kMaxNamedReferences) return std::nullopt;
  std::unordered_set<const Object*> seen;
  std::unordered_set<const Object*> repeated;
  for (const Object* t : refs)
    if (!seen.insert(t).second) repeated.insert(t);
  return repeated;
}

// unnamed_among() of what `holder` refers to (its trace(); no other user
// code).
std::optional<std::unordered_set<const Object*>> unnamed_targets(const Object* holder) {
  std::vector<Object*> refs;
  for_each_reference(const_cast<Object*>(holder), [&](Object* t) { refs.push_back(t); });
  return unnamed_among(refs);
}

// A reference's name as a step of a path, written after the object that
// holds it: a field as ".parent" or ".children[2]", a position or a key as
// "[2]" or "['a']", anything else in parentheses ("(key 'a')").
std::string link_text(const std::string& name) {
  if (name.empty()) return {};
  if (name[0] == '[') return " " + name;
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; };
  std::size_t i = 0;
  while (i < name.size() && word(name[i])) ++i;
  const bool field = i != 0 && std::isdigit(static_cast<unsigned char>(name[0])) == 0 &&
                     (i == name.size() || name[i] == '[');
  return field ? " ." + name : " (" + name + ")";
}

std::string hex_address(const Object* o) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%p", static_cast<const void*>(o));
  return buf;
}

// The census: counts per dynamic type, then merged by readable name, over
// what gc::get_objects() lists.
std::map<std::string, std::size_t> census(HeapImpl& heap) {
  std::unordered_map<const std::type_info*, std::pair<const Object*, std::size_t>> by_type;
  const std::type_info* last = nullptr;
  std::pair<const Object*, std::size_t>* last_slot = nullptr;
  for_each_listed(heap, [&](Object* o) {
    const std::type_info* t = &typeid(*o);
    if (t != last) {
      auto [it, inserted] = by_type.try_emplace(t, o, 0);
      (void)inserted;
      last = t;
      last_slot = &it->second;
    }
    ++last_slot->second;
  });
  std::map<std::string, std::size_t> by_name;
  for (const auto& [type, slot] : by_type) by_name[detail::type_name(*slot.first)] += slot.second;
  return by_name;
}

// Counts by name as rows, most common first (ties by name: the map's order).
std::vector<TypeCount> most_common_first(const std::map<std::string, std::size_t>& counts) {
  std::vector<TypeCount> rows;
  rows.reserve(counts.size());
  for (const auto& [name, n] : counts) rows.push_back({name, n});
  std::stable_sort(rows.begin(), rows.end(),
                   [](const TypeCount& a, const TypeCount& b) { return a.count > b.count; });
  return rows;
}

std::string with_thousands(std::size_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  const std::size_t lead = digits.size() % 3;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i != 0 && (i % 3) == lead % 3) out += ',';
    out += digits[i];
  }
  return out;
}

// `s` padded with spaces to `width` bytes, on the left (right-aligned) or
// the right. The printing functions format their columns this way, not with
// the caller's stream: its state (std::hex, std::left, a fill character, a
// locale's grouping) showed through, and std::left was left switched off
// (objgraph's show_growth formats with '%-*s%9d %+9d' whatever the file).
std::string padded(std::string s, std::size_t width, bool right_aligned) {
  if (s.size() >= width) return s;
  const std::string pad(width - s.size(), ' ');
  return right_aligned ? pad + s : s + pad;
}

// `prefix` and the byte's two lowercase hex digits ("\\xNN" for one_line;
// dot_string doubles the backslash, which DOT would take as an escape).
void append_hex_byte(std::string& out, const char* prefix, unsigned char u) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += prefix;
  out += kHex[u >> 4];
  out += kHex[u & 0xF];
}

// dot (2.43, Debian's and Ubuntu's) rejects a quoted string longer than
// 16 KiB ("longer than 16384?"): a longer one is written as pieces of at
// most this many bytes joined with '+', DOT's concatenation.
constexpr std::size_t kMaxDotPiece = 8192;

// `s` as a quoted DOT string: quote and backslash escaped, a newline as
// DOT's line break, '&' as "&amp;" (dot decodes entities in a label and
// writes the result to the SVG as it stands: "&#1;" became a raw 0x01,
// "&lt;b&gt;" was drawn as "<b>"; "&amp;" is drawn as '&'); other control
// characters, bytes that are not UTF-8 (which dot garbles and SVG readers
// reject) and the code points XML 1.0 forbids among valid UTF-8 (U+FFFE,
// U+FFFF) shown as the text \xNN. Cut into pieces of kMaxDotPiece bytes
// ("..." + "..."), never inside a character or an escape.
std::string dot_string(std::string_view s) {
  std::string out = "\"";
  std::size_t piece = out.size();  // where the current piece's text starts
  for (std::size_t i = 0; i < s.size();) {
    if (out.size() - piece >= kMaxDotPiece) {
      out += "\" + \"";
      piece = out.size();
    }
    const char c = s[i];
    const auto u = static_cast<unsigned char>(c);
    std::size_t n = detail::utf8_length_at(s, i);
    if (n == 3 && s.compare(i, 2, "\xEF\xBF") == 0 && (s[i + 2] == '\xBE' || s[i + 2] == '\xBF'))
      n = 0;  // U+FFFE, U+FFFF: each byte shown as \xNN
    if (c == '\n') {
      out += "\\n";
    } else if (c == '&') {
      out += "&amp;";
    } else if (n == 0 || u < 0x20 || u == 0x7F) {
      append_hex_byte(out, "\\\\x", u);
    } else {
      if (c == '"' || c == '\\') out += '\\';
      out.append(s.substr(i, n));
      i += n;
      continue;
    }
    ++i;
  }
  return out + '"';
}

// `s` on one line of a terminal drawing: a newline, tab or carriage return
// as the text \n, \t, \r, the other control characters as \xNN, as
// Python's repr() writes them (a repr() with a newline broke ascii_diagram's
// tree; a carriage return or an escape sequence rewrote the terminal's line).
std::string one_line(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u != 0x7F) {
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else {
      append_hex_byte(out, "\\x", u);
    }
  }
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------
// Census

std::string type_name(const Object& obj) { return detail::type_name(obj); }

std::vector<TypeCount> most_common_types(std::size_t limit) {
  HeapImpl& heap = heap_for("calls diag::most_common_types");
  std::vector<TypeCount> rows = most_common_first(census(heap));
  if (limit != 0 && rows.size() > limit) rows.resize(limit);
  return rows;
}

void print_most_common_types(std::ostream& out, std::size_t limit) {
  std::string text;
  for (const TypeCount& row : most_common_types(limit))
    text += ' ' + padded(with_thousands(row.count), 8, true) + ' ' + row.type + '\n';
  out << text;
}

std::size_t count(std::string_view type_name) {
  HeapImpl& heap = heap_for("calls diag::count");
  const auto rows = census(heap);
  auto it = rows.find(std::string(type_name));
  return it == rows.end() ? 0 : it->second;
}

// Every live instance, tracked or not (a type with no trace() is not
// tracked, and the seeds' per-class registry counts all instances): a walk
// of the pool's slots, not of the generations. A freed slot says so in its
// header (its first word, where the vtable pointer was, is a free-list link);
// an object whose count reached 0 is being destroyed (or waits in the
// trashcan) and is not counted.
std::size_t live_count(const std::type_info& type) {
  HeapImpl& heap = heap_for("calls diag::live_count");
  std::size_t n = 0;
  heap.pool.for_each_slot([&](void* slot) {
    auto* o = static_cast<Object*>(slot);
    if (ObjectAccess::state(o) == detail::kFreed || ObjectAccess::rc(o) == 0) return;
    if (typeid(*o) == type) ++n;
  });
  return n;
}

namespace {

// The address ranges of a loaded object's PT_LOAD segments, found from an
// address inside one of them (no allocation: dl_iterate_phdr's callback may
// not throw).
struct LoadedSegments {
  static constexpr std::size_t kMax = 32;
  std::uintptr_t address = 0;
  std::uintptr_t lo[kMax] = {};
  std::uintptr_t hi[kMax] = {};
  std::size_t n = 0;
  bool found = false;

  bool contains(std::uintptr_t a) const noexcept {
    for (std::size_t i = 0; i < n; ++i)
      if (a >= lo[i] && a < hi[i]) return true;
    return false;
  }
};

#if REFGC_HAS_DL_ITERATE_PHDR
int find_loaded_segments(dl_phdr_info* info, std::size_t, void* data) noexcept {
  auto& s = *static_cast<LoadedSegments*>(data);
  s.n = 0;
  for (std::size_t i = 0; i < info->dlpi_phnum && s.n < LoadedSegments::kMax; ++i) {
    const auto& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD) continue;
    s.lo[s.n] = info->dlpi_addr + ph.p_vaddr;
    s.hi[s.n] = s.lo[s.n] + ph.p_memsz;
    ++s.n;
  }
  s.found = s.contains(s.address);
  return s.found ? 1 : 0;  // 1 stops the walk
}
#endif

}  // namespace

std::vector<Ref<Object>> objects_from_library(const void* address) {
#if REFGC_HAS_DL_ITERATE_PHDR
  HeapImpl& heap = heap_for("calls diag::objects_from_library");
  LoadedSegments segments;
  segments.address = reinterpret_cast<std::uintptr_t>(address);
  dl_iterate_phdr(find_loaded_segments, &segments);
  if (!segments.found)
    throw std::invalid_argument(
        "diag::objects_from_library: no loaded executable or shared object contains the "
        "address");
  std::vector<Ref<Object>> out;
  heap.pool.for_each_slot([&](void* slot) {
    auto* o = static_cast<Object*>(slot);
    if (ObjectAccess::state(o) == detail::kFreed || ObjectAccess::rc(o) == 0) return;
    std::uintptr_t vptr = 0;  // a live object's first word
    std::memcpy(&vptr, slot, sizeof vptr);
    if (segments.contains(vptr)) out.push_back(Ref<Object>(o));
  });
  return out;
#else
  (void)address;
  throw std::logic_error("diag::objects_from_library: needs dl_iterate_phdr()");
#endif
}

std::vector<TypeGrowth> growth(std::size_t limit) {
  HeapImpl& heap = heap_for("calls diag::growth");
  // objgraph.growth() collects first: cyclic garbage is not growth.
  gc::collect(2);
  std::vector<TypeGrowth> rows;
  for (auto& [name, n] : census(heap)) {
    std::size_t& peak = heap.growth_peaks[name];
    if (n > peak) {
      rows.push_back({name, n, n - peak});
      peak = n;
    }
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const TypeGrowth& a, const TypeGrowth& b) { return a.delta > b.delta; });
  if (limit != 0 && rows.size() > limit) rows.resize(limit);
  return rows;
}

void print_growth(std::ostream& out, std::size_t limit) {
  const auto rows = growth(limit);
  std::size_t width = 0;
  for (const TypeGrowth& r : rows) width = std::max(width, r.type.size());
  std::string text;
  for (const TypeGrowth& r : rows) {
    text += padded(r.type, width, false) + padded(std::to_string(r.count), 9, true) + ' ' +
            padded("+" + std::to_string(r.delta), 9, true) + '\n';
  }
  out << text;
}

void reset_growth() { heap_for("calls diag::reset_growth").growth_peaks.clear(); }

// ---------------------------------------------------------------------------
// Why is it alive

std::size_t external_refcount(const Object& obj) {
  HeapImpl& heap = heap_for("calls diag::external_refcount");
  std::size_t in = 0;
  for_each_tracked(
      heap, [&](Object* o) { for_each_reference(o, [&](Object* t) { in += (t == &obj); }); });
  const std::size_t rc = obj.refcount();
  return rc > in ? rc - in : 0;
}

std::vector<Ref<Object>> find_backref_chain(const Object& obj, const Predicate& predicate,
                                            std::size_t max_depth) {
  HeapImpl& heap = heap_for("calls diag::find_backref_chain");
  const HoldCollections hold(heap);
  HeapGraph graph(heap, true);
  if (predicate) graph.pin();  // the predicate is user code
  const std::uint32_t start = graph.id(&obj);
  std::vector<std::uint32_t> ids;
  if (predicate) {
    auto is_root = [&](std::uint32_t id) {
      return predicate(id == kNone ? obj : *graph.object(id));
    };
    ids = backref_ids(graph, start, is_root, true, max_depth);
  } else {
    auto is_root = [&](std::uint32_t id) { return graph.external(graph.object(id)) > 0; };
    ids = backref_ids(graph, start, is_root, false, max_depth);
  }
  std::vector<Ref<Object>> chain;
  if (ids.empty()) {
    chain.emplace_back(const_cast<Object*>(&obj));
    return chain;
  }
  for (std::uint32_t id : ids) {
    Object* o = id == kNone ? const_cast<Object*>(&obj) : graph.object(id);
    chain.emplace_back(o);
  }
  return chain;
}

std::string describe_chain(const std::vector<Ref<Object>>& chain) {
  std::string out;
  for (std::size_t i = 0; i < chain.size(); ++i) {
    const Ref<Object>& r = chain[i];
    if (i != 0) {
      // How the link before holds this one, when it can say: user text,
      // kept on the chain's one line (a newline in it split the chain).
      const std::string name = chain[i - 1] ? reference_label(*chain[i - 1], r.get()) : "";
      out += link_text(one_line(name));
      out += " -> ";
    }
    if (!r) {
      out += "None";
      continue;
    }
    out += one_line(detail::type_name(*r));
    out += '@';
    out += hex_address(r.get());
  }
  return out;
}

// ---------------------------------------------------------------------------
// Pictures

namespace {

struct Picture {
  struct Node {
    const Object* object;
    std::size_t depth;
  };
  std::vector<Node> nodes;  // in discovery order
  std::unordered_map<const Object*, std::size_t> ordinal;
  std::vector<std::pair<std::size_t, std::size_t>> edges;  // referrer -> referent
  std::vector<std::pair<std::size_t, std::size_t>> more;   // (node, edges not drawn)
};

// Breadth-first from the roots in the chosen direction, max_depth steps.
Picture explore(HeapGraph& graph, const std::vector<Root>& roots, const GraphOptions& opt) {
  Picture pic;
  auto add = [&](const Object* o, std::size_t depth) {
    graph.hold(o);
    auto [it, inserted] = pic.ordinal.try_emplace(o, pic.nodes.size());
    if (inserted) pic.nodes.push_back({o, depth});
    return std::pair<std::size_t, bool>(it->second, inserted);
  };
  for (const Root& r : roots) add(r.object, 0);
  for (std::size_t k = 0; k < pic.nodes.size(); ++k) {
    const Picture::Node node = pic.nodes[k];
    if (node.depth >= opt.max_depth) continue;
    std::vector<const Object*> next;
    if (opt.direction == Direction::references) {
      for_each_reference(const_cast<Object*>(node.object), [&](Object* t) {
        graph.hold(t);  // before filter() runs for any of them
        next.push_back(t);
      });
    } else {
      // Each referrer once, as gc.get_referrers lists it (objgraph's
      // show_backrefs): the graph lists one that holds the object several
      // times once per reference, one after another.
      std::uint32_t previous = kNone;
      graph.for_each_referrer(graph.id(node.object), [&](std::uint32_t r) {
        if (r != previous) next.push_back(graph.object(r));
        previous = r;
      });
    }
    std::size_t drawn = 0;
    std::size_t skipped = 0;
    for (const Object* t : next) {
      if (opt.filter && !pic.ordinal.count(t) && !opt.filter(*t)) continue;
      if (opt.too_many != 0 && drawn >= opt.too_many) {
        ++skipped;
        continue;
      }
      ++drawn;
      const std::size_t other = add(t, node.depth + 1).first;
      if (opt.direction == Direction::references) {
        pic.edges.emplace_back(k, other);
      } else {
        pic.edges.emplace_back(other, k);
      }
    }
    if (skipped != 0) pic.more.emplace_back(k, skipped);
  }
  return pic;
}

std::string refcount_text(const HeapGraph& graph, const Object* o) {
  std::string s = "refcount " + std::to_string(graph.refcount(o));
  const std::size_t ext = graph.external(o);
  if (ext != 0) s += ", " + std::to_string(ext) + " from outside";
  return s;
}

}  // namespace

void write_dot(std::ostream& out, const std::vector<Root>& roots, const GraphOptions& options) {
  HeapImpl& heap = heap_for("calls diag::write_dot");
  for (const Root& r : roots)
    if (r.object == nullptr) throw std::invalid_argument("refgc::diag::write_dot: a root is null");
  const HoldCollections hold(heap);  // repr() and the options' callbacks are user code
  HeapGraph graph(heap, options.direction == Direction::referrers);
  graph.pin();
  const Picture pic = explore(graph, roots, options);

  out << "digraph refgc {\n"
         "  graph [rankdir=TB, fontname=\"Helvetica\"];\n"
         "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#f5f5f5\", "
         "fontname=\"Helvetica\", fontsize=11];\n"
         "  edge [color=\"#555555\"];\n";
  for (std::size_t k = 0; k < pic.nodes.size(); ++k) {
    const Object* o = pic.nodes[k].object;
    std::string label = detail::type_name(*o);
    const std::string value = short_value(*o);
    if (!value.empty()) label += "\n" + value;
    const std::size_t refs = graph.refcount(o);
    label += "\n" + std::to_string(refs) + (refs == 1 ? " ref" : " refs");
    const std::size_t ext = graph.external(o);
    const bool external = options.mark_external && ext != 0;
    if (external) label += "\nheld from outside: " + std::to_string(ext);
    if (options.extra_info) label += "\n" + options.extra_info(*o);
    out << "  o" << k << " [label=" << dot_string(label) << ", tooltip=\"" << hex_address(o)
        << "\"";
    if (options.highlight && options.highlight(*o)) {
      out << ", fillcolor=\"#fff2a8\"";
    } else if (pic.nodes[k].depth == 0) {
      out << ", fillcolor=\"#d9e8fb\"";
    }
    if (external) out << ", color=\"#c0392b\", penwidth=2.5";
    out << "];\n";
  }
  for (std::size_t i = 0; i < roots.size(); ++i) {
    if (roots[i].label.empty()) continue;
    out << "  l" << i << " [shape=plaintext, style=\"\", label=" << dot_string(roots[i].label)
        << "];\n  l" << i << " -> o" << pic.ordinal.at(roots[i].object)
        << " [style=dashed, arrowhead=open];\n";
  }
  // The edges of a holder are named only when it has at most
  // kMaxNamedReferences references, and not those to an object it refers to
  // several times (unnamed_targets()).
  std::unordered_map<std::size_t, std::optional<std::unordered_set<const Object*>>> unnamed;
  for (const auto& edge : pic.edges) {
    const auto [it, fresh] = unnamed.try_emplace(edge.first);
    if (fresh) it->second = unnamed_targets(pic.nodes[edge.first].object);
  }
  for (const auto& [from, to] : pic.edges) {
    out << "  o" << from << " -> o" << to;
    // The field, position or key that holds the reference, when the holder
    // names it (Object::reference_name), as objgraph labels its edges.
    const auto& skip = unnamed.at(from);
    const std::string name = skip && skip->count(pic.nodes[to].object) == 0
                                 ? reference_label(*pic.nodes[from].object, pic.nodes[to].object)
                                 : "";
    if (!name.empty()) out << " [label=" << dot_string(name) << ", fontsize=9]";
    out << ";\n";
  }
  for (std::size_t i = 0; i < pic.more.size(); ++i) {
    const auto& [k, n] = pic.more[i];
    out << "  m" << i << " [shape=plaintext, style=\"\", label=\"" << n << " more "
        << (options.direction == Direction::references ? "references" : "referrers") << "\"];\n";
    if (options.direction == Direction::references) {
      out << "  o" << k << " -> m" << i << " [style=dotted];\n";
    } else {
      out << "  m" << i << " -> o" << k << " [style=dotted];\n";
    }
  }
  out << "}\n";
}

std::string to_dot(const std::vector<Root>& roots, const GraphOptions& options) {
  std::ostringstream out;
  write_dot(out, roots, options);
  return out.str();
}

GraphvizNotFound::GraphvizNotFound()
    : std::runtime_error(
          "refgc::diag: Graphviz's `dot` program was not found on PATH; install it "
          "(Debian/Ubuntu: apt-get install graphviz) to render pictures, or use "
          "write_dot() and render the DOT text elsewhere") {}

namespace {

// The first `dot` on PATH that is a file it may run, as the shell and
// execvp() find it: a directory named dot (which access(X_OK) accepts:
// it can be searched) is passed over (review 2026-11-25: one earlier on
// PATH hid Graphviz, and every render failed with EACCES).
std::string find_dot() {
  const char* path = std::getenv("PATH");
  std::string p = path != nullptr ? path : "/usr/bin:/bin";
  std::size_t begin = 0;
  while (begin <= p.size()) {
    std::size_t end = p.find(':', begin);
    if (end == std::string::npos) end = p.size();
    std::string dir = p.substr(begin, end - begin);
    if (dir.empty()) dir = ".";
    const std::string candidate = dir + "/dot";
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0)
      return candidate;
    begin = end + 1;
  }
  return {};
}

// A directory of its own next to `file` (mkdtemp: a new name, mode 0700),
// removed with what it holds when the scope ends: render_dot's temporary
// input and dot's output live there, so no other file is written through
// or clobbered, and two renders to one path at once do not share them.
class TemporaryDirectory {
 public:
  explicit TemporaryDirectory(const std::filesystem::path& file) {
    std::string name = file.string() + ".tmp-XXXXXX";
    if (::mkdtemp(name.data()) == nullptr) {
      throw std::system_error(
          errno, std::generic_category(),
          "refgc::diag: cannot make a temporary directory beside " + file.string());
    }
    path_ = name;
  }
  ~TemporaryDirectory() {
    try {
      std::error_code ignored;
      std::filesystem::remove_all(path_, ignored);
    } catch (...) {  // (std::bad_alloc): the directory stays
    }
  }
  TemporaryDirectory(const TemporaryDirectory&) = delete;
  TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;
  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace

bool graphviz_available() { return !find_dot().empty(); }

void render_dot(std::string_view dot, const std::filesystem::path& file, std::string_view format) {
  const std::string program = find_dot();
  if (program.empty()) throw GraphvizNotFound();
  // dot reads the graph from a temporary file and writes the picture to
  // another, both in a directory of this call's own next to `file` (the
  // rename below stays on one file system).
  const TemporaryDirectory temp(file);
  const std::filesystem::path input = temp.path() / "graph.dot";
  {
    std::ofstream f(input, std::ios::binary);
    if (!f) throw std::runtime_error("refgc::diag: cannot write " + input.string());
    f << dot;
    if (!f) throw std::runtime_error("refgc::diag: cannot write " + input.string());
  }
  // A relative path is given as "./path", so that one starting with '-'
  // ("-leak.svg") is not taken for an option.
  auto operand = [](const std::filesystem::path& p) {
    return p.is_relative() ? "./" + p.string() : p.string();
  };
  // dot writes its output there, which takes the place of `file` only once
  // dot succeeded: a failed render leaves an older picture as it was, and
  // an older picture cannot pass for this one (success is the new file
  // there). dot creates it, so it has the default permissions.
  const std::filesystem::path output = temp.path() / "picture";
  std::string fmt = "-T" + std::string(format);
  std::string out = "-o" + operand(output);
  std::string in = operand(input);
  char* argv[] = {const_cast<char*>("dot"), fmt.data(), out.data(), in.data(), nullptr};
  pid_t pid = 0;
  const int err = ::posix_spawn(&pid, program.c_str(), nullptr, nullptr, argv, environ);
  if (err != 0) {
    // std::system_error (a std::runtime_error): its message is strerror's
    // text, made thread-safely (std::strerror may share one buffer).
    throw std::system_error(err, std::generic_category(), "refgc::diag: cannot run " + program);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("refgc::diag: `dot " + fmt + "` failed writing " + file.string());
  // dot can exit 0 having written nothing (it did when it took the input
  // path for an option): success is its output being there.
  std::error_code ignored;
  if (!std::filesystem::exists(output, ignored))
    throw std::runtime_error("refgc::diag: `dot " + fmt + "` wrote no " + file.string());
  std::filesystem::rename(output, file, ignored);
  if (ignored) throw std::runtime_error("refgc::diag: cannot write " + file.string());
}

void render_svg(const std::filesystem::path& file, const std::vector<Root>& roots,
                const GraphOptions& options) {
  if (!graphviz_available()) throw GraphvizNotFound();
  render_dot(to_dot(roots, options), file, "svg");
}

void render_png(const std::filesystem::path& file, const std::vector<Root>& roots,
                const GraphOptions& options) {
  if (!graphviz_available()) throw GraphvizNotFound();
  render_dot(to_dot(roots, options), file, "png");
}

std::string ascii_diagram(const std::vector<Root>& roots, std::size_t max_depth,
                          std::size_t too_many) {
  HeapImpl& heap = heap_for("calls diag::ascii_diagram");
  for (const Root& r : roots)
    if (r.object == nullptr)
      throw std::invalid_argument("refgc::diag::ascii_diagram: a root is null");
  const HoldCollections hold(heap);  // repr() is user code
  HeapGraph graph(heap, false);
  graph.pin();
  for (const Root& r : roots) graph.hold(r.object);
  // Each object's distance from the roots (breadth-first, max_depth steps,
  // the first too_many references of each object, as drawn). The tree below
  // is depth-first, so an object may first be met on a longer path than its
  // shortest; it is expanded there by its distance, not by where it is
  // drawn, so that every object within max_depth of a root is drawn.
  std::unordered_map<const Object*, std::size_t> distance;
  {
    std::vector<const Object*> frontier;
    for (const Root& r : roots)
      if (distance.try_emplace(r.object, 0).second) frontier.push_back(r.object);
    for (std::size_t depth = 0; depth < max_depth && !frontier.empty(); ++depth) {
      std::vector<const Object*> next;
      for (const Object* o : frontier) {
        std::size_t seen = 0;
        for_each_reference(const_cast<Object*>(o), [&](Object* t) {
          if (too_many != 0 && seen++ >= too_many) return;
          graph.hold(t);  // `distance` is keyed by address: none may die meanwhile
          if (distance.try_emplace(t, depth + 1).second) next.push_back(t);
        });
      }
      frontier = std::move(next);
    }
  }
  std::unordered_map<const Object*, std::size_t> number;  // #n, in order of first mention
  std::unordered_set<const Object*> described;            // drawn with type and value
  std::string out;
  auto describe = [&](const Object* o) {
    std::string s = one_line(detail::type_name(*o));
    const std::string v = one_line(short_value(*o));
    if (!v.empty()) s += " " + v;
    return s + "  (" + refcount_text(graph, o) + ")";
  };
  // Depth-first, each object described once, and expanded there if it is
  // less than max_depth from a root (`depth`); `prefix` draws the tree lines.
  // An explicit stack of the objects being expanded, not a recursive call
  // per level: a chain max_depth long would take as many C++ frames, and
  // overflowed a 1 MiB thread stack at about 3,000 levels.
  struct Expansion {
    const Object* owner = nullptr;
    std::vector<Object*> children;
    std::size_t next = 0;
    std::size_t hidden = 0;
    std::string prefix;
    std::size_t depth = 0;
    // Its references drawn unnamed (unnamed_among); none named if empty.
    std::optional<std::unordered_set<const Object*>> unnamed;
  };
  auto expand = [&](const Object* o, std::string prefix, std::size_t depth) {
    Expansion e;
    e.owner = o;
    e.prefix = std::move(prefix);
    e.depth = depth;
    if (depth < max_depth)
      for_each_reference(const_cast<Object*>(o), [&](Object* t) {
        graph.hold(t);  // before any of them is described (repr() is user code)
        e.children.push_back(t);
      });
    e.unnamed = unnamed_among(e.children);
    if (too_many != 0 && e.children.size() > too_many) {
      e.hidden = e.children.size() - too_many;
      e.children.resize(too_many);
    }
    return e;
  };
  auto draw = [&](const Object* root) {
    std::vector<Expansion> stack;
    stack.push_back(expand(root, "", 0));
    while (!stack.empty()) {
      Expansion& e = stack.back();
      if (e.next == e.children.size()) {
        if (e.hidden != 0) out += e.prefix + " └──> ... " + std::to_string(e.hidden) + " more\n";
        stack.pop_back();
        continue;
      }
      const std::size_t i = e.next++;
      const bool last = i + 1 == e.children.size() && e.hidden == 0;
      const Object* c = e.children[i];
      // " ├──> #2", or with the reference's name " ├─.parent─> #2", " └─[3]─> #5".
      const std::string name = e.unnamed && e.unnamed->count(c) == 0
                                   ? link_text(one_line(reference_label(*e.owner, c)))
                                   : std::string();
      out +=
          e.prefix + (last ? " └" : " ├") + (name.empty() ? "──> " : "─" + name.substr(1) + "─> ");
      const auto it = number.try_emplace(c, number.size() + 1).first;
      if (!described.insert(c).second) {
        out += "#" + std::to_string(it->second) + " (see above)\n";
        continue;
      }
      out += "#" + std::to_string(it->second) + " " + describe(c) + "\n";
      // c has no distance if a repr() made the reference after the
      // breadth-first pass: it is one step further than its referrer.
      const auto d = distance.find(c);
      const std::size_t depth =
          d == distance.end() ? e.depth + 1 : std::min(e.depth + 1, d->second);
      std::string prefix = e.prefix + (last ? "      " : " │    ");
      stack.push_back(expand(c, std::move(prefix), depth));  // `e` is not used after this
    }
  };
  // The labels first: "a ──> #1".
  std::vector<const Object*> order;
  for (const Root& r : roots) {
    auto [it, fresh] = number.try_emplace(r.object, number.size() + 1);
    if (fresh) order.push_back(r.object);
    if (!r.label.empty()) out += one_line(r.label) + " ──> #" + std::to_string(it->second) + "\n";
  }
  for (const Object* o : order) {
    // A root already drawn inside an earlier root's tree is not drawn twice.
    if (!described.insert(o).second) continue;
    out += "#" + std::to_string(number.at(o)) + " " + describe(o) + "\n";
    draw(o);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Leak checks

std::string LeakReport::str() const {
  std::ostringstream out;
  if (leaks.empty()) {
    out << "no leaks\n";
    return out.str();
  }
  out << leaks.size() << (leaks.size() == 1 ? " object" : " objects")
      << " created in the LeakCheck scope still alive after a full collection:\n";
  for (const TypeCount& t : by_type)
    out << ' ' << std::setw(8) << with_thousands(t.count) << ' ' << t.type << '\n';
  bool any_chain = false;
  std::size_t without_chain = 0;
  for (const Leak& l : leaks) {
    if (l.chain.empty()) {
      ++without_chain;
      continue;
    }
    any_chain = true;
    // One line per leak: the repr() is user text (a newline in it broke
    // the report's layout), shown as ascii_diagram shows it.
    out << "  " << one_line(l.type) << '@' << static_cast<const void*>(l.address);
    if (!l.value.empty()) out << ' ' << one_line(l.value);
    out << "\n    kept alive by: " << l.chain << '\n';
  }
  // The leaks past check()'s max_chains have no chain and are not listed
  // one by one (a large leak would print a line per object); the count says
  // they exist (examples/document.cc: a report counting 2 listeners showed 1).
  if (without_chain != 0)
    out << "  ... " << (any_chain ? "and " : "") << with_thousands(without_chain)
        << (any_chain ? " more" : "") << (without_chain == 1 ? " object" : " objects")
        << " without a chain (check(max_chains) computes one for each of the first max_chains "
           "leaks)\n";
  // A chain of one object (the leak itself) left users asking what holds it
  // (usability review 2026-11-23): say where every chain starts.
  if (any_chain)
    out << "  (each chain starts at an object held from outside the heap: a Ref that no tracked "
           "object holds -- a local or global, a std::function capture, a member trace() does "
           "not report)\n";
  return out.str();
}

std::ostream& operator<<(std::ostream& out, const LeakReport& report) {
  return out << report.str();
}

LeakCheck::LeakCheck() : LeakCheck(Handler{}) {}

LeakCheck::LeakCheck(Handler on_leak, std::size_t max_chains)
    : on_leak_(std::move(on_leak)), max_chains_(max_chains) {
  HeapImpl& heap = heap_for("opens a diag::LeakCheck");
  heap_ = &heap.self;
  for_each_tracked(heap, [&](Object* o) { before_.insert(o); });
  // And the untracked objects of a GC type: a Dict is born untracked, and
  // Dict::set may track it inside the scope (refgc/dict.h). A walk of the
  // pool's slots (a freed one says so in its state).
  heap.pool.for_each_slot([&](void* slot) {
    const auto* o = static_cast<const Object*>(slot);
    if (ObjectAccess::state(o) == detail::kUntracked && (ObjectAccess::gc(o) & detail::kIsGc) != 0)
      before_.insert(o);
  });
  heap.leak_checks.push_back(this);
}

LeakCheck::~LeakCheck() {
  if (detail::tls.heap != heap_ || heap_->impl().owner.load() != std::this_thread::get_id()) {
    // Neither the check nor leaving the heap's list of scopes can be done
    // without the heap: a silent skip would let a leak pass unseen.
    detail::fatal("a diag::LeakCheck scope ended on a thread that does not hold its heap");
  }
  if (on_leak_ && !checked_) {
    try {
      const LeakReport report = check(max_chains_);
      if (!report.empty()) on_leak_(report);
    } catch (...) {
      write_unraisable("<diag::LeakCheck at end of scope>");
    }
  }
  auto& v = heap_->impl().leak_checks;
  v.erase(std::remove(v.begin(), v.end(), this), v.end());
}

LeakReport LeakCheck::check(std::size_t max_chains) {
  HeapImpl& heap = heap_for("calls diag::LeakCheck::check");
  if (&heap.self != heap_)
    throw std::logic_error("refgc::diag::LeakCheck::check: called on another heap than its own");
  checked_ = true;
  gc::collect(2);
  LeakReport report;
  std::vector<const Object*> leaked;
  for_each_tracked(heap, [&](Object* o) {
    if (!before_.count(o)) leaked.push_back(o);
  });
  if (leaked.empty()) return report;
  const HoldCollections hold(heap);  // repr() is user code
  HeapGraph graph(heap, max_chains != 0);
  graph.pin();
  std::map<std::string, std::size_t> types;
  for (std::size_t i = 0; i < leaked.size(); ++i) {
    const Object* o = leaked[i];
    Leak leak;
    leak.type = detail::type_name(*o);
    leak.address = o;
    leak.value = short_value(*o);
    if (i < max_chains) {
      auto is_root = [&](std::uint32_t id) { return graph.external(graph.object(id)) > 0; };
      const auto ids = backref_ids(graph, graph.id(o), is_root, true, 64);
      std::vector<Ref<Object>> chain;
      for (std::uint32_t id : ids) chain.emplace_back(graph.object(id));
      leak.chain = ids.empty() ? "(no holder found within 64 steps)" : describe_chain(chain);
    }
    ++types[leak.type];
    report.leaks.push_back(std::move(leak));
  }
  report.by_type = most_common_first(types);
  return report;
}

}  // namespace diag

}  // namespace refgc
