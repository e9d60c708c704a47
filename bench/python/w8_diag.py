"""W8: the cost of the diagnostics on a live heap of n tracked objects (the W4
list+chain shape: one list holding n-1 __slots__ nodes, node i's `a` is node
i+1), after gc.freeze() (the interpreter's own objects are invisible to
gc.get_referrers and gc.get_objects), automatic collection off. The target is
node (n-1)//2, held by a local variable too. Each call is timed --inner times
(default 5):

  get_referrers  gc.get_referrers(obj): one full heap scan; must find 2
  census         collections.Counter(type(o).__name__ for o in gc.get_objects());
                 the nodes' row must be n-1

refgc's third row (diag::find_backref_chain) has no counterpart here:
objgraph is not installed."""
import collections
import gc

import common


def main():
    a = common.args(__doc__, 1_000_000, variants=["list+chain"])
    gc.disable()
    gc.freeze()
    n = a.n
    if n < 4:
        raise SystemExit("W8: n must be at least 4")
    heap = common.build_list_chain(n)
    obj = heap[(n - 1) // 2]
    gc.collect()  # everything now sits in the oldest generation
    reps = a.inner or 5
    label = f"n={common.size_label(n)}"

    def report(what, api, samples):
        med, mn = common.stats(samples)
        common.emit(f"W8/{what}/{label}", med / 1e6, "ms", min=mn / 1e6,
                    ns_per_object=med / n, inner=reps, api=api)

    samples = []
    for _ in range(reps):
        t0 = common.now()
        found = gc.get_referrers(obj)
        samples.append(common.now() - t0)
        if len(found) != 2:
            raise SystemExit(f"W8 get_referrers: got {len(found)}, expected 2")
        del found
    report("get_referrers", "gc.get_referrers(obj)", samples)

    samples = []
    for _ in range(reps):
        t0 = common.now()
        counts = collections.Counter(type(o).__name__ for o in gc.get_objects())
        samples.append(common.now() - t0)
        if counts["S"] != n - 1:
            raise SystemExit(f"W8 census: got {counts['S']}, expected {n - 1}")
        del counts
    report("census", "collections.Counter(type(o).__name__ for o in gc.get_objects())",
           samples)
    del obj, heap


if __name__ == "__main__":
    main()
