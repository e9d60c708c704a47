"""W6: weak references, 1M objects of the weak-reference-capable class
(common.SW: __slots__ = ('a', 'b', '__weakref__')). One variant per process:

  create   weakref.ref(o) on each of n live objects (the first, callback-less
           weak reference to each), kept in a list
  drop     n objects without weak references dropped (baseline); then n fresh
           objects each get one weak reference with a Python callback (timed:
           create-callback) and are dropped with `del hold` (timed until the
           last callback ran; every callback must have run)
  dict     a weakref.WeakValueDictionary: n inserts d[i] = o_i (timed), then
           the n values are dropped (timed; the dictionary must end up empty)
  cyclic   n self-cycles (o.a = o), each with a callback weak reference,
           gc.disable() + gc.freeze(), handles dropped; one gc.collect() timed;
           every callback must have run

Times are per object. The collector runs as it does by default (system
"cpython-weakref"), or is off with --gc off (gc.disable() first; system
"cpython-weakref-nogc"); cyclic always disables it, as in W3."""
import argparse
import gc
import weakref

import common

SYSTEM = "cpython-weakref"


def emit(metric, t_ns, n, **extra):
    common.emit(f"W6/{metric}", t_ns / n, "ns/object", system=SYSTEM,
                total_ms=t_ns / 1e6, n=n, **extra)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--n", type=int, default=1_000_000)
    p.add_argument("--variant", choices=["create", "drop", "dict", "cyclic"], default="drop")
    p.add_argument("--gc", choices=["on", "off"], default="on")
    return p.parse_args()


def make_all(n, self_cycle=False):
    cls = common.SW
    hold = [cls() for _ in range(n)]
    if self_cycle:
        for o in hold:
            o.a = o
    return hold


def main():
    global SYSTEM
    a = parse_args()
    if a.gc == "off":
        gc.disable()
        SYSTEM = "cpython-weakref-nogc"
    n = a.n
    now = common.now
    ref = weakref.ref

    if a.variant == "create":
        hold = make_all(n)
        t0 = now()
        weaks = [ref(o) for o in hold]
        t1 = now()
        if any(w() is None for w in weaks):
            raise SystemExit("W6 create: a weak reference is dead")
        emit("create", t1 - t0, n, note="weaks = [ref(o) for o in hold]")
        del hold
        if any(w() is not None for w in weaks):
            raise SystemExit("W6 create: a weak reference is still alive")

    elif a.variant == "drop":
        plain = make_all(n)
        t0 = now()
        del plain
        t1 = now()
        emit("drop-no-weakref", t1 - t0, n)

        calls = 0

        def callback(w):
            nonlocal calls
            calls += 1

        hold = make_all(n)
        t0 = now()
        weaks = [ref(o, callback) for o in hold]
        t1 = now()
        emit("create-callback", t1 - t0, n, note="weaks = [ref(o, callback) for o in hold]")
        t0 = now()
        del hold
        t1 = now()
        if calls != n:
            raise SystemExit(f"W6 drop: {calls} callbacks ran, expected {n}")
        if any(w() is not None for w in weaks):
            raise SystemExit("W6 drop: a weak reference is still alive")
        emit("drop-callback", t1 - t0, n, note="callback: nonlocal calls; calls += 1")

    elif a.variant == "dict":
        hold = make_all(n)
        d = weakref.WeakValueDictionary()
        t0 = now()
        for i in range(n):
            d[i] = hold[i]
        t1 = now()
        if len(d) != n:
            raise SystemExit("W6 dict: wrong size after the inserts")
        emit("dict-insert", t1 - t0, n, note="for i in range(n): d[i] = hold[i]")
        t0 = now()
        del hold
        t1 = now()
        if len(d) != 0:
            raise SystemExit(f"W6 dict: {len(d)} entries left after the drop")
        emit("dict-drop", t1 - t0, n)

    else:  # cyclic
        gc.disable()
        gc.freeze()
        calls = 0

        def callback(w):
            nonlocal calls
            calls += 1

        hold = make_all(n, self_cycle=True)
        weaks = [ref(o, callback) for o in hold]
        del hold
        if calls != 0:
            raise SystemExit("W6 cyclic: a callback ran before the collection")
        t0 = now()
        found = gc.collect()
        t1 = now()
        if calls != n:
            raise SystemExit(f"W6 cyclic: {calls} callbacks ran, expected {n}")
        if any(w() is not None for w in weaks):
            raise SystemExit("W6 cyclic: a weak reference is still alive")
        emit("cyclic", t1 - t0, n, collected=found, callbacks=calls)


if __name__ == "__main__":
    main()
