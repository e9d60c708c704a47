// src/object.cc: the deallocation path, the trashcan, the always-on checks,
// and the per-type registry (sizes, names).
//
// Refcount death of an object, in CPython 3.11's order (subtype_dealloc):
//   1. untrack it;
//   2. trashcan: deeper than kTrashLimit nested deallocations, defer it to the
//      thread's list, drained when the outermost deallocation finishes;
//   3. finalize() once (FINALIZED set before the call; tracked again during
//      it, at the tail of generation 0, like CPython). If the count is above 0
//      afterwards the object was resurrected: stop here, its weak references
//      stay alive;
//   4. clear weak references and run their callbacks (weak_ref hooks);
//   5. run the destructor (releasing the object's references, which may
//      cascade), give the memory back to the pool, count0 -= 1 for GC types.
// Exceptions from finalize() and destructors go to the unraisable hook.
#include <cxxabi.h>
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <unordered_map>
#include <vector>

#include "dealloc_inline.h"
#include "demangle.h"
#include "heap_impl.h"
#include "refgc/ref.h"
#include "refgc/tracer.h"
#include "refgc/unraisable.h"
#include "unicode_unprintable.h"
#include "weak_hooks.h"

namespace refgc {

using detail::ObjectAccess;

void Object::trace(Tracer&) {}
void Object::finalize() {}
std::string Object::repr() const { return {}; }
bool Object::equals(const Object& other) const { return this == &other; }
std::size_t Object::extra_size() const noexcept { return 0; }

namespace {
// Traces an object and keeps the name of the first reference to `target`
// that trace() gave through Tracer::field().
class NameTracer final : public Tracer {
 public:
  explicit NameTracer(const Object* target) : target_(target) {}
  // The name found, once trace() has returned ("" if none).
  std::string name() const {
    if (!named_) return {};
    std::string s(name_);
    if (index_ != kNoFieldIndex) {
      s += "[" + std::to_string(index_) + "]";
    } else if (key_[0] != '\0') {
      s += "[";
      s += key_;
      s += "]";
    }
    return s;
  }

