#!/usr/bin/env python3
"""Differential testing of refgc against CPython 3.11 (README.md).

  run.py --runner BUILD/tests/differential/refgc_diff_runner --count 300 --seed 7
  run.py --runner ... --replay tests/differential/regressions
  run.py --self-check

Generates scenarios (gen.py), runs each one with the C++ runner (refgc) and
as a Python script (CPython), and compares the event logs line by line. A
mismatch is shrunk (delta debugging over the operations) to a minimal
scenario that still mismatches, saved as <save-dir>/<name>.scn (plus its .py
form) and reported; the exit status is then 1.
"""

import argparse
import concurrent.futures
import difflib
import os
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen  # noqa: E402


class HarnessError(Exception):
    """The Python side failed: a bug in the harness, not a mismatch."""


def run_python(python, scenario, tmpdir, tag, audit=False):
    path = os.path.join(tmpdir, tag + '.py')
    with open(path, 'w') as f:
        f.write(gen.to_python(scenario, audit))
    p = subprocess.run([python, '-I', '-S', path], capture_output=True, text=True, timeout=120)
    if p.returncode != 0 or p.stderr:
        raise HarnessError('python3 failed on %s (status %d):\n%s' % (path, p.returncode, p.stderr))
    return p.stdout.splitlines()


def run_cpp(runner, scenarios, tmpdir, tags):
    """Runs a batch in one process; returns {tag: (log, error)}."""
    paths = []
    for scenario, tag in zip(scenarios, tags):
        path = os.path.join(tmpdir, tag + '.scn')
        with open(path, 'w') as f:
            f.write(scenario.text())
        paths.append(path)
    p = subprocess.run([runner] + paths, capture_output=True, text=True, timeout=600)
    results = {}
    current = None
    for line in p.stdout.splitlines():
        if line.startswith('=== '):
            current = os.path.basename(line[4:])[:-len('.scn')]
            results[current] = ([], None)
        elif line.startswith('--- invariant '):
            results[current] = (results[current][0], 'refgc invariant broken ' + line[14:])
        elif line.startswith('--- leaked '):
            nodes, objects = line.split()[2:4]
            if (nodes, objects) != ('0', '0') and results[current][1] is None:
                results[current] = (results[current][0],
                                    'teardown leaked %s nodes, %s objects' % (nodes, objects))
        elif current is not None:
            results[current][0].append(line)
    if p.returncode != 0:
        # A crash: the scenario being printed did not finish. Blame the first
        # one without a complete record by running them one at a time.
        if len(scenarios) == 1:
            log = results.get(tags[0], ([], None))[0]
            return {tags[0]: (log, 'refgc runner failed (status %d):\n%s' %
                              (p.returncode, p.stderr[-4000:]))}
        out = {}
        for scenario, tag in zip(scenarios, tags):
            out.update(run_cpp(runner, [scenario], tmpdir, [tag]))
        return out
    return results


def compare(args, scenario, tmpdir, tag):
    """None if refgc and CPython agree, else a description of the difference."""
    cpp_log, error = run_cpp(args.runner, [scenario], tmpdir, [tag])[tag]
    py_log = run_python(args.python, scenario, tmpdir, tag)
    return describe(cpp_log, error, py_log)


def describe(cpp_log, error, py_log):
    if error:
        return error
    if cpp_log == py_log:
        return None
    diff = difflib.unified_diff(py_log, cpp_log, 'cpython', 'refgc', lineterm='', n=3)
    return 'event logs differ:\n' + '\n'.join(list(diff)[:80])


def shrink(args, scenario, tmpdir, deadline):
    """Delta debugging (ddmin) over the operations: the smallest scenario
    found that still shows a difference."""
    tests = [0]

    def fails(ops):
        if gen.not_comparable(scenario.with_ops(ops)):
            return False
        tests[0] += 1
        try:
            return compare(args, scenario.with_ops(ops), tmpdir, 'shrink') is not None
        except HarnessError:
            return False

    ops = list(scenario.ops)
    n = 2
    while len(ops) >= 2 and time.time() < deadline:
        chunk = (len(ops) + n - 1) // n
        subsets = [ops[i:i + chunk] for i in range(0, len(ops), chunk)]
        progress = False
        for i, subset in enumerate(subsets):
            if fails(subset):
                ops, n, progress = subset, 2, True
                break
            complement = [op for j, s in enumerate(subsets) if j != i for op in s]
            if len(subsets) > 2 and fails(complement):
                ops, n, progress = complement, max(n - 1, 2), True
                break
        if not progress:
            if n >= len(ops):
                break
            n = min(len(ops), n * 2)
    # A last pass: drop single operations.
    i = 0
    while i < len(ops) and time.time() < deadline:
        candidate = ops[:i] + ops[i + 1:]
        if candidate and fails(candidate):
            ops = candidate
        else:
            i += 1
    return scenario.with_ops(ops), tests[0]


