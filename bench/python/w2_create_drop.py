"""W2: create one object with two reference fields and drop it at once, 10M times."""
import common


def main():
    a = common.args(__doc__, 10_000_000)
    cls = common.S

    def loop(count):
        for _ in range(count):
            cls()

    loop(a.n // 20)  # warm-up
    t0 = common.now()
    loop(a.n)
    t1 = common.now()
    common.emit("W2", (t1 - t0) / a.n, "ns/object", n=a.n,
                note="class S: __slots__ = ('a', 'b'); loop `for _ in range(n): S()`")


if __name__ == "__main__":
    main()
