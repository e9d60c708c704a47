// tests/differential/scenario.h: a scenario of object-graph operations, run
// against refgc. The same scenario, rendered as Python by gen.py, runs on
// CPython 3.11; run.py compares the two event logs line by line. The fuzz
// target (tests/fuzz/) drives the same runner from bytes and checks
// invariants after every step.
//
// The text format (one operation per line, `#` starts a comment; the full
// description with the Python meaning of every line is in README.md):
//
//   handles 8          size of the handle table H (strong references)
//   weakrefs 4         size of the weak-reference table W
//   multiweak          (fuzz only) several weak references per object
//   longlived          after every operation, log "ll T P st ...": the
//                      collector's long_lived_total and long_lived_pending
//                      (the 25% rule), then get_stats() (collections,
//                      collected, uncollectable for each generation)
//   new 3              H[3] = Node()
//   newf 3 K X         H[3] = FNode() whose finalizer does action K with X
//   set 3 a 5          H[3].a = H[5]           (fields a, b, c)
//   clr 3 a            H[3].a = None
//   get 3 a 5          H[5] = H[3].a
//   cp 3 5             H[5] = H[3]
//   drop 3             H[3] = None
//   wref 2 3           W[2] = ref(H[3])        (shared, no callback)
//   wrefcb 2 3 K X     W[2] = ref(H[3], cb)    (callback does action K with X)
//   wdrop 2 / wchk 2   W[2] = None / log W[2]'s state
//   wset 3 2 / wclr 3  H[3].w = W[2] / H[3].w = None
//   wget 3 2           W[2] = H[3].w
//   collect G          log gc.collect(G)
//   thresh A B C       gc.set_threshold(A, B, C)
//   enable / disable   gc.enable() / gc.disable()
//   count              log gc.get_count()
//   unsave             SAVED.clear()
//   survivors          log the ids of the live nodes
//   gcorder G          log the ids of the nodes in generation G, in order
//   freeze / unfreeze  (fuzz only) gc.freeze() / gc.unfreeze()
//   isfin 3            log gc.is_finalized(H[3]) (1, 0, or none)
//   dicts 4            size of the dict table D (before the operations;
//                      0, the default, allows no dict operation)
//   dnew 1             D[1] = dict()  (refgc::Dict<Ref<Object>, Object>)
//   dset 1 K 3         D[1][K] = H[3]          (None if H[3] is empty;
//                      an int key K is refgc::Int, one object per value)
//   dseti 1 K X        D[1][K] = X             (an int, refgc::Int)
//   ddel 1 K           if K in D[1]: del D[1][K]
//   dclr 1 / ddrop 1   D[1].clear() / D[1] = None
//   dget 1 K 3         H[3] = D[1].get(K) if it is a node, else None
//   dput 3 1           H[3].d = D[1]           (a node's dict field)
//   dtake 3 1          D[1] = H[3].d
//   dtrk 1             log gc.is_tracked(D[1]) (1, 0, or none)
//   dsetd 1 K 2        D[1][K] = D[2]          (a dict in a dict; may be D[1])
//   dsetk 1 3 X        D[1][H[3]] = X          (a node key, an int value;
//                      skipped if H[3] is empty)
//   dsetkh 1 3 5       D[1][H[3]] = H[5]       (a node key, a node value or
//                      None; skipped if H[3] is empty)
//   ddelk 1 3          if H[3] in D[1]: del D[1][H[3]]
//   dgetk 1 3 5        H[5] = D[1].get(H[3]) if it is a node, else None
#pragma once

#include <cstddef>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace refgc_diff {

enum class OpCode {
  kNew,
  kNewF,
  kSet,
  kClr,
  kGet,
  kCp,
  kDrop,
  kWRef,
  kWRefCb,
  kWDrop,
  kWChk,
  kWSet,
  kWClr,
  kWGet,
  kCollect,
  kThresh,
  kEnable,
  kDisable,
  kCount,
  kUnsave,
  kSurvivors,
  kGcOrder,
  kFreeze,
  kUnfreeze,
  kIsFin,  // the fuzz target makes opcodes up to here: its corpus's bytes keep their meaning
  kDNew,
  kDSet,
  kDSetI,
  kDDel,
  kDClr,
  kDDrop,
  kDGet,
  kDPut,
  kDTake,
  kDTrk,
  kDSetD,  // the fuzz target's dict inputs make opcodes up to here (without node keys)
  kDSetK,
  kDDelK,
  kDGetK,
  kDSetKH,
};

