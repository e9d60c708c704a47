"""Collector pause against heap size: a full gc.collect() of a balanced binary
tree of n live objects (after gc.freeze() of the interpreter's own objects)."""
import gc

import common


def main():
    a = common.args(__doc__, 1_000_000)
    gc.disable()
    gc.freeze()
    tree = common.build_tree(a.n)
    gc.collect()
    reps = a.inner or 3
    samples = []
    for _ in range(reps):
        t0 = common.now()
        gc.collect()
        samples.append(common.now() - t0)
    med, mn = common.stats(samples)
    common.emit(f"pause/{common.size_label(a.n)}", med / 1e6, "ms", min=mn / 1e6,
                live_objects=a.n, inner=reps)
    del tree


if __name__ == "__main__":
    main()
