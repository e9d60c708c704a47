"""Shared helpers for the CPython side of the benchmark suite.

Each script runs one workload once and prints one JSON object per
measurement on stdout, in the same format as the C++ binary (refgc_bench):

    {"metric": "W2", "system": "cpython", "value": 66.1, "unit": "ns/object"}

The "object with two reference fields" is a __slots__ class without __init__
(shared/spec/benchmarks.md). Before building their heaps, the collector
workloads call gc.freeze(): the interpreter's own tracked objects (modules,
functions, ...) move to the permanent generation, so a collection examines
only the benchmark's objects, as in the C++ systems.
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

SYSTEM = "cpython"


class S:
    """The object with two reference fields."""
    __slots__ = ("a", "b")


class SW:
    """The same with weak-reference support (one more slot: __weakref__)."""
    __slots__ = ("a", "b", "__weakref__")


now = time.perf_counter_ns


def emit(metric, value, unit, system=SYSTEM, **extra):
    rec = {"metric": metric, "system": system, "value": value, "unit": unit}
    rec.update(extra)
    sys.stdout.write(json.dumps(rec) + "\n")
    sys.stdout.flush()


def stats(samples):
    return statistics.median(samples), min(samples)


def size_label(n):
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000}K"
    return str(n)


def current_rss_bytes():
    """Resident anonymous memory (RssAnon): the heap, not the pages of
    program code touched for the first time (bench/harness/harness.cc
    measures the same)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    return 0


def peak_rss_bytes():
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def args(description, default_n, variants=None):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--n", type=int, default=default_n)
    p.add_argument("--inner", type=int, default=0)
    if variants:
        p.add_argument("--variant", choices=variants, default=variants[0])
    return p.parse_args()


def build_tree(n):
    """A balanced binary tree of exactly n nodes, allocated in pre-order."""
    if n == 0:
        return None
    root = S()
    left = (n - 1) // 2
    root.a = build_tree(left)
    root.b = build_tree(n - 1 - left)
    return root


def build_list_chain(n):
    """One list holding n-1 nodes; node i's `a` is node i+1 (n objects)."""
    lst = []
    prev = None
    for _ in range(n - 1):
        node = S()
        if prev is not None:
            prev.a = node
        prev = node
        lst.append(node)
    return lst


def build_chain(length):
    """A chain of `length` new nodes; returns the head."""
    head = None
    for _ in range(length):
        node = S()
        node.a = head
        head = node
    return head
