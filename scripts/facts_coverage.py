#!/usr/bin/env python3
"""CPython-facts coverage: maps every verified fact (A1-I89) of section 3 of
shared/spec/cpython-semantics.md to the tests that cite it.

  scripts/facts_coverage.py --write   regenerate docs/cpython-facts-coverage.md
  scripts/facts_coverage.py --check   fail if a fact has neither a citing test
                                      nor a documented reason (CTest runs this)

A test cites a fact by its id (section letter and number: `fact G66`,
`§3 A4`, a range `E51-E55`) in the comment lines right above its TEST macro
or in a comment inside its body. An id whose letter is not its number's
section (F73 for G73) is not a citation; --check reports those written after
"fact" or "spec", and a bare number after "fact".
"""
import re
import sys

sys.dont_write_bytecode = True  # CTest runs this: write nothing into the source tree
from coverage_common import ROOT, gtest_cases, main_guard, md_cell, run, spec_copy  # noqa: E402

DOC = ROOT / "docs" / "cpython-facts-coverage.md"
SPEC = "cpython-semantics.md"

DICT_TRACKING = "docs/design/collector.md, \"Dicts are tracked as CPython tracks dicts\""

# Facts about Python objects that nothing in refgc's API corresponds to, and
# why (naming refgc's nearest analogue). Every other fact must be cited by a
# test.
NOT_APPLICABLE = {
    9: "a C++ class is not an object: a refgc type leaves nothing to collect (a Python class's "
       "dict, `__mro__`/`__bases__` tuples and getset descriptors have no counterpart)",
    17: "refgc has no legacy `tp_del` finalizers, so no collection leaves uncollectable objects "
        "(the stats' and `CollectInfo`'s `uncollectable` stay 0: A6); the PEP 442 case, a cycle "
        "with finalizers, is A6",
    35: "refgc has no tuple type; the dict counterpart, untracked by a full collection, is C37 "
        "(" + DICT_TRACKING + ")",
    36: "refgc has no tuple type, nested or not (" + DICT_TRACKING + ")",
    38: "refgc has no tuple type; a `Dict` holding only atoms is untracked by a full "
        "collection (C37)",
    50: "refgc has no legacy `tp_del` finalizers, so nothing is uncollectable at exit, and it "
        "has no warnings channel for the ResourceWarning; the exit collection itself is D49",
    72: "`weakref.proxy` is optional in api.md and refgc has none (test_weakref's proxy tests "
        "are not ported); `WeakRef<T>()` gives a null `Ref` once the referent died, where a "
        "proxy raises ReferenceError",
    76: "a weak reference cannot be subclassed: `WeakRef<T>` is a handle to a final "
        "weak-reference object (SubclassableWeakrefTestCase is not ported); what a subclass "
        "would carry goes in the callback's captures, and the callback receives the weak "
        "reference itself (E53)",
}

# Facts that are tested, with a note on how refgc's analogue differs: on
# purpose (the test asserts refgc's answer and says CPython's), or only in
# part.
NOTES = {
    2: "refgc's fields live inside the object (A1); the analogue is an object whose "
       "attributes are a `Dict` of its own",
    10: "the globals-dict case only: a `Function`'s captures are fixed when it is made, so it "
        "cannot capture itself (`f.me = f`)",
    34: "a new `Dict` is untracked and `set()` tracks it when given a key or value of a GC type "
        "(CPython's MAINTAIN_TRACKING); a `Dict` whose keys hold references in another form "
        "than a plain `Ref` (an optional `Ref`, a pair) is tracked from creation",
    37: "found another way: refgc's full collection looks only at the Dicts that `set()` "
        "tracked, not at every survivor (" + DICT_TRACKING + ")",
    40: "a `List` of `Int`s stays tracked as in CPython (refgc has no set); a `Dict` of `Int`s "
        "stands for the materialised `__dict__` (untracked: it never held a container)",
    45: "refgc differs on purpose: `finalize()` runs at most once for every type, tracked or "
        "not (api.md), and `is_finalized()` is true after it; CPython's non-GC types have no "
        "GC head for the flag and run `__del__` at every death",
    48: "refgc has no generators: the held object's `finalize()` stands for the generator's "
        "`finally`",
    87: "`id(A()) == id(A())` is two statements in C++, where a temporary lives to the end of "
        "its full expression",
    89: "refgc objects have no 16-byte GC head (docs/design/memory-model.md): a tracked "
        "object's size is CPython's less 16 for the same fields (`__slots__ = ()` 16, two "
        "slots 32, a weak reference 64; `object()` 16 as in CPython); `Int` and `List` have "
        "layouts of their own (24, 32)",
}


