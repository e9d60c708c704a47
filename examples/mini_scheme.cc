// examples/mini_scheme.cc: a small Scheme whose runtime values are refgc objects.
//
// What refgc is for: the memory model of an interpreter. Every value of this
// language -- integers, symbols, pairs, closures, environment frames -- is a
// managed object. Nothing here frees anything by hand:
//   * a value dies the moment its last reference goes (refcounting): the
//     frames of a tail-recursive loop one by one, a 1,000,000-cell list
//     dropped with `(set! big '())` at once -- with constant stack however
//     long the chain (refgc's trashcan; try --stack-mb 1);
//   * the cycles an interpreter makes all the time -- a frame that holds a
//     closure that holds the frame (`define` inside `lambda`, `letrec`, named
//     `let`) -- are found and freed by refgc's cycle collector, automatically
//     every 700 net allocations (object counts stay bounded) or at
//     `(gc-collect)`;
//   * symbols are interned in a WeakValueDictionary: a symbol that no program
//     text or value uses any more leaves the table by itself;
//   * `(weak x [proc])` / `(weak-get w)` are weak references at the language
//     level, `(on-death x thunk)` is weakref.finalize and `(gc-callback proc)`
//     gc.callbacks: Scheme code that refgc runs, during collections too;
//   * introspection: `(gc-collect)` returns collect()'s count, `(live)` the
//     heap's live objects, `(tracked)` gc::get_objects().size(), `(count
//     'Closure)` the census, `(leftover thunk)` what a thunk leaves alive
//     after a full collection, `(leak-check thunk)` runs a thunk in a
//     diag::LeakCheck scope, `(why x)` prints the backref chain that keeps x
//     alive (each link with the field or variable that holds the next),
//     `--why EXPR` does the same after the program has run, `(draw x)` prints
//     diag::ascii_diagram; also (gc-disable), (gc-enable), (gc-freeze),
//     (gc-unfreeze), (gc-debug flags), (interned), (gensym).
//
// Language: integers, #t/#f, strings (for display), symbols, quote ('x),
// define, set!, lambda (fixed, rest and dotted parameters), if, cond, and, or,
// let, named let, let*, letrec, begin; cons/car/cdr/set-car!/set-cdr!/list/
// length/make-list/null?/pair?/eq?/equal?/not, + - * quotient remainder = < >
// <= >=, display/newline/print, check (an assertion). Tail calls do not grow
// the C++ stack; non-tail recursion runs on a thread with a large stack
// (--stack-mb, default 1024, reserved lazily) and past it raises a Scheme error
// rather than crashing. The primitives never recurse on the data: equal?
// compares lists nested any depth and circular ones, length of a circular
// list is an error.
//
// Usage: mini_scheme [--demo] [--demo-scale N] [--stats] [--stack-mb N] [--heaps N]
//                    [-e EXPR]... [--why EXPR]... [FILE|-]...
//   --demo   runs the built-in demonstration (below) and checks what it
//            prints: exit status 0 when every (check ...) passed. CTest runs it.
//            --demo-scale N divides its sizes by N (default 1; 10 when refgc
//            is a debug build, e.g. the asan-ubsan preset).
//   FILE     a program; "-" or no program at all: standard input.
//   --why    after the programs: evaluate EXPR and print who keeps its value alive.
//   --stats  after the programs: the collector's per-generation statistics.
//   --heaps  runs N interpreters at once, each on its own thread and refgc::Heap.
#include <pthread.h>
#include <refgc/refgc.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

namespace {

using refgc::make;
using refgc::Object;
using refgc::Ref;
namespace gc = refgc::gc;
namespace diag = refgc::diag;

struct SchemeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// ---------------------------------------------------------------------------
// Values

struct Symbol final : Object {
  static constexpr const char* refgc_type_name = "Symbol";
  explicit Symbol(std::string n) : name(std::move(n)) {}
  std::string repr() const override { return name; }
  const std::string name;
};

struct Boolean final : Object {
  static constexpr const char* refgc_type_name = "Boolean";
  explicit Boolean(bool v) : value(v) {}
  std::string repr() const override { return value ? "#t" : "#f"; }
  const bool value;
};

std::string write_value(const Object* v);

struct Pair final : Object {
  static constexpr const char* refgc_type_name = "Pair";
  Pair(Ref<Object> a, Ref<Object> d) : car(std::move(a)), cdr(std::move(d)) {}
  // Named fields: diag's chains and pictures (leak-check, draw) say which
  // one holds each link (docs/guide/leak-hunting.md, "Give your types names").
  void trace(refgc::Tracer& t) override {
    t.field("car", car);
    t.field("cdr", cdr);
  }
  std::string repr() const override { return write_value(this); }
  Ref<Object> car;
  Ref<Object> cdr;
};

// An environment frame: its variables (a refgc Dict keyed by interned symbol)
// and the frame it was created in. A closure defined in a frame and stored in
// it makes a cycle: frame -> Dict -> Closure -> frame.
using Vars = refgc::Dict<Ref<Symbol>, Object>;
struct Env final : Object {
  static constexpr const char* refgc_type_name = "Env";
  explicit Env(Ref<Env> p) : parent(std::move(p)) {}
  void trace(refgc::Tracer& t) override {
    t.field("vars", vars);
    t.field("parent", parent);
  }
  std::string repr() const override {
    std::string out = parent ? "env(" : "global env(";
    std::size_t n = 0;
    for (const auto& [name, value] : *vars) {
      if (n++ == 4) {
        out += " ...";
        break;
      }
      out += (n > 1 ? " " : "") + name->name;
    }
    return out + ")";
  }
  Ref<Vars> vars = make<Vars>();
  Ref<Env> parent;
};

struct Closure final : Object {
  static constexpr const char* refgc_type_name = "Closure";
  Closure(Ref<Object> p, Ref<Object> b, Ref<Env> e, std::string n)
      : params(std::move(p)), body(std::move(b)), env(std::move(e)), name(std::move(n)) {}
  void trace(refgc::Tracer& t) override {
    t.field("params", params);
    t.field("body", body);
    t.field("env", env);
  }
  std::string repr() const override { return "#<procedure " + name + ">"; }
  Ref<Object> params;  // a list of symbols, possibly improper (rest parameter)
  Ref<Object> body;    // a list of expressions
  Ref<Env> env;        // the defining frame
  std::string name;
};

struct Interp;
using Args = std::vector<Ref<Object>>;
using PrimFn = Ref<Object> (*)(Interp&, Args&);

struct Primitive final : Object {
  static constexpr const char* refgc_type_name = "Primitive";
  Primitive(std::string n, PrimFn f, int lo, int hi)
      : name(std::move(n)), fn(f), min(lo), max(hi) {}
  std::string repr() const override { return "#<primitive " + name + ">"; }
  std::string name;
  PrimFn fn;
  int min, max;  // max < 0: any number
};

// (weak x): a language-level weak reference.
struct WeakBox final : Object {
  static constexpr const char* refgc_type_name = "WeakBox";
  explicit WeakBox(const Ref<Object>& o) : ref(o) {}
  WeakBox(const Ref<Object>& o, const refgc::Function<void(const refgc::WeakRef<Object>&)>& cb)
      : ref(o, cb) {}
  void trace(refgc::Tracer& t) override { t.field("ref", ref); }
  std::string repr() const override { return ref.alive() ? "#<weak live>" : "#<weak dead>"; }
  refgc::WeakRef<Object> ref;
};

template <class T>
T* as(const Ref<Object>& v) {
  return dynamic_cast<T*>(v.get());
}

// The printer walks a list's spine in a loop (a 1,000,000-cell list prints
// without recursion); nesting through car recurses, cut at a depth.
void write_to(std::string& out, const Object* v, int depth, bool display) {
  if (v == nullptr) {
    out += "()";
    return;
  }
  if (const auto* s = dynamic_cast<const refgc::Str*>(v)) {
    out += display ? s->value() : s->repr();
    return;
  }
  const auto* p = dynamic_cast<const Pair*>(v);
  if (p == nullptr) {
    out += v->repr();
    return;
  }
  if (depth > 100) {
    out += "(...)";
    return;
  }
  out += '(';
  std::size_t n = 0;
  for (;;) {
    if (++n > 50) {
      out += " ...";
      break;
    }
    write_to(out, p->car.get(), depth + 1, display);
    const Object* rest = p->cdr.get();
    if (rest == nullptr) break;
    p = dynamic_cast<const Pair*>(rest);
    if (p == nullptr) {
      out += " . ";
      write_to(out, rest, depth + 1, display);
      break;
    }
    out += ' ';
  }
  out += ')';
}

std::string write_value(const Object* v) {
  std::string out;
  write_to(out, v, 0, false);
  return out;
}

// ---------------------------------------------------------------------------
// The interpreter

struct Interp {
  // Interned symbols, held weakly: a symbol lives while program text or a
  // value uses it, and its entry goes with it.
  refgc::WeakValueDictionary<std::string, Symbol> symbols;
  Ref<Env> global = make<Env>(nullptr);
  Ref<Boolean> true_ = make<Boolean>(true), false_ = make<Boolean>(false);
  Ref<Symbol> s_quote, s_if, s_define, s_set, s_lambda, s_let, s_letstar, s_letrec, s_begin, s_cond,
      s_else, s_and, s_or;
  std::uintptr_t stack_base = 0;
  std::size_t stack_budget = 0;
  int checks = 0, failures = 0;
  std::size_t gensyms = 0;
  // (on-death obj thunk) finalizers, run or detached before the interpreter
  // goes (they call into it).
  std::vector<refgc::Finalizer> finalizers;