def report_mismatch(args, name, scenario, detail, tmpdir):
    print('MISMATCH in %s (%d ops):\n%s' % (name, len(scenario.ops), detail))
    small, tests = shrink(args, scenario, tmpdir, time.time() + args.shrink_seconds)
    small_detail = compare(args, small, tmpdir, 'final') or detail
    os.makedirs(args.save_dir, exist_ok=True)
    base = os.path.join(args.save_dir, name)
    comment = ('shrunk from %s (%d ops -> %d, %d runs)\n%s' %
               (name, len(scenario.ops), len(small.ops), tests, small_detail))
    with open(base + '.scn', 'w') as f:
        f.write(small.text(comment))
    with open(base + '.py', 'w') as f:
        f.write(gen.to_python(small))
    print('shrunk to %d ops (%d runs): %s.scn\n%s\n%s' %
          (len(small.ops), tests, base, small.text(), small_detail))


def check_python(python):
    out = subprocess.run([python, '-c', 'import sys, platform; '
                          'print(platform.python_implementation(), *sys.version_info[:2])'],
                         capture_output=True, text=True).stdout.split()
    if out != ['CPython', '3', '11']:
        sys.exit('%s is %s, not CPython 3.11: the differential tests need it' % (python, out))


def run_many(args, named):
    """named: [(name, scenario)]. Returns the number of mismatches."""
    failures = 0
    with tempfile.TemporaryDirectory(prefix='refgc-diff-') as tmpdir:
        tags = ['s%d' % i for i in range(len(named))]
        scenarios = [s for _, s in named]
        cpp = {}
        batch = 100
        for i in range(0, len(named), batch):
            cpp.update(run_cpp(args.runner, scenarios[i:i + batch], tmpdir, tags[i:i + batch]))
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            py = list(pool.map(lambda i: run_python(args.python, scenarios[i], tmpdir, tags[i]),
                               range(len(named))))
        lines = 0
        for i, (name, scenario) in enumerate(named):
            cpp_log, error = cpp.get(tags[i], ([], 'no output from the refgc runner'))
            lines += len(py[i])
            detail = describe(cpp_log, error, py[i])
            if detail is not None:
                failures += 1
                report_mismatch(args, name, scenario, detail, tmpdir)
                if failures >= args.max_failures:
                    print('stopping after %d mismatches' % failures)
                    break
        print('%d scenarios, %d log lines compared, %d mismatches' % (len(named), lines, failures))
    return failures


# The harness's own promise, checked on CPython alone: each operation moves
# gc.get_count() exactly as refgc would (only nodes and weak references are
# counted), including right after full collections, which empty CPython's
# free lists.
SELF_CHECK = '''
handles 4
weakrefs 4
thresh 0 10 10
count
count
new 0
count
newf 1 0 2
count
collect 2
count
wrefcb 0 0 0 0
count
wrefcb 1 0 0 0
count
collect 2
wref 2 1
count
wref 3 1
count
collect 2
thresh 5 4 3
count
set 0 a 1
set 1 b 0
get 0 a 2
cp 2 3
clr 1 b
wset 0 0
wget 0 1
wchk 1
wclr 0
unsave
disable
enable
count
drop 2
drop 3
count
gcorder 2
gcorder 0
count
collect 0
count
'''
SELF_CHECK_EXPECTED = '''count 0 0 0
count 0 0 0
count 1 0 0
count 2 0 0
collect 2 0
count 0 0 0
count 1 0 0
count 1 0 0
collect 2 0
count 1 0 0
count 1 0 0
collect 2 0
count 0 0 0
w1 alive 0
count 0 0 0
count 0 0 0
gen 2: 0 1 w0 r
gen 0:
count 0 0 0
collect 0 0
count 0 1 0'''.splitlines()


# Dicts: dict() is counted, a dead dict is uncounted (CPython's dict free
# list is kept full, gen.py's DICT_FREE_LIST), also after full collections;
# tracking (set of a node) counts nothing; a full collection untracks a dict
# that holds no node any more.
SELF_CHECK_DICTS = '''
handles 4
weakrefs 2
dicts 3
thresh 0 10 10
count
dnew 0
count
dtrk 0
new 1
dset 0 1 1
dtrk 0
count
gcorder 0
dseti 0 2 5
ddrop 0
count
collect 2
dnew 1
count
ddrop 1
count
dnew 2
dset 2 0 1
collect 2
dtrk 2
dset 2 0 3
collect 2
dtrk 2
gcorder 2
count
dput 1 2
dset 2 1 1
count
drop 1
ddrop 2
count
collect 2
count
'''
SELF_CHECK_DICTS_EXPECTED = '''count 0 0 0
count 1 0 0
dtrk 0 0
dtrk 0 1
count 2 0 0
gen 0: 0 d0
count 1 0 0
collect 2 0
count 1 0 0
count 0 0 0
collect 2 0
dtrk 2 1
collect 2 0
dtrk 2 0
gen 2: 0
count 0 0 0
count 0 0 0
count 0 0 0
collect 2 2
count 0 0 0'''.splitlines()


