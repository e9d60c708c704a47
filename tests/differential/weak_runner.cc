// tests/differential/weak_runner.cc: runs weak-container scenarios
// (weak_containers.py, README.md "Weak containers") against refgc and prints
// their event logs, for weak_containers.py to compare with CPython's.
//
//   refgc_weak_diff_runner A.scn [B.scn ...]
//
// For each file: "=== <file>", the log, then "--- leaked <n>" (nodes the
// teardown could not free). Each scenario runs on its own refgc::Heap with
// automatic collection off (on with REFGC_WEAK_AUTO_GC, see configure_gc).
// Every operation mirrors the CPython interpreter in weak_containers.py
// (Scenario.step / Scenario.action) line for line.
#include <refgc/refgc.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "scenario_files.h"

namespace {

using refgc::make;
using refgc::Ref;
using refgc::Tracer;
using refgc::WeakRef;

constexpr int kKeys = 5;

struct State;

struct Act {
  int kind = 0, x = 0, c = -1;
};

struct Node : refgc::Object {
  static constexpr const char* refgc_type_name = "Node";
  explicit Node(State* s);
  ~Node() override;
  State* st;
  int id;
  Ref<Node> a, b;
  // Python's slots, in CPython's order (sorted by name): a b id wkd ws wvd.
  refgc::WeakKeyDictionary<Node, Ref<Node>> wkd;
  refgc::WeakSet<Node> ws;
  refgc::WeakValueDictionary<int, Node> wvd;
  void trace(Tracer& t) override { t(a, b, wkd, ws, wvd); }
};

struct FNode : Node {
  static constexpr const char* refgc_type_name = "FNode";
  FNode(State* s, Act what) : Node(s), act(what) {}
  Act act;
  void finalize() override;
};

struct Containers {
  refgc::WeakValueDictionary<int, Node>* v;
  refgc::WeakKeyDictionary<Node, Ref<Node>>* k;
  refgc::WeakSet<Node>* s;
};

struct State {
  int nh = 0, nw = 0;
  std::vector<Ref<Node>> H;
  std::vector<WeakRef<Node>> W;
  std::vector<Ref<Node>> saved;
  std::vector<refgc::Finalizer> fins;
  std::vector<std::string> lines;
  std::set<int> live;
  bool quiet = false;
  int next_id = 0, next_serial = 0, next_fin = 0;
  refgc::WeakValueDictionary<int, Node> GV;
  refgc::WeakKeyDictionary<Node, Ref<Node>> GK;
  refgc::WeakSet<Node> GS;

