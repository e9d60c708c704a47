// bench/adapters/intrusive_adapter.cc: a plain hand-rolled intrusive pointer,
// in two flavours: a non-atomic count ("intrusive") and an atomic one
// ("intrusive-atomic"). Nodes come from new/delete (the spec's "new/delete"
// anchor in W2) and are freed naively: the destructor releases the fields,
// so freeing a long chain recurses once per node.
#include <malloc.h>

#include <atomic>
#include <cstdint>
#include <utility>
#include <vector>

#include "../harness/workloads.h"

namespace bench {
namespace {

struct PlainCount {
  std::uint32_t n = 1;
  void inc() noexcept { ++n; }
  bool dec() noexcept { return --n == 0; }  // true: last reference gone
};

struct AtomicCount {
  std::atomic<std::uint32_t> n{1};
  void inc() noexcept { n.fetch_add(1, std::memory_order_relaxed); }
  bool dec() noexcept { return n.fetch_sub(1, std::memory_order_acq_rel) == 1; }
};

// The pointer: T has a `count` member with inc()/dec().
template <class T>
class IntrusivePtr {
 public:
  IntrusivePtr() noexcept = default;
  static IntrusivePtr adopt(T* p) noexcept {
    IntrusivePtr r;
    r.p_ = p;
    return r;
  }
  IntrusivePtr(const IntrusivePtr& o) noexcept : p_(o.p_) {
    if (p_) p_->count.inc();
  }
  IntrusivePtr(IntrusivePtr&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  ~IntrusivePtr() { release(); }
  IntrusivePtr& operator=(IntrusivePtr o) noexcept {
    std::swap(p_, o.p_);
    return *this;
  }
  T* operator->() const noexcept { return p_; }
  explicit operator bool() const noexcept { return p_ != nullptr; }

 private:
  void release() noexcept {
    if (p_ && p_->count.dec()) delete p_;  // naive: recursion through the fields
  }
  T* p_ = nullptr;
};

template <class Count>
struct IntrusiveNode {
  Count count;
  IntrusivePtr<IntrusiveNode> a, b;
};

template <class Count, bool kAtomic>
struct IntrusiveSystem {
  static constexpr const char* kName = kAtomic ? "intrusive-atomic" : "intrusive";
  static constexpr bool kRefCounted = true;
  using Node = IntrusiveNode<Count>;
  using Handle = IntrusivePtr<Node>;
  template <class T>
  using Vector = std::vector<T>;

  static void init() {}
  static Handle make() { return Handle::adopt(new Node()); }
  static void set_a(const Handle& n, Handle v) { n->a = std::move(v); }
  static void set_b(const Handle& n, Handle v) { n->b = std::move(v); }
  static std::size_t requested_bytes() { return sizeof(Node); }
  // glibc: bytes in chunks handed out (chunk headers and rounding included).
  static std::size_t allocator_bytes() { return mallinfo2().uordblks; }
};

}  // namespace

void register_intrusive(std::vector<Entry>& out) {
  add_workloads<IntrusiveSystem<PlainCount, false>>(out);
  add_workloads<IntrusiveSystem<AtomicCount, true>>(out);
}

}  // namespace bench