// What an FNode's finalizer does after logging "del <id>".
enum FinalizerKind : int {
  kFinLog = 0,        // nothing more
  kFinResurrect = 1,  // SAVED.append(self)
  kFinClearA = 2,     // self.a = None
  kFinDropX = 3,      // H[x] = None
  kFinLinkX = 4,      // self.a = H[x]
  kFinStoreX = 5,     // H[x] = self
  kFinUnsave = 6,     // SAVED.clear()
  kFinSelfCycle = 7,  // self.b = self
  kFinCollect = 8,    // log gc.collect(0)
  kFinAlloc = 9,      // H[x] = Node()  (fuzz only: see README.md)
  kFinKinds = 10,     // the kinds the fuzz target draws (its corpus keeps its meaning)
  // With a dict table (nothing when it is empty):
  kFinDictStore = 10,  // D[x][0] = self
  kFinDictClear = 11,  // D[x].clear()
  kFinDictSelf = 12,   // self.d[1] = self, if self.d
  kFinKindsDict = 13,  // the kinds the fuzz target draws with dicts but no node keys
  // With a dict table and node keys:
  kFinDictStoreKey = 13,  // D[x][self] = 0
  kFinDictSelfKey = 14,   // self.d[self] = 1, if self.d
  kFinKindsAll = 15,
};

// What a weak-reference callback does after logging "cb <serial>".
enum CallbackKind : int {
  kCbLog = 0,        // nothing more
  kCbDropX = 1,      // H[x] = None
  kCbUnsave = 2,     // SAVED.clear()
  kCbWDropX = 3,     // W[x] = None
  kCbCollect = 4,    // log gc.collect(0)
  kCbKinds = 5,      // the kinds the fuzz target draws
  kCbDictClear = 5,  // D[x].clear()  (nothing when the dict table is empty)
  kCbKindsAll = 6,
};

struct Op {
  OpCode code{};
  int a = 0, b = 0, c = 0, d = 0;
};

struct Scenario {
  int handles = 8;
  int weakrefs = 4;
  int dicts = 0;
  bool multiweak = false;
  bool longlived = false;
  std::vector<Op> ops;
};

constexpr int kMaxTable = 64;
// dseti's and dsetk's values are 0 .. kDictAtoms - 1 (gen.py's DICT_ATOMS).
constexpr int kDictAtoms = 10;

// Parses the text format. Returns false with a message naming the line on
// any error (unknown operation, wrong arity, index out of range).
bool parse(std::string_view text, Scenario& out, std::string& error);
// The text format of a scenario (parse(format(s)) == s).
std::string format(const Scenario& s);
std::string format_op(const Op& op);

class Runner;

// Called after every operation (and once more after the teardown with
// step == ops.size()); the fuzz target checks its invariants here.
using StepHook = std::function<void(Runner& runner, std::size_t step)>;

struct RunOptions {
  StepHook after_step;
  // Tear down (drop every handle, quiet finalizers, one full collection)
  // before returning and report what is left in RunResult. Without it the
  // same teardown still happens, unmeasured.
  bool teardown = true;
  // Create weak references with automatic collection paused (restored
  // after), as gen.py's CPython form does: there, `ref(o)` and `WR(o, cb)`
  // hold their arguments in a tuple that is tracked, alive and uncounted
  // while the weak reference is allocated, so a collection triggered by
  // that allocation has one more survivor than refgc (README.md, "A weak
  // reference's argument tuple"). The fuzz target, which compares with no
  // CPython, turns it off to keep collections at weak-reference allocation.
  bool pause_gc_for_weakrefs = true;
};

struct RunResult {
  std::vector<std::string> log;
  // After the teardown: nodes still alive (should be 0) and objects still
  // allocated from the scenario's heap (should be 0).
  std::size_t leaked_nodes = 0;
  std::size_t leaked_objects = 0;
};

// Runs `s` on a fresh refgc::Heap held by this thread and returns its event
// log. Reentrant with respect to other heaps; not thread-safe.
RunResult run(const Scenario& s, const RunOptions& options = {});

// What the invariant checks of a step hook can look at.
class Runner {
 public:
  virtual ~Runner() = default;
  // Ids of nodes constructed and not yet destroyed.
  virtual const std::set<int>& live_ids() const = 0;
  // Ids of the nodes held by the handle table, SAVED, and everything
  // reachable from them through fields (strong references only).
  virtual std::set<int> reachable_ids() const = 0;
  // Objects allocated from the scenario's heap and not yet freed.
  virtual std::size_t heap_live_objects() const = 0;
  // The scenario's event log so far.
  virtual const std::vector<std::string>& log() const = 0;
  // Checks the heap against the runner's shadow bookkeeping between two
  // operations; returns "" or what is wrong:
  //   * every node reachable from a handle or SAVED is alive;
  //   * every live object of the heap is tracked (in a generation or frozen),
  //     but for the Dicts that hold no node (untracked, like CPython's) and
  //     the Int values;
  //   * a Dict that holds a node (as a value or a key) or a dict is tracked;
  //   * (nothing frozen) the nodes in the generations are exactly the live
  //     ones, and every object's refcount is exactly the number of Refs the
  //     runner, the nodes and the dicts (values and keys) hold to it, and
  //     an int key's or value's (refgc::Int) the number of dict entries
  //     that hold it plus the runner's own;
  //   * count0 <= the size of generation 0 plus the untracked Dicts (count0
  //     counts allocations since the last collection, minus frees);
  //   * the heap's live objects are exactly the tracked, frozen, untracked
  //     Dicts and Int ones (at least, with objects frozen: nothing lists an
  //     untracked Dict that only frozen objects hold);
  //   * a live weak reference points to a live node.
  virtual std::string check_invariants() const = 0;
};

}  // namespace refgc_diff
