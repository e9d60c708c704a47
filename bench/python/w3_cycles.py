"""W3: 1M two-object cycles, automatic collection off, every handle dropped;
one full gc.collect() timed. It must report 2,000,000."""
import gc

import common


def main():
    a = common.args(__doc__, 1_000_000)
    gc.disable()
    gc.freeze()
    pairs = a.n
    hold = []
    for _ in range(pairs):
        x = common.S()
        y = common.S()
        x.a = y
        y.a = x
        hold.append(x)
        hold.append(y)
    del hold, x, y
    t0 = common.now()
    found = gc.collect()
    t1 = common.now()
    if found != 2 * pairs:
        raise SystemExit(f"W3: gc.collect() returned {found}, expected {2 * pairs}")
    common.emit("W3", (t1 - t0) / (2 * pairs), "ns/freed object",
                total_ms=(t1 - t0) / 1e6, collected=found)


if __name__ == "__main__":
    main()