 private:
  // Inside the user's trace(), which must not throw: no allocation here.
  // The name is copied (it need live only through its field() call), cut to
  // the diagnostics' 40 characters and more.
  bool visit(Object* referent) noexcept override {
    if (found_ || referent != target_) return false;
    found_ = true;
    if (field_name_ == nullptr) return false;
    named_ = true;
    std::size_t n = 0;
    while (n + 1 < sizeof name_ && field_name_[n] != '\0') {
      name_[n] = field_name_[n];
      ++n;
    }
    name_[n] = '\0';
    index_ = field_index_;
    if (field_key_writer_ != nullptr) {
      const std::size_t k = field_key_writer_(field_key_, key_, sizeof key_);
      key_[k] = '\0';
    }
    return false;
  }
  const Object* target_;
  bool found_ = false;
  bool named_ = false;
  char name_[64] = {};
  char key_[64] = {};  // a map element's key, repr()'d ("" if none)
  std::size_t index_ = kNoFieldIndex;
};
}  // namespace

std::string Object::reference_name(const Object& target) const {
  NameTracer t(&target);
  // A kVisit tracer changes nothing (the diagnostics trace const objects
  // the same way).
  const_cast<Object*>(this)->trace(t);
  return t.name();
}

// Reached only by misuse (`new Derived` inside a member of a managed type):
// the Object constructor then stops the program, as for any object built
// outside make<T>().
void* Object::operator new(std::size_t size) { return detail::current_fast().pool.allocate(size); }

void Tracer::take(Object* referent) noexcept { detail::decref(referent); }

namespace detail {

namespace {

// Owns this thread's deferred-deallocation list; frees it at thread exit.
struct TrashOwner {
  ~TrashOwner() {
    delete tls.trash;
    tls.trash = nullptr;
  }
};
thread_local TrashOwner trash_owner;

// The library's own types read like Python's builtins: "List<Node>", "Int".
// Only a name that starts with refgc:: loses it, not one in a namespace
// whose name ends so (app_refgc::Session) or nested in another (x::refgc::).
std::string readable_name(const char* mangled) {
  std::string name = demangle(mangled);
  const std::string prefix = "refgc::";
  for (std::size_t pos = 0; (pos = name.find(prefix, pos)) != std::string::npos;) {
    const char before = pos == 0 ? ' ' : name[pos - 1];
    if (std::isalnum(static_cast<unsigned char>(before)) != 0 || before == '_' || before == ':') {
      pos += prefix.size();
    } else {
      name.erase(pos, prefix.size());
    }
  }
  return name;
}

struct TypeRecord {
  std::size_t size = 0;
  std::string name;
  bool weakrefable = true;
};

struct Registry {
  std::mutex mutex;
  std::unordered_map<const std::type_info*, TypeRecord> by_type;
};
Registry& registry() {
  static Registry* r = new Registry;  // never destroyed: used at exit
  return *r;
}

// Bumped by every registration. A type can be registered again at an address
// the registry knows (a plugin unloaded and loaded again, or another build of
// it loaded at the same path, can put a type_info where the old one was):
// the threads' caches of the last type asked about must not answer from the
// old record.
std::atomic<std::uint64_t> registry_generation{0};

}  // namespace

[[gnu::noinline, gnu::cold]] void report_exception(const Object* o, const char* where) noexcept {
  char buf[160];
  std::snprintf(buf, sizeof buf, "<%s of %s at %p>", where, type_name(*o).c_str(),
                static_cast<const void*>(o));
  write_unraisable(buf);
}

// Runs finalize() once. Returns true if the object was resurrected. With a
// heap, a tracked type is re-tracked in its generation 0 for the call, as
// CPython does (and stays there if resurrected); without one (an orphan,
// src/orphans.cc) it stays untracked.
bool call_finalizer(HeapImpl* heap, Object* o) noexcept {
  // FINALIZED is set once finalize() has returned, as CPython's
  // PyObject_CallFinalizer does on this path (gc.is_finalized(self) inside
  // __del__ is False on refcount death, True in a collection, which sets it
  // before the call: Collector::finalize_garbage). The object cannot die,
  // and so cannot be finalized again, during the call: it holds rc 1 here.
  if (heap != nullptr && (ObjectAccess::gc(o) & kIsGc) != 0) {
    try {
      heap->track(o);  // CPython re-tracks for the finalizer (generation 0)
    } catch (...) {
      // No memory to track it: the finalizer runs with the object untracked.
    }
  }
  ObjectAccess::rc(o) = 1;
  try {
    o->finalize();
  } catch (...) {
    report_exception(o, "finalize");
  }
  ObjectAccess::gc(o) |= kFinalized;
  std::uint32_t& rc = ObjectAccess::rc(o);
  REFGC_CHECK(rc != 0, o, "refcount underflow inside finalize()");
  if (--rc != 0) return true;  // resurrected: stays tracked in generation 0
  if (heap != nullptr && ObjectAccess::state(o) != kUntracked) heap->untrack(o);
  return false;
}

[[gnu::noinline, gnu::cold]] void report_destructor_exception(const Object* o) noexcept {
  char buf[160];
  std::snprintf(buf, sizeof buf, "<destructor of object at %p>", static_cast<const void*>(o));
  write_unraisable(buf);
}

#if REFGC_DEBUG
// Freed into this heap's pool, an object of another heap would corrupt both
// (docs/design/memory-model.md, "Heaps and threads"). Orphans find their own.
// (Small objects only, by the page map: a large one would need a walk of
// the heap's list of large objects, quadratic when many die.)
void check_heap_of_dying(HeapImpl& heap, const Object* o) noexcept {
  if (is_orphan(ObjectAccess::gc(o)) || heap.pool.in_chunks(o)) return;
  if (registered_size(*o) <= Pool::kMaxSmall)
    fatal_object(o,
                 "an object of another heap dies while this thread holds a different heap (drop "
                 "it while holding its own: refgc::Heap::Lock)");
}
#endif

[[gnu::noinline, gnu::cold]] void dealloc_slow_body(HeapImpl& heap, Object* o) noexcept {
  const std::uint32_t gc = ObjectAccess::gc(o);
  if (is_orphan(gc)) return dealloc_orphan(o);
  if (finalizer_pending(gc)) {
    if (call_finalizer(&heap, o)) return;
  }
  if (ObjectAccess::gc(o) & kHasWeakrefs) clear_weakrefs_on_dealloc(heap, o);
  destroy(heap, o, gc);
}

[[gnu::noinline, gnu::cold]] void drain_trash(HeapImpl& heap, ThreadState& ts) noexcept {
  // Read again at each step: a deallocation may defer more (pushed here, and
  // freed next) or, on another heap, drain the list itself (an end_trash).
  while (ts.trash != nullptr && !ts.trash->empty()) {
    const DeferredDealloc d = ts.trash->back();
    ts.trash->pop_back();
    // Two levels, as in CPython: _PyTrash_thread_destroy_chain raises the
    // nesting to 1 (no nested drain), and the deferred deallocator's own
    // Py_TRASHCAN_BEGIN counts itself, as dealloc_untracked does for an
    // object it does not defer. So the object's references die at level 2,
    // and the next deferral comes 49 levels further, not 50 (python3 3.11.7:
    // Trashcan.DeallocationsDeferredWhileTheTrashcanDrainsComeAtCPythonsDepths).
    ts.trash_nesting += 2;
    {
      // Deferred under another heap, which this thread still holds further
      // out (a hold that takes its heap frees what was deferred under it
      // before it ends): freed under that heap, a nested hold of it.
      std::optional<Heap::Lock> other;
      if (d.heap != &heap) other.emplace(d.heap->self);
#if REFGC_DEBUG
      check_heap_of_dying(*d.heap, d.object);
#endif
      dealloc_body(*d.heap, d.object);
    }
    ts.trash_nesting -= 2;
  }
  // Gone until the next deferral: a thread's list exists only while
  // deallocations wait in it (the collector's clearing loop tests just that).
  delete ts.trash;
  ts.trash = nullptr;
}

// The depth is the thread's, and so is the list, whatever heap the thread
// holds: it measures the C++ stack. (A hold of another heap used to start
// again at depth 0 with a list of its own, so a chain whose links'
// destructors each took the other of two heaps to drop the next link
// recursed once per link: 100,000 links overflowed the default 8 MiB
// stack; Trashcan.AChainAlternatingBetweenTwoHeapsIsFreedWithConstantStack.)
// Each deferral records its heap instead, and is freed under it.
TrashState begin_trash() noexcept { return TrashState{tls.trash_nesting}; }

void end_trash(TrashState outer) noexcept {
  // The hold is about to release its heap: what was deferred under it must
  // be freed now, under it, so the whole list is drained (the other heaps
  // in it are held further out). A hold that began at depth 0 finds nothing
  // (the outermost deallocation drained the list); one that began inside a
  // deallocation frees here what its deallocations deferred, with constant
  // stack (a deallocation that defers more adds to the list being drained).
  if (tls.trash != nullptr) drain_trash(current_impl(), tls);
  tls.trash_nesting = outer.nesting;
}

[[gnu::noinline, gnu::cold]] bool defer_dealloc(HeapImpl& heap, ThreadState& ts,
                                                Object* o) noexcept {
  try {
    if (ts.trash == nullptr) {
      (void)&trash_owner;  // registers the thread-exit cleanup
      ts.trash = new std::vector<DeferredDealloc>();
    }
    ts.trash->push_back(DeferredDealloc{o, &heap});
    return true;
  } catch (const std::bad_alloc&) {
    return false;
  }
}

namespace {

// dealloc of an object in generation 1 or 2 (a chain that survived
// collections dying), or of generation 0 but not its newest (young objects
// dying in creation order with automatic collection off): a copy of its own,
// so that this untrack is inline here without costing registers in dealloc
// itself.
[[gnu::noinline]] void dealloc_listed(HeapImpl& heap, Object* o) noexcept {
  heap.untrack_listed_fast(o);
  dealloc_untracked(heap, tls, o);
}

}  // namespace

// Aligned to a cache line: the hot loop of every refcount death starts here,
// and where the linker happened to put it moved W2 by 6% from build to build.
__attribute__((aligned(64))) void dealloc(Object* o) noexcept {
  HeapImpl& heap = current_impl();
#if REFGC_DEBUG
  check_heap_of_dying(heap, o);
#endif
  const std::uint32_t state = ObjectAccess::state(o);
  if (state != kUntracked && !heap.untrack_newest_gen0(o)) {
    if (state <= kGen2) return dealloc_listed(heap, o);  // kGen0 to kGen2
    heap.untrack_fast(o);
  }
  dealloc_untracked(heap, tls, o);
}

void constructed_outside_make() noexcept {
  fatal(
      "a refgc::Object was constructed outside refgc::make<T>() (on the stack, "
      "with new, or in std::make_shared); managed objects must be created with "
      "refgc::make<T>(...)");
}

void object_not_first_base(const char* type) noexcept {
  std::fprintf(stderr,
               "refgc: fatal: make<%s>: refgc::Object must be the type's first base (at offset "
               "0); derive from refgc::Object before any other polymorphic base\n",
               readable_name(type).c_str());
  std::fflush(stderr);
  std::abort();
}

void constructor_kept_this(const char* type, const void* at) noexcept {
  std::fprintf(stderr,
               "refgc: fatal: make<%s>: the constructor of the object at %p threw after storing a "
               "strong reference to it (Ref<T>(this)); that reference would dangle. Store "
               "references to the new object only after everything that can throw (inside a "
               "deep release cascade, a reference given to a member whose release the trashcan "
               "deferred still counts)\n",
               readable_name(type).c_str(), at);
  std::fflush(stderr);
  std::abort();
}

void throw_empty_deref(const std::type_info& pointer) {
  // typeid(T*) demangles to "T*" (a const T: "T const*").
  std::string name = readable_name(pointer.name());
  if (!name.empty() && name.back() == '*') name.pop_back();
  throw std::logic_error("dereferencing an empty refgc::Ref<" + name + ">");
}

void refcount_fault(const Object* o, std::uint32_t before) noexcept {
  if (before == 0) fatal_object(o, "refcount underflow or use of a dead object");
  fatal_object(o, "refcount overflow");
}

void fatal(const char* msg) noexcept {
  std::fprintf(stderr, "refgc: fatal: %s\n", msg);
  std::fflush(stderr);
  std::abort();
}

void fatal_object(const Object* o, const char* what) noexcept {
  if (o == nullptr) {
    std::fprintf(stderr, "refgc: fatal: %s: <null object>\n", what);
  } else if (ObjectAccess::state(o) == kFreed) {
    std::fprintf(stderr, "refgc: fatal: %s: <dead object at %p> (its memory was already freed)\n",
                 what, static_cast<const void*>(o));
  } else {
    std::fprintf(stderr, "refgc: fatal: %s: <%s at %p>\n", what, type_name(*o).c_str(),
                 static_cast<const void*>(o));
  }
  std::fflush(stderr);
  std::abort();
}

void register_type(const std::type_info& type, std::size_t size, const char* name,
                   bool weakrefable) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  TypeRecord& rec = r.by_type[&type];
  rec.size = size;
  rec.name = name != nullptr ? std::string(name) : readable_name(type.name());
  rec.weakrefable = weakrefable;
  registry_generation.fetch_add(1, std::memory_order_release);
}

bool is_weakrefable(const Object& o) {
  // One-entry cache per thread: creating many weak references to objects of
  // one type costs a typeid and a load, not a locked lookup. It holds while no
  // type was registered since (registry_generation).
  thread_local const std::type_info* last_type = nullptr;
  thread_local std::uint64_t last_generation = 0;
  thread_local bool last_answer = true;
  const std::type_info* type = &typeid(o);
  const std::uint64_t generation = registry_generation.load(std::memory_order_acquire);
  if (type == last_type && generation == last_generation) return last_answer;
  bool answer = true;
  {
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    auto it = r.by_type.find(type);
    if (it != r.by_type.end()) answer = it->second.weakrefable;
  }
  last_type = type;
  last_generation = generation;  // read before the lookup: a later registration misses the cache
  last_answer = answer;
  return answer;
}

std::size_t registered_size(const Object& obj) noexcept {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  auto it = r.by_type.find(&typeid(obj));
  return it != r.by_type.end() ? it->second.size : sizeof(Object);
}

std::string type_name(const Object& obj) {
  const std::type_info& type = typeid(obj);
  {
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    auto it = r.by_type.find(&type);
    if (it != r.by_type.end()) return it->second.name;
  }
  return readable_name(type.name());
}

namespace {
// The objects whose repr() is in progress on this thread (CPython's
// Py_ReprEnter list). Trivially destructible, its array freed when the
// outermost repr() ends: glibc destroys the main thread's thread_locals
// before the atexit handlers and static destructors, and the exit
// collections' finalizers may call repr() (a std::vector here was written
// after its destructor had freed it: review 2026-11-23).
struct ReprStack {
  const Object** data;
  std::size_t size;
  std::size_t capacity;
  void push(const Object* o) {
    if (size == capacity) {
      const std::size_t n = capacity == 0 ? 16 : 2 * capacity;
      void* p = std::realloc(static_cast<void*>(data), n * sizeof(const Object*));
      if (p == nullptr) throw std::bad_alloc();
      data = static_cast<const Object**>(p);
      capacity = n;
    }
    data[size++] = o;
  }
  void pop() noexcept {
    if (--size == 0) {
      std::free(static_cast<void*>(data));
      data = nullptr;
      capacity = 0;
    }
  }
};
static_assert(std::is_trivially_destructible_v<ReprStack>);
thread_local ReprStack repr_stack{nullptr, 0, 0};
thread_local std::size_t repr_limit = static_cast<std::size_t>(-1);
}  // namespace

ReprLimit::ReprLimit(std::size_t max) noexcept : saved_(repr_limit) { repr_limit = max; }
ReprLimit::~ReprLimit() { repr_limit = saved_; }
std::size_t ReprLimit::current() noexcept { return repr_limit; }

namespace {

// This thread's stack as the guards below see it: [low, floor) is its last
// kStackReserve bytes (a quarter of a smaller stack), where a repr() or a
// comparison does not go deeper. Found once per thread; empty (0, 0) where
// it cannot be (not Linux, or pthread_getattr_np fails).
struct StackRange {
  std::uintptr_t low = 0;
  std::uintptr_t floor = 0;
  bool known = false;
};
thread_local StackRange stack_range;
constexpr std::size_t kStackReserve = 64 * 1024;

[[gnu::noinline, gnu::cold]] void find_stack_range() noexcept {
  stack_range.known = true;
#if defined(__linux__)
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) != 0) return;
  void* low = nullptr;
  std::size_t size = 0;
  const int rc = pthread_attr_getstack(&attr, &low, &size);
  pthread_attr_destroy(&attr);
  if (rc != 0 || low == nullptr || size == 0) return;
  stack_range.low = reinterpret_cast<std::uintptr_t>(low);
  stack_range.floor = stack_range.low + std::min(kStackReserve, size / 4);
#endif
}

