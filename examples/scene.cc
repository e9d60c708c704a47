// examples/scene.cc: a game engine's scene graph on refgc, the way an engine
// written in Python (or a C++ engine with a Python-like object model) holds
// its entities. Written from the public headers and docs/guide/ only.
//
// What it demonstrates (and checks: a failed check prints "FAIL" and the
// program exits 1; `ctest -R scene` runs it; docs/guide/scene-graph.md
// explains the patterns):
//   1. the hierarchy: entities own their children (a refgc::List) and know
//      their parent either through a WeakRef (a despawned subtree dies by
//      refcount, at once) or through a strong Ref (every parent/child pair a
//      cycle: the subtree waits for the collector, and its components must
//      be kept from updating meanwhile);
//   2. components referring to their entity (a WeakRef) and to other
//      entities: a follower whose target is despawned stops following;
//   3. a scene-wide event bus holding component subscribers weakly (a
//      WeakSet per topic) and systems through WeakMethods; an explosion
//      whose handlers despawn other subscribers during the dispatch (they
//      are skipped, dead, by the same loop);
//   4. an asset cache (WeakValueDictionary) sharing textures and meshes
//      between entities: an asset is loaded once, evicted when its last
//      user dies, and its GPU handle goes back to the pool;
//   5. prefab instancing: a deep copy (iterative) that remaps references
//      inside the prefab to the copies and shares the rest;
//   6. a frame update that despawns subtrees while the update list is being
//      iterated: despawned components are never updated again, whether their
//      objects died at once (weak parents) or wait for the collector (strong);
//   7. destruction hooks, finalize() and refgc::finalize(entity, fn), in
//      CPython 3.11's order (checked against python3 3.11.7's output), also
//      past the trashcan's depth (a 100-entity rig's wheels); a
//      bullet pool that recycles by resurrection in finalize() (once per
//      bullet, PEP 442; in a collection its GPU finalizer has run first);
//   8. a level unload: a 200,000-entity scene with strong parents, a cycle
//      through everything, frozen (gc::freeze()) while 10,000 cyclic
//      projectiles are collected, then unfrozen and freed by one collection;
//   9. a 100,000-level hierarchy despawned by refcount, collected, and
//      instanced as a prefab, on a thread whose stack is 256 KiB;
//  10. the leak hunt: a minimap system that forgot to unsubscribe from the
//      engine's input bus keeps its markers alive after every level unload.
//      diag::growth spots it, diag::LeakCheck reports it,
//      find_backref_chain + describe_chain name the path; then the fix.
#include <refgc/refgc.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <iostream>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "example_checks.h"

namespace {

using refgc::List;
using refgc::make;
using refgc::Ref;
using refgc::WeakRef;

using example::contains;
using example::g_failures;
using example::NoAutomaticCollection;
using example::seconds_since;
using example::without_addresses;

// ---------------------------------------------------------------------------
// The engine's native side: GPU handles, counters, the destruction log.

// Handles of GPU objects (textures, meshes, shadow maps), recycled.
struct GpuPool {
  std::vector<int> free_list;
  int created = 0;
  int in_use = 0;
  int acquire() {
    ++in_use;
    if (free_list.empty()) return created++;
    const int h = free_list.back();
    free_list.pop_back();
    return h;
  }
  void release(int h) {
    --in_use;
    free_list.push_back(h);
  }
};
GpuPool g_gpu;

int g_entities_alive = 0;
int g_components_alive = 0;
long g_destroy_hooks = 0;        // Entity::finalize() calls
bool g_logging = false;          // the destruction log below, for small scenes only
std::vector<std::string> g_log;  // "on_destroy a", "release a", "unload rock.png"

void note(std::string s) {
  if (g_logging) g_log.push_back(std::move(s));
}

// ---------------------------------------------------------------------------
// Assets, shared through a cache that holds them weakly.

struct Texture : refgc::Object {
  static constexpr const char* refgc_type_name = "Texture";
  std::string path;
  int handle;
  Texture(std::string p, int h) : path(std::move(p)), handle(h) {}
};

struct Mesh : refgc::Object {
  static constexpr const char* refgc_type_name = "Mesh";
  std::string path;
  int handle;
  Mesh(std::string p, int h) : path(std::move(p)), handle(h) {}
};

// The engine's asset cache: an asset lives while some entity uses it, and is
// loaded again after it was evicted. The GPU handle goes back to the pool
// through a finalizer (which captures the handle, never the asset).
struct AssetCache : refgc::Object {
  static constexpr const char* refgc_type_name = "AssetCache";
  refgc::WeakValueDictionary<std::string, Texture> textures;
  refgc::WeakValueDictionary<std::string, Mesh> meshes;
  int loads = 0;
  int unloads = 0;
  void trace(refgc::Tracer& t) override { t(textures, meshes); }

  Ref<Texture> texture(const std::string& path) { return load(textures, path); }
  Ref<Mesh> mesh(const std::string& path) { return load(meshes, path); }

 private:
  template <class A>
  Ref<A> load(refgc::WeakValueDictionary<std::string, A>& cache, const std::string& path) {
    if (Ref<A> hit = cache.get(path)) return hit;
    auto asset = make<A>(path, g_gpu.acquire());
    ++loads;
    // The cache is captured weakly: the finalizer is a std::function, held
    // from outside the heap, so a strong capture would keep the cache alive
    // for as long as the asset lives, where no collection can see it.
    refgc::finalize(
        asset, [h = asset->handle, path, this_cache = WeakRef<AssetCache>(Ref<AssetCache>(this))] {
          g_gpu.release(h);
          if (Ref<AssetCache> c = this_cache.lock()) ++c->unloads;
          note("unload " + path);
        });
    cache.set(path, asset);
    return asset;
  }
};

// ---------------------------------------------------------------------------
// Entities and components.

enum class Links { weak, strong };  // how a child refers to its parent

struct Entity;
struct Scene;
struct Component;

// Prefab instancing: original entity -> its copy.
using CloneMap = std::unordered_map<const Entity*, Ref<Entity>>;

struct Event {
  std::string type;
  float x = 0, y = 0;
  float radius = 0;
  int damage = 0;
};

struct Component : refgc::Object {  // abstract: each kind names itself
  WeakRef<Entity> entity;           // its owner (Python: self.entity = weakref.ref(e))
  int updates = 0;

  Component() { ++g_components_alive; }
  ~Component() override { --g_components_alive; }
  // The WeakRef is traced as a Python attribute holding a weakref is: its
  // weak-reference object is part of the entity's garbage, not a root.
  void trace(refgc::Tracer& t) override { t.field("entity", entity); }

  virtual void update(Scene&) { ++updates; }
  virtual void on_event(const Event&) {}
  // Registers with the scene (update list, bus) when its entity is spawned.
  virtual void attach(Scene& scene);
  // A copy for a prefab instance, whose references to entities of the
  // prefab point to their copies (`map`).
  virtual Ref<Component> clone(const CloneMap& map) const = 0;
};

struct Entity : refgc::Object {
  static constexpr const char* refgc_type_name = "Entity";
  std::string name;
  float x = 0, y = 0;
  bool active = true;           // false once despawned: never updated again
  Ref<List<Entity>> children;   // made by the first add_child
  WeakRef<Entity> weak_parent;  // Links::weak
  Ref<Entity> strong_parent;    // Links::strong: a cycle with the parent's children
  std::vector<Ref<Component>> components;

  explicit Entity(std::string n) : name(std::move(n)) { ++g_entities_alive; }
  ~Entity() override { --g_entities_alive; }
  // The weak parent needs no tracing (no callback), but traced, its
  // weak-reference object has a holder in diag's reports: untraced, a
  // LeakCheck lists it as held from outside the heap, "kept alive by"
  // itself.
  void trace(refgc::Tracer& t) override {
    t.field("parent", strong_parent);
    t.field("weak_parent", weak_parent);
    t.field("children", children);
    t.field("components", components);
  }
  // The engine's OnDestroy hook (Python's __del__).
  void finalize() override {
    ++g_destroy_hooks;
    note("on_destroy " + name);
  }

