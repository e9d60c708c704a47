#!/usr/bin/env python3
"""Runs the benchmark suite and writes bench/results/latest.{md,json}, pause.csv
and pause.svg. Called by bench/run.sh; stdlib only.

Every measurement is one process: the C++ binary (refgc_bench) for refgc,
shared_ptr, the intrusive pointers and Boehm, `python3 bench/python/*.py` for
CPython. Within each repetition the systems of a workload run one after the
other (interleaved, in an order rotated each repetition), so that a slow
phase of a noisy machine hits every system of that workload alike. Per
(metric, system) the median of the per-process values and the minimum of the
per-process minima are reported. A target's ratio is paired: for each
repetition in which both systems ran (back to back, in the same group), the
ratio of refgc's value to the anchor's; the median of those per-repetition
ratios is the figure checked against the target. A slow phase of the shared
machine then slows both sides of a pair instead of one side's median. The
ratio of the two medians is reported next to it.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(HERE)
PY = os.path.join(BENCH, "python")

DISPLAY = {
    "refgc": "refgc",
    "refgc-nogc": "refgc, gc.disable()",
    "intrusive": "intrusive, non-atomic (new/delete)",
    "intrusive-atomic": "intrusive, atomic",
    "shared_ptr": "std::shared_ptr (make_shared)",
    "boehm": "Boehm GC_MALLOC",
    "cpython": "CPython 3.11 __slots__",
    "cpython-weakref": "CPython 3.11 __slots__ + __weakref__",
    "cpython-weakref-nogc": "CPython 3.11 __slots__ + __weakref__, gc.disable()",
}

# W6 metrics (per object) and the target's wording; each is compared pair by
# pair: refgc against CPython as both run by default, and with automatic
# collection off on both sides (cyclic: off on both sides always).
W6_METRICS = [
    ("create", "weakref create (no callback)"),
    ("create-callback", "weakref create with callback"),
    ("drop-callback", "drop, each with a callback weakref, until every callback ran"),
    ("dict-insert", "WeakValueDictionary insert"),
    ("dict-drop", "WeakValueDictionary values dropped"),
]


def label(n):
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000}K"
    return str(n)


# ---------------------------------------------------------------------------
# The plan: which processes to run, how often.
# ---------------------------------------------------------------------------

class Sizes:
    def __init__(self, quick):
        self.quick = quick
        self.w1 = 10_000_000 if quick else 100_000_000
        self.w2 = 1_000_000 if quick else 10_000_000
        self.w3 = 100_000 if quick else 1_000_000
        self.w4 = 100_000 if quick else 1_000_000
        self.w4_small = 1_000
        self.w5 = 1_000_000 if quick else 10_000_000
        self.w5_nested = 100_000 if quick else 1_000_000
        self.w6 = 100_000 if quick else 1_000_000
        self.w7 = 1_000_000
        self.w8 = 100_000 if quick else 1_000_000
        self.pause = [1_000, 10_000, 100_000, 1_000_000] + ([] if quick else [10_000_000])
        # repetitions (processes) per variant
        self.reps_fast = 2 if quick else 7
        # W1 processes are short (~0.1 s) and their speed is bimodal on a
        # shared VM (a whole process runs at ~0.63 or ~0.92 ns for the
        # intrusive pointer, 0.68 or 1.17 for refgc, with ASLR on or off):
        # more processes make the median a property of the code.
        self.reps_w1 = 3 if quick else 15
        self.reps_slow = 1 if quick else 3
        self.reps_w4 = 1 if quick else 5
        self.reps_w6 = 2 if quick else 5
        self.reps_w8 = 2 if quick else 5
        # refgc's W5 chain with automatic collection on: building it once took
        # minutes with the first collector; 1.5 s now, so as many runs as the rest.
        self.reps_w5_refgc_default = self.reps_slow


class Job:
    def __init__(self, group, system, cmd, reps):
        self.group, self.system, self.cmd, self.reps = group, system, cmd, reps


def plan(binary, python, sz):
    def cxx(workload, system, variant=None, n=None):
        cmd = [binary, "--workload", workload, "--system", system]
        if variant:
            cmd += ["--variant", variant]
        if n:
            cmd += ["--n", str(n)]
        return cmd

    def py(script, *extra):
        return [python, os.path.join(PY, script)] + [str(e) for e in extra]

    jobs = []
    F, S = sz.reps_fast, sz.reps_slow
    for v in ("never-threaded", "threaded"):
        for s in ("refgc", "intrusive", "intrusive-atomic", "shared_ptr"):
            jobs.append(Job(f"W1 {v}", s, cxx("W1", s, v, sz.w1), sz.reps_w1))
    for s in ("refgc", "refgc-nogc", "intrusive", "shared_ptr", "boehm"):
        jobs.append(Job("W2", s, cxx("W2", s, n=sz.w2), F))
    jobs.append(Job("W2", "cpython", py("w2_create_drop.py", "--n", sz.w2), F))
    for s in ("refgc", "boehm"):
        jobs.append(Job("W3", s, cxx("W3", s, n=sz.w3), F))
    jobs.append(Job("W3", "cpython", py("w3_cycles.py", "--n", sz.w3), F))
    for shape in ("tree", "list+chain"):
        for s in ("refgc", "boehm"):
            jobs.append(Job(f"W4 {shape}", s, cxx("W4", s, shape, sz.w4), sz.reps_w4))
        jobs.append(Job(f"W4 {shape}", "cpython",
                        py("w4_live_heap.py", "--variant", shape, "--n", sz.w4), sz.reps_w4))
    jobs.append(Job("W4 small old heap", "refgc", cxx("W4", "refgc", "tree", sz.w4_small),
                    sz.reps_w4))
    jobs.append(Job("W4 small old heap", "cpython",
                    py("w4_live_heap.py", "--variant", "tree", "--n", sz.w4_small), sz.reps_w4))
    jobs.append(Job("W5 chain", "refgc", cxx("W5", "refgc", "chain", sz.w5),
                    sz.reps_w5_refgc_default))
    for s in ("refgc-nogc", "shared_ptr", "intrusive"):
        jobs.append(Job("W5 chain", s, cxx("W5", s, "chain", sz.w5), S))
    jobs.append(Job("W5 chain", "cpython", py("w5_chain.py", "--variant", "chain", "--n", sz.w5), S))
    for s in ("refgc", "refgc-nogc"):
        jobs.append(Job("W5 nested", s, cxx("W5", s, "nested-lists", sz.w5_nested), S))
    jobs.append(Job("W5 nested", "cpython",
                    py("w5_chain.py", "--variant", "nested-lists", "--n", sz.w5_nested), S))
    for s in ("shared_ptr", "intrusive"):
        jobs.append(Job("W5 crash threshold", s, cxx("W5-threshold", s, n=sz.w5), 1))
    for v in ("create", "drop", "dict", "cyclic"):
        systems = ("refgc",) if v == "cyclic" else ("refgc", "refgc-nogc")
        for s in systems:
            jobs.append(Job(f"W6 {v}", s, cxx("W6", s, v, sz.w6), sz.reps_w6))
        jobs.append(Job(f"W6 {v}", "cpython-weakref",
                        py("w6_weakref.py", "--variant", v, "--n", sz.w6), sz.reps_w6))
        if v != "cyclic":
            jobs.append(Job(f"W6 {v}", "cpython-weakref-nogc",
                            py("w6_weakref.py", "--variant", v, "--gc", "off", "--n", sz.w6),
                            sz.reps_w6))
    for s in ("refgc", "refgc-nogc", "intrusive", "shared_ptr", "boehm"):
        jobs.append(Job("W7", s, cxx("W7", s, n=sz.w7), S))
    for v in ("slots", "slots+weakref"):
        jobs.append(Job("W7", "cpython", py("w7_footprint.py", "--variant", v, "--n", sz.w7), S))
    jobs.append(Job("W7 one live weakref", "refgc", cxx("W7", "refgc", "one-weakref", sz.w7), S))
    jobs.append(Job("W7 one live weakref", "cpython-weakref",
                    py("w7_footprint.py", "--variant", "one-weakref", "--n", sz.w7), S))
    jobs.append(Job("W8", "refgc", cxx("W8", "refgc", "list+chain", sz.w8), sz.reps_w8))
    jobs.append(Job("W8", "cpython", py("w8_diag.py", "--n", sz.w8), sz.reps_w8))
    for n in sz.pause:
        for s in ("refgc", "boehm"):
            jobs.append(Job(f"pause {label(n)}", s, cxx("pause", s, n=n), S))
        jobs.append(Job(f"pause {label(n)}", "cpython", py("pause.py", "--n", n), S))
    return jobs


def select(jobs, only):
    """The jobs of the workloads named in `only` ("W8", "W4,W8", "pause"): a
    group is selected when its first word ("W4" of "W4 tree") or its whole name
    ("W4 tree") is listed."""
    wanted = {w.strip() for w in only.split(",") if w.strip()}
    picked = [j for j in jobs if j.group in wanted or j.group.split()[0] in wanted]
    if not picked:
        groups = sorted({j.group.split()[0] for j in jobs})
        raise SystemExit(f"driver: --only {only}: no such workload (have: {', '.join(groups)})")
    return picked


def have_boehm(binary):
    out = subprocess.run([binary, "--list"], capture_output=True, text=True, check=True).stdout
    return any(line.split()[1:2] == ["boehm"] for line in out.splitlines())


def pinned_cpus():
    """The CPUs each repetition is pinned to in turn (all this process may use)."""
    try:
        return sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return []


def run_all(jobs, log):
    """Runs the jobs interleaved: repetition r runs every group's jobs (systems
    in an order rotated by r) whose reps > r, all pinned to one CPU, the next
    one for the next repetition. On this VM one virtual CPU at a time can run
    ~1.8x slower for seconds (W2: 8.0 against 14-15 ns on one CPU while the
    other stays at 8.0): the processes of one repetition, whose values make
    the pairs of the paired ratios, then share the same CPU's conditions."""
    samples, failures = [], []
    cpus = pinned_cpus()
    groups = []
    for j in jobs:
        if j.group not in groups:
            groups.append(j.group)
    max_reps = max(j.reps for j in jobs)
    t_start = time.time()
    for rep in range(max_reps):
        for g in groups:
            members = [j for j in jobs if j.group == g and j.reps > rep]
            if not members:
                continue
            k = rep % len(members)
            cpu = cpus[rep % len(cpus)] if cpus else None
            pin = (lambda c=cpu: os.sched_setaffinity(0, {c})) if cpu is not None else None
            for j in members[k:] + members[:k]:
                t0 = time.time()
                try:
                    p = subprocess.run(j.cmd, capture_output=True, text=True, timeout=1800,
                                       preexec_fn=pin)
                    rc, out, err = p.returncode, p.stdout, p.stderr
                except subprocess.TimeoutExpired as e:
                    rc, out, err = "timeout", (e.stdout or b"").decode(), "timeout after 1800 s"
                dt = time.time() - t0
                log(f"[{time.time() - t_start:7.1f}s] rep {rep + 1} cpu {cpu} {g:<22} "
                    f"{j.system:<16} {dt:6.2f}s rc={rc}")
                for line in out.splitlines():
                    line = line.strip()
                    if line.startswith("{"):
                        rec = json.loads(line)
                        rec["rep"] = rep
                        rec["group"] = g
                        samples.append(rec)
                if rc != 0:
                    failures.append({"group": g, "system": j.system, "cmd": " ".join(j.cmd),
                                     "rc": str(rc), "stderr": err.strip()[-2000:]})
                    log(f"    FAILED: {err.strip()[-500:]}")
    return samples, failures, time.time() - t_start