// Whether the caller runs in the last reserve of this thread's stack (which
// grows down). A frame outside the thread's stack (code on a stack of its
// own, a coroutine's) is never there: only the depth limits apply.
[[gnu::noinline]] bool stack_nearly_exhausted() noexcept {
  if (!stack_range.known) find_stack_range();
  const auto here = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
  return here >= stack_range.low && here < stack_range.floor;
}

}  // namespace

ReprGuard::ReprGuard(const Object* o) : object_(o), entered_(false) {
  // Python's recursion limit (1000 by default) stops a repr() nested this
  // deep with RecursionError; here, before the stack runs out: at that depth,
  // or sooner on a thread whose stack is too small for it (each level takes
  // a few hundred bytes; python3 3.11.7 raises RecursionError on a 256 KiB
  // thread stack too).
  if (repr_stack.size >= kMaxReprDepth || stack_nearly_exhausted())
    throw std::runtime_error(
        "maximum recursion depth exceeded while getting the repr of an object");
  for (std::size_t i = 0; i < repr_stack.size; ++i)
    if (repr_stack.data[i] == o) return;
  repr_stack.push(o);
  entered_ = true;
}

namespace {
thread_local std::size_t compare_depth = 0;
}  // namespace

CompareGuard::CompareGuard() {
  if (compare_depth >= kMaxDepth || stack_nearly_exhausted())
    throw std::runtime_error("maximum recursion depth exceeded in comparison");
  ++compare_depth;
}
CompareGuard::~CompareGuard() { --compare_depth; }