  Ref<Entity> parent() const { return strong_parent ? strong_parent : weak_parent.lock(); }
  std::size_t child_count() const { return children ? children->size() : 0; }
  Ref<Entity> child(std::size_t i) const {
    return i < child_count() ? (*children)[static_cast<std::ptrdiff_t>(i)] : Ref<Entity>();
  }
  void add_child(const Ref<Entity>& c_arg, Links links) {
    const Ref<Entity> c = c_arg;  // its old parent's list may hold the last reference
    if (Ref<Entity> old = c->parent()) old->remove_child(c);
    if (!children) children = make<List<Entity>>();
    children->append(c);
    if (links == Links::strong)
      c->strong_parent = Ref<Entity>(this);
    else
      c->weak_parent = WeakRef<Entity>(Ref<Entity>(this));
  }
  void remove_child(const Ref<Entity>& c_arg) {
    const Ref<Entity> c = c_arg;  // the list holds the last reference, maybe
    children->remove(c);
    c->weak_parent.reset();
    c->strong_parent = nullptr;
  }
  template <class C, class... A>
  Ref<C> add(A&&... args) {
    auto c = make<C>(std::forward<A>(args)...);
    c->entity = WeakRef<Entity>(Ref<Entity>(this));
    components.push_back(c);
    return c;
  }
  template <class C>
  Ref<C> get() const {
    for (const auto& c : components)
      if (auto* p = dynamic_cast<C*>(c.get())) return Ref<C>(p);
    return {};
  }
};

// Where a copied component's reference to an entity points: to the copy when
// the entity is part of the prefab, to the same entity otherwise.
WeakRef<Entity> remap(const CloneMap& map, const WeakRef<Entity>& w) {
  const Ref<Entity> e = w.lock();
  if (!e) return {};
  const auto it = map.find(e.get());
  return it == map.end() ? w : WeakRef<Entity>(it->second);
}

// ---------------------------------------------------------------------------
// The event bus: component subscribers held weakly, systems through
// WeakMethods, and plain handlers (closures) held strongly, with a token to
// remove them.

using Handler = refgc::Function<void(const Event&)>;

struct EventBus : refgc::Object {
  static constexpr const char* refgc_type_name = "EventBus";
  std::map<std::string, refgc::WeakSet<Component>> subscribers;
  std::map<std::string, std::vector<std::pair<int, Handler>>> handlers;
  // A WeakMethod per entry, erased behind a std::function: it holds only a
  // callback-less weak reference, which needs no tracing.
  std::vector<std::pair<std::string, std::function<bool(const Event&)>>> methods;
  int next_token = 1;
  long delivered = 0;

  void trace(refgc::Tracer& t) override {
    t.field("subscribers", subscribers);
    t.field("handlers", handlers);
  }

  void subscribe(const std::string& topic, const Ref<Component>& c) { subscribers[topic].add(c); }
  template <class T>
  void listen(const std::string& topic, const Ref<T>& obj, void (T::*method)(const Event&)) {
    methods.emplace_back(
        topic, [m = refgc::WeakMethod<T, void(const Event&)>(obj, method)](const Event& e) {
          const auto bound = m();
          if (bound) bound(e);
          return static_cast<bool>(bound);
        });
  }
  int on(const std::string& topic, Handler h) {
    handlers[topic].emplace_back(next_token, std::move(h));
    return next_token++;
  }
  bool off(const std::string& topic, int token) {
    auto& list = handlers[topic];
    for (auto it = list.begin(); it != list.end(); ++it)
      if (it->first == token) {
        const Handler keep = std::move(it->second);  // dies after the vector is consistent
        list.erase(it);
        return true;
      }
    return false;
  }

  // Subscribers first (in subscription order), then systems, then handlers.
  // Each loop walks a snapshot: a subscriber that dies during the dispatch
  // is skipped, one subscribed during it is not called.
  void publish(const Event& e) {
    const Ref<EventBus> self(this);  // a handler may drop the bus's owner
    if (auto it = subscribers.find(e.type); it != subscribers.end()) {
      for (Ref<Component> c : it->second) {
        c->on_event(e);
        ++delivered;
      }
    }
    // The systems listening when the dispatch starts (`end`): one that
    // listen()s during it is appended past `end`, and not called.
    std::size_t end = methods.size();
    for (std::size_t i = 0; i < end;) {
      if (methods[i].first != e.type) {
        ++i;
        continue;
      }
      const auto call = methods[i].second;  // a copy: the method may subscribe
      if (call(e)) {
        ++delivered;
        ++i;
      } else {
        methods.erase(methods.begin() + static_cast<std::ptrdiff_t>(i));  // its owner died
        --end;
      }
    }
    if (auto it = handlers.find(e.type); it != handlers.end()) {
      const auto snapshot = it->second;
      for (const auto& [token, h] : snapshot) {
        h(e);
        ++delivered;
      }
    }
  }
};

// ---------------------------------------------------------------------------
// The scene.

struct Scene : refgc::Object {
  static constexpr const char* refgc_type_name = "Scene";
  Links links;
  Ref<AssetCache> assets;
  Ref<Entity> root = make<Entity>("root");
  Ref<EventBus> bus = make<EventBus>();
  refgc::WeakSet<Component> updatables;  // the frame loop's list, in spawn order
  std::vector<Ref<refgc::Object>> systems;
  int frame = 0;

  Scene(Links l, Ref<AssetCache> a) : links(l), assets(std::move(a)) {}
  void trace(refgc::Tracer& t) override {
    t.field("assets", assets);
    t.field("root", root);
    t.field("bus", bus);
    t(updatables);
    t.field("systems", systems);
  }

  Ref<Entity> spawn(std::string name, const Ref<Entity>& parent = nullptr) {
    auto e = make<Entity>(std::move(name));
    (parent ? parent : root)->add_child(e, links);
    return e;
  }
  template <class C, class... A>
  Ref<C> add(const Ref<Entity>& e, A&&... args) {
    auto c = e->add<C>(std::forward<A>(args)...);
    c->attach(*this);
    return c;
  }

  // Takes a subtree out of the scene: it is deactivated (an explicit stack:
  // subtrees may be deep) and detached. With weak parents it dies when the
  // caller's last reference goes; with strong ones it is a cycle that waits
  // for the collector.
  void despawn(const Ref<Entity>& e_arg) {
    const Ref<Entity> e = e_arg;
    std::vector<Ref<Entity>> stack{e};
    while (!stack.empty()) {
      const Ref<Entity> n = std::move(stack.back());
      stack.pop_back();
      n->active = false;
      for (std::size_t i = 0; i < n->child_count(); ++i) stack.push_back(n->child(i));
    }
    if (Ref<Entity> p = e->parent()) p->remove_child(e);
  }

  // One frame: every component of an active entity, in spawn order. The
  // loop walks the update list's snapshot: a component whose entity is
  // despawned by an earlier one is skipped, whether it died (weak parents)
  // or lives on in a garbage cycle (strong parents).
  void update() {
    const Ref<Scene> self(this);
    ++frame;
    for (Ref<Component> c : updatables) {
      const Ref<Entity> e = c->entity.lock();
      if (!e || !e->active) continue;
      c->update(*this);
    }
  }