# ---------------------------------------------------------------------------
# Aggregation, targets, report.
# ---------------------------------------------------------------------------

def summarize(samples):
    by = {}
    order = []
    for r in samples:
        key = (r["metric"], r["system"])
        if key not in by:
            by[key] = []
            order.append(key)
        by[key].append(r)
    out = {}
    for key in order:
        recs = by[key]
        vals = [r["value"] for r in recs if r["value"] is not None]
        crashed = [r for r in recs if r["value"] is None]
        entry = {"metric": key[0], "system": key[1], "unit": recs[0]["unit"],
                 "runs": len(recs), "group": recs[0]["group"]}
        if vals:
            entry["median"] = statistics.median(vals)
            entry["by_rep"] = {r["rep"]: r["value"] for r in recs if r["value"] is not None}
            entry["min"] = min(r.get("min", r["value"]) for r in recs if r["value"] is not None)
        if crashed:
            entry["crashed_signal"] = crashed[0].get("crashed_signal")
            entry["crashed_runs"] = len(crashed)
        notes = sorted({r.get("note", "") for r in recs if r.get("note")})
        if notes:
            entry["note"] = notes[-1]
        out[key] = entry
    return out


def targets(sz):
    """(id, text, numerator key, denominator key or None, limit, kind)."""
    w4 = f"old={label(sz.w4)}"
    small = f"old={label(sz.w4_small)}"
    ch = f"W5/chain-{label(sz.w5)}"
    ne = f"W5/nested-lists-{label(sz.w5_nested)}"
    t = [
        ("W1 refgc / intrusive (never threaded)", ("W1/never-threaded", "refgc"),
         ("W1/never-threaded", "intrusive"), 1.3),
        ("W1 refgc / intrusive (threaded)", ("W1/threaded", "refgc"),
         ("W1/threaded", "intrusive"), 1.3),
        ("W1 refgc / shared_ptr (threaded)", ("W1/threaded", "refgc"),
         ("W1/threaded", "shared_ptr"), 0.2),
        ("W2 refgc / new-delete", ("W2", "refgc"), ("W2", "intrusive"), 0.7),
        ("W3 refgc / CPython, per freed object", ("W3", "refgc"), ("W3", "cpython"), 0.2),
    ]
    for shape in ("tree", "list+chain"):
        t += [
            (f"W4 full ({shape}) refgc / CPython", (f"W4/full/{shape}/{w4}", "refgc"),
             (f"W4/full/{shape}/{w4}", "cpython"), 0.25),
            (f"W4 full ({shape}) refgc / Boehm", (f"W4/full/{shape}/{w4}", "refgc"),
             (f"W4/full/{shape}/{w4}", "boehm"), 1.0),
            (f"W4 young empty ({shape}) refgc / CPython", (f"W4/young-empty/{shape}/{w4}", "refgc"),
             (f"W4/young-empty/{shape}/{w4}", "cpython"), 0.3),
            (f"W4 young +1,000 ({shape}) refgc / CPython", (f"W4/young-1000/{shape}/{w4}", "refgc"),
             (f"W4/young-1000/{shape}/{w4}", "cpython"), 0.3),
        ]
    t += [
        (f"W4 young empty independent of old heap: refgc {w4} / {small}",
         (f"W4/young-empty/tree/{w4}", "refgc"), (f"W4/young-empty/tree/{small}", "refgc"), 2.0),
        (f"W4 young +1,000 independent of old heap: refgc {w4} / {small}",
         (f"W4/young-1000/tree/{w4}", "refgc"), (f"W4/young-1000/tree/{small}", "refgc"), 2.0),
    ]
    for sysname in ("refgc", "refgc-nogc"):
        tag = "" if sysname == "refgc" else " (gc disabled)"
        t += [
            (f"W5 chain finishes with constant stack{tag}", (f"{ch}/time", sysname), None, None),
            (f"W5 chain drop time refgc{tag} / CPython", (f"{ch}/time", sysname),
             (f"{ch}/time", "cpython"), 0.5),
            (f"W5 chain peak RSS refgc{tag} / CPython", (f"{ch}/peak-rss", sysname),
             (f"{ch}/peak-rss", "cpython"), 0.7),
            (f"W5 nested lists drop time refgc{tag} / CPython", (f"{ne}/time", sysname),
             (f"{ne}/time", "cpython"), 0.5),
            (f"W5 nested lists peak RSS refgc{tag} / CPython", (f"{ne}/peak-rss", sysname),
             (f"{ne}/peak-rss", "cpython"), 0.7),
        ]
    for metric, what in W6_METRICS:
        t.append((f"W6 {what}: refgc / CPython", (f"W6/{metric}", "refgc"),
                  (f"W6/{metric}", "cpython-weakref"), 0.2))
    t.append(("W6 cyclic (one collection, every callback ran): refgc / CPython",
              ("W6/cyclic", "refgc"), ("W6/cyclic", "cpython-weakref"), 0.2))
    for metric, what in W6_METRICS:
        t.append((f"W6 {what}, gc disabled on both sides: refgc / CPython",
                  (f"W6/{metric}", "refgc-nogc"), (f"W6/{metric}", "cpython-weakref-nogc"), 0.2))
    for m in ("requested", "allocator", "rss"):
        t.append((f"W7 {m} bytes per object <= 32 B", (f"W7/{m}", "refgc"), None, 32.0))
    w8 = f"n={label(sz.w8)}"
    t += [
        (f"W8 get_referrers(obj), one call over {label(sz.w8)} live objects: refgc / CPython",
         (f"W8/get_referrers/{w8}", "refgc"), (f"W8/get_referrers/{w8}", "cpython"), 1.0),
        (f"W8 census by type over {label(sz.w8)} live objects: refgc most_common_types(0) / "
         "CPython Counter(type(o).__name__ for o in gc.get_objects())",
         (f"W8/census/{w8}", "refgc"), (f"W8/census/{w8}", "cpython"), 1.0),
    ]
    return t