ReprGuard::~ReprGuard() {
  if (entered_ && repr_stack.size != 0 && repr_stack.data[repr_stack.size - 1] == object_)
    repr_stack.pop();
}

namespace {

// The length of the valid UTF-8 sequence at s[i] (1-4) and its code point,
// or 0 if the bytes there are not one.
std::size_t utf8_at(std::string_view s, std::size_t i, char32_t& cp) noexcept;

}  // namespace

std::size_t utf8_length_at(std::string_view s, std::size_t i) noexcept {
  char32_t cp = 0;
  return utf8_at(s, i, cp);
}

namespace {

std::size_t utf8_at(std::string_view s, std::size_t i, char32_t& cp) noexcept {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  std::size_t n = 0;
  if (c < 0x80) {
    cp = c;
    return 1;
  } else if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(k) & 0x3F);
  }
  // Overlong forms, surrogates and code points past U+10FFFF are not UTF-8.
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
      (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return n;
}

void append_hex(std::string& out, const char* prefix, unsigned value, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += prefix;
  for (int d = digits - 1; d >= 0; --d) out += kHex[(value >> (4 * d)) & 0xF];
}

}  // namespace

namespace {

std::string repr_floating(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x < 0 ? "-inf" : "inf";
  // Shortest round-trip digits in scientific form: "-d.ddde+XX".
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::scientific);
  const std::string sci(buf, res.ptr);
  const std::size_t e_at = sci.find('e');
  const bool negative = sci[0] == '-';
  std::string digits;
  for (std::size_t i = negative ? 1 : 0; i < e_at; ++i)
    if (sci[i] != '.') digits += sci[i];
  const int exp = std::stoi(sci.substr(e_at + 1));
  std::string out = negative ? "-" : "";
  if (exp >= -4 && exp < 16) {  // positional (Python's float_repr: decpt in (-4, 16])
    if (exp < 0) {
      out += "0." + std::string(static_cast<std::size_t>(-exp - 1), '0') + digits;
    } else {
      const std::size_t point = static_cast<std::size_t>(exp) + 1;
      if (digits.size() <= point) {
        out += digits + std::string(point - digits.size(), '0') + ".0";
      } else {
        out += digits.substr(0, point) + "." + digits.substr(point);
      }
    }
    return out;
  }
  out += digits.substr(0, 1);
  if (digits.size() > 1) out += "." + digits.substr(1);
  char e[16];
  std::snprintf(e, sizeof e, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
  return out + e;
}

}  // namespace