  // Calls a Scheme procedure from a refgc callback (a weak-reference
  // callback, a finalizer, a gc callback): an error is reported, not thrown
  // into the library (which would send it to the unraisable hook).
  void call_back(const char* what, const Ref<Object>& proc, Args args) {
    try {
      apply(proc, args);
    } catch (const std::exception& e) {
      std::printf("error in %s: %s\n", what, e.what());
      ++failures;
    }
  }

  Ref<Symbol> intern(const std::string& name) {
    if (Ref<Symbol> s = symbols.get(name)) return s;
    auto s = make<Symbol>(name);
    symbols.set(name, s);
    return s;
  }
  Ref<Object> boolean(bool b) const { return b ? Ref<Object>(true_) : Ref<Object>(false_); }
  bool truthy(const Ref<Object>& v) const { return v.get() != false_.get(); }

  Interp() {
    s_quote = intern("quote");
    s_if = intern("if");
    s_define = intern("define");
    s_set = intern("set!");
    s_lambda = intern("lambda");
    s_let = intern("let");
    s_letstar = intern("let*");
    s_letrec = intern("letrec");
    s_begin = intern("begin");
    s_cond = intern("cond");
    s_else = intern("else");
    s_and = intern("and");
    s_or = intern("or");
  }

  // Non-tail recursion uses the C++ stack: stop with a Scheme error before
  // it runs out.
  void check_stack() const {
    const auto here = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
    if (stack_base - here > stack_budget)
      throw SchemeError("recursion too deep (" + std::to_string(stack_budget >> 10) +
                        " KiB of stack used; --stack-mb raises it)");
  }

  // ---- environments
  Ref<Object> lookup(const Ref<Env>& env, const Ref<Symbol>& name) const {
    for (Env* e = env.get(); e != nullptr; e = e->parent.get())
      if (e->vars->contains(name)) return e->vars->at(name);
    throw SchemeError("unbound variable: " + name->name);
  }
  void assign(const Ref<Env>& env, const Ref<Symbol>& name, Ref<Object> value) {
    for (Env* e = env.get(); e != nullptr; e = e->parent.get())
      if (e->vars->contains(name)) {
        e->vars->set(name, std::move(value));
        return;
      }
    throw SchemeError("set! of an unbound variable: " + name->name);
  }

  // ---- list helpers
  static Ref<Object> car(const Ref<Object>& v, const char* what) {
    auto* p = as<Pair>(v);
    if (p == nullptr) throw SchemeError(std::string("bad syntax: ") + what);
    return p->car;
  }
  static Ref<Object> cdr(const Ref<Object>& v, const char* what) {
    auto* p = as<Pair>(v);
    if (p == nullptr) throw SchemeError(std::string("bad syntax: ") + what);
    return p->cdr;
  }
  static Ref<Symbol> symbol(const Ref<Object>& v, const char* what) {
    Ref<Symbol> s = refgc::ref_cast<Symbol>(v);
    if (!s) throw SchemeError(std::string("expected a symbol in ") + what);
    return s;
  }

  Ref<Object> make_closure(Ref<Object> params, Ref<Object> body, const Ref<Env>& env,
                           std::string name) {
    return make<Closure>(std::move(params), std::move(body), env, std::move(name));
  }

  // Binds a closure's parameters in a new frame.
  Ref<Env> bind(const Closure& c, Args& args) {
    auto frame = make<Env>(c.env);
    Ref<Object> params = c.params;
    std::size_t i = 0;
    while (auto* p = as<Pair>(params)) {
      if (i == args.size()) throw SchemeError(c.name + ": too few arguments");
      frame->vars->set(symbol(p->car, "parameters"), args[i++]);
      Ref<Object> next = p->cdr;
      params = std::move(next);
    }
    if (params) {  // a rest parameter
      Ref<Object> rest;
      for (std::size_t j = args.size(); j > i; --j) rest = make<Pair>(args[j - 1], rest);
      frame->vars->set(symbol(params, "parameters"), rest);
    } else if (i != args.size()) {
      throw SchemeError(c.name + ": too many arguments");
    }
    return frame;
  }