def evaluate(summary, sz):
    results = []
    for text, num, den, limit in targets(sz):
        n = summary.get(num)
        d = summary.get(den) if den else None
        r = {"target": text, "numerator": list(num), "denominator": list(den) if den else None,
             "limit": limit}
        if n is None or (den and d is None):
            r.update(value=None, met=None, why="not measured")
        elif limit is None:  # "finishes": not crashed
            r.update(value=None, met="crashed_signal" not in n,
                     why="finished" if "crashed_signal" not in n else
                     f"crashed (signal {n['crashed_signal']})")
        elif "median" not in n or (d is not None and "median" not in d):
            r.update(value=None, met=None, why="crashed")
        elif d is None:  # bytes per object, compared in whole bytes
            r.update(value=n["median"], met=round(n["median"]) <= limit, unit=n["unit"])
        else:
            of_medians = n["median"] / d["median"] if d["median"] else float("inf")
            pairs = paired_ratios(n, d)
            ratio = statistics.median(pairs) if pairs else of_medians
            r.update(value=ratio, met=ratio <= limit, unit="x", of_medians=of_medians,
                     pairs=len(pairs))
        results.append(r)
    return results


def paired_ratios(n, d):
    """refgc's value over the anchor's, per repetition in which both ran."""
    nr, dr = n.get("by_rep", {}), d.get("by_rep", {})
    return [nr[k] / dr[k] for k in sorted(nr) if k in dr and dr[k]]