std::string repr_float(double x) { return repr_floating(x); }

namespace {

// Python's Py_UNICODE_ISPRINTABLE for a code point past ASCII: not in the
// categories Cc, Cf, Cs, Co, Cn, Zl, Zp, Zs (python3 3.11.7's Unicode 14.0.0
// tables, src/unicode_unprintable.h).
bool printable_non_ascii(char32_t cp) noexcept {
  // The first range that ends at or after cp: cp is unprintable if it starts
  // at or before cp.
  const auto* r = std::lower_bound(std::begin(kUnprintable), std::end(kUnprintable), cp,
                                   [](const CodePointRange& x, char32_t c) { return x.last < c; });
  return r == std::end(kUnprintable) || cp < r->first;
}

}  // namespace

std::string repr_text(std::string_view text) {
  const bool has_single = text.find('\'') != std::string_view::npos;
  const bool has_double = text.find('"') != std::string_view::npos;
  const char quote = has_single && !has_double ? '"' : '\'';
  std::string out(1, quote);
  out.reserve(text.size() + 2);
  for (std::size_t i = 0; i < text.size();) {
    char32_t cp = 0;
    const std::size_t n = utf8_at(text, i, cp);
    if (n == 0) {
      // Not UTF-8: the byte as Python decodes it with "surrogateescape"
      // (os.fsdecode, sys.argv), the lone surrogate U+DC80 + (byte - 0x80).
      append_hex(out, "\\u", 0xDC00u + static_cast<unsigned char>(text[i]), 4);
      ++i;
      continue;
    }
    if (cp == '\\' || cp == static_cast<char32_t>(quote)) {
      out += '\\';
      out += static_cast<char>(cp);
    } else if (cp == '\t') {
      out += "\\t";
    } else if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp < 0x20 || cp == 0x7F) {
      append_hex(out, "\\x", static_cast<unsigned>(cp), 2);
    } else if (cp < 0x7F || printable_non_ascii(cp)) {
      out.append(text.substr(i, n));
    } else if (cp <= 0xFF) {
      append_hex(out, "\\x", static_cast<unsigned>(cp), 2);
    } else if (cp <= 0xFFFF) {
      append_hex(out, "\\u", static_cast<unsigned>(cp), 4);
    } else {
      append_hex(out, "\\U", static_cast<unsigned>(cp), 8);
    }
    i += n;
  }
  out += quote;
  return out;
}

