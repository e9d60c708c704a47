// The program docs/guide/leak-hunting.md hunts in, as in examples/leak_hunt.cc:
// every request subscribes a listener to an event bus, the listener and its
// session are a cycle, and the bus holds its listeners, so nothing is freed.
// The guide's blocks see it through their `context:` (tests/docs/README.md).
// Its types name their references (Tracer::field), as the guide's section 0
// recommends: the chains and diagrams print .listeners and .session.
// The session type is named "Session" in diagnostics: the guide's first
// block declares a Session of its own.
#pragma once

#include <refgc/refgc.h>

#include <string>
#include <utility>

struct Listener;

struct UserSession : refgc::Object {
  static constexpr const char* refgc_type_name = "Session";
  std::string user;
  refgc::Ref<Listener> listener;  // to unsubscribe on close
  explicit UserSession(std::string u) : user(std::move(u)) {}
  void trace(refgc::Tracer& t) override;
  std::string repr() const override { return "<Session " + user + ">"; }
};

struct Listener : refgc::Object {
  static constexpr const char* refgc_type_name = "Listener";
  refgc::Ref<UserSession> session;  // the session it updates
  void trace(refgc::Tracer& t) override { t.field("session", session); }
};

inline void UserSession::trace(refgc::Tracer& t) { t.field("listener", listener); }

// The leaky bus: a list of strong references that only grows.
struct EventBus : refgc::Object {
  static constexpr const char* refgc_type_name = "EventBus";
  refgc::Ref<refgc::List<Listener>> listeners = refgc::make<refgc::List<Listener>>();
  void trace(refgc::Tracer& t) override { t.field("listeners", listeners); }
};

// The fixed bus: it observes its listeners.
struct FixedBus : refgc::Object {
  refgc::WeakSet<Listener> listeners;
};

inline void subscribe(const refgc::Ref<EventBus>& bus, const refgc::Ref<Listener>& l) {
  bus->listeners->append(l);
}
inline void subscribe(const refgc::Ref<FixedBus>& bus, const refgc::Ref<Listener>& l) {
  bus->listeners.add(l);
}

template <class Bus>
void handle_request(const refgc::Ref<Bus>& bus, int n) {
  auto session = refgc::make<UserSession>("user" + std::to_string(n));
  auto listener = refgc::make<Listener>();
  listener->session = session;
  session->listener = listener;
  subscribe(bus, listener);
}

// A leaky bus after 100 requests.
inline refgc::Ref<EventBus> leaky_bus() {
  auto bus = refgc::make<EventBus>();
  for (int i = 0; i < 100; ++i) handle_request(bus, i);
  return bus;
}

// The session of the last request: the survivor section 2 picks.
inline refgc::Ref<refgc::Object> last_session(const refgc::Ref<EventBus>& bus) {
  return bus->listeners->at(bus->listeners->size() - 1)->session;
}