def fmt(v):
    if v is None:
        return "—"
    a = abs(v)
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.2f}"
    return f"{v:.3g}"


def fmt_ratio(v):
    if v >= 100:
        return f"{v:,.0f}x"
    if v >= 10:
        return f"{v:.1f}x"
    return f"{v:.3f}x"  # enough digits to see which side of a limit it falls


def table_order(summary):
    """Summary keys in report order: as measured, except that W6's rows (several
    metrics per process) are grouped by metric, systems in a fixed order."""
    keys = list(summary)
    w6 = [k for k in keys if k[0].startswith("W6/")]
    metric_pos = {}
    for k in w6:
        metric_pos.setdefault(k[0], len(metric_pos))
    systems = ["refgc", "refgc-nogc", "cpython-weakref", "cpython-weakref-nogc"]
    w6.sort(key=lambda k: (metric_pos[k[0]], systems.index(k[1]) if k[1] in systems else 99))
    it = iter(w6)
    return [next(it) if k[0].startswith("W6/") else k for k in keys]


def peer_of(system):
    """The refgc system a row is compared with: gc-disabled rows with refgc's."""
    return "refgc-nogc" if system.endswith("-nogc") else "refgc"


def cell_value(e, key):
    if key not in e:
        return f"crashed (signal {e.get('crashed_signal')})" if "crashed_signal" in e else "—"
    return fmt(e[key])