  // A deep copy of `prefab` under `parent` (the scene's root by default):
  // the entities first, in preorder with an explicit stack, then their
  // components, which remap references into the prefab. Assets are shared.
  Ref<Entity> instantiate(const Ref<Entity>& prefab, const Ref<Entity>& parent = nullptr) {
    CloneMap map;
    std::vector<std::pair<Ref<Entity>, Ref<Entity>>> order;  // (original, copy), preorder
    std::vector<std::pair<Ref<Entity>, Ref<Entity>>> stack{{prefab, nullptr}};
    while (!stack.empty()) {
      auto [original, into] = std::move(stack.back());
      stack.pop_back();
      auto copy = make<Entity>(original->name);
      copy->x = original->x;
      copy->y = original->y;
      if (into) into->add_child(copy, links);
      map.emplace(original.get(), copy);
      for (std::size_t i = original->child_count(); i-- > 0;)
        stack.emplace_back(original->child(i), copy);
      order.emplace_back(std::move(original), std::move(copy));
    }
    for (const auto& [original, copy] : order) {
      for (const auto& c : original->components) {
        Ref<Component> cc = c->clone(map);
        cc->entity = WeakRef<Entity>(copy);
        copy->components.push_back(cc);
        cc->attach(*this);
      }
    }
    Ref<Entity> top = order.front().second;
    (parent ? parent : root)->add_child(top, links);
    return top;
  }
};

void Component::attach(Scene& scene) { scene.updatables.add(Ref<Component>(this)); }

// ---------------------------------------------------------------------------
// Components.

// Draws a mesh with a texture: both shared through the asset cache.
struct Sprite : Component {
  static constexpr const char* refgc_type_name = "Sprite";
  Ref<Texture> texture;
  Ref<Mesh> mesh;
  Sprite(Ref<Texture> t, Ref<Mesh> m) : texture(std::move(t)), mesh(std::move(m)) {}
  void trace(refgc::Tracer& t) override {
    Component::trace(t);
    t.field("texture", texture);
    t.field("mesh", mesh);
  }
  void attach(Scene&) override {}  // drawn, not updated
  Ref<Component> clone(const CloneMap&) const override { return make<Sprite>(texture, mesh); }
};

// Moves its entity toward a target entity; stops when the target is gone.
int g_lost_targets = 0;
struct Follow : Component {
  static constexpr const char* refgc_type_name = "Follow";
  WeakRef<Entity> target;
  float speed;
  bool lost = false;
  Follow(WeakRef<Entity> t, float s) : target(std::move(t)), speed(s) {}
  void trace(refgc::Tracer& t) override {
    Component::trace(t);
    t.field("target", target);
  }
  void update(Scene&) override {
    ++updates;
    const Ref<Entity> self = entity.lock();
    const Ref<Entity> to = target.lock();
    if (!to || !to->active) {
      if (!lost) ++g_lost_targets;
      lost = true;
      return;
    }
    const float dx = to->x - self->x, dy = to->y - self->y;
    const float d = std::sqrt(dx * dx + dy * dy);
    if (d <= speed) {
      self->x = to->x, self->y = to->y;
    } else {
      self->x += dx / d * speed, self->y += dy / d * speed;
    }
  }
  Ref<Component> clone(const CloneMap& map) const override {
    return make<Follow>(remap(map, target), speed);
  }
};

// Despawns its entity after a number of frames (a projectile, a decal).
struct Lifetime : Component {
  static constexpr const char* refgc_type_name = "Lifetime";
  int frames;
  explicit Lifetime(int f) : frames(f) {}
  void update(Scene& scene) override {
    ++updates;
    if (--frames == 0) scene.despawn(entity.lock());
  }
  Ref<Component> clone(const CloneMap&) const override { return make<Lifetime>(frames); }
};

// Explodes after `fuse` frames: publishes an explosion and despawns itself.
struct Bomb : Component {
  static constexpr const char* refgc_type_name = "Bomb";
  int fuse;
  float radius;
  int damage;
  Bomb(int f, float r, int d) : fuse(f), radius(r), damage(d) {}
  void update(Scene& scene) override {
    ++updates;
    if (--fuse != 0) return;
    const Ref<Entity> self = entity.lock();
    scene.bus->publish(
        {.type = "explosion", .x = self->x, .y = self->y, .radius = radius, .damage = damage});
    scene.despawn(self);
  }
  Ref<Component> clone(const CloneMap&) const override { return make<Bomb>(fuse, radius, damage); }
};

// Takes damage from explosions (a bus subscriber); despawns its entity when
// it reaches zero, from inside the bus's dispatch.
int g_hits = 0;
struct Health : Component {
  static constexpr const char* refgc_type_name = "Health";
  int hp;
  WeakRef<Scene> scene;
  explicit Health(int h) : hp(h) {}
  void attach(Scene& s) override {
    Component::attach(s);
    scene = WeakRef<Scene>(Ref<Scene>(&s));
    s.bus->subscribe("explosion", Ref<Component>(this));
  }
  void on_event(const Event& e) override {
    const Ref<Entity> self = entity.lock();
    if (!self || !self->active) return;
    const float dx = self->x - e.x, dy = self->y - e.y;
    if (dx * dx + dy * dy > e.radius * e.radius) return;
    ++g_hits;
    hp -= e.damage;
    if (hp <= 0)
      if (Ref<Scene> s = scene.lock()) s->despawn(self);
  }
  Ref<Component> clone(const CloneMap&) const override { return make<Health>(hp); }
};

// ---------------------------------------------------------------------------
// 1-2. The hierarchy, weak and strong parents; components and targets.

void hierarchy() {
  refgc::gc::collect();
  const NoAutomaticCollection paused;  // "alive until a collection" below
  const int base = g_entities_alive;
  auto assets = make<AssetCache>();

  // Weak parents: a despawned subtree dies when its last reference goes.
  {
    auto scene = make<Scene>(Links::weak, assets);
    auto player = scene->spawn("player");
    auto ship = scene->spawn("ship");
    auto turret = scene->spawn("turret", ship);
    scene->spawn("barrel", turret);
    auto camera = scene->spawn("camera");
    auto follow = scene->add<Follow>(camera, WeakRef<Entity>(player), 1.0f);
    auto escort = scene->add<Follow>(scene->spawn("escort"), WeakRef<Entity>(ship), 10.0f);
    player->x = 3, player->y = 4;
    ship->x = 100;
    scene->update();
    CHECK(std::abs(camera->x - 0.6f) < 1e-5f && std::abs(camera->y - 0.8f) < 1e-5f);
    CHECK(turret->parent() == ship);
    CHECK_EQ(g_entities_alive, base + 7);  // root + 6

    const WeakRef<Entity> w_ship(ship), w_barrel(turret->child(0));
    scene->despawn(ship);
    CHECK(w_ship.alive());  // `ship` and `turret` still hold it
    ship.reset();
    turret.reset();
    CHECK(!w_ship.alive() && !w_barrel.alive());  // by refcount: no collection
    CHECK_EQ(g_entities_alive, base + 4);
    scene->update();  // the escort's target is gone: it stops
    CHECK(escort->lost);
    CHECK_EQ(g_lost_targets, 1);
    CHECK_EQ(follow->updates, 2);
    escort.reset();
    follow.reset();
  }
  CHECK_EQ(g_entities_alive, base);  // the whole scene, by refcount
  CHECK_EQ(refgc::gc::collect(), 0);

  // Strong parents: the same despawn leaves a cycle. Its components are
  // still in the update list until a collection: `active` keeps them idle.
  {
    auto scene = make<Scene>(Links::strong, assets);
    auto ship = scene->spawn("ship");
    auto turret = scene->spawn("turret", ship);
    auto aim = scene->add<Follow>(turret, WeakRef<Entity>(ship), 1.0f);
    scene->update();
    CHECK_EQ(aim->updates, 1);
    const WeakRef<Entity> w_ship(ship), w_turret(turret);
    scene->despawn(ship);
    ship.reset();
    turret.reset();
    CHECK(w_ship.alive() && w_turret.alive());  // ship <-> turret: a cycle
    CHECK_EQ(scene->updatables.size(), 1);      // still listed...
    scene->update();
    CHECK_EQ(aim->updates, 1);  // ...but never updated again
    aim.reset();
    const std::size_t found = refgc::gc::collect();
    CHECK(!w_ship.alive() && !w_turret.alive());
    // 2 entities, the ship's children list and the Follow (the weak-reference
    // objects it holds are shared with w_ship and w_turret: not garbage),
    // plus one: the update list's weak reference to the Follow, freed right
    // after its callback removed it, which CPython 3.11 counts too (python3:
    // a cycle of two objects, one of them in a live WeakSet: collect() 3).
    CHECK_EQ(found, 2 + 1 + 1 + 1);
    CHECK_EQ(scene->updatables.size(), 0);
  }
  refgc::gc::collect();
  CHECK_EQ(g_entities_alive, base);
  std::printf(
      "hierarchy: weak parents free a despawned subtree by refcount; strong ones wait for the "
      "collector\n");
}

// ---------------------------------------------------------------------------
// 3. The event bus: weak subscribers, WeakMethod systems, dying during a
//    dispatch.

struct ScoreSystem : refgc::Object {
  static constexpr const char* refgc_type_name = "ScoreSystem";
  int explosions = 0;
  void on_explosion(const Event&) { ++explosions; }
};

// A system that brings another one in when it hears its first explosion:
// the recruit hears the next explosions, not the one being dispatched.
struct Recruiter : refgc::Object {
  static constexpr const char* refgc_type_name = "Recruiter";
  Ref<EventBus> bus;
  Ref<ScoreSystem> recruit;
  void trace(refgc::Tracer& t) override {
    t.field("bus", bus);
    t.field("recruit", recruit);
  }
  void on_explosion(const Event&) {
    if (recruit) return;
    recruit = make<ScoreSystem>();
    bus->listen("explosion", recruit, &ScoreSystem::on_explosion);
  }
};

void event_bus() {
  refgc::gc::collect();
  const NoAutomaticCollection paused;
  const int base = g_entities_alive;
  auto assets = make<AssetCache>();
  auto scene = make<Scene>(Links::weak, assets);
  auto score = make<ScoreSystem>();
  scene->bus->listen("explosion", score, &ScoreSystem::on_explosion);

  // Five soldiers in a row; the second carries a radio operator (a child
  // with its own Health). A bomb at x=0, radius 15, kills the first two.
  std::vector<WeakRef<Entity>> soldiers;
  for (int i = 0; i < 5; ++i) {
    auto s = scene->spawn("soldier" + std::to_string(i));
    s->x = static_cast<float>(i) * 10.0f;
    scene->add<Health>(s, 10);
    soldiers.emplace_back(s);
  }
  {
    auto radio = scene->spawn("radio", soldiers[1].lock());
    radio->x = 100;  // out of range itself; it dies with its carrier
    scene->add<Health>(radio, 10);
  }
  CHECK_EQ(scene->bus->subscribers["explosion"].size(), 6);
  auto bomb = scene->spawn("bomb");
  scene->add<Bomb>(bomb, 1, 15.0f, 10);
  bomb.reset();

  const long delivered_before = scene->bus->delivered;
  scene->update();  // the bomb explodes: soldiers 0 and 1 die, and the radio with 1
  // The radio's Health was in the dispatch's snapshot; it died (with its
  // carrier, by refcount) before its turn and was skipped.
  CHECK_EQ(scene->bus->delivered - delivered_before, 5 + 1);  // 5 soldiers, the score system
  CHECK_EQ(g_hits, 2);
  CHECK(!soldiers[0].alive() && !soldiers[1].alive());
  CHECK(soldiers[2].alive() && soldiers[3].alive() && soldiers[4].alive());
  CHECK_EQ(scene->bus->subscribers["explosion"].size(), 3);
  CHECK_EQ(score->explosions, 1);
  CHECK_EQ(g_entities_alive, base + 1 + 3);  // root, 3 soldiers; the bomb despawned itself

  // A system dropped without unsubscribing: its WeakMethod entry is pruned
  // at the next dispatch.
  score.reset();
  CHECK_EQ(scene->bus->methods.size(), 1);
  scene->bus->publish({.type = "explosion", .x = 1000});
  CHECK_EQ(scene->bus->methods.size(), 0);

  // A system that subscribes another during a dispatch: the new one is not
  // called by that dispatch (each loop walks the subscribers of its start).
  auto recruiter = make<Recruiter>();
  recruiter->bus = scene->bus;
  scene->bus->listen("explosion", recruiter, &Recruiter::on_explosion);
  scene->bus->publish({.type = "explosion", .x = 1000});
  CHECK(recruiter->recruit != nullptr);
  if (recruiter->recruit) CHECK_EQ(recruiter->recruit->explosions, 0);
  scene->bus->publish({.type = "explosion", .x = 1000});
  if (recruiter->recruit) CHECK_EQ(recruiter->recruit->explosions, 1);
  recruiter.reset();
  scene.reset();
  CHECK_EQ(g_entities_alive, base);
  std::printf(
      "event bus: subscribers despawned during a dispatch are skipped; a dead system's "
      "WeakMethod is pruned\n");
}

// ---------------------------------------------------------------------------
// 4. The asset cache: shared, loaded once, evicted with the last user.

void asset_cache() {
  refgc::gc::collect();
  const NoAutomaticCollection paused;
  auto assets = make<AssetCache>();
  auto scene = make<Scene>(Links::weak, assets);
  const int gpu_before = g_gpu.in_use;

  std::vector<Ref<Entity>> rocks;
  for (int i = 0; i < 10; ++i) {
    auto rock = scene->spawn("rock" + std::to_string(i));
    scene->add<Sprite>(rock, assets->texture(i % 2 ? "rock.png" : "moss.png"),
                       assets->mesh("rock.obj"));
    rocks.push_back(rock);
  }
  CHECK_EQ(assets->loads, 3);  // two textures, one mesh: each loaded once
  CHECK_EQ(assets->textures.size(), 2);
  CHECK_EQ(g_gpu.in_use - gpu_before, 3);
  // Shared: 5 sprites and nothing else hold rock.png.
  CHECK_EQ(rocks[1]->get<Sprite>()->texture->refcount(), 5);

  g_logging = true;
  g_log.clear();
  // Despawn the mossy rocks (even indices): moss.png's last user goes with
  // the last of them, and the cache evicts it at once.
  for (int i = 0; i < 10; i += 2) {
    scene->despawn(rocks[static_cast<std::size_t>(i)]);
    rocks[static_cast<std::size_t>(i)].reset();
  }
  CHECK(!assets->textures.contains("moss.png"));
  CHECK(assets->textures.contains("rock.png"));
  CHECK_EQ(assets->unloads, 1);
  CHECK_EQ(g_gpu.in_use - gpu_before, 2);
  CHECK(!g_log.empty() && g_log.back() == "unload moss.png");
  // Asked for again: loaded again, with a recycled GPU handle.
  auto moss = assets->texture("moss.png");
  CHECK_EQ(assets->loads, 4);
  moss.reset();
  CHECK_EQ(assets->unloads, 2);

  // The whole scene goes: every asset is evicted, every handle returned.
  rocks.clear();
  scene.reset();
  CHECK_EQ(assets->textures.size(), 0);
  CHECK_EQ(assets->meshes.size(), 0);
  CHECK_EQ(assets->unloads, 4);
  CHECK_EQ(g_gpu.in_use, gpu_before);
  g_logging = false;
  std::printf("assets: loaded once, shared by 10 sprites, evicted with their last user\n");
}

// ---------------------------------------------------------------------------
// 5. Prefab instancing: a deep copy that remaps references into the prefab.

// A turret prefab: base -> head -> barrel; the head's Follow aims at the
// barrel's target marker inside the prefab; the base's Follow follows an
// entity outside it (the player). Both Sprites share one texture.
Ref<Entity> make_turret_prefab(const Ref<AssetCache>& assets, const Ref<Entity>& player) {
  // Built outside any scene: a plain tree with weak parents, never updated.
  auto base = make<Entity>("base");
  auto head = make<Entity>("head");
  auto marker = make<Entity>("marker");
  base->add_child(head, Links::weak);
  head->add_child(marker, Links::weak);
  base->add<Sprite>(assets->texture("turret.png"), assets->mesh("turret.obj"));
  head->add<Sprite>(assets->texture("turret.png"), assets->mesh("turret.obj"));
  head->add<Follow>(WeakRef<Entity>(marker), 0.5f);
  base->add<Follow>(WeakRef<Entity>(player), 0.1f);
  head->add<Health>(30);
  return base;
}

void prefabs() {
  refgc::gc::collect();
  const NoAutomaticCollection paused;
  const int base_alive = g_entities_alive;
  auto assets = make<AssetCache>();
  auto scene = make<Scene>(Links::weak, assets);
  auto player = scene->spawn("player");
  const auto prefab = make_turret_prefab(assets, player);
  const int loads = assets->loads;

  std::vector<Ref<Entity>> turrets;
  for (int i = 0; i < 3; ++i) turrets.push_back(scene->instantiate(prefab));
  CHECK_EQ(assets->loads, loads);  // the copies share the prefab's assets
  CHECK_EQ(g_entities_alive, base_alive + 2 + 3 + 3 * 3);
  WeakRef<Entity> w_copy, w_copy_head;
  {
    const Ref<Entity> t1 = turrets[1];
    const Ref<Entity> head = t1->child(0);
    w_copy = WeakRef<Entity>(t1);
    w_copy_head = WeakRef<Entity>(head);
    CHECK(head->parent() == t1);
    CHECK(head->name == "head" && head->child(0)->name == "marker");
    // Inside the prefab: the head aims at its own copy's marker...
    CHECK(head->get<Follow>()->target.lock() == head->child(0));
    CHECK(head->get<Follow>()->target.lock() != prefab->child(0)->child(0));
    // ...outside it: every copy follows the same player.
    CHECK(t1->get<Follow>()->target.lock() == player);
    CHECK(head->get<Sprite>()->texture == prefab->child(0)->get<Sprite>()->texture);
    // Copies are live: their components are in the update list and their
    // Health on the bus; the prefab's are not.
    CHECK_EQ(scene->updatables.size(), 3 * 3);  // 2 Follows + 1 Health per copy
    CHECK_EQ(scene->bus->subscribers["explosion"].size(), 3);
    player->x = 10;
    scene->update();
    CHECK(std::abs(t1->x - 0.1f) < 1e-5f);  // the base moved toward the player
    CHECK(prefab->x == 0);
  }
  // Despawn one copy: it dies by refcount at once; the prefab and the other
  // copies stay, and so do the shared assets.
  scene->despawn(turrets[1]);
  turrets.erase(turrets.begin() + 1);
  CHECK(!w_copy.alive() && !w_copy_head.alive());
  CHECK_EQ(g_entities_alive, base_alive + 2 + 3 + 2 * 3);
  CHECK_EQ(scene->updatables.size(), 2 * 3);
  CHECK_EQ(scene->bus->subscribers["explosion"].size(), 2);
  CHECK_EQ(assets->textures.size(), 1);
  turrets.clear();
  scene.reset();
  player.reset();
  CHECK_EQ(g_entities_alive, base_alive + 3);  // the prefab
  CHECK_EQ(refgc::gc::collect(), 0);           // nothing was cyclic
  std::printf("prefabs: 3 deep copies, references inside the prefab remapped, assets shared\n");
}

// ---------------------------------------------------------------------------
// 6. A frame update that despawns subtrees while the update list is walked.

std::map<std::string, int> g_updates;  // entity name -> updates of its Spinner

struct Spinner : Component {
  static constexpr const char* refgc_type_name = "Spinner";
  float angle = 0;
  void update(Scene&) override {
    ++updates;
    angle += 1;
    if (const Ref<Entity> e = entity.lock()) ++g_updates[e->name];
  }
  Ref<Component> clone(const CloneMap&) const override { return make<Spinner>(); }
};

// Despawns another entity on a given frame, and notes how many entities were
// alive right after (to see what died during the frame).
struct Despawner : Component {
  static constexpr const char* refgc_type_name = "Despawner";
  WeakRef<Entity> victim;
  int on_frame;
  int alive_after = -1;
  Despawner(WeakRef<Entity> v, int f) : victim(std::move(v)), on_frame(f) {}
  void trace(refgc::Tracer& t) override {
    Component::trace(t);
    t.field("victim", victim);
  }
  void update(Scene& scene) override {
    ++updates;
    if (scene.frame != on_frame) return;
    if (const Ref<Entity> v = victim.lock()) scene.despawn(v);
    alive_after = g_entities_alive;
  }
  Ref<Component> clone(const CloneMap& map) const override {
    return make<Despawner>(remap(map, victim), on_frame);
  }
};

void frame_update(Links links) {
  refgc::gc::collect();
  const NoAutomaticCollection paused;
  g_updates.clear();
  const int base = g_entities_alive;
  auto assets = make<AssetCache>();
  auto scene = make<Scene>(links, assets);
  // Update order: the despawner first, then three squads of a leader and
  // two members each (every one with a Spinner); squad 2's leader carries a
  // Lifetime of 2 frames (it despawns itself, and its squad with it, while
  // its own component is the one being updated).
  auto director = scene->spawn("director");
  std::vector<WeakRef<Entity>> squads;
  for (int s = 0; s < 3; ++s) {
    auto leader = scene->spawn("leader" + std::to_string(s));
    squads.emplace_back(leader);
    scene->add<Spinner>(leader);
    if (s == 2) scene->add<Lifetime>(leader, 2);
    for (int m = 0; m < 2; ++m) {
      auto member = scene->spawn("member" + std::to_string(s) + std::to_string(m), leader);
      scene->add<Spinner>(member);
    }
  }
  auto despawner = scene->add<Despawner>(director, squads[1], 2);
  // The despawner was added last: move it to the front of the update list
  // (a WeakSet keeps insertion order: remove and add the others again).
  {
    std::vector<Ref<Component>> others;
    for (Ref<Component> c : scene->updatables)
      if (c != despawner) others.push_back(c);
    scene->updatables.clear();
    scene->updatables.add(despawner);
    for (const auto& c : others) scene->updatables.add(c);
  }
  director.reset();
  CHECK_EQ(g_entities_alive, base + 1 + 1 + 9);

  scene->update();  // frame 1: everyone
  CHECK_EQ(g_updates["member11"], 1);
  scene->update();  // frame 2: squad 1 despawned first, squad 2 despawns itself
  const bool weak = links == Links::weak;
  // Despawned before their turn: never updated in frame 2.
  CHECK_EQ(g_updates["leader1"], 1);
  CHECK_EQ(g_updates["member10"], 1);
  CHECK_EQ(g_updates["member11"], 1);
  // Squad 2's leader updated its Spinner, then its Lifetime despawned the
  // squad: its members (later in the list) were skipped.
  CHECK_EQ(g_updates["leader2"], 2);
  CHECK_EQ(g_updates["member20"], 1);
  CHECK_EQ(g_updates["member21"], 1);
  CHECK_EQ(g_updates["leader0"], 2);
  // With weak parents, squad 1 died inside the frame, during the despawner's
  // update (by refcount); with strong ones it lives on, inactive, in a cycle.
  CHECK_EQ(despawner->alive_after, base + (weak ? 1 + 1 + 6 : 1 + 1 + 9));
  CHECK_EQ(g_entities_alive, base + (weak ? 1 + 1 + 3 : 1 + 1 + 9));
  CHECK_EQ(scene->updatables.size(), weak ? 1 + 3 : 1 + 1 + 9);
  scene->update();  // frame 3: the zombies are still not updated
  CHECK_EQ(g_updates["member10"], 1);
  CHECK_EQ(g_updates["leader0"], 3);
  const std::size_t found = refgc::gc::collect();
  CHECK_EQ(g_entities_alive, base + 1 + 1 + 3);
  // Strong parents: 6 entities, 2 children lists, 7 components, the
  // weak-reference objects their components hold (one per entity, 4: the
  // two leaders' are shared with `squads` and the despawner, outside the
  // garbage), and the update list's 7 weak references, freed after their
  // callbacks.
  CHECK_EQ(found, weak ? 0 : 6 + 2 + 7 + 4 + 7);
  despawner.reset();
  scene.reset();
  // The rest of the scene: by refcount with weak parents; the root and its
  // children are a cycle with strong ones.
  CHECK_EQ(g_entities_alive, weak ? base : base + 2 + 3);
  refgc::gc::collect();
  CHECK_EQ(g_entities_alive, base);
  std::printf("frame update (%s parents): despawned subtrees are never updated again; %s\n",
              weak ? "weak" : "strong",
              weak ? "they died inside the frame" : "they waited for a collection");
}

// ---------------------------------------------------------------------------
// 7. Destruction hooks, in CPython 3.11's order.

// Gives an entity a GPU handle that refgc::finalize returns to the pool
// (and logs as "release <name>") when the entity dies.
void attach_gpu_handle(const Ref<Entity>& e, std::string name) {
  const int handle = g_gpu.acquire();
  refgc::finalize(e, [handle, name = std::move(name)] {
    g_gpu.release(handle);
    note("release " + name);
  });
}

// A tank (two wheels, a turret with a gun) whose entities return their GPU
// handles through refgc::finalize and run their OnDestroy hook (finalize()).
Ref<Entity> spawn_tank(const Ref<Scene>& scene) {
  auto tank = scene->spawn("tank");
  auto turret = scene->spawn("turret", tank);
  auto gun = scene->spawn("gun", turret);
  auto wheels = scene->spawn("wheels", tank);
  for (const Ref<Entity>& e : {tank, turret, gun, wheels}) attach_gpu_handle(e, e->name);
  return tank;
}

void destruction_hooks() {
  refgc::gc::collect();
  const NoAutomaticCollection paused;
  auto assets = make<AssetCache>();
  const int gpu = g_gpu.in_use;
  g_logging = true;

  // Weak parents, refcount death. python3 3.11.7, the same tree of objects
  // (children in a list, a weakref.ref parent, __del__ and weakref.finalize):
  // each object's __del__, then its weak references' callbacks, then its
  // attributes (the children, last to first: list_dealloc).
  {
    auto scene = make<Scene>(Links::weak, assets);
    auto tank = spawn_tank(scene);
    g_log.clear();
    scene->despawn(tank);
    tank.reset();
    const std::vector<std::string> expected = {
        "on_destroy tank",   "release tank",   "on_destroy wheels", "release wheels",
        "on_destroy turret", "release turret", "on_destroy gun",    "release gun"};
    CHECK(g_log == expected);
    if (g_log != expected)
      for (const auto& line : g_log) std::printf("  got: %s\n", line.c_str());
  }
  CHECK_EQ(g_gpu.in_use, gpu);

  // Strong parents, collector death. python3 3.11.7: every finalizer
  // callback (handle_weakrefs), then every __del__ (finalize_garbage), each
  // in the order the objects were created.
  {
    auto scene = make<Scene>(Links::strong, assets);
    auto tank = spawn_tank(scene);
    g_log.clear();
    scene->despawn(tank);
    tank.reset();
    CHECK(g_log.empty());
    refgc::gc::collect();
    const std::vector<std::string> expected = {
        "release tank",    "release turret",    "release gun",    "release wheels",
        "on_destroy tank", "on_destroy turret", "on_destroy gun", "on_destroy wheels"};
    CHECK(g_log == expected);
    if (g_log != expected)
      for (const auto& line : g_log) std::printf("  got: %s\n", line.c_str());
  }
  CHECK_EQ(g_gpu.in_use, gpu);

  // The same order past the trashcan's depth: a tank at the end of a
  // 100-entity chain (a deep rig), its three wheels released last to
  // first, as in a shallow tree. python3 3.11.7, the same objects:
  // ['on_destroy wheel2', 'on_destroy wheel1', 'on_destroy wheel0'].
  // (refgc drained its deferred deallocations one level shallower than
  // CPython: past the first deferral its deferral points differed, and
  // these wheels went first to last. Fixed in src/object.cc, drain_trash.)
  {
    auto scene = make<Scene>(Links::weak, assets);
    auto top = scene->spawn("rig");
    Ref<Entity> cur = top;
    for (int i = 1; i < 100; ++i) cur = scene->spawn("link", cur);
    for (int k = 0; k < 3; ++k) scene->spawn("wheel" + std::to_string(k), cur);
    cur.reset();
    g_log.clear();
    scene->despawn(top);
    top.reset();
    std::vector<std::string> wheels;
    for (const auto& line : g_log)
      if (line.find("wheel") != std::string::npos) wheels.push_back(line);
    const std::vector<std::string> expected = {"on_destroy wheel2", "on_destroy wheel1",
                                               "on_destroy wheel0"};
    CHECK(wheels == expected);
    CHECK_EQ(g_log.size(), 100 + 3);
  }
  g_logging = false;
  std::printf("destruction hooks: OnDestroy and GPU releases in CPython 3.11's order\n");
}

// ---------------------------------------------------------------------------
// 7b. A bullet pool that recycles by resurrection (PEP 442 in a game).

// A despawned bullet puts itself back into the pool from its OnDestroy hook
// (finalize() storing Ref(this): resurrection). It works once per object:
// finalize() never runs twice, so a recycled bullet that dies again is
// freed, as a Python object whose __del__ resurrected it is.
std::vector<Ref<Entity>> g_bullet_pool;

struct Bullet : Entity {
  static constexpr const char* refgc_type_name = "Bullet";
  using Entity::Entity;
  void finalize() override {
    note("recycle " + name);
    strong_parent = nullptr;  // reset for reuse: no parent in the pool
    weak_parent.reset();
    active = true;
    g_bullet_pool.push_back(Ref<Entity>(this));
  }
};

Ref<Entity> fire_bullet(const Ref<Scene>& scene, const Ref<Entity>& from, const char* name) {
  auto b = make<Bullet>(name);
  from->add_child(b, scene->links);
  attach_gpu_handle(b, name);
  return b;
}

void bullet_pool() {
  refgc::gc::collect();
  const NoAutomaticCollection paused;
  auto assets = make<AssetCache>();
  const int gpu = g_gpu.in_use;
  g_logging = true;

  // Refcount death (python3 3.11.7: ['recycle b1'], then ['release b1'] at
  // the second death): the resurrected bullet keeps its weak references, so
  // its GPU finalizer has not run; the second death runs only the finalizer.
  {
    auto scene = make<Scene>(Links::weak, assets);
    auto b = fire_bullet(scene, scene->root, "b1");
    g_log.clear();
    scene->despawn(b);
    b.reset();
    CHECK(g_log == std::vector<std::string>{"recycle b1"});
    CHECK_EQ(g_bullet_pool.size(), 1);
    CHECK_EQ(g_gpu.in_use, gpu + 1);
    b = g_bullet_pool.back();  // reused
    g_bullet_pool.pop_back();
    scene->root->add_child(b, Links::weak);
    scene->despawn(b);
    b.reset();
    CHECK((g_log == std::vector<std::string>{"recycle b1", "release b1"}));
    CHECK(g_bullet_pool.empty());
    CHECK_EQ(g_gpu.in_use, gpu);
  }

  // Collector death: a bullet in a cycle with its gun (strong parents).
  // python3 3.11.7, the same objects: ['release bullet', 'on_destroy gun',
  // 'recycle bullet'], collect() == 1. The weak references to garbage are
  // cleared, and their callbacks run, before any finalize(): the recycled
  // bullet has lost its GPU handle (a pool must acquire a new one). The
  // gun dies by refcount inside the collection, when the bullet's hook
  // drops its parent, so it is not counted; the 1 is the finalizer's weak
  // reference, freed after its callback.
  {
    auto scene = make<Scene>(Links::strong, assets);
    auto gun = scene->spawn("gun");
    auto b = fire_bullet(scene, gun, "bullet");
    const WeakRef<Entity> w_gun(gun);
    scene->despawn(gun);
    gun.reset();
    b.reset();
    g_log.clear();
    const std::size_t found = refgc::gc::collect();
    CHECK_EQ(found, 1);
    CHECK(
        (g_log == std::vector<std::string>{"release bullet", "on_destroy gun", "recycle bullet"}));
    if (g_log.size() != 3)
      for (const auto& line : g_log) std::printf("  got: %s\n", line.c_str());
    CHECK(!w_gun.alive());
    CHECK_EQ(g_bullet_pool.size(), 1);
    if (!g_bullet_pool.empty()) {
      CHECK_EQ(refgc::getweakrefcount(g_bullet_pool.back()), 0);
      CHECK(g_bullet_pool.back()->parent() == nullptr);
    }
    CHECK_EQ(g_gpu.in_use, gpu);
    g_log.clear();
    g_bullet_pool.clear();  // its finalize() has run: it is simply freed
    CHECK(g_log.empty());
  }
  g_logging = false;
  std::printf("bullet pool: recycled once by resurrection, in CPython 3.11's order\n");
}

// ---------------------------------------------------------------------------
// 8. A level unload: 200,000 entities in one cycle, freed by one collection.

constexpr int kRooms = 1'000;
constexpr int kPropsPerRoom = 199;  // 200,000 entities with the rooms

void level_unload() {
  refgc::gc::collect();
  const int base = g_entities_alive;
  const int components = g_components_alive;
  const int gpu = g_gpu.in_use;
  auto assets = make<AssetCache>();
  const long hooks = g_destroy_hooks;

  auto t0 = std::chrono::steady_clock::now();
  auto level = make<Scene>(Links::strong, assets);
  const auto mesh = assets->mesh("crate.obj");
  for (int r = 0; r < kRooms; ++r) {
    auto room = level->spawn("room");
    // A lightmap per room, returned to the pool when the room dies.
    const int lightmap = g_gpu.acquire();
    refgc::finalize(room, [lightmap] { g_gpu.release(lightmap); });
    level->add<Sprite>(room, assets->texture("floor" + std::to_string(r % 8) + ".png"), mesh);
    for (int p = 0; p < kPropsPerRoom; ++p) {
      auto prop = level->spawn("prop", room);
      if (p % 4 == 0) level->add<Sprite>(prop, assets->texture("crate.png"), mesh);
    }
  }
  const double build = seconds_since(t0);
  const int entities = kRooms * (1 + kPropsPerRoom);
  CHECK_EQ(entities, 200'000);
  CHECK_EQ(g_entities_alive, base + entities + 1);  // and the level's root
  CHECK_EQ(assets->textures.size(), 8 + 1);
  CHECK_EQ(g_gpu.in_use, gpu + kRooms + 8 + 1 + 1);  // lightmaps, textures, the mesh

  // Loaded: the level is frozen (gc.freeze(), as a game does after a load:
  // collections stop examining its 300,000 objects). Then 20 frames of
  // gameplay spawn and despawn 500 projectiles each, a projectile and its
  // trail a cycle (strong parents), left to automatic collection.
  refgc::gc::freeze();
  CHECK(refgc::gc::get_freeze_count() > static_cast<std::size_t>(entities));
  t0 = std::chrono::steady_clock::now();
  for (int f = 0; f < 20; ++f) {
    const Ref<Entity> arena = level->root->child(static_cast<std::size_t>(f));
    for (int i = 0; i < 500; ++i) {
      auto projectile = level->spawn("projectile", arena);
      level->spawn("trail", projectile);
      level->despawn(projectile);
    }
    level->update();
  }
  // A few pairs were alive at a young collection and reached generation 2:
  // a full collection, which does not examine frozen objects, finds them.
  refgc::gc::collect();
  const double gameplay = seconds_since(t0);
  CHECK_EQ(g_entities_alive, base + entities + 1);  // every projectile freed
  CHECK(refgc::gc::get_freeze_count() > static_cast<std::size_t>(entities));

  // Unload: the level's last reference goes, and no entity is freed: every
  // child holds its parent. Automatic collection is off until the one
  // collection that frees them all (as a game pauses it during a level).
  refgc::gc::disable();
  level.reset();
  CHECK_EQ(g_entities_alive, base + entities + 1);
  // Frozen objects are never collected: unfreeze, then one collection.
  CHECK_EQ(refgc::gc::collect(), 0);
  CHECK_EQ(g_entities_alive, base + entities + 1);
  refgc::gc::unfreeze();
  t0 = std::chrono::steady_clock::now();
  const std::size_t found = refgc::gc::collect();
  const double collect = seconds_since(t0);
  refgc::gc::enable();
  CHECK_EQ(g_entities_alive, base);
  CHECK_EQ(g_components_alive, components);
  CHECK_EQ(g_destroy_hooks - hooks, entities + 1 + 20 * 500 * 2);  // and the projectiles
  // Found: the entities and the root, their children lists (the root's and
  // the rooms'), the sprites and the weak-reference objects they hold (one
  // per entity with a sprite), plus the rooms' finalizers' weak references
  // (not garbage: freed right after their callbacks, counted as CPython 3.11
  // counts them). Not the scene and its bus: nothing in the cycle refers to
  // them, so they died by refcount at level.reset().
  const std::size_t sprites = kRooms * (1 + (kPropsPerRoom + 3) / 4);
  CHECK_EQ(found, (entities + 1) + (1 + kRooms) + 2 * sprites + kRooms);
  // The assets' last users died: all evicted, every handle returned (the
  // mesh is still held here).
  CHECK_EQ(assets->textures.size(), 0);
  CHECK_EQ(g_gpu.in_use, gpu + 1);
  std::printf(
      "level unload: %d entities built in %.3f s, frozen; 10,000 projectiles collected "
      "meanwhile in %.3f s; unfrozen, one collection found %zu objects in %.3f s\n",
      entities, build, gameplay, found, collect);
}

// ---------------------------------------------------------------------------
// 9. A 100,000-level hierarchy, on a 256 KiB stack.

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SCENE_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SCENE_SANITIZED 1
#endif
#endif
constexpr int kDepth = 100'000;

// Nests kDepth entities under the scene's root; returns the top one.
Ref<Entity> nest(const Ref<Scene>& scene, const Ref<AssetCache>& assets) {
  Ref<Entity> top = scene->spawn("level0");
  Ref<Entity> cur = top;
  for (int i = 1; i < kDepth; ++i) cur = scene->spawn("level", cur);
  scene->add<Sprite>(cur, assets->texture("leaf.png"), assets->mesh("leaf.obj"));
  return top;
}

std::size_t depth_of(Ref<Entity> e) {
  std::size_t d = 1;
  while (e->child_count() != 0) e = e->child(0), ++d;
  return d;
}

void deep_hierarchies() {
  // This thread's own heap: everything made here dies here.
  const int base = g_entities_alive;
  const int gpu = g_gpu.in_use;
  auto assets = make<AssetCache>();
  auto t0 = std::chrono::steady_clock::now();
  {
    // Weak parents: despawning the top frees the whole chain by refcount,
    // a 100,000-deep release cascade (the trashcan keeps the stack flat).
    auto scene = make<Scene>(Links::weak, assets);
    auto top = nest(scene, assets);
    CHECK_EQ(depth_of(top), kDepth);
    CHECK_EQ(assets->textures.size(), 1);
    scene->despawn(top);
    top.reset();
    CHECK_EQ(g_entities_alive, base + 1);
    CHECK_EQ(assets->textures.size(), 0);
  }
  const double by_refcount = seconds_since(t0);
  t0 = std::chrono::steady_clock::now();
  {
    // Strong parents: the same chain is one big cycle, freed by one
    // collection.
    const NoAutomaticCollection paused;
    auto scene = make<Scene>(Links::strong, assets);
    auto top = nest(scene, assets);
    scene->despawn(top);
    top.reset();
    CHECK_EQ(g_entities_alive, base + 1 + kDepth);
    refgc::gc::collect();
    CHECK_EQ(g_entities_alive, base + 1);
    CHECK_EQ(assets->textures.size(), 0);
  }
  refgc::gc::collect();  // the strong scene's root
  const double by_collection = seconds_since(t0);
  t0 = std::chrono::steady_clock::now();
  {
    // A deep prefab, instanced (the copy walks an explicit stack), then
    // the copy and the prefab dropped.
    auto scene = make<Scene>(Links::weak, assets);
    const auto prefab = make<Entity>("level0");
    Ref<Entity> cur = prefab;
    for (int i = 1; i < kDepth; ++i) {
      auto next = make<Entity>("level");
      cur->add_child(next, Links::weak);
      cur = next;
    }
    cur->add<Spinner>();
    cur.reset();
    auto copy = scene->instantiate(prefab);
    CHECK_EQ(depth_of(copy), kDepth);
    CHECK_EQ(scene->updatables.size(), 1);  // the copy's Spinner
    scene->update();
    CHECK_EQ(g_entities_alive, base + 1 + 2 * kDepth);
  }
  CHECK_EQ(g_entities_alive, base);
  CHECK_EQ(g_gpu.in_use, gpu);
  std::printf(
      "deep hierarchy on a 256 KiB stack: %d levels freed by refcount in %.3f s, by one "
      "collection in %.3f s; instanced as a prefab and freed in %.3f s\n",
      kDepth, by_refcount, by_collection, seconds_since(t0));
}

// ---------------------------------------------------------------------------
// 10. The leak hunt: a system that forgot to unsubscribe.

// The level's minimap: it marks some entities, and redraws when the window
// is resized (an event of the engine's input bus, which outlives levels).
struct Minimap : refgc::Object {
  static constexpr const char* refgc_type_name = "Minimap";
  std::vector<Ref<Entity>> markers;
  int token = 0;
  int redraws = 0;
  void trace(refgc::Tracer& t) override { t.field("markers", markers); }
  void on_resize(const Event&) { ++redraws; }
};

struct Engine {
  Ref<EventBus> input = make<EventBus>();  // window and input events
  Ref<AssetCache> assets = make<AssetCache>();
};

constexpr int kNpcs = 50;
constexpr int kMarkers = 5;  // every tenth NPC

Ref<Scene> load_level(Engine& engine) {
  auto scene = make<Scene>(Links::weak, engine.assets);
  auto minimap = make<Minimap>();
  for (int i = 0; i < kNpcs; ++i) {
    auto npc = scene->spawn("npc" + std::to_string(i));
    scene->add<Sprite>(npc, engine.assets->texture("npc.png"), engine.assets->mesh("npc.obj"));
    if (i % 10 == 0) minimap->markers.push_back(npc);
  }
  // A closure, so the bus holds it strongly (a weakly held closure would
  // die at once): it must be removed with off() when the level goes.
  minimap->token = engine.input->on(
      "window_resized", Handler([](Minimap& m, const Event& e) { m.on_resize(e); }, minimap));
  scene->systems.push_back(minimap);
  return scene;
}

// The bug: the level's systems are dropped with it, but the minimap's
// handler stays on the engine's bus.
void leaky_unload(Engine&, Ref<Scene>& level) { level.reset(); }

void fixed_unload(Engine& engine, Ref<Scene>& level) {
  for (const auto& system : level->systems)
    if (auto* m = dynamic_cast<Minimap*>(system.get()))
      engine.input->off("window_resized", m->token);
  level.reset();
}

void leak_hunt() {
  refgc::gc::collect();
  Engine engine;
  const int base = g_entities_alive;

  // Something grows: 5 levels loaded and unloaded, the window resized in
  // each.
  refgc::diag::growth();  // the baseline
  for (int i = 0; i < 5; ++i) {
    auto level = load_level(engine);
    engine.input->publish({.type = "window_resized"});
    leaky_unload(engine, level);
  }
  std::size_t grown_entities = 0, grown_minimaps = 0;
  for (const auto& row : refgc::diag::growth()) {
    std::printf("growth: %-22s %6zu %+7lld\n", row.type.c_str(), row.count,
                static_cast<long long>(row.delta));
    if (row.type == "Entity") grown_entities = row.delta;
    if (row.type == "Minimap") grown_minimaps = row.delta;
  }
  CHECK_EQ(grown_entities, 5 * kMarkers);  // the markers, not the other NPCs
  CHECK_EQ(grown_minimaps, 5);
  CHECK_EQ(g_entities_alive, base + 5 * kMarkers);

  // Which objects does one level leave behind?
  WeakRef<Entity> w_marker;
  {
    refgc::diag::LeakCheck scope;
    auto level = load_level(engine);
    w_marker = WeakRef<Entity>(level->root->child(0));  // npc0, marked
    leaky_unload(engine, level);
    const auto report = scope.check();
    std::cout << "leak check after unloading a level:\n" << report;
    std::size_t entities = 0, minimaps = 0;
    for (const auto& row : report.by_type) {
      if (row.type == "Entity") entities = row.count;
      if (row.type == "Minimap") minimaps = row.count;
    }
    CHECK_EQ(entities, kMarkers);
    CHECK_EQ(minimaps, 1);
  }
  CHECK(w_marker.alive());

  // Who holds the marked NPC? The chain names each link by its holder's
  // field: the engine's bus, its window_resized handlers, the closure's
  // capture, the minimap's markers.
  {
    const Ref<Entity> npc = w_marker.lock();
    const auto chain = refgc::diag::find_backref_chain(npc);
    const std::string text = refgc::diag::describe_chain(chain);
    std::printf("backref chain: %s\n", text.c_str());
    CHECK_STR(without_addresses(text),
              "EventBus@.. .handlers['window_resized'] -> function@.. .captures[0] -> "
              "Minimap@.. .markers[0] -> Entity@..");
    CHECK(chain.size() == 4 && chain.front().get() == engine.input.get());
  }
  // The fix for the running game: the leaked handlers go (the six minimaps
  // are their only subscribers), and everything they held dies by refcount.
  engine.input->handlers.erase("window_resized");
  CHECK(!w_marker.alive());
  CHECK_EQ(g_entities_alive, base);

  // The fix for the code: fixed_unload() leaves nothing behind.
  {
    refgc::diag::LeakCheck scope;
    for (int i = 0; i < 3; ++i) {
      auto level = load_level(engine);
      engine.input->publish({.type = "window_resized"});
      fixed_unload(engine, level);
    }
    const auto report = scope.check();
    if (!report.empty()) std::cout << report;
    CHECK(report.empty());
  }
  CHECK_EQ(g_entities_alive, base);
  std::printf("leak hunt: the minimap's forgotten handler found, named and fixed\n");
}

}  // namespace

int main() {
  const auto t0 = std::chrono::steady_clock::now();
  hierarchy();
  event_bus();
  asset_cache();
  prefabs();
  frame_update(Links::weak);
  frame_update(Links::strong);
  destruction_hooks();
  bullet_pool();
  level_unload();
  example::run_on_small_stack(256 * 1024, deep_hierarchies);
  leak_hunt();
  refgc::gc::collect();
  CHECK_EQ(g_entities_alive, 0);
  CHECK_EQ(g_components_alive, 0);
  CHECK_EQ(g_gpu.in_use, 0);
  std::printf("total %.3f s, %s\n", seconds_since(t0), g_failures ? "FAILED" : "all checks passed");
  return g_failures ? 1 : 0;
}