  // Calls a procedure from C++ (not a tail call).
  Ref<Object> apply(const Ref<Object>& f, Args& args) {
    if (auto* prim = as<Primitive>(f)) return call_primitive(*prim, args);
    auto* c = as<Closure>(f);
    if (c == nullptr) throw SchemeError("not a procedure: " + write_value(f.get()));
    Ref<Object> body = c->body;  // held: the body may drop the closure
    Ref<Env> frame = bind(*c, args);
    return eval_body(body, frame);
  }

  Ref<Object> call_primitive(Primitive& p, Args& args) {
    const int n = static_cast<int>(args.size());
    if (n < p.min || (p.max >= 0 && n > p.max))
      throw SchemeError(p.name + ": wrong number of arguments (" + std::to_string(n) + ")");
    return p.fn(*this, args);
  }

  Ref<Object> eval_body(Ref<Object> body, Ref<Env> env) {
    Ref<Object> result;
    for (Ref<Object> rest = std::move(body); rest;) {
      auto* p = as<Pair>(rest);
      if (p == nullptr) throw SchemeError("bad syntax: body");
      if (!p->cdr) return eval(p->car, env);
      result = eval(p->car, env);
      Ref<Object> next = p->cdr;
      rest = std::move(next);
    }
    return result;
  }

  // Evaluates `x` in `env`. Tail positions (if's branches, the last
  // expression of a body, a closure call) loop instead of recursing.
  Ref<Object> eval(Ref<Object> x, Ref<Env> env) {
    check_stack();
    for (;;) {
      if (!x) throw SchemeError("cannot evaluate ()");
      if (auto s = refgc::ref_cast<Symbol>(x)) return lookup(env, s);
      auto* p = as<Pair>(x);
      if (p == nullptr) return x;  // self-evaluating
      const Object* op = p->car.get();
      Ref<Object> rest = p->cdr;

      // Moves the evaluation to `body`'s last expression (after the others).
      auto tail_body = [&](Ref<Object> body) {
        while (true) {
          auto* b = as<Pair>(body);
          if (b == nullptr) throw SchemeError("bad syntax: empty body");
          if (!b->cdr) {
            Ref<Object> last = b->car;
            x = std::move(last);
            return;
          }
          eval(b->car, env);
          Ref<Object> next = b->cdr;
          body = std::move(next);
        }
      };

      if (op == s_quote.get()) return car(rest, "quote");
      if (op == s_if.get()) {
        Ref<Object> test = eval(car(rest, "if"), env);
        Ref<Object> branches = cdr(rest, "if");
        if (truthy(test)) {
          x = car(branches, "if");
        } else {
          Ref<Object> alt = cdr(branches, "if");
          if (!alt) return false_;
          x = car(alt, "if");
        }
        continue;
      }
      if (op == s_define.get()) {
        Ref<Object> target = car(rest, "define");
        if (auto* sig = as<Pair>(target)) {  // (define (name . params) body...)
          Ref<Symbol> name = symbol(sig->car, "define");
          env->vars->set(name, make_closure(sig->cdr, cdr(rest, "define"), env, name->name));
          return name;
        }
        Ref<Symbol> name = symbol(target, "define");
        Ref<Object> value = eval(car(cdr(rest, "define"), "define"), env);
        if (auto* c = as<Closure>(value); c != nullptr && c->name == "lambda") c->name = name->name;
        env->vars->set(name, std::move(value));
        return name;
      }
      if (op == s_set.get()) {
        Ref<Symbol> name = symbol(car(rest, "set!"), "set!");
        assign(env, name, eval(car(cdr(rest, "set!"), "set!"), env));
        return name;
      }
      if (op == s_lambda.get())
        return make_closure(car(rest, "lambda"), cdr(rest, "lambda"), env, "lambda");
      if (op == s_begin.get()) {
        if (!rest) return false_;
        tail_body(rest);
        continue;
      }
      if (op == s_let.get() || op == s_letstar.get() || op == s_letrec.get()) {
        Ref<Object> first = car(rest, "let");
        Ref<Symbol> loop_name = refgc::ref_cast<Symbol>(first);
        Ref<Object> bindings = loop_name ? car(cdr(rest, "let"), "let") : first;
        Ref<Object> body = loop_name ? cdr(cdr(rest, "let"), "let") : cdr(rest, "let");
        if (loop_name) {
          // Named let: a frame holding a closure over that frame (a cycle).
          Args names, args;
          for (Ref<Object> b = bindings; b; b = cdr(b, "let")) {
            Ref<Object> binding = car(b, "let");
            names.push_back(car(binding, "let"));
            args.push_back(eval(car(cdr(binding, "let"), "let"), env));
          }
          Ref<Object> params;
          for (std::size_t i = names.size(); i > 0; --i) params = make<Pair>(names[i - 1], params);
          auto loop_env = make<Env>(env);
          Ref<Object> closure = make_closure(params, body, loop_env, loop_name->name);
          loop_env->vars->set(loop_name, closure);
          env = bind(*as<Closure>(closure), args);
          tail_body(body);
          continue;
        }
        auto frame = make<Env>(env);
        const bool star = op == s_letstar.get(), rec = op == s_letrec.get();
        if (rec)
          for (Ref<Object> b = bindings; b; b = cdr(b, "letrec"))
            frame->vars->set(symbol(car(car(b, "letrec"), "letrec"), "letrec"), false_);
        for (Ref<Object> b = bindings; b; b = cdr(b, "let")) {
          Ref<Object> binding = car(b, "let");
          Ref<Symbol> name = symbol(car(binding, "let"), "let");
          Ref<Object> value = eval(car(cdr(binding, "let"), "let"), rec ? frame : env);
          if (auto* c = as<Closure>(value); c != nullptr && c->name == "lambda")
            c->name = name->name;
          if (star) {  // each binding sees the previous ones
            frame->vars->set(name, std::move(value));
            env = frame;
            frame = make<Env>(env);
          } else {
            frame->vars->set(name, std::move(value));
          }
        }
        env = std::move(frame);
        tail_body(body);
        continue;
      }
      if (op == s_cond.get()) {
        bool matched = false;
        for (Ref<Object> c = rest; c && !matched; c = cdr(c, "cond")) {
          Ref<Object> clause = car(c, "cond");
          Ref<Object> test = car(clause, "cond");
          if (test.get() != s_else.get()) {
            Ref<Object> value = eval(test, env);
            if (!truthy(value)) continue;
            if (!cdr(clause, "cond")) return value;
          }
          tail_body(cdr(clause, "cond"));
          matched = true;
        }
        if (!matched) return false_;
        continue;
      }
      if (op == s_and.get() || op == s_or.get()) {
        const bool is_and = op == s_and.get();
        if (!rest) return boolean(is_and);
        while (auto* e = as<Pair>(rest)) {
          if (!e->cdr) break;
          Ref<Object> v = eval(e->car, env);
          if (truthy(v) != is_and) return v;
          Ref<Object> next = e->cdr;
          rest = std::move(next);
        }
        x = car(rest, "and/or");
        continue;
      }

      // An application.
      Ref<Object> f = eval(p->car, env);
      Args args;
      for (Ref<Object> a = rest; a; a = cdr(a, "arguments"))
        args.push_back(eval(car(a, "arguments"), env));
      if (auto* prim = as<Primitive>(f)) return call_primitive(*prim, args);
      auto* c = as<Closure>(f);
      if (c == nullptr) throw SchemeError("not a procedure: " + write_value(f.get()));
      Ref<Object> body = c->body;
      env = bind(*c, args);
      tail_body(std::move(body));
    }
  }