def write_markdown(path, meta, summary, evaluated, failures, sz):
    lines = []
    lines.append("# refgc benchmark results")
    lines.append("")
    lines.append(f"- date: {meta['date']}")
    lines.append(f"- machine: {meta['nproc']} cores, {meta['cpu']}, {meta['mem']}; "
                 f"load average at start {meta['load_start']}, at end {meta['load_end']}")
    lines.append(f"- compilers: {meta['cxx']}; refgc_bench built {meta['build_type']} "
                 f"with `{meta['flags'].strip()}`")
    lines.append(f"- python3: {meta['python']}")
    lines.append(f"- refgc under test: {meta['refgc']}")
    lines.append(f"- Boehm: {meta['boehm']}")
    kind = "quick smoke run" if sz.quick else "full run"
    if meta.get("only"):
        kind += f", only {meta['only']}"
    lines.append(f"- command: `{meta['command']}` ({kind}, {meta['elapsed_s']:.0f} s)")
    lines.append("")
    lines.append("Workloads and targets: shared/spec/benchmarks.md. Each value is the median "
                 "over separate processes (column *runs*); *min* is the smallest value seen "
                 "(for in-process repeated timings, the smallest single timing). *refgc ÷ this* "
                 "is refgc's median divided by this row's median (< 1: refgc is faster/smaller). "
                 "*target* and *met?* belong to the ratio on the same row (or, on a refgc row, "
                 "to an absolute target).")
    lines.append("")
    lines.append("| workload | system | median | min | unit | refgc ÷ this | target | met? | runs |")
    lines.append("|---|---|---|---|---|---|---|---|---|")
    tmap = {}
    for r in evaluated:
        key = tuple(r["denominator"]) if r["denominator"] else tuple(r["numerator"])
        if r["denominator"] and r["numerator"][1] != peer_of(r["denominator"][1]):
            continue  # e.g. W5's refgc-nogc targets: summary table only
        tmap.setdefault(key, []).append(r)
    for key in table_order(summary):
        e = summary[key]
        metric, system = key
        if metric.startswith("pause/"):
            continue
        ratio = "—"
        if not system.startswith("refgc"):
            peer = peer_of(system)
            ref = summary.get((metric, peer))
            if ref and "median" in ref and "median" in e and e["median"]:
                ratio = fmt_ratio(ref["median"] / e["median"])
                if peer != "refgc":
                    ratio += f" ({DISPLAY[peer]} ÷ this)"
        else:
            for r in tmap.get(key, []):
                if r["denominator"] and r["value"] is not None:  # refgc against refgc
                    ratio = (f"{fmt_ratio(r['value'])} "
                             f"({r['numerator'][0].rsplit('/', 1)[-1]} ÷ this)")
        tg, met = [], []
        for r in tmap.get(key, []):
            if r["limit"] is None:
                tg.append("finishes")
            else:
                tg.append(f"≤ {r['limit']:g}{'x' if r['denominator'] else ' B'}")
            met.append("—" if r["met"] is None else ("yes" if r["met"] else "**NO**"))
        runs = str(e["runs"]) + (f" ({e['crashed_runs']} crashed)" if e.get("crashed_runs") else "")
        lines.append(f"| {metric} | {DISPLAY.get(system, system)} | {cell_value(e, 'median')} | "
                     f"{cell_value(e, 'min')} | {e['unit']} | {ratio} | {'; '.join(tg) or ''} | "
                     f"{'; '.join(met) or ''} | {runs} |")
    lines.append("")
    lines.append("## Targets")
    lines.append("")
    lines.append("*measured*: for a ratio, the median of the per-repetition ratios (refgc's "
                 "process and the anchor's ran back to back in each repetition; *pairs* of "
                 "them); *ratio of medians* is the median of refgc's runs over the median of "
                 "the anchor's, as in the table above. The first decides *met?*.")
    lines.append("")
    lines.append("| target | measured | ratio of medians | pairs | limit | met? |")
    lines.append("|---|---|---|---|---|---|")
    for r in evaluated:
        of_medians, pairs = "", ""
        if r["limit"] is None:
            measured, limit = r["why"], "finishes"
        elif r["value"] is None:
            measured, limit = r["why"], f"{r['limit']:g}"
        else:
            unit = "x" if r["denominator"] else " B"
            shown = fmt_ratio(r["value"]) if r["denominator"] else f"{r['value']:.3g} B"
            measured, limit = shown, f"≤ {r['limit']:g}{unit}"
            if r["denominator"]:
                of_medians, pairs = fmt_ratio(r["of_medians"]), str(r["pairs"])
        met = "—" if r["met"] is None else ("yes" if r["met"] else "**NO**")
        lines.append(f"| {r['target']} | {measured} | {of_medians} | {pairs} | {limit} | {met} |")
    met_n = sum(1 for r in evaluated if r["met"] is True)
    lines.append("")
    lines.append(f"{met_n} of {len(evaluated)} targets met.")
    lines.append("")
    if any(m.startswith("W7/") for m, _ in summary):
        lines.extend(w7_weakref_section(summary))
    if any(m.startswith("pause/") for m, _ in summary):
        lines.extend(pause_section(summary, sz))
    if failures:
        lines.append("## Failures")
        lines.append("")
        for f in failures:
            lines.append(f"- {f['group']} / {f['system']}: exit {f['rc']}: `{f['cmd']}`: "
                         f"{f['stderr'].splitlines()[-1] if f['stderr'] else ''}")
        lines.append("")
    lines.append("## How it was run")
    lines.append("")
    lines.extend(METHOD_NOTES(sz))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def pause_section(summary, sz):
    lines = ["## Collector pause against heap size"]
    lines.append("")
    lines.append("Full collection of a balanced binary tree of N live objects "
                 "(pause.csv, pause.svg):")
    lines.append("")
    lines.append("| live objects | " + " | ".join(DISPLAY[s] + " (ms)" for s in ("refgc", "cpython", "boehm")) + " |")
    lines.append("|---|---|---|---|")
    for n in sz.pause:
        row = [label(n)]
        for s in ("refgc", "cpython", "boehm"):
            e = summary.get((f"pause/{label(n)}", s))
            row.append(fmt(e.get("median")) if e else "—")
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    lines.append("![pause against heap size](pause.svg)")
    lines.append("")
    return lines