namespace {

// Copies `text` to out[0, n), cut with "..." if it does not fit (n >= 4).
std::size_t copy_key_text(std::string_view text, char* out, std::size_t n) noexcept {
  if (n == 0) return 0;
  if (text.size() < n) {
    text.copy(out, text.size());
    return text.size();
  }
  if (n < 4) return 0;
  std::size_t cut = n - 4;  // room for "..." and the terminator the caller writes
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  text.copy(out, cut);
  std::string_view("...").copy(out + cut, 3);
  return cut + 3;
}

// An integer's decimal text (Python's repr of an int), copied as above.
template <class Int>
std::size_t copy_integer_text(Int x, char* out, std::size_t n) noexcept {
  char buf[24];  // 20 digits and a sign
  const std::to_chars_result r = std::to_chars(buf, buf + sizeof buf, x);
  return copy_key_text(std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)), out, n);
}

}  // namespace

std::string capture_reference_name(std::size_t i) { return "captures[" + std::to_string(i) + "]"; }

// The repr()s allocate: a failure names the element by its field alone.
std::size_t write_key_repr(std::string_view text, char* out, std::size_t n) noexcept {
  try {
    return copy_key_text(repr_text(text), out, n);
  } catch (...) {
    return 0;
  }
}

std::size_t write_key_repr(double x, char* out, std::size_t n) noexcept {
  try {
    return copy_key_text(repr_floating(x), out, n);
  } catch (...) {
    return 0;
  }
}

std::size_t write_key_repr(long long x, char* out, std::size_t n) noexcept {
  return copy_integer_text(x, out, n);
}

std::size_t write_key_repr(unsigned long long x, char* out, std::size_t n) noexcept {
  return copy_integer_text(x, out, n);
}

std::size_t write_key_repr(bool x, char* out, std::size_t n) noexcept {
  return copy_key_text(x ? "True" : "False", out, n);
}

std::string repr_or_type(const Object& obj) {
  std::string r = obj.repr();
  if (!r.empty()) return r;
  std::string out(1, '<');
  out += type_name(obj);
  out += '>';
  return out;
}

}  // namespace detail

std::size_t getsizeof(const Object& o) noexcept {
  return detail::registered_size(o) + o.extra_size();
}

}  // namespace refgc
