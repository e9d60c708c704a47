"""W5: a 10M-long chain (each node holds the next) loses its head; or 1M
nested lists lose the outermost one. Time of the drop and peak RSS. The
collector runs as it does by default."""
import common


def main():
    a = common.args(__doc__, 0, variants=["chain", "nested-lists"])
    nested = a.variant == "nested-lists"
    n = a.n or (1_000_000 if nested else 10_000_000)
    metric = f"W5/{a.variant}-{common.size_label(n)}"
    t0 = common.now()
    if nested:
        head = []
        for _ in range(n - 1):
            head = [head]
    else:
        head = common.build_chain(n)
    t1 = common.now()
    head = None
    t2 = common.now()
    common.emit(f"{metric}/time", (t2 - t1) / n, "ns/object", total_ms=(t2 - t1) / 1e6)
    common.emit(f"{metric}/build", (t1 - t0) / n, "ns/object", total_ms=(t1 - t0) / 1e6)
    common.emit(f"{metric}/peak-rss", common.peak_rss_bytes() / 2**20, "MiB")


if __name__ == "__main__":
    main()
