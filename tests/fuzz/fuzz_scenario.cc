// tests/fuzz/fuzz_scenario.cc: a libFuzzer target that decodes bytes into a
// differential scenario (tests/differential/scenario.h) and runs it against
// refgc, checking invariants after every operation:
//
//   * no node is freed while reachable from a handle or SAVED (AddressSanitizer
//     also catches any use after free), every live object is tracked, the
//     generations hold exactly the live nodes, every refcount is exact, count0
//     never exceeds generation 0 (Runner::check_invariants);
//   * after every handle is dropped and one full collection, every node and
//     every object of the scenario's heap is freed;
//   * in the Debug build (REFGC_DEBUG=1) the collector validates its
//     generation vectors and working lists between phases.
//
// Unlike the differential scenarios, the fuzzer also uses what CPython cannot
// be compared on: several weak references per object ("multiweak"),
// finalizers that allocate, gc.freeze()/unfreeze(), deep chains.
//
// Byte format (README.md): [handles][weakrefs][flags] then per operation an
// opcode byte (OpCode order, modulo its count) followed by one byte per
// argument. Bits 1-3 of the flags byte give the size of the dict table: when
// it is not 0 the opcodes include the Dict operations and the finalizer and
// callback kinds those that change dicts (inputs with those bits clear, as
// every input made before Dicts, decode as they always did). Bit 4, with a
// dict table, adds the node-key operations (dsetk .. dsetkh) and the
// finalizer kinds that store the dying node as a key (inputs with it clear,
// as every input made before node keys, decode as they did). Set
// REFGC_FUZZ_PRINT=1 to print the decoded scenario.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "scenario.h"