  void define_primitive(const char* name, PrimFn fn, int min, int max) {
    global->vars->set(intern(name), make<Primitive>(name, fn, min, max));
  }
  void install_primitives();

  // ---- the reader
  struct Reader {
    Interp& in;
    std::string_view text;
    std::size_t pos = 0;

    void skip_space() {
      while (pos < text.size()) {
        if (text[pos] == ';') {
          while (pos < text.size() && text[pos] != '\n') ++pos;
        } else if (std::isspace(static_cast<unsigned char>(text[pos]))) {
          ++pos;
        } else {
          break;
        }
      }
    }
    bool at_end() {
      skip_space();
      return pos >= text.size();
    }
    Ref<Object> read() {
      in.check_stack();
      skip_space();
      if (pos >= text.size()) throw SchemeError("unexpected end of input");
      const char c = text[pos];
      if (c == '(') {
        ++pos;
        std::vector<Ref<Object>> items;
        Ref<Object> tail;
        for (;;) {
          skip_space();
          if (pos >= text.size()) throw SchemeError("missing )");
          if (text[pos] == ')') {
            ++pos;
            break;
          }
          if (text[pos] == '.' && pos + 1 < text.size() &&
              std::isspace(static_cast<unsigned char>(text[pos + 1]))) {
            ++pos;
            tail = read();
            skip_space();
            if (pos >= text.size() || text[pos] != ')') throw SchemeError("bad dotted list");
            ++pos;
            break;
          }
          items.push_back(read());
        }
        for (std::size_t i = items.size(); i > 0; --i) tail = make<Pair>(items[i - 1], tail);
        return tail;
      }
      if (c == ')') throw SchemeError("unexpected )");
      if (c == '\'') {
        ++pos;
        Ref<Object> quoted = read();
        return make<Pair>(in.s_quote, make<Pair>(quoted, nullptr));
      }
      if (c == '"') {
        std::string s;
        for (++pos; pos < text.size() && text[pos] != '"'; ++pos) {
          if (text[pos] == '\\' && pos + 1 < text.size()) {
            ++pos;
            s += text[pos] == 'n' ? '\n' : text[pos];
          } else {
            s += text[pos];
          }
        }
        if (pos >= text.size()) throw SchemeError("unterminated string");
        ++pos;
        return make<refgc::Str>(std::move(s));
      }
      const std::size_t start = pos;
      while (pos < text.size() && !std::isspace(static_cast<unsigned char>(text[pos])) &&
             text[pos] != '(' && text[pos] != ')' && text[pos] != ';')
        ++pos;
      const std::string token(text.substr(start, pos - start));
      if (token == "#t") return in.true_;
      if (token == "#f") return in.false_;
      std::size_t used = 0;
      try {
        const long long n = std::stoll(token, &used);
        if (used == token.size()) return make<refgc::Int>(static_cast<std::int64_t>(n));
      } catch (const std::logic_error&) {
      }
      return in.intern(token);
    }
  };