def w7_weakref_section(summary):
    """W7 for weak-reference-capable objects: refgc's bytes next to CPython's
    __slots__ + __weakref__, without and with one live weak reference each."""
    def cell(metric, system):
        e = summary.get((metric, system))
        return fmt(e["median"]) if e and "median" in e else "—"
    rows = [
        ("refgc (every object weak-reference capable, weak list in a side table)", "refgc"),
        (DISPLAY["cpython-weakref"], "cpython-weakref"),
        (DISPLAY["cpython"] + " (not weak-reference capable)", "cpython"),
    ]
    out = ["## W7: weak-reference-capable objects", "",
           "Bytes per object (median). *No weak reference*: the W7 rows above (refgc "
           "objects are weak-reference capable at no per-object cost; CPython needs the "
           "`__weakref__` slot). *One live weak reference each*: 1M objects each with one "
           "callback-less weak reference (`weakref.ref(o)` / `refgc::WeakRef<Node>(o)`) "
           "kept alive; the bytes cover the object, its weak-reference object and the "
           "weak bookkeeping (refgc: the side-table entry), not the holder arrays.", "",
           "| system | no weak reference: requested | allocator | RSS | "
           "one live weak reference each: allocator | RSS |",
           "|---|---|---|---|---|---|"]
    metrics = ("W7/requested", "W7/allocator", "W7/rss", "W7/one-live-weakref/allocator",
               "W7/one-live-weakref/rss")
    for name, system in rows:
        out.append(f"| {name} | " + " | ".join(cell(m, system) for m in metrics) + " |")
    ratios = []
    for m in metrics:
        r = summary.get((m, "refgc"))
        c = summary.get((m, "cpython-weakref"))
        ok = r and c and "median" in r and "median" in c and c["median"]
        ratios.append(fmt_ratio(r["median"] / c["median"]) if ok else "—")
    out.append("| refgc ÷ CPython __slots__ + __weakref__ | " + " | ".join(ratios) + " |")
    out.append("")
    return out