namespace {

using refgc_diff::Op;
using refgc_diff::OpCode;

struct Bytes {
  const std::uint8_t* data;
  std::size_t size;
  std::size_t pos = 0;
  bool done() const { return pos >= size; }
  int next() { return pos < size ? data[pos++] : 0; }
};

// Without dicts, the operations up to isfin; with dicts, up to dsetd; with
// dicts and node keys, all of them.
constexpr int kOpCodes = static_cast<int>(OpCode::kIsFin) + 1;
constexpr int kOpCodesDict = static_cast<int>(OpCode::kDSetD) + 1;
constexpr int kOpCodesAll = static_cast<int>(OpCode::kDSetKH) + 1;
constexpr std::size_t kMaxOps = 600;
constexpr int kMaxNodes = 400;
constexpr int kMaxDicts = 400;
// Dict keys are 0 .. kDictKeys - 1 (few, so that keys get replaced).
constexpr int kDictKeys = 8;

refgc_diff::Scenario decode(const std::uint8_t* data, std::size_t size) {
  Bytes in{data, size};
  refgc_diff::Scenario s;
  s.handles = 2 + in.next() % 11;
  s.weakrefs = 1 + in.next() % 6;
  const int flags = in.next();
  s.multiweak = (flags & 1) != 0;
  s.dicts = (flags >> 1) & 7;
  const bool dicts = s.dicts != 0;
  const bool keys = dicts && (flags & 16) != 0;  // node keys
  const int opcodes = keys ? kOpCodesAll : dicts ? kOpCodesDict : kOpCodes;
  const int fin_kinds = keys    ? refgc_diff::kFinKindsAll
                        : dicts ? refgc_diff::kFinKindsDict
                                : refgc_diff::kFinKinds;
  const int cb_kinds = dicts ? refgc_diff::kCbKindsAll : refgc_diff::kCbKinds;
  int nodes = 0;
  int dicts_made = 0;
  while (!in.done() && s.ops.size() < kMaxOps) {
    Op op;
    op.code = static_cast<OpCode>(in.next() % opcodes);
    auto h = [&] { return in.next() % s.handles; };
    auto w = [&] { return in.next() % s.weakrefs; };
    auto d = [&] { return in.next() % s.dicts; };
    auto k = [&] { return in.next() % kDictKeys; };
    switch (op.code) {
      case OpCode::kNew:
      case OpCode::kDrop:
      case OpCode::kWClr:
      case OpCode::kIsFin:
        op.a = h();
        break;
      case OpCode::kNewF:
        op.a = h();
        op.b = in.next() % fin_kinds;
        op.c = in.next() % 64;
        break;
      case OpCode::kSet:
      case OpCode::kGet:
        op.a = h();
        op.b = in.next() % 3;
        op.c = h();
        break;
      case OpCode::kClr:
        op.a = h();
        op.b = in.next() % 3;
        break;
      case OpCode::kCp:
        op.a = h();
        op.b = h();
        break;
      case OpCode::kWRef:
        op.a = w();
        op.b = h();
        break;
      case OpCode::kWRefCb:
        op.a = w();
        op.b = h();
        op.c = in.next() % cb_kinds;
        op.d = in.next() % 64;
        break;
      case OpCode::kWDrop:
      case OpCode::kWChk:
        op.a = w();
        break;
      case OpCode::kWSet:
      case OpCode::kWGet:
        op.a = h();
        op.b = w();
        break;
      case OpCode::kCollect:
      case OpCode::kGcOrder:
        op.a = in.next() % 3;
        break;
      case OpCode::kThresh:
        op.a = in.next() % 32;
        op.b = in.next() % 6;
        op.c = in.next() % 6;
        break;
      case OpCode::kDNew:
      case OpCode::kDClr:
      case OpCode::kDDrop:
      case OpCode::kDTrk:
        op.a = d();
        break;
      case OpCode::kDSet:
      case OpCode::kDGet:
        op.a = d();
        op.b = k();
        op.c = h();
        break;
      case OpCode::kDSetI:
        op.a = d();
        op.b = k();
        op.c = in.next() % refgc_diff::kDictAtoms;
        break;
      case OpCode::kDSetD:
        op.a = d();
        op.b = k();
        op.c = d();
        break;
      case OpCode::kDDel:
        op.a = d();
        op.b = k();
        break;
      case OpCode::kDPut:
      case OpCode::kDTake:
        op.a = h();
        op.b = d();
        break;
      case OpCode::kDSetK:
        op.a = d();
        op.b = h();
        op.c = in.next() % refgc_diff::kDictAtoms;
        break;
      case OpCode::kDDelK:
        op.a = d();
        op.b = h();
        break;
      case OpCode::kDGetK:
      case OpCode::kDSetKH:
        op.a = d();
        op.b = h();
        op.c = h();
        break;
      default:
        break;
    }
    if (op.code == OpCode::kNew || op.code == OpCode::kNewF) {
      if (nodes >= kMaxNodes) continue;
      ++nodes;
    }
    if (op.code == OpCode::kDNew) {
      if (dicts_made >= kMaxDicts) continue;
      ++dicts_made;
    }
    s.ops.push_back(op);
  }
  return s;
}

[[noreturn]] void fail(const refgc_diff::Scenario& s, const std::string& what) {
  std::fprintf(stderr, "refgc fuzz: %s\nscenario:\n%s", what.c_str(),
               refgc_diff::format(s).c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const refgc_diff::Scenario s = decode(data, size);
  if (std::getenv("REFGC_FUZZ_PRINT") != nullptr)
    std::fprintf(stderr, "%s", refgc_diff::format(s).c_str());
  refgc_diff::RunOptions options;
  // No CPython to match: keep collections at weak-reference allocation.
  options.pause_gc_for_weakrefs = false;
  options.after_step = [&s](refgc_diff::Runner& runner, std::size_t step) {
    const std::string what = runner.check_invariants();
    if (!what.empty()) fail(s, "after operation " + std::to_string(step + 1) + ": " + what);
  };
  const refgc_diff::RunResult result = refgc_diff::run(s, options);
  if (result.leaked_nodes != 0 || result.leaked_objects != 0) {
    fail(s, "after the teardown " + std::to_string(result.leaked_nodes) + " nodes and " +
                std::to_string(result.leaked_objects) + " objects are still alive");
  }
  return 0;
}
