"""W4: 1M live tracked objects (a balanced binary tree, or a list + chain), no
garbage: a full collection timed, then young collections (gc.collect(0))
empty and with 1,000 new objects."""
import gc

import common


def main():
    a = common.args(__doc__, 1_000_000, variants=["tree", "list+chain"])
    gc.disable()
    gc.freeze()
    n = a.n
    label = f"{a.variant}/old={common.size_label(n)}"
    if a.variant == "tree":
        heap = common.build_tree(n)
    else:
        heap = common.build_list_chain(n)
    keep = []  # created before the warm-up: old, like the C++ side's holder
    gc.collect()  # everything now sits in the oldest generation

    reps = a.inner or 5
    full = []
    for _ in range(reps):
        t0 = common.now()
        found = gc.collect()
        full.append(common.now() - t0)
        if found:
            raise SystemExit("W4: the live heap has garbage")
    med, mn = common.stats(full)
    common.emit(f"W4/full/{label}", med / n, "ns/live object", min=mn / n,
                median_ms=med / 1e6, inner=reps)

    # Timed in batches of 100 (a single empty collection is shorter than a
    # clock read), per collection; the C++ side does the same.
    # The bare loop's own time is measured alongside and taken off (in
    # CPython's favour).
    empty, loop = [], []
    collect = gc.collect
    for _ in range(50):
        t0 = common.now()
        for _ in range(100):
            pass
        t1 = common.now()
        for _ in range(100):
            collect(0)
        t2 = common.now()
        loop.append((t1 - t0) / 100)
        empty.append((t2 - t1) / 100)
    overhead = min(loop)
    empty = [max(e - overhead, 0.0) for e in empty]
    med, mn = common.stats(empty)
    common.emit(f"W4/young-empty/{label}", med / 1e3, "us", min=mn / 1e3, inner=50,
                batch=100)

    with_new = []
    for _ in range(30):
        keep.append(common.build_chain(1000))  # 1,000 new tracked objects
        t0 = common.now()
        gc.collect(0)
        with_new.append(common.now() - t0)
    med, mn = common.stats(with_new)
    common.emit(f"W4/young-1000/{label}", med / 1e3, "us", min=mn / 1e3, inner=30)
    del heap


if __name__ == "__main__":
    main()
