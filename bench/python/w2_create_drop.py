"""W2: create one object with two reference fields and drop it at once, 10M times."""
import common


def main():
    a = common.args(__doc__, 10_000_000)
    cls = common.S

    def loop(count):
        for _ in range(count):
            cls()

    loop(a.n // 20)  # warm-up
    chunks = a.inner or 200  # timed slices, as in the C++ W2
    per_chunk = a.n // chunks
    ns = []
    for _ in range(chunks):
        t0 = common.now()
        loop(per_chunk)
        ns.append((common.now() - t0) / per_chunk)
    med, mn = common.stats(ns)
    common.emit("W2", med, "ns/object", min=mn, n=per_chunk * chunks, inner=chunks,
                note="class S: __slots__ = ('a', 'b'); loop `for _ in range(n): S()`")


if __name__ == "__main__":
    main()