def METHOD_NOTES(sz):
    return [
        f"- Sizes: W1 {label(sz.w1)} copies; W2 {label(sz.w2)} objects; W3 {label(sz.w3)} "
        f"cycles; W4 {label(sz.w4)} live objects (and {label(sz.w4_small)} for the "
        f"old-heap-independence check); W5 chain {label(sz.w5)}, nested lists "
        f"{label(sz.w5_nested)}; W6 {label(sz.w6)} objects; W7 {label(sz.w7)} objects; "
        f"W8 {label(sz.w8)} live objects; pause "
        + ", ".join(label(n) for n in sz.pause) + ".",
        f"- Repetitions (separate processes, interleaved): {sz.reps_w1} for W1 (its short "
        f"processes run in one of two speeds on a shared VM), {sz.reps_fast} for W2-W3, "
        f"{sz.reps_w6} for W6, {sz.reps_w8} for W8, "
        f"{sz.reps_w4} for W4, {sz.reps_slow} for W5, W7 and the pause curve; every process "
        "of one repetition is pinned to the same CPU (the next CPU for the next repetition); "
        "in-process repeats: W1 5 slices at each of 8 code placements (below), W2 "
        "200 slices of the loop (median slice reported, fastest as min), W4 full x5, "
        "young empty 50 batches of 100 collections (per collection; CPython's bare loop time "
        "taken off) and young +1,000 x30, W8 each call x5, pause x3. The crash thresholds are "
        "found once by bisection.",
        "- Targets are checked on paired ratios: in every repetition each workload's systems "
        "run back to back, so refgc's value over the anchor's in the same repetition is one "
        "pair; the median over the pairs is *measured* in the Targets table. On this shared "
        "VM whole minutes run 1.5x slower; a pair sees the same minute, two medians need not. "
        "The ratio of the medians is shown next to it.",
        "- Every variant is its own process: W1 never-threaded runs in a process that never "
        "started a thread (`__libc_single_threaded` checked), W1 threaded in one that started "
        "and joined a thread first.",
        "- W1 loop: `{ Handle copy(h); asm volatile(\"\" :: \"r,m\"(copy) : \"memory\"); }` — the "
        "barrier makes the increment and decrement go through memory for every system alike. "
        "Each system's loop function is compiled 8 times, starting 0, 8, ..., 56 bytes past a "
        "64-byte boundary, the placements timed in turn (5 slices each); a process reports the "
        "median over the placements of each placement's median slice (latest.json's *by_offset* "
        "lists them), so the figure does not depend on where the linker put one copy of the loop. "
        "g++ aligns refgc's loop head (a jump target) to 8 bytes, so its 8 copies have their loop "
        "heads at 4 offsets mod 64, each twice; the other systems' at 8 (objdump, 2026-11-23).",
        "- refgc rows run as refgc does by default (automatic collection on, thresholds "
        "700/10/10); *refgc, gc.disable()* rows call `refgc::gc::disable()` first. W3/W4/pause "
        "disable automatic collection while building, for every system. The *note* field in "
        "latest.json gives refgc's collection counts per generation.",
        "- CPython scripts call `gc.freeze()` before building their heaps (W3, W4, pause), so "
        "a collection examines only the benchmark's objects; W2/W5/W7 run CPython as it is.",
        "- Boehm: GC_MALLOC(16) nodes, no destructors; GC_gcollect() for a full collection "
        "(run with automatic collection re-enabled for the call); no thread is ever started in "
        "a Boehm process, so it marks with one thread. Boehm has no young collection.",
        "- W3: refgc's collect() must return 2,000,000 and so must CPython's gc.collect() "
        "(checked; a mismatch fails the run). Boehm returns no count.",
        "- W5: each C++ variant runs in a forked child; a child killed by a signal is reported "
        "as *crashed (signal N)* (SIGSEGV = 11: stack overflow in the recursive destructor). "
        "Peak RSS is the process's VmHWM (C++) or ru_maxrss (CPython), build included.",
        "- W7: requested = bytes asked of the allocator per object (refgc/intrusive "
        "sizeof(Node), make_shared its control block with the node inside, Boehm 16, CPython "
        "sys.getsizeof incl. the GC header); allocator = growth of refgc's "
        "`Heap::reserved_bytes()`, glibc's mallinfo2().uordblks, Boehm's GC_get_total_bytes(), "
        "pymalloc's 'bytes in allocated blocks'; rss = growth of resident anonymous memory "
        "(RssAnon: the heap; pages of program code touched for the first time are not "
        "bytes per object) with the holder array allocated and touched before the "
        "baseline. All divided by the count. "
        "The <= 32 B target is checked on the value rounded to whole bytes (refgc's pool "
        "reserves 256 KiB chunks, so the last, partly used chunk adds ~0.2 B per object "
        "over 1M objects).",
        "- W6: one process per variant and system, fresh heap. *create*: `weakref.ref(o)` / "
        "`refgc::WeakRef<Node>(o)` on each of the live objects (the first weak reference to "
        "each), kept in a list/vector. *drop*: first the drop of as many objects without weak "
        "references (*drop-no-weakref*, baseline), then fresh objects each get one weak "
        "reference with a callback that counts (*create-callback*; CPython: a Python function "
        "doing `nonlocal calls; calls += 1`; refgc: a C++ lambda `[&](const WeakRef<Node>&) "
        "{ ++calls; }`), and the objects are dropped (`del hold` / destroying the vector): "
        "*drop-callback* is the time until the last callback ran; every callback must have "
        "run and every weak reference must be dead (checked). *dict*: "
        "`WeakValueDictionary` (CPython `weakref.WeakValueDictionary`, refgc "
        "`WeakValueDictionary<std::size_t, Node>`), n inserts `d[i] = o_i` (*dict-insert*), "
        "then the values are dropped (*dict-drop*; the dictionary must end up empty). "
        "*cyclic*: self-cycles `o.a = o`, each with a callback weak reference; automatic "
        "collection off (CPython also `gc.freeze()`s first); handles dropped; one full "
        "collection timed; all callbacks must have run (checked). Weak references are kept "
        "alive by the benchmark throughout (a dead weak reference's callback never runs). "
        "CPython objects are `__slots__ = ('a', 'b', '__weakref__')`. *refgc* and *CPython* "
        "rows run with automatic collection on (each one's default; the weak-reference "
        "objects are tracked by the collector in both); the *gc.disable()* rows turn it off "
        "on both sides and are compared pair by pair (these match the spec's anchor figures).",
        "- W7 one live weak reference: allocator = for refgc the growth of everything malloc "
        "holds (mallinfo2 uordblks + hblkhd: pool chunks, the weak side table, the "
        "generation vectors; `Heap::reserved_bytes()` alone, the pool, is in latest.json as "
        "allocator_bytes_only), for CPython pymalloc's bytes in allocated blocks; "
        "rss as above.",
        "- W4 'young cost independent of the old heap' is checked as: young collection with "
        f"a {label(sz.w4)}-object old heap at most 2x the same with a {label(sz.w4_small)}-object "
        "old heap.",
        "- W8 (diagnostics cost): the W4 list+chain heap (one list holding n-1 nodes, node "
        "i's `a` is node i+1; n tracked objects), automatic collection off, everything in the "
        "oldest generation; CPython `gc.freeze()`s the interpreter's objects first, so "
        "`gc.get_referrers` and `gc.get_objects` see only the benchmark's (they skip the "
        "permanent generation). *get_referrers*: one `refgc::gc::get_referrers(obj)` / "
        "`gc.get_referrers(obj)` for node (n-1)/2 (must return 2: the list and the previous "
        "node). *census*: `refgc::diag::most_common_types(0)` against "
        "`collections.Counter(type(o).__name__ for o in gc.get_objects())` (the nodes' count "
        "must be n-1). *backref-chain*: `refgc::diag::find_backref_chain(obj)` (must be "
        "[list, obj]); refgc only (objgraph is not installed), no target. Times are per call "
        "(ms), median of 5 calls per process; latest.json also has ns_per_object.",
    ]


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"