# Node keys: a dict that holds a node only as a key is tracked (counting
# nothing), kept tracked by a full collection while a key or a value is a
# node, untracked by one once neither is; a cycle through a key is garbage.
SELF_CHECK_KEYS = '''
handles 4
weakrefs 2
dicts 2
thresh 0 10 10
count
dnew 0
count
dtrk 0
new 1
dsetk 0 1 3
dtrk 0
count
gcorder 0
dset 0 2 1
ddelk 0 1
collect 2
dtrk 0
dseti 0 2 4
collect 2
dtrk 0
count
dsetk 0 1 5
dtrk 0
dput 1 0
dgetk 0 1 2
isfin 2
dsetkh 0 1 1
dgetk 0 1 2
isfin 2
count
drop 1
drop 2
ddrop 0
count
collect 2
count
'''
SELF_CHECK_KEYS_EXPECTED = '''count 0 0 0
count 1 0 0
dtrk 0 0
dtrk 0 1
count 2 0 0
gen 0: 0 d0
collect 2 0
dtrk 0 1
collect 2 0
dtrk 0 0
count 0 0 0
dtrk 0 1
isfin 2 none
isfin 2 0
count 0 0 0
count 0 0 0
collect 2 2
count 0 0 0'''.splitlines()


def self_check(args):
    with tempfile.TemporaryDirectory(prefix='refgc-diff-') as tmpdir:
        lines = 0
        for name, text, want in (('self', SELF_CHECK, SELF_CHECK_EXPECTED),
                                 ('self_dicts', SELF_CHECK_DICTS, SELF_CHECK_DICTS_EXPECTED),
                                 ('self_keys', SELF_CHECK_KEYS, SELF_CHECK_KEYS_EXPECTED)):
            got = run_python(args.python, gen.parse(text), tmpdir, name, audit=True)
            expected = want + ['audit:']
            if got != expected:
                print('the CPython side allocates more than the scenario objects (%s):' % name)
                print('\n'.join(difflib.unified_diff(expected, got, 'expected', 'cpython',
                                                     lineterm='')))
                return 1
            lines += len(got)
        # Random scenarios: nothing but scenario objects is left tracked.
        for i in range(args.count):
            scenario = gen.generate(args.seed * 1000003 + i)
            last = run_python(args.python, scenario, tmpdir, 'audit%d' % i, audit=True)[-1]
            if last != 'audit:':
                print('seed%d: the CPython side left tracked objects of its own: %s' %
                      (args.seed * 1000003 + i, last))
                return 1
    print('self-check passed: %d log lines as expected, %d random scenarios audited' %
          (lines, args.count))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--runner', help='the refgc_diff_runner executable')
    ap.add_argument('--python', default='python3', help='CPython 3.11 (default: python3)')
    ap.add_argument('--count', type=int, default=300)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--scale', type=int, default=1,
                    help='larger scenarios: K times the operations, handles and nodes')
    ap.add_argument('--replay', metavar='DIR', help='run every .scn file in DIR instead')
    ap.add_argument('--self-check', action='store_true')
    ap.add_argument('--jobs', type=int, default=2, help='parallel python3 processes')
    ap.add_argument('--save-dir', default=os.path.join(HERE, 'regressions'),
                    help='where shrunk mismatches go (default: regressions/)')
    ap.add_argument('--shrink-seconds', type=float, default=120)
    ap.add_argument('--max-failures', type=int, default=3)
    args = ap.parse_args()
    check_python(args.python)
    if args.self_check:
        return self_check(args)
    if not args.runner:
        ap.error('--runner is required')
    started = time.time()
    if args.replay:
        files = sorted(f for f in os.listdir(args.replay) if f.endswith('.scn'))
        named = []
        for f in files:
            with open(os.path.join(args.replay, f)) as fh:
                named.append((f[:-4], gen.parse(fh.read())))
        if not named:
            print('no regression scenarios in %s' % args.replay)
            return 0
    else:
        # Scenario i of seed S is gen.generate(S * 1000003 + i): any failing
        # one can be regenerated alone with gen.py --seed.
        # With --scale K the name is seed<N>_scale<K> (gen.py --seed N --scale K).
        suffix = '_scale%d' % args.scale if args.scale != 1 else ''
        named = [('seed%d%s' % (args.seed * 1000003 + i, suffix),
                  gen.generate(args.seed * 1000003 + i, args.scale)) for i in range(args.count)]
    for name, scenario in named:
        reason = gen.not_comparable(scenario)
        if reason:
            sys.exit('%s cannot be compared with CPython: %s' % (name, reason))
    failures = run_many(args, named)
    print('%.1f s' % (time.time() - started))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