def facts():
    """{number: (id, text)} from section 3 of the spec copy."""
    text = spec_copy(SPEC).read_text()
    m = re.search(r"^## 3\..*?$(.*?)^## ", text, re.M | re.S)
    if not m:
        return {}
    out = {}
    letter, current = None, None
    for line in m.group(1).splitlines():
        h = re.match(r"^### ([A-Z])\. ", line)
        item = re.match(r"^(\d+)\. (.*)$", line)
        if h:
            letter, current = h.group(1), None
        elif item and letter:
            current = int(item.group(1))
            out[current] = [f"{letter}{current}", item.group(2).strip()]
        elif current is not None and line.startswith("   ") and line.strip():
            out[current][1] += " " + line.strip()
        elif not line.strip() and current is not None:
            # A blank line inside an item (before an indented block) keeps it open.
            continue
        else:
            current = None
    return {n: (fid, re.sub(r"\s+", " ", t)) for n, (fid, t) in out.items()}


def short(text, limit=110):
    """The first `limit` characters of `text`, cut at a word, its code spans closed."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(" ,;:")
    if cut.count("`") % 2:
        cut += "`"
    return cut + " …"


_ID = r"([A-I])(\d{1,2})"
_CITE_RE = re.compile(r"\b" + _ID + r"(?:\s*[-–]\s*" + _ID + r")?\b")
_MISLABEL_RE = re.compile(r"\b(?:[Ff]acts?|[Ss]pec)\s+" + _ID + r"\b")
_BARE_RE = re.compile(r"\b[Ff]acts?\s+(\d{1,2})\b")


def cited_numbers(comment, letters):
    """The fact numbers that `comment` cites; `letters` maps number to section."""
    found = set()
    for m in _CITE_RE.finditer(comment):
        a, n = m.group(1), int(m.group(2))
        if letters.get(n) != a:
            continue
        if m.group(3):
            b, last = m.group(3), int(m.group(4))
            if letters.get(last) == b and last >= n:
                found.update(k for k in range(n, last + 1) if k in letters)
                continue
        found.add(n)
    return found


def build():
    fs = facts()
    letters = {n: fid[0] for n, (fid, _) in fs.items()}
    cases = [c for c in gtest_cases() if not c.name.startswith("DISABLED_")]
    citing = {}
    problems = []
    for case in cases:
        for n in sorted(cited_numbers(case.comments, letters)):
            citing.setdefault(n, []).append(case.id)
        for m in _MISLABEL_RE.finditer(case.comments):
            n = int(m.group(2))
            if n in letters and letters[n] != m.group(1):
                problems.append(f"{case.path}:{case.line} ({case.id}) cites {m.group(1)}{n}: "
                                f"fact {n} is {letters[n]}{n}")
        for m in _BARE_RE.finditer(case.comments):
            n = int(m.group(1))
            if n in letters:
                problems.append(f"{case.path}:{case.line} ({case.id}) cites fact {n} without its "
                                f"section letter: write {letters[n]}{n}")
    lines = [
        "# CPython-facts coverage",
        "",
        "Generated by `scripts/facts_coverage.py --write` from the test sources and",
        "`tests/data/cpython-semantics.md` (a copy of `../shared/spec/`); `--check`",
        "(a CTest test) fails when a verified fact of its section 3 has no citing",
        "test and no reason below. A test cites a fact by its id (`fact G66`,",
        "`§3 A4`, `E51-E55`) in the comment right above it or inside it.",
        "",
        "| fact | CPython 3.11.7 | tests | status |",
        "|---|---|---|---|",
    ]
    counts = {"tested": 0, "not applicable": 0}
    for n in sorted(fs):
        fid, text = fs[n]
        names = citing.get(n, [])
        if names and n in NOT_APPLICABLE:
            problems.append(f"fact {fid} is cited by a test but listed as not applicable")
        if names:
            status = "tested"
            counts["tested"] += 1
            if n in NOTES:
                status += "; " + NOTES[n]
        elif n in NOT_APPLICABLE:
            status = "not applicable: " + NOT_APPLICABLE[n]
            counts["not applicable"] += 1
        else:
            status = "MISSING"
            problems.append(f"fact without a citing test or a reason: {fid}")
        cell = "<br>".join(f"`{name}`" for name in names)
        lines.append(f"| {fid} | {md_cell(short(text))} | {cell} | {md_cell(status)} |")
    for n in sorted(set(NOT_APPLICABLE) | set(NOTES)):
        if n not in fs:
            problems.append(f"a reason is given for fact {n}, which the spec does not have")
    lines += [
        "",
        f"{len(fs)} facts: {counts['tested']} tested, {counts['not applicable']} not applicable.",
        "",
    ]
    return "\n".join(lines), problems, len(fs)


def main(argv):
    doc, problems, total = build()
    if total == 0:
        problems.append(f"no facts found in tests/data/{SPEC}")
    ok = f"facts coverage: each of the {total} facts has a citing test or a documented reason"
    return run(argv, DOC, doc, problems, ok, spec_name=SPEC)


if __name__ == "__main__":
    main_guard(main)