def source_state():
    """(HEAD, uncommitted files in src/ and include/, a digest of their changes).
    Taken when the driver starts (run.sh has just built the binary) and again at
    the end: a change during the run is not in the measured binary."""
    root = os.path.dirname(BENCH)
    head = sh(f"git -C {root} rev-parse --short HEAD")
    files = sh(f"git -C {root} status --porcelain -- src include")
    digest = sh(f"(git -C {root} diff HEAD -- src include; "
                f"git -C {root} ls-files --others --exclude-standard -z -- src include "
                f"| xargs -0 -r cat) | sha1sum")
    return head, files, digest


def describe_source(start, end):
    head, files, _ = start
    text = head + (" + uncommitted changes in src/ or include/" if files else "")
    if end is not None and end != start:
        changed = ", ".join(sorted({line.split(maxsplit=1)[-1]
                                    for line in (start[1] + "\n" + end[1]).splitlines()
                                    if line.strip()}))
        text += (" (state when the run started, i.e. as built; src/ or include/ changed during "
                 f"the run and the change is not measured: {changed or 'HEAD moved'})")
    return text


def machine_meta(build_dir, command, elapsed, load_start, source=None):
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = sh("free -g | awk '/Mem:/ {print $2\" GiB RAM\"}'")
    info = {}
    try:
        with open(os.path.join(build_dir, "bench", "build-info.txt")) as f:
            for line in f:
                k, _, v = line.partition("=")
                info[k.strip()] = v.strip()
    except OSError:
        pass
    return {
        "date": sh("date -u"),
        "nproc": sh("nproc"),
        "cpu": cpu,
        "mem": mem,
        "cxx": sh("g++ --version | head -1") + " (CMake: " + info.get("compiler", "?") + ")",
        "build_type": info.get("build_type", "?"),
        "flags": info.get("flags", "?"),
        "boehm": info.get("boehm") or "not found: adapter left out",
        "python": sh("python3 --version") + " (" + platform.python_implementation() + ")",
        "kernel": platform.release(),
        "refgc": describe_source(source or source_state(), source_state() if source else None),
        "command": command,
        "elapsed_s": elapsed,
        "load_start": load_start,
        "load_end": round(os.getloadavg()[0], 2),
    }


def write_pause(out_dir, summary, sz):
    rows = []
    for (metric, system), e in summary.items():
        if metric.startswith("pause/") and "median" in e:
            n = None
            for cand in sz.pause:
                if metric == f"pause/{label(cand)}":
                    n = cand
            rows.append((system, n, e["median"], e["min"]))
    rows.sort()
    path = os.path.join(out_dir, "pause.csv")
    with open(path, "w") as f:
        f.write("system,live_objects,median_ms,min_ms,ns_per_object\n")
        for system, n, med, mn in rows:
            f.write(f"{system},{n},{med:.6g},{mn:.6g},{med * 1e6 / n:.4g}\n")
    return path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--python", default="python3")
    ap.add_argument("--out", required=True)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--command", default="bench/run.sh")
    ap.add_argument("--only", metavar="W[,W...]",
                    help="run only these workloads (e.g. W8, or W4,W8, or 'W4 tree'); the "
                         "report then lists only their rows and targets")
    ap.add_argument("--from-json", metavar="LATEST_JSON",
                    help="rewrite the report from a previous run's samples (no benchmark runs)")
    a = ap.parse_args()

    sz = Sizes(a.quick)
    os.makedirs(a.out, exist_ok=True)

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    if a.from_json:
        with open(a.from_json) as f:
            old = json.load(f)
        samples, failures, meta = old["samples"], old["failures"], old["meta"]
        elapsed = meta["elapsed_s"]
    else:
        jobs = plan(a.bin, a.python, sz)
        if a.only:
            jobs = select(jobs, a.only)
        if not have_boehm(a.bin):
            jobs = [j for j in jobs if j.system != "boehm"]
        load_start = round(os.getloadavg()[0], 2)
        source = source_state()
        samples, failures, elapsed = run_all(jobs, log)
        meta = machine_meta(a.build_dir, a.command, elapsed, load_start, source)
        if a.only:
            meta["only"] = a.only
    summary = summarize(samples)
    evaluated = evaluate(summary, sz)
    if a.only:  # the other workloads' targets are not measured on purpose
        evaluated = [r for r in evaluated if r.get("why") != "not measured"]

    write_markdown(os.path.join(a.out, "latest.md"), meta, summary, evaluated, failures, sz)
    csv_path = write_pause(a.out, summary, sz)
    with open(os.path.join(a.out, "latest.json"), "w") as f:
        json.dump({"meta": meta, "summary": list(summary.values()), "targets": evaluated,
                   "failures": failures, "samples": samples}, f, indent=1)
    if any(m.startswith("pause/") for m, _ in summary):
        subprocess.run([a.python, os.path.join(HERE, "plot_pause.py"), csv_path,
                        os.path.join(a.out, "pause.svg")], check=True)
    met = sum(1 for r in evaluated if r["met"] is True)
    log(f"done in {elapsed:.0f} s: {met}/{len(evaluated)} targets met; "
        f"{len(failures)} failures; results in {a.out}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