  void log(std::string s) {
    if (!quiet) lines.push_back(std::move(s));
  }
  bool get(int c, Containers& out) {
    if (c < 0) {
      out = {&GV, &GK, &GS};
      return true;
    }
    Node* n = H[static_cast<std::size_t>(c % nh)].get();
    if (n == nullptr) return false;
    out = {&n->wvd, &n->wkd, &n->ws};
    return true;
  }
  void unsave() {
    std::vector<Ref<Node>> items;
    items.swap(saved);
    while (!items.empty()) items.pop_back();  // list.clear: last to first
  }
  void collect(const char* what) {
    const std::size_t n = refgc::gc::collect();
    log(std::string(what) + " " + std::to_string(n));
  }
  static std::string vid(const Ref<Node>& v) { return v ? std::to_string(v->id) : "none"; }
  void contents(int c) {
    Containers d;
    if (!get(c, d)) return;
    std::string out;
    for (auto& [k, v] : *d.v) out += (out.empty() ? "" : " ") + std::to_string(k) + "=" + vid(v);
    log("vit " + std::to_string(c) + ": " + out);
    out.clear();
    for (auto& [k, v] : *d.k)
      out += (out.empty() ? "" : " ") + std::to_string(k->id) + "=" + vid(v);
    log("kit " + std::to_string(c) + ": " + out);
    log("sit " + std::to_string(c) + ": " + members(*d.s));
  }
  static std::string members(const refgc::WeakSet<Node>& s) {
    std::vector<int> ids;
    for (auto& m : s) ids.push_back(m->id);
    std::sort(ids.begin(), ids.end());
    std::string out;
    for (int i : ids) out += (out.empty() ? "" : " ") + std::to_string(i);
    return out;
  }
  void action(Act act, Node* me) {
    if (quiet) return;
    const auto hx = static_cast<std::size_t>(act.x % nh);
    Containers d;
    switch (act.kind) {
      case 1:
        if (me != nullptr) saved.push_back(Ref<Node>(me));
        break;
      case 2:
        H[hx] = nullptr;
        break;
      case 3:
        if (!get(act.c, d)) {
          log("len " + std::to_string(act.c) + " none");
        } else {
          log("len " + std::to_string(act.c) + ": " + std::to_string(d.v->size()) + " " +
              std::to_string(d.k->size()) + " " + std::to_string(d.s->size()));
        }
        break;
      case 4:
        if (me != nullptr && get(act.c, d)) d.v->set(act.x % kKeys, Ref<Node>(me));
        break;
      case 5:
        if (me != nullptr && get(act.c, d)) d.k->set(Ref<Node>(me), H[hx]);
        break;
      case 6:
        if (me != nullptr && get(act.c, d)) d.s->add(Ref<Node>(me));
        break;
      case 7:
        if (get(act.c, d)) {
          d.v->clear();
          if (get(act.c, d)) d.k->clear();  // the owner may have died meanwhile
          if (get(act.c, d)) d.s->clear();
        }
        break;
      case 8:
        contents(act.c);
        break;
      case 9:
        collect("acollect");
        break;
      case 10:
        unsave();
        break;
      case 11:
        if (get(act.c, d)) {
          try {
            d.v->erase(act.x % kKeys);
            log("adel ok");
          } catch (const std::out_of_range&) {
            log("adel KeyError");
          }
        }
        break;
      case 12:
        if (get(act.c, d)) {
          try {
            Ref<Node> v = d.v->pop(act.x % kKeys);
            log("apop " + std::to_string(v->id));
          } catch (const std::out_of_range&) {
            log("apop KeyError");
          }
        }
        break;
      default:
        break;
    }
  }
  void step(const std::vector<std::string>& w);
};

Node::Node(State* s) : st(s), id(s->next_id++) { st->live.insert(id); }
Node::~Node() {
  st->live.erase(id);
  a = nullptr;  // CPython's clear_slots: a b (id) wkd ws wvd
  b = nullptr;
  wkd = {};
  ws = {};
  wvd = {};
}
void FNode::finalize() {
  st->log("del " + std::to_string(id));
  st->action(act, this);
}

void State::step(const std::vector<std::string>& w) {
  const std::string& op = w[0];
  std::vector<int> a;
  for (std::size_t i = 1; i < w.size(); ++i) a.push_back(std::stoi(w[i]));
  auto at = [&](int h) -> Ref<Node>& { return H[static_cast<std::size_t>(h)]; };
  // As in CPython, an assigned value is held (on the evaluation stack, or in
  // a local) while the old one is released.
  if (op == "new") {
    Ref<Node> n = make<Node>(this);
    at(a[0]) = n;
  } else if (op == "newf") {
    Ref<Node> n = make<FNode>(this, Act{a[1], a[2], a[3]});
    at(a[0]) = n;
  } else if (op == "set") {
    if (Ref<Node> n = at(a[0])) (a[1] == 0 ? n->a : n->b) = at(a[2]);
  } else if (op == "clr") {
    if (Ref<Node> n = at(a[0])) (a[1] == 0 ? n->a : n->b) = nullptr;
  } else if (op == "drop") {
    at(a[0]) = nullptr;
  } else if (op == "cp") {
    at(a[1]) = at(a[0]);
  } else if (op == "wcb") {
    if (at(a[1])) {
      const int serial = next_serial++;
      const Act act{a[2], a[3], a[4]};
      W[static_cast<std::size_t>(a[0])] =
          WeakRef<Node>(at(a[1]), [this, serial, act](const WeakRef<Node>&) {
            log("cb " + std::to_string(serial));
            action(act, nullptr);
          });
    }
  } else if (op == "wdrop") {
    W[static_cast<std::size_t>(a[0])] = WeakRef<Node>();
  } else if (op == "fin") {
    if (at(a[0])) {
      const int serial = next_fin++;
      const Act act{a[1], a[2], a[3]};
      fins.push_back(refgc::finalize(at(a[0]), [this, serial, act] {
        log("fin " + std::to_string(serial));
        action(act, nullptr);
      }));
    }
  } else if (op == "collect") {
    collect("collect");
  } else if (op == "unsave") {
    unsave();
  } else if (op == "survivors") {
    std::string out = "survivors";
    for (int i : live) out += " " + std::to_string(i);
    log(out);
  } else if (op[0] == 'v') {
    Containers c;
    if (!get(a[0], c)) return;
    auto& d = *c.v;
    if (op == "vset") {
      if (at(a[2])) d.set(a[1], at(a[2]));
    } else if (op == "vget") {
      log("vget " + vid(d.get(a[1])));
    } else if (op == "vhas") {
      log("vhas " + std::to_string(d.contains(a[1]) ? 1 : 0));
    } else if (op == "vlen") {
      log("vlen " + std::to_string(d.size()));
    } else if (op == "vdel") {
      try {
        d.erase(a[1]);
        log("vdel ok");
      } catch (const std::out_of_range&) {
        log("vdel KeyError");
      }
    } else if (op == "vpop") {
      try {
        Ref<Node> v = d.pop(a[1]);
        log("vpop " + std::to_string(v->id));
      } catch (const std::out_of_range&) {
        log("vpop KeyError");
      }
    } else if (op == "vclr") {
      d.clear();
    } else if (op == "vit") {
      std::string out;
      for (auto& [k, v] : d) out += (out.empty() ? "" : " ") + std::to_string(k) + "=" + vid(v);
      log("vit: " + out);
    } else if (op == "vitx") {
      int i = 0;
      for (auto& [k, v] : d) {
        log("vitx " + std::to_string(k) + "=" + vid(v));
        H[static_cast<std::size_t>((a[1] + i) % nh)] = nullptr;
        ++i;
      }
      log("vitx end");
    }
  } else if (op[0] == 'k') {
    Containers c;
    if (!get(a[0], c)) return;
    auto& d = *c.k;
    if (op == "kset") {
      if (at(a[1])) d.set(at(a[1]), a[2] < 0 ? Ref<Node>() : at(a[2]));
    } else if (op == "kget") {
      if (at(a[1])) log("kget " + vid(d.get(at(a[1]))));
    } else if (op == "khas") {
      if (at(a[1])) log("khas " + std::to_string(d.contains(at(a[1])) ? 1 : 0));
    } else if (op == "klen") {
      log("klen " + std::to_string(d.size()));
    } else if (op == "kdel") {
      if (at(a[1])) {
        try {
          d.erase(at(a[1]));
          log("kdel ok");
        } catch (const std::out_of_range&) {
          log("kdel KeyError");
        }
      }
    } else if (op == "kclr") {
      d.clear();
    } else if (op == "kit") {
      std::string out;
      for (auto& [k, v] : d) out += (out.empty() ? "" : " ") + std::to_string(k->id) + "=" + vid(v);
      log("kit: " + out);
    } else if (op == "kitx") {
      int i = 0;
      for (auto& [k, v] : d) {
        log("kitx " + std::to_string(k->id) + "=" + vid(v));
        H[static_cast<std::size_t>((a[1] + i) % nh)] = nullptr;
        ++i;
      }
      log("kitx end");
    }
  } else if (op[0] == 's') {
    Containers c;
    if (!get(a[0], c)) return;
    auto& d = *c.s;
    if (op == "sadd") {
      if (at(a[1])) d.add(at(a[1]));
    } else if (op == "shas") {
      if (at(a[1])) log("shas " + std::to_string(d.contains(at(a[1])) ? 1 : 0));
    } else if (op == "slen") {
      log("slen " + std::to_string(d.size()));
    } else if (op == "sdis") {
      if (at(a[1])) {
        d.discard(at(a[1]));
        log("sdis ok");
      }
    } else if (op == "srem") {
      if (at(a[1])) {
        try {
          d.remove(at(a[1]));
          log("srem ok");
        } catch (const std::out_of_range&) {
          log("srem KeyError");
        }
      }
    } else if (op == "sclr") {
      d.clear();
    } else if (op == "sit") {
      log("sit: " + members(d));
    }
  } else {
    throw std::runtime_error("unknown op " + op);
  }
}

// Automatic collection is off, as on the CPython side, unless
// REFGC_WEAK_AUTO_GC="T0 T1 T2" sets thresholds to run with it on
// (weak_containers.py --auto-gc: refgc alone, no comparison): collections
// then run inside the containers' operations, where a weak reference or an
// entry is allocated, and their finalizers change the containers there.
void configure_gc() {
  const char* env = std::getenv("REFGC_WEAK_AUTO_GC");
  if (env == nullptr) {
    refgc::gc::disable();
    return;
  }
  int t[3] = {700, 10, 10};
  std::istringstream in(env);
  in >> t[0] >> t[1] >> t[2];
  refgc::gc::set_threshold(t[0], t[1], t[2]);
  refgc::gc::enable();
}

std::string run_one(const std::string& text) {
  std::vector<std::vector<std::string>> ops;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    line = line.substr(0, line.find('#'));
    std::istringstream ws(line);
    std::vector<std::string> w;
    for (std::string t; ws >> t;) w.push_back(t);
    if (!w.empty()) ops.push_back(std::move(w));
  }
  std::string out;
  refgc::Heap heap;
  {
    refgc::Heap::Lock lock(heap);
    configure_gc();
    std::size_t leaked = 0;
    {
      State st;
      st.nh = std::stoi(ops.at(0).at(1));
      st.nw = std::stoi(ops.at(1).at(1));
      st.H.resize(static_cast<std::size_t>(st.nh));
      st.W.resize(static_cast<std::size_t>(st.nw));
      for (std::size_t i = 2; i < ops.size(); ++i) st.step(ops[i]);
      for (const auto& l : st.lines) out += l + "\n";
      st.quiet = true;
      for (auto& f : st.fins) (void)f.detach();
      st.fins.clear();
      st.unsave();
      for (auto& h : st.H) h = nullptr;
      for (auto& w : st.W) w = WeakRef<Node>();
      st.GV.clear();
      st.GK.clear();
      st.GS.clear();
      refgc::gc::collect();
      leaked = st.live.size();
    }
    out += "--- leaked " + std::to_string(leaked) + "\n";
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  return refgc_diff::run_scenario_files(
      argc, argv, [](const char*, const std::string& text) -> std::optional<std::string> {
        return run_one(text);
      });
}
