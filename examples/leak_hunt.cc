// examples/leak_hunt.cc: finding a leak step by step with refgc::diag.
//
// The leak the seeds warn about (s000 Q&A "event listeners / callbacks"):
// every request opens a Session that subscribes a listener to a global event
// bus. The listener holds its session (to update it) and the session holds its
// listener (to unsubscribe on close) -- a cycle, which the collector could
// free, except that the bus holds the listener strongly and nobody ever
// unsubscribes. Memory grows with every request.
//
// The hunt, as in the seeds' Part 8 and Part 11:
//   1. growth() after a batch of requests: which types grow?
//   2. pick one survivor, find_backref_chain(): what holds it?
//   3. a picture of that chain (ASCII here, SVG when Graphviz is installed);
//   4. fix: the bus holds its listeners weakly (a WeakSet), so a session that
//      nobody uses dies with its listener, cycle and all;
//   5. prove it with growth() and a LeakCheck.
//
// Exit status 0 when the leak was found before the fix and is gone after it.
// Run: cmake --build --preset release --target leak_hunt && ./build/release/examples/leak_hunt
#include <refgc/refgc.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

namespace {

using refgc::make;
using refgc::Ref;
namespace diag = refgc::diag;
namespace gc = refgc::gc;

struct Listener;

struct Session : refgc::Object {
  static constexpr const char* refgc_type_name = "Session";
  std::string user;
  std::vector<std::string> events;
  Ref<Listener> listener;  // to unsubscribe on close
  explicit Session(std::string u) : user(std::move(u)) {}
  void trace(refgc::Tracer& t) override;
  std::string repr() const override { return "<Session " + user + ">"; }
};

struct Listener : refgc::Object {
  static constexpr const char* refgc_type_name = "Listener";
  Ref<Session> session;  // the session it updates
  void trace(refgc::Tracer& t) override { t.field("session", session); }
  void notify(const std::string& event) { session->events.push_back(event); }
};

// t.field() names a reference for the diagnostics (the chain below reads
// ".listeners [42] .session"); the collector sees the same as t(listener).
void Session::trace(refgc::Tracer& t) { t.field("listener", listener); }

// The leaky bus: a list of strong references that only ever grows.
struct LeakyBus : refgc::Object {
  static constexpr const char* refgc_type_name = "EventBus";
  Ref<refgc::List<Listener>> listeners = make<refgc::List<Listener>>();
  void trace(refgc::Tracer& t) override { t.field("listeners", listeners); }
  void subscribe(const Ref<Listener>& l) { listeners->append(l); }
  void publish(const std::string& event) {
    for (const auto& l : *listeners) l->notify(event);
  }
};

// The fixed bus: it observes its listeners, it does not own them.
struct WeakBus {
  refgc::WeakSet<Listener> listeners;
  void subscribe(const Ref<Listener>& l) { listeners.add(l); }
  void publish(const std::string& event) {
    for (const auto& l : listeners) l->notify(event);
  }
};

template <class Bus>
void handle_request(Bus& bus, int n) {
  auto session = make<Session>("user" + std::to_string(n));
  auto listener = make<Listener>();
  listener->session = session;
  session->listener = listener;
  bus.subscribe(listener);
  bus.publish("login " + session->user);
  // The request ends: every handle here is dropped.
}

void heading(const char* text) { std::printf("\n=== %s ===\n", text); }

}  // namespace

int main() {
  bool found = false;
  bool fixed = false;

  heading("1. Serve requests, then ask what grew (objgraph.show_growth)");
  auto bus = make<LeakyBus>();
  (void)diag::growth();  // the baseline
  for (int i = 0; i < 100; ++i) handle_request(*bus, i);
  gc::collect();  // whatever survives a full collection is really held
  diag::print_growth(std::cout);
  found = diag::count("Session") == 100;
  std::printf("100 requests are over, yet %zu sessions are alive.\n", diag::count("Session"));

  heading("2. Who holds one of them? (objgraph.find_backref_chain)");
  Ref<refgc::Object> survivor;
  for (auto& o : gc::get_objects())
    if (diag::type_name(*o) == "Session") {
      survivor = o;
      break;
    }
  {
    const auto chain = diag::find_backref_chain(survivor);
    std::printf("%s\n", diag::describe_chain(chain).c_str());
    found = found && chain.size() == 4 && diag::type_name(*chain[0]) == "EventBus";
    // Each link says what holds the next: bus.listeners[k].session.
    const std::string text = diag::describe_chain(chain);
    found = found && text.find(" .listeners -> List@") != std::string::npos &&
            text.find(" .session -> Session@") != std::string::npos;
  }
  std::printf(
      "Read it from the left: the bus (held by a handle in main) holds its list in the\n"
      "field `listeners`, the list holds the listener at a position, the listener holds the\n"
      "session in its field `session`. The bus is the culprit.\n");

  heading("3. The picture");
  std::cout << diag::ascii_diagram({{"bus", bus}}, 3, 3);
  if (diag::graphviz_available()) {
    diag::render_svg("leak_hunt.svg", {{"survivor", survivor}},
                     {.direction = diag::Direction::referrers, .max_depth = 3});
    std::printf("wrote leak_hunt.svg (Graphviz): the survivor, its listener, the list, the bus\n");
  } else {
    std::printf(
        "(Graphviz's dot is not installed: no SVG. apt-get install graphviz, or use "
        "diag::write_dot and render elsewhere.)\n");
  }
  survivor.reset();

  heading("4. The fix: the bus holds its listeners weakly");
  bus.reset();  // the old bus goes, and with it 100 sessions (cycles: the collector frees them)
  std::printf("dropped the leaky bus: a collection frees %zu objects\n", gc::collect());
  WeakBus weak_bus;
  {
    diag::LeakCheck check;
    for (int i = 0; i < 100; ++i) handle_request(weak_bus, i);
    const diag::LeakReport report = check.check();
    std::printf("LeakCheck after 100 more requests: %s", report.str().c_str());
    fixed = report.empty();
  }

  heading("5. Growth is flat");
  for (int i = 0; i < 100; ++i) handle_request(weak_bus, i);
  gc::collect();
  const auto grew = diag::growth();
  std::printf("types that grew: %zu; sessions alive: %zu\n", grew.size(), diag::count("Session"));
  fixed = fixed && grew.empty() && diag::count("Session") == 0;

  std::printf("\nleak found: %s; fixed: %s\n", found ? "yes" : "NO", fixed ? "yes" : "NO");
  return found && fixed ? 0 : 1;
}
