"""W7: bytes per live object with two reference fields, over 1M objects:
requested (sys.getsizeof, GC header included), allocator (pymalloc's bytes in
allocated blocks) and RSS growth. Variant "slots": __slots__ = ('a', 'b');
"slots+weakref": with '__weakref__' too (weak-reference capable);
"one-weakref": slots+weakref objects that each have one live weak reference
(weakref.ref(o), kept in a list allocated before the baseline): bytes per
object then cover the object and its weak reference."""
import os
import re
import sys
import tempfile
import weakref

import common


def pymalloc_allocated_bytes():
    """'# bytes in allocated blocks' from sys._debugmallocstats() (stderr)."""
    with tempfile.TemporaryFile(mode="w+") as f:
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(f.fileno(), 2)
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        f.seek(0)
        text = f.read()
    m = re.search(r"# bytes in allocated blocks\s*=\s*([\d,]+)", text)
    return int(m.group(1).replace(",", ""))


def main():
    a = common.args(__doc__, 1_000_000, variants=["slots", "slots+weakref", "one-weakref"])
    cls = common.S if a.variant == "slots" else common.SW
    system = "cpython" if a.variant == "slots" else "cpython-weakref"
    n = a.n
    if a.variant == "one-weakref":
        one_weakref(cls, system, n)
        return
    hold = [None] * n  # the holder exists (and is touched) before the baseline
    pymalloc_allocated_bytes()  # warm the helper itself
    rss0 = common.current_rss_bytes()
    alloc0 = pymalloc_allocated_bytes()
    for i in range(n):
        hold[i] = cls()
    alloc1 = pymalloc_allocated_bytes()
    rss1 = common.current_rss_bytes()
    common.emit("W7/requested", sys.getsizeof(hold[0]), "B/object", system=system)
    common.emit("W7/allocator", (alloc1 - alloc0) / n, "B/object", system=system)
    common.emit("W7/rss", (rss1 - rss0) / n, "B/object", system=system)


def one_weakref(cls, system, n):
    ref = weakref.ref
    hold = [None] * n
    weaks = [None] * n
    pymalloc_allocated_bytes()
    rss0 = common.current_rss_bytes()
    alloc0 = pymalloc_allocated_bytes()
    for i in range(n):
        o = cls()
        hold[i] = o
        weaks[i] = ref(o)
    del o
    alloc1 = pymalloc_allocated_bytes()
    rss1 = common.current_rss_bytes()
    common.emit("W7/one-live-weakref/allocator", (alloc1 - alloc0) / n, "B/object", system=system,
                requested=sys.getsizeof(hold[0]) + sys.getsizeof(weaks[0]))
    common.emit("W7/one-live-weakref/rss", (rss1 - rss0) / n, "B/object", system=system)


if __name__ == "__main__":
    main()