  // Runs a program; prints errors and goes on with the next expression.
  void run(std::string_view text) {
    Reader reader{*this, text};
    for (;;) {
      Ref<Object> expr;
      try {
        if (reader.at_end()) return;
        expr = reader.read();
      } catch (const std::exception& e) {
        std::printf("read error: %s\n", e.what());
        ++failures;
        return;
      }
      try {
        eval(expr, global);
      } catch (const std::exception& e) {  // SchemeError, or refgc's (a weak reference to an Int)
        std::printf("error: %s\n", e.what());
        ++failures;
      }
    }
  }
};

// ---------------------------------------------------------------------------
// Primitives

std::int64_t integer(const Ref<Object>& v, const char* who) {
  auto* i = as<refgc::Int>(v);
  if (i == nullptr)
    throw SchemeError(std::string(who) + ": not an integer: " + write_value(v.get()));
  return i->value();
}
Ref<Object> number(std::int64_t n) { return make<refgc::Int>(n); }

// (op a b c ...) = ((a op b) op c) ...; no arguments: `start`.
template <class Op>
Ref<Object> fold(Args& args, std::int64_t start, const char* who, Op op) {
  if (args.empty()) return number(start);
  std::int64_t acc = integer(args[0], who);
  for (std::size_t i = 1; i < args.size(); ++i) acc = op(acc, integer(args[i], who));
  return number(acc);
}

template <class Cmp>
Ref<Object> compare(Interp& in, Args& args, const char* who, Cmp cmp) {
  for (std::size_t i = 1; i < args.size(); ++i)
    if (!cmp(integer(args[i - 1], who), integer(args[i], who))) return in.false_;
  return in.true_;
}

// equal?: pairs compared by structure, anything else by Object::equals. An
// explicit stack of the pairs still to compare, cdr below car: a list nested
// 1,000,000 deep through car compares on any C++ stack (recursing once per
// level overflowed --stack-mb 8), a long list with a stack of one entry.
// R7RS: equal? terminates on circular structures too. Past kRecordAfter
// pairs compared, each pair of pairs is recorded and not expanded again: a
// recorded one is being compared or was found equal (a mismatch returns at
// once), so skipping it is sound, and every circular structure ends. The
// arguments hold everything: no user code runs, nothing dies meanwhile.
bool equal(const Object* a, const Object* b) {
  constexpr std::size_t kRecordAfter = 10'000;  // small acyclic lists need no table
  struct PairHash {
    std::size_t operator()(const std::pair<const Pair*, const Pair*>& p) const noexcept {
      return std::hash<const void*>()(p.first) * 31 + std::hash<const void*>()(p.second);
    }
  };
  std::unordered_set<std::pair<const Pair*, const Pair*>, PairHash> seen;
  std::size_t compared = 0;
  std::vector<std::pair<const Object*, const Object*>> pending{{a, b}};
  while (!pending.empty()) {
    const auto [x, y] = pending.back();
    pending.pop_back();
    if (x == y) continue;
    if (x == nullptr || y == nullptr) return false;
    const auto* px = dynamic_cast<const Pair*>(x);
    const auto* py = dynamic_cast<const Pair*>(y);
    if (px == nullptr || py == nullptr) {
      if (px == nullptr && py == nullptr && x->equals(*y)) continue;
      return false;
    }
    if (++compared > kRecordAfter && !seen.emplace(px, py).second) continue;
    pending.emplace_back(px->cdr.get(), py->cdr.get());
    pending.emplace_back(px->car.get(), py->car.get());
  }
  return true;
}

Pair& pair(const Ref<Object>& v, const char* who) {
  auto* p = as<Pair>(v);
  if (p == nullptr) throw SchemeError(std::string(who) + ": not a pair: " + write_value(v.get()));
  return *p;
}

std::string shorten(std::string text, std::size_t max = 60) {
  if (text.size() > max) text = text.substr(0, max - 3) + "...";
  return text;
}

// How `from` holds `to`: the variable for a frame's Dict, otherwise the
// name its trace() gives the field (Object::reference_name: "car", "env").
std::string edge(const Object& from, const Object& to) {
  if (const auto* d = dynamic_cast<const Vars*>(&from))
    for (const auto& [name, value] : *d)
      if (value.get() == &to) return "variable " + name->name;
  return from.reference_name(to);
}

// One line per link of the chain that keeps `obj` alive, from the root held
// from outside the heap (the interpreter's handle on the global frame, or a
// C++ local of the evaluator) to the object, each link with what holds the next.
void print_why(const Ref<Object>& obj) {
  std::printf("why is %s alive?\n", shorten(write_value(obj.get())).c_str());
  {
    // Strong references: dropped before the chain is looked for, or each
    // referrer would count as held from outside the heap.
    const auto referrers = gc::get_referrers(obj);
    std::printf("  %zu referrer(s) in the heap:", referrers.size());
    for (const auto& r : referrers) std::printf(" %s", diag::type_name(*r).c_str());
    std::printf("\n");
  }
  // No depth limit worth the name: the root of an element deep in a list is
  // as far away as the element's position (find_backref_chain's default, 20,
  // is objgraph's; past it the answer is {obj}, as when there is no root).
  const auto chain = diag::find_backref_chain(obj, {}, std::size_t{1} << 30);
  if (chain.size() <= 1) {
    std::printf(
        "  no root: only the caller holds it, or garbage cycles the next collection frees\n");
    return;
  }
  for (std::size_t i = 0; i < chain.size(); ++i) {
    std::string how;
    if (i + 1 < chain.size()) how = edge(*chain[i], *chain[i + 1]);
    std::printf("  %s%s %s%s%s\n", i == 0 ? "" : "-> ", diag::type_name(*chain[i]).c_str(),
                shorten(write_value(chain[i].get())).c_str(),
                i == 0 ? "  (held from outside the heap)" : "",
                how.empty() ? "" : ("  [" + how + "]").c_str());
  }
}

void Interp::install_primitives() {
  define_primitive(
      "+", [](Interp&, Args& a) { return fold(a, 0, "+", [](auto x, auto y) { return x + y; }); },
      0, -1);
  define_primitive(
      "*", [](Interp&, Args& a) { return fold(a, 1, "*", [](auto x, auto y) { return x * y; }); },
      0, -1);
  define_primitive(
      "-",
      [](Interp&, Args& a) {
        if (a.size() == 1) return number(-integer(a[0], "-"));
        return fold(a, 0, "-", [](auto x, auto y) { return x - y; });
      },
      1, -1);
  define_primitive(
      "quotient",
      [](Interp&, Args& a) {
        const auto d = integer(a[1], "quotient");
        if (d == 0) throw SchemeError("quotient: division by zero");
        return number(integer(a[0], "quotient") / d);
      },
      2, 2);
  define_primitive(
      "remainder",
      [](Interp&, Args& a) {
        const auto d = integer(a[1], "remainder");
        if (d == 0) throw SchemeError("remainder: division by zero");
        return number(integer(a[0], "remainder") % d);
      },
      2, 2);
  define_primitive(
      "=",
      [](Interp& in, Args& a) {
        return compare(in, a, "=", [](auto x, auto y) { return x == y; });
      },
      1, -1);
  define_primitive(
      "<",
      [](Interp& in, Args& a) { return compare(in, a, "<", [](auto x, auto y) { return x < y; }); },
      1, -1);
  define_primitive(
      ">",
      [](Interp& in, Args& a) { return compare(in, a, ">", [](auto x, auto y) { return x > y; }); },
      1, -1);
  define_primitive(
      "<=",
      [](Interp& in, Args& a) {
        return compare(in, a, "<=", [](auto x, auto y) { return x <= y; });
      },
      1, -1);
  define_primitive(
      ">=",
      [](Interp& in, Args& a) {
        return compare(in, a, ">=", [](auto x, auto y) { return x >= y; });
      },
      1, -1);

  define_primitive(
      "cons", [](Interp&, Args& a) -> Ref<Object> { return make<Pair>(a[0], a[1]); }, 2, 2);
  define_primitive(
      "car", [](Interp&, Args& a) { return pair(a[0], "car").car; }, 1, 1);
  define_primitive(
      "cdr", [](Interp&, Args& a) { return pair(a[0], "cdr").cdr; }, 1, 1);
  define_primitive(
      "set-car!",
      [](Interp& in, Args& a) -> Ref<Object> {
        pair(a[0], "set-car!").car = a[1];
        return in.false_;
      },
      2, 2);
  define_primitive(
      "set-cdr!",
      [](Interp& in, Args& a) -> Ref<Object> {
        pair(a[0], "set-cdr!").cdr = a[1];
        return in.false_;
      },
      2, 2);
  define_primitive(
      "list",
      [](Interp&, Args& a) {
        Ref<Object> list;
        for (std::size_t i = a.size(); i > 0; --i) list = make<Pair>(a[i - 1], list);
        return list;
      },
      0, -1);
  define_primitive(
      "make-list",
      [](Interp&, Args& a) {
        Ref<Object> list;
        for (auto n = integer(a[0], "make-list"); n > 0; --n) list = make<Pair>(a[1], list);
        return list;
      },
      2, 2);
  define_primitive(
      "length",
      [](Interp&, Args& a) {
        // A circular list is not a proper list either: `slow` walks at half
        // speed and meets `p` inside a cycle (it looped for ever).
        std::int64_t n = 0;
        const Object* slow = a[0].get();
        for (const Object* p = a[0].get(); p != nullptr; ++n) {
          const auto* pr = dynamic_cast<const Pair*>(p);
          if (pr == nullptr) throw SchemeError("length: not a proper list");
          p = pr->cdr.get();
          if (n % 2 == 1) slow = static_cast<const Pair*>(slow)->cdr.get();
          if (p == slow && p != nullptr) throw SchemeError("length: a circular list");
        }
        return number(n);
      },
      1, 1);
  define_primitive(
      "null?", [](Interp& in, Args& a) { return in.boolean(!a[0]); }, 1, 1);
  define_primitive(
      "pair?", [](Interp& in, Args& a) { return in.boolean(as<Pair>(a[0]) != nullptr); }, 1, 1);
  define_primitive(
      "eq?",
      [](Interp& in, Args& a) {
        auto* x = as<refgc::Int>(a[0]);
        auto* y = as<refgc::Int>(a[1]);
        return in.boolean(a[0] == a[1] || (x != nullptr && y != nullptr && *x == *y));
      },
      2, 2);
  define_primitive(
      "equal?", [](Interp& in, Args& a) { return in.boolean(equal(a[0].get(), a[1].get())); }, 2,
      2);
  define_primitive(
      "not", [](Interp& in, Args& a) { return in.boolean(!in.truthy(a[0])); }, 1, 1);

  define_primitive(
      "display",
      [](Interp& in, Args& a) -> Ref<Object> {
        std::string out;
        write_to(out, a[0].get(), 0, true);
        std::fputs(out.c_str(), stdout);
        return in.false_;
      },
      1, 1);
  define_primitive(
      "newline",
      [](Interp& in, Args&) -> Ref<Object> {
        std::fputc('\n', stdout);
        return in.false_;
      },
      0, 0);
  define_primitive(
      "print",
      [](Interp& in, Args& a) -> Ref<Object> {
        for (std::size_t i = 0; i < a.size(); ++i) {
          std::string out;
          write_to(out, a[i].get(), 0, true);
          std::printf("%s%s", i ? " " : "", out.c_str());
        }
        std::printf("\n");
        return in.false_;
      },
      0, -1);
  // (check "what" expected actual): an assertion the demo's exit status counts.
  define_primitive(
      "check",
      [](Interp& in, Args& a) -> Ref<Object> {
        ++in.checks;
        std::string what;
        write_to(what, a[0].get(), 0, true);
        if (equal(a[1].get(), a[2].get())) {
          std::printf("ok   %s\n", what.c_str());
          return in.true_;
        }
        ++in.failures;
        std::printf("FAIL %s: expected %s, got %s\n", what.c_str(), write_value(a[1].get()).c_str(),
                    write_value(a[2].get()).c_str());
        return in.false_;
      },
      3, 3);

  // ---- the collector and introspection
  define_primitive(
      "gc-collect",
      [](Interp&, Args& a) {
        return number(static_cast<std::int64_t>(
            gc::collect(a.empty() ? 2 : static_cast<int>(integer(a[0], "gc-collect")))));
      },
      0, 1);
  define_primitive(
      "gc-disable",
      [](Interp& in, Args&) -> Ref<Object> {
        gc::disable();
        return in.false_;
      },
      0, 0);
  define_primitive(
      "gc-enable",
      [](Interp& in, Args&) -> Ref<Object> {
        gc::enable();
        return in.false_;
      },
      0, 0);
  // (draw x [depth]): the seeds' ASCII reference diagram of x.
  define_primitive(
      "draw",
      [](Interp& in, Args& a) -> Ref<Object> {
        const auto depth = a.size() > 1 ? integer(a[1], "draw") : 3;
        std::fputs(diag::ascii_diagram({{"x", a[0]}}, static_cast<std::size_t>(depth), 4).c_str(),
                   stdout);
        return in.false_;
      },
      1, 2);
  define_primitive(
      "string->symbol",
      [](Interp& in, Args& a) -> Ref<Object> {
        auto* s = as<refgc::Str>(a[0]);
        if (s == nullptr) throw SchemeError("string->symbol: not a string");
        return in.intern(s->value());
      },
      1, 1);
  // (gc-debug flags): gc.set_debug (1 stats, 2 collectable, 4 uncollectable,
  // 32 saveall); returns len(gc.garbage), which saveall fills.
  define_primitive(
      "gc-debug",
      [](Interp&, Args& a) {
        gc::set_debug(static_cast<int>(integer(a[0], "gc-debug")));
        return number(static_cast<std::int64_t>(gc::garbage().size()));
      },
      1, 1);
  // gc.freeze() / gc.unfreeze(): e.g. the prelude's objects, never scanned again.
  define_primitive(
      "gc-freeze",
      [](Interp&, Args&) {
        gc::freeze();
        return number(static_cast<std::int64_t>(gc::get_freeze_count()));
      },
      0, 0);
  define_primitive(
      "gc-unfreeze",
      [](Interp& in, Args&) -> Ref<Object> {
        gc::unfreeze();
        return in.true_;
      },
      0, 0);
  // Every live object of the heap (tracked or not: Ints and Symbols too).
  define_primitive(
      "live",
      [](Interp&, Args&) {
        return number(static_cast<std::int64_t>(refgc::Heap::current().live_objects()));
      },
      0, 0);
  // What gc.get_objects() would list.
  define_primitive(
      "tracked",
      [](Interp&, Args&) { return number(static_cast<std::int64_t>(gc::get_objects().size())); }, 0,
      0);
  // (count 'Closure): the census by type name.
  define_primitive(
      "count",
      [](Interp&, Args& a) {
        return number(static_cast<std::int64_t>(diag::count(Interp::symbol(a[0], "count")->name)));
      },
      1, 1);
  define_primitive(
      "interned",
      [](Interp& in, Args&) { return number(static_cast<std::int64_t>(in.symbols.size())); }, 0, 0);
  define_primitive(
      "gensym",
      [](Interp& in, Args&) -> Ref<Object> {
        return in.intern("g" + std::to_string(++in.gensyms));
      },
      0, 0);
  // (weak obj [proc]): proc is called with no arguments when obj dies.
  define_primitive(
      "weak",
      [](Interp& in, Args& a) -> Ref<Object> {
        if (a.size() == 1) return make<WeakBox>(a[0]);
        refgc::Function<void(const refgc::WeakRef<Object>&)> cb(
            [interp = &in](Object& proc, const refgc::WeakRef<Object>&) {
              interp->call_back("a weak-reference callback", Ref<Object>(&proc), {});
            },
            a[1]);
        return make<WeakBox>(a[0], cb);
      },
      1, 2);
  // (on-death obj thunk): weakref.finalize(obj, thunk).
  define_primitive(
      "on-death",
      [](Interp& in, Args& a) -> Ref<Object> {
        in.finalizers.push_back(refgc::finalize(
            a[0], [interp = &in, thunk = a[1]] { interp->call_back("a finalizer", thunk, {}); }));
        return in.true_;
      },
      2, 2);
  // (gc-callback proc): gc.callbacks.append(proc); proc gets (phase generation collected).
  define_primitive(
      "gc-callback",
      [](Interp& in, Args& a) -> Ref<Object> {
        gc::callbacks().push_back(
            [interp = &in, proc = a[0]](std::string_view phase, const gc::CollectInfo& info) {
              Args args{interp->intern(std::string(phase)), number(info.generation),
                        number(static_cast<std::int64_t>(info.collected))};
              interp->call_back("a gc callback", proc, std::move(args));
            });
        return in.true_;
      },
      1, 1);
  define_primitive(
      "weak-get",
      [](Interp& in, Args& a) -> Ref<Object> {
        auto* w = as<WeakBox>(a[0]);
        if (w == nullptr) throw SchemeError("weak-get: not a weak reference");
        Ref<Object> v = w->ref();
        return v ? v : Ref<Object>(in.false_);
      },
      1, 1);
  define_primitive(
      "why",
      [](Interp&, Args& a) -> Ref<Object> {
        print_why(a[0]);
        return number(static_cast<std::int64_t>(
            diag::find_backref_chain(a[0], {}, std::size_t{1} << 30).size()));
      },
      1, 1);
  // (leak-check thunk): the objects the thunk created that a full collection
  // cannot free, by type, with the chain that keeps the first ones.
  define_primitive(
      "leak-check",
      [](Interp& in, Args& a) {
        Args none;
        diag::LeakCheck scope;
        in.apply(a[0], none);  // the result is dropped at once
        const diag::LeakReport report = scope.check(2);
        std::printf("leak-check: %zu object(s) still alive%s", report.size(),
                    report.empty() ? "" : ":");
        for (const auto& row : report.by_type) std::printf(" %zu %s", row.count, row.type.c_str());
        std::printf("\n");
        for (const auto& leak : report.leaks)
          if (!leak.chain.empty()) {
            std::printf("  e.g. a %s, kept by %s\n", leak.type.c_str(), leak.chain.c_str());
            break;
          }
        return number(static_cast<std::int64_t>(report.size()));
      },
      1, 1);
  // (leftover thunk): how many more live objects there are after calling the
  // thunk and a full collection than before it (the thunk and the collection
  // that precedes the first count excepted).
  define_primitive(
      "leftover",
      [](Interp& in, Args& a) {
        Args none;
        gc::collect();
        const auto before = static_cast<std::int64_t>(refgc::Heap::current().live_objects());
        in.apply(a[0], none);
        gc::collect();
        return number(static_cast<std::int64_t>(refgc::Heap::current().live_objects()) - before);
      },
      1, 1);
  define_primitive(
      "milliseconds",
      [](Interp&, Args&) {
        using namespace std::chrono;
        return number(duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count());
      },
      0, 0);
}

// ---------------------------------------------------------------------------
// The demonstration (--demo): what refgc does for an interpreter, checked.

constexpr const char* kDemo = R"scheme(
; --- the language
(define (fact n) (if (= n 0) 1 (* n (fact (- n 1)))))
(check "recursion: (fact 20)" 2432902008176640000 (fact 20))
(define (make-counter)
  (let ((n 0))
    (lambda () (set! n (+ n 1)) n)))
(define c (make-counter))
(c) (c)
(check "a closure keeps its frame: (c) after two calls" 3 (c))
(define (map f l) (if (null? l) '() (cons (f (car l)) (map f (cdr l)))))
(check "map, lambda, list" '(1 4 9) (map (lambda (x) (* x x)) (list 1 2 3)))
(check "let*, letrec, cond"
       'odd
       (let* ((a 3) (b (* a 3)))
         (letrec ((ev? (lambda (n) (if (= n 0) #t (od? (- n 1)))))
                  (od? (lambda (n) (if (= n 0) #f (ev? (- n 1))))))
           (cond ((ev? b) 'even) (else 'odd)))))

; --- 1. closure/environment cycles in loops
; The sizes: demo-scale is 1, or 10 in debug builds of refgc (sanitizers and
; validators: the full demo takes about 47 s under asan-ubsan), or --demo-scale N.
(define n-closures (quotient 100000 demo-scale))
(define n-calls (quotient 20000 demo-scale))
(define n-big (quotient 1000000 demo-scale))
(define n-deep (quotient 100000 demo-scale))
(define n-symbols (quotient 10000 demo-scale))
(print "sizes: n-closures" n-closures "n-calls" n-calls "n-big" n-big "n-deep" n-deep
       "n-symbols" n-symbols)
(define (repeat n thunk) (if (> n 0) (begin (thunk) (repeat (- n 1) thunk))))
(define peak 0)
(define (note-peak!) (if (> (live) peak) (set! peak (live))))
(define start (milliseconds))
(define floor (begin (gc-collect) (live)))
(check "n-closures self-referencing closures leave nothing behind" 0
       (leftover (lambda ()
                   (let loop ((i 0))
                     (if (< i n-closures)
                         (begin
                           (letrec ((f (lambda () f))) (f))   ; a frame holding a closure over itself
                           (if (= (remainder i 1000) 0) (note-peak!))
                           (loop (+ i 1))))))))
(define (parity n)                             ; mutually recursive local functions:
  (define (ev? n) (if (= n 0) #t (od? (- n 1))))   ; frame -> ev? -> frame, frame -> od? -> frame
  (define (od? n) (if (= n 0) #f (ev? (- n 1))))
  (ev? n))
(check "n-calls calls with local mutually recursive functions leave nothing behind" 0
       (leftover (lambda () (repeat n-calls (lambda () (parity 7) (note-peak!))))))
(print "closure cycles:" (- (milliseconds) start) "ms; live objects peaked at" peak
       "with" floor "live before the loops")
(check "automatic collection kept the heap bounded (peak < floor + 5000)" #t
       (< peak (+ floor 5000)))

(gc-disable)
(repeat 1000 (lambda () (letrec ((f (lambda () f))) (f))))
(define freed (gc-collect))
(gc-enable)
(print "1000 self-referencing closures with gc disabled: gc-collect found" freed)
; each loop leaves a cycle of 4 tracked objects: the letrec frame (an Env and
; its Dict, tracked since it holds the closure), the closure, and the thunk's
; call frame's Env that the letrec frame's parent link holds; with them, the
; closure body's one Pair, which they share. The call frame's Dict is empty:
; untracked, as an empty Python dict is, and freed by refcount, not counted.
(check "gc-collect frees each closure cycle and what it holds" 4001 freed)

; --- 2. long lists
(define (iota n) (let loop ((i n) (acc '())) (if (= i 0) acc (loop (- i 1) (cons i acc)))))
(check "an n-big-cell list, dropped, leaves nothing behind" 0
       (leftover (lambda ()
                   (define big (iota n-big))
                   (check "its length" n-big (length big))
                   (set! big '()))))           ; released by refcounting, constant stack
(define (build n) (if (= n 0) '() (cons n (build (- n 1)))))  ; not a tail call
(check "non-tail recursion n-deep deep builds a list, dropped on return" 0
       (leftover (lambda () (check "its length" n-deep (length (build n-deep))))))
(check "n-deep lists nested through car, dropped" 0
       (leftover (lambda () (let loop ((i 0) (acc '())) (if (< i n-deep) (loop (+ i 1) (list acc)))))))
(define ring (iota n-deep))
(let loop ((p ring)) (if (null? (cdr p)) (set-cdr! p ring) (loop (cdr p))))
(set! ring '())                                ; a 100,000-cell cycle
(check "a collection frees an n-deep-cell ring" #t (>= (gc-collect) n-deep))

; --- 3. weak references
(define w (weak (list 1 2 3)))
(check "a weak reference to a dropped list is dead at once" #f (weak-get w))
(define kept (list 4 5))
(define w2 (weak kept))
(check "a weak reference to a live list" '(4 5) (weak-get w2))
(define symbols (interned))
(repeat n-symbols gensym)
(check "n-symbols unused gensyms left the weak symbol table" symbols (interned))

; Scheme code run by refgc: a finalizer (weakref.finalize) and a weak-reference
; callback on a closure cycle; the thunks must not see the closure's frame, or
; they would keep it alive (as in Python).
(define deaths 0)
(define (count-death) (lambda () (set! deaths (+ deaths 1))))
(define (self-ref) (define (self) self) self)
(define o (self-ref))
(on-death o (count-death))
(define wo (weak o (count-death)))
(set! o 0)
(check "before a collection the closure cycle lives" 0 deaths)
(gc-collect)
(check "a collection runs its finalizer and its weak callback, once each" 2 deaths)

; --- 4. a leak: every session registers a handler in a global list and
; nobody unregisters it; the handler's frame holds the session's data.
(define handlers '())
(define (open-session id)
  (define data (make-list 100 id))
  (define (on-event) (car data))
  (set! handlers (cons on-event handlers))
  id)
(check "leak-check finds what a session leaves behind" #t
       (> (leak-check (lambda () (open-session 1))) 0))
(check "why: the chain runs from the global frame to the handler" 4 (why (car handlers)))
(set! handlers '())
(check "after unregistering, nothing is left" 0 (leak-check (lambda () (open-session 2) (set! handlers '()))))
)scheme";

// ---------------------------------------------------------------------------

struct Options {
  bool demo = false, stats = false;
  // Debug builds of refgc (sanitizers, the collector's validators) are many
  // times slower: the demo runs 10 times smaller there (CTest's time).
  std::int64_t demo_scale = REFGC_DEBUG ? 10 : 1;
  std::size_t stack_mb = 1024;
  std::vector<std::pair<bool, std::string>> programs;  // (is a file, text or path)
  std::vector<std::string> why;
  int heaps = 1;  // --heaps N: N interpreters at once, each on its own thread and heap
};

bool read_file(const std::string& path, std::string& out) {
  if (path == "-") {
    std::ostringstream s;
    s << std::cin.rdbuf();
    out = s.str();
    return true;
  }
  std::ifstream in(path);
  if (!in) return false;
  std::ostringstream s;
  s << in.rdbuf();
  out = s.str();
  return true;
}

// One interpreter, on the heap its thread holds; returns the exit status.
int run_interpreter(const Options& opt) {
  Interp in;
  in.stack_base = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
  in.stack_budget = (opt.stack_mb << 20) - (opt.stack_mb << 20) / 8;
  in.install_primitives();
  if (opt.demo) {
    in.global->vars->set(in.intern("demo-scale"), make<refgc::Int>(opt.demo_scale));
    in.run(kDemo);
  }
  for (const auto& [is_file, text] : opt.programs) {
    std::string source = text;
    if (is_file && !read_file(text, source)) {
      std::fprintf(stderr, "mini_scheme: cannot read %s\n", text.c_str());
      return 2;
    }
    in.run(source);
  }
  for (const auto& expr : opt.why) {
    try {
      Interp::Reader reader{in, expr};
      Ref<Object> value = in.eval(reader.read(), in.global);
      print_why(value);
    } catch (const std::exception& e) {
      std::printf("error: %s\n", e.what());
      ++in.failures;
    }
  }
  if (opt.stats) {
    const auto stats = gc::get_stats();
    for (int g = 0; g < 3; ++g)
      std::printf("generation %d: %zu collections, %zu collected, %zu uncollectable\n", g,
                  stats[g].collections, stats[g].collected, stats[g].uncollectable);
  }
  // The callbacks that call into the interpreter go before it: gc callbacks
  // are dropped; finalizers still waiting run now, newest first, as Python
  // runs weakref.finalize's atexit ones.
  gc::callbacks().clear();
  for (auto f = in.finalizers.rbegin(); f != in.finalizers.rend(); ++f)
    if (f->atexit()) (*f)();
  in.finalizers.clear();
  if (opt.demo) std::printf("demo: %d checks, %d failed\n", in.checks, in.failures);
  return in.failures > 0 ? 1 : 0;
}

struct Thread {
  const Options* opt;
  int status = 0;
};

// An interpreter's thread. With one interpreter, it is the first (and only)
// thread to use refgc, so it holds the default heap, and gives it back when
// it ends; with --heaps N, each has a heap of its own, destroyed after its
// interpreter (its cycles are collected then).
void* interpreter_main(void* arg) {
  auto& t = *static_cast<Thread*>(arg);
  if (t.opt->heaps == 1) {
    t.status = run_interpreter(*t.opt);
  } else {
    refgc::Heap heap;
    refgc::Heap::Lock lock(heap);
    t.status = run_interpreter(*t.opt);
  }
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--demo") {
      opt.demo = true;
    } else if (a == "--stats") {
      opt.stats = true;
    } else if ((a == "-e" || a == "--why" || a == "--stack-mb" || a == "--demo-scale" ||
                a == "--heaps") &&
               i + 1 < argc) {
      if (a == "--heaps") opt.heaps = std::max(1, std::stoi(argv[++i]));
      if (a == "--demo-scale") opt.demo_scale = std::max(1L, std::stol(argv[++i]));
      if (a == "-e") opt.programs.emplace_back(false, argv[++i]);
      if (a == "--why") opt.why.emplace_back(argv[++i]);
      if (a == "--stack-mb") opt.stack_mb = std::stoul(argv[++i]);
    } else if (a.size() > 1 && a[0] == '-') {
      std::fprintf(
          stderr,
          "usage: mini_scheme [--demo] [--demo-scale N] [--stats] [--stack-mb N] [--heaps N] "
          "[-e EXPR]... "
          "[--why EXPR]... [FILE|-]...\n");
      return 2;
    } else {
      opt.programs.emplace_back(true, std::string(a));
    }
  }
  if (!opt.demo && opt.programs.empty()) opt.programs.emplace_back(true, "-");
  if (opt.stack_mb < 1) opt.stack_mb = 1;

  // Non-tail recursion in the evaluator uses the C++ stack: run it on a
  // thread with a large one (only the pages it touches are committed).
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, opt.stack_mb << 20);
  std::vector<Thread> threads(static_cast<std::size_t>(opt.heaps), Thread{&opt});
  std::vector<pthread_t> ids(threads.size());
  for (std::size_t i = 0; i < threads.size(); ++i)
    if (pthread_create(&ids[i], &attr, interpreter_main, &threads[i]) != 0) {
      std::fprintf(stderr, "mini_scheme: cannot start a thread with a %zu MiB stack\n",
                   opt.stack_mb);
      return 2;
    }
  int status = 0;
  for (std::size_t i = 0; i < threads.size(); ++i) {
    pthread_join(ids[i], nullptr);
    status = std::max(status, threads[i].status);
  }
  pthread_attr_destroy(&attr);
  return status;
}
