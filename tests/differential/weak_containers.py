#!/usr/bin/env python3
"""Differential testing of refgc's weak containers against CPython 3.11.

  weak_containers.py --runner BUILD/tests/differential/refgc_weak_diff_runner --count 300 --seed 7
  weak_containers.py --gen SEED                 # print one scenario
  weak_containers.py --cpython A.scn ...        # run scenarios on this python3

Random scenarios of WeakValueDictionary / WeakKeyDictionary / WeakSet
operations, weak references with callbacks, weakref.finalize and objects with
finalizers (README.md, "Weak containers"). The same scenario runs on refgc
(refgc_weak_diff_runner, weak_runner.cc) and here, on CPython, interpreted
op by op; the two event logs must be identical. Automatic collection is off
on both sides: only `collect` collects, so counts never matter.

This file is the generator (`generate(seed)`), the CPython interpreter of
scenarios (`--cpython`) and the driver, which shrinks a mismatch by removing
operations and prints it.
"""

import argparse
import gc
import os
import random
import subprocess
import sys
import tempfile
import time
import weakref

sys.dont_write_bytecode = True

# --------------------------------------------------------------------------
# Scenarios: a list of lines "op arg...", all ints. The first two lines are
# "handles N" and "weakrefs M".
#
# A container argument c is -1 for the global containers (GV, GK, GS) or a
# handle: the containers that node H[c] owns (the op is skipped when H[c] is
# None). Each node owns one WeakValueDictionary (int keys 0..4 -> nodes), one
# WeakKeyDictionary (node -> node or None) and one WeakSet, traced through
# it. Actions (finalizers `newf`, callbacks `wcb`, finalize() `fin`):
#   0 nothing  1 SAVED.append(self)  2 H[x] = None  3 log the lengths of c
#   4 V(c)[x % 5] = self  5 K(c)[self] = H[x]  6 S(c).add(self)
#   7 clear V(c), K(c), S(c)  8 log the contents of c  9 log gc.collect()
#   10 SAVED.clear()  11 del V(c)[x % 5]  12 V(c).pop(x % 5)
# (4-6 and 1 need self: a callback skips them.)
# --------------------------------------------------------------------------

NKEYS = 5
NACTIONS = 13


def generate(seed, kitx=False, scale=1):
    """Scenario `seed`. `scale` (--scale, long runs by hand) multiplies the
    handles, the weak slots, the operations and the node budget; the random
    draws are the same for every scale, so scale 1 is the scenario CI knows."""
    r = random.Random(seed)
    nh = r.randint(3, 8) * scale
    nw = r.randint(1, 4) * scale
    nops = r.randint(15, 110) * scale
    ops = [('handles', nh), ('weakrefs', nw)]
    made = 0
    cap = 40 * scale
    weights = {
        'new': r.randint(2, 8), 'newf': r.randint(1, 8), 'set': r.randint(1, 6),
        'clr': r.randint(0, 2), 'drop': r.randint(2, 8), 'cp': r.randint(0, 3),
        'wcb': r.randint(0, 5), 'wdrop': r.randint(0, 2), 'fin': r.randint(0, 3),
        'vset': r.randint(1, 8), 'vget': r.randint(0, 2), 'vhas': r.randint(0, 2),
        'vlen': r.randint(0, 3), 'vdel': r.randint(0, 2), 'vpop': r.randint(0, 2),
        'vclr': r.randint(0, 1), 'vit': r.randint(0, 2), 'vitx': r.randint(0, 2),
        'kset': r.randint(1, 8), 'kget': r.randint(0, 2), 'khas': r.randint(0, 2),
        'klen': r.randint(0, 3), 'kdel': r.randint(0, 2), 'kclr': r.randint(0, 1),
        'kit': r.randint(0, 2), 'kitx': r.randint(0, 2) if kitx else 0,
        'sadd': r.randint(1, 6), 'shas': r.randint(0, 2), 'slen': r.randint(0, 2),
        'sdis': r.randint(0, 2), 'srem': r.randint(0, 1), 'sclr': r.randint(0, 1),
        'sit': r.randint(0, 2), 'collect': r.randint(1, 5), 'unsave': r.randint(0, 2),
        'ring': r.randint(0, 3),
    }
    names = list(weights)
    wts = [weights[n] for n in names]

    def h():
        return r.randrange(nh)

    def c():
        return -1 if r.random() < 0.4 else r.randrange(nh)

    def action():
        return (r.randrange(NACTIONS), r.randrange(16), c())

    for _ in range(nops):
        op = r.choices(names, wts)[0]
        if op in ('new', 'newf', 'ring') and made >= cap:
            op = 'collect'
        if op == 'new':
            ops.append(('new', h()))
            made += 1
        elif op == 'newf':
            ops.append(('newf', h()) + action())
            made += 1
        elif op == 'ring':
            # a cycle of new nodes, entered in containers, then dropped
            n = r.randint(1, 3)
            hs = r.sample(range(nh), min(n, nh))
            for x in hs:
                if r.random() < 0.5:
                    ops.append(('newf', x) + action())
                else:
                    ops.append(('new', x))
                made += 1
            for i, x in enumerate(hs):
                ops.append(('set', x, r.randrange(2), hs[(i + 1) % len(hs)]))
            for x in hs:
                what = r.randrange(4)
                if what == 0:
                    ops.append(('vset', c(), r.randrange(NKEYS), x))
                elif what == 1:
                    ops.append(('kset', c(), x, r.choice([-1] + hs)))
                elif what == 2:
                    ops.append(('sadd', c(), x))
            for x in hs:
                ops.append(('drop', x))
        elif op == 'set':
            ops.append(('set', h(), r.randrange(2), h()))
        elif op == 'clr':
            ops.append(('clr', h(), r.randrange(2)))
        elif op in ('drop',):
            ops.append((op, h()))
        elif op == 'cp':
            ops.append(('cp', h(), h()))
        elif op == 'wcb':
            ops.append(('wcb', r.randrange(nw), h()) + action())
        elif op == 'wdrop':
            ops.append(('wdrop', r.randrange(nw)))
        elif op == 'fin':
            ops.append(('fin', h()) + action())
        elif op == 'vset':
            ops.append(('vset', c(), r.randrange(NKEYS), h()))
        elif op in ('vget', 'vhas', 'vdel', 'vpop'):
            ops.append((op, c(), r.randrange(NKEYS)))
        elif op in ('vlen', 'vclr', 'vit', 'klen', 'kclr', 'kit', 'slen', 'sclr', 'sit'):
            ops.append((op, c()))
        elif op in ('vitx', 'kitx'):
            ops.append((op, c(), r.randrange(16)))
        elif op == 'kset':
            ops.append(('kset', c(), h(), r.choice([-1, h()])))
        elif op in ('kget', 'khas', 'kdel', 'sadd', 'shas', 'sdis', 'srem'):
            ops.append((op, c(), h()))
        elif op == 'collect':
            ops.append(('collect',))
        elif op == 'unsave':
            ops.append(('unsave',))
    ops.append(('collect',))
    ops.append(('survivors',))
    for op in ('vit', 'kit', 'sit', 'vlen', 'klen', 'slen'):
        ops.append((op, -1))
    return ops


def to_text(ops):
    return ''.join(' '.join(str(x) for x in op) + '\n' for op in ops)


def parse(text):
    ops = []
    for line in text.splitlines():
        line = line.split('#', 1)[0].strip()
        if line:
            w = line.split()
            ops.append((w[0],) + tuple(int(x) for x in w[1:]))
    return ops


# --------------------------------------------------------------------------
# The CPython side: an interpreter of scenarios. Automatic collection is off;
# nothing here makes cyclic garbage of its own, so gc.collect() counts only
# the scenario's objects -- except a Python container's own objects (the
# WeakValueDictionary, its dict, its remove function and its defaults, ...),
# which refgc has no counterpart of: a collection in which a node that had
# containers died is logged "collect ?" (any count matches).
# --------------------------------------------------------------------------


class Node:
    __slots__ = ('a', 'b', 'id', 'wkd', 'ws', 'wvd', '__weakref__')


# An action is kept as one int (a tuple would be garbage counted by CPython).
def pack(act):
    kind, x, c = act
    return (kind * 100 + x) * 100 + c + 1


class FNode(Node):
    __slots__ = ('act',)

    def __del__(self):
        S.log('del %d' % self.id)
        S.action(self.act, self)


class WR(weakref.ref):
    __slots__ = ('serial', 'act')


def wr_callback(w):
    S.log('cb %d' % w.serial)
    S.action(w.act, None)


def fin_callback(serial, act):
    S.log('fin %d' % serial)
    S.action(act, None)


class Scenario:
    def __init__(self, ops):
        self.ops = ops
        self.nh = ops[0][1]
        self.nw = ops[1][1]
        self.H = [None] * self.nh
        self.W = [None] * self.nw
        self.SAVED = []
        self.lines = []
        self.quiet = False
        self.relaxed = False  # a WeakKeyDictionary held a node
        self.broken = False  # a resurrected node's containers stopped working
        self.next_id = 0
        self.next_serial = 0
        self.next_fin = 0
        self.owners = set()  # ids of nodes whose containers Python created
        self.fins = []
        self.GV = weakref.WeakValueDictionary()
        self.GK = weakref.WeakKeyDictionary()
        self.GS = weakref.WeakSet()

    def log(self, s):
        if not self.quiet:
            self.lines.append(s)

    def node(self, cls):
        n = cls()
        n.a = n.b = n.wkd = n.ws = n.wvd = None
        n.id = self.next_id
        self.next_id += 1
        return n

    @staticmethod
    def alive():
        # weak references would not do: a collection clears those of the
        # objects a finalizer then resurrects
        return sorted(o.id for o in gc.get_objects() if type(o) in (Node, FNode))

    def owner(self, c):
        if c < 0:
            return None
        n = self.H[c % self.nh]
        if n is None:
            return None
        if n.wvd is None:
            n.wvd = weakref.WeakValueDictionary()
            n.wkd = weakref.WeakKeyDictionary()
            n.ws = weakref.WeakSet()
            self.owners.add(n.id)
        return n

    def V(self, c):
        if c < 0:
            return self.GV
        n = self.owner(c)
        return None if n is None else n.wvd

    def K(self, c):
        if c < 0:
            return self.GK
        n = self.owner(c)
        return None if n is None else n.wkd

    def S_(self, c):
        if c < 0:
            return self.GS
        n = self.owner(c)
        return None if n is None else n.ws

    def unsave(self):
        self.SAVED.clear()

    def collect(self, what):
        before = set(self.alive())
        n = gc.collect()
        died = before - set(self.alive())
        self.log('%s %s' % (what, '?' if died & self.owners else n))
        # A resurrected owner's containers: their removal callbacks reach them
        # through `selfref`, a weak reference this collection cleared, and
        # never remove anything again (refgc's keep working: not compared).
        for o in gc.get_objects():
            if type(o) in (Node, FNode) and o.wvd is not None:
                for c in (o.wvd, o.wkd, o.ws):
                    if c._remove.__defaults__[0]() is None:
                        self.broken = True

    def contents(self, c):
        d = self.V(c)
        if d is None:
            return
        out = []
        for k, v in d.items():
            out.append('%d=%d' % (k, v.id))
            del k, v
        self.log('vit %d: %s' % (c, ' '.join(out)))
        d = self.K(c)
        out = []
        for k, v in d.items():
            out.append('%d=%s' % (k.id, 'none' if v is None else v.id))
            del k, v
        self.log('kit %d: %s' % (c, ' '.join(out)))
        d = self.S_(c)
        out = []
        for k in d:
            out.append(k.id)
            del k
        out.sort()
        self.log('sit %d: %s' % (c, ' '.join(str(i) for i in out)))

    def action(self, act, me):
        if self.quiet:
            return
        kind, x, c = act // 10000, act // 100 % 100, act % 100 - 1
        if kind == 1:
            if me is not None:
                self.SAVED.append(me)
        elif kind == 2:
            self.H[x % self.nh] = None
        elif kind == 3:
            d = self.V(c)
            if d is None:
                self.log('len %d none' % c)
            else:
                self.log('len %d: %d %d %d' % (c, len(d), len(self.K(c)), len(self.S_(c))))
        elif kind == 4:
            d = self.V(c)
            if me is not None and d is not None:
                d[x % NKEYS] = me
        elif kind == 5:
            d = self.K(c)
            if me is not None and d is not None:
                if self.H[x % self.nh] is not None:
                    self.relaxed = True
                d[me] = self.H[x % self.nh]
        elif kind == 6:
            d = self.S_(c)
            if me is not None and d is not None:
                d.add(me)
        elif kind == 7:
            # Each container looked up again: clearing one may drop the last
            # reference to their owner (a value's finalizer), as weak_runner.cc
            # checks (an AttributeError on None here, seed 4444).
            d = self.V(c)
            if d is not None:
                d.clear()
                d = self.K(c)
                if d is not None:
                    d.clear()
                    d = self.S_(c)
                    if d is not None:
                        d.clear()
            d = None
        elif kind == 8:
            self.contents(c)
        elif kind == 9:
            self.collect('acollect')
        elif kind == 10:
            self.unsave()
        elif kind == 11:
            d = self.V(c)
            if d is not None:
                try:
                    del d[x % NKEYS]
                    self.log('adel ok')
                except KeyError:
                    self.log('adel KeyError')
        elif kind == 12:
            d = self.V(c)
            if d is not None:
                try:
                    v = d.pop(x % NKEYS)
                    self.log('apop %d' % v.id)
                    del v
                except KeyError:
                    self.log('apop KeyError')

    def step(self, op):
        name = op[0]
        H = self.H
        nh = self.nh
        if name == 'new':
            H[op[1]] = self.node(Node)
        elif name == 'newf':
            n = self.node(FNode)
            n.act = pack(op[2:5])
            H[op[1]] = n
            del n
        elif name == 'set':
            n = H[op[1]]
            if n is not None:
                if op[2] == 0:
                    n.a = H[op[3]]
                else:
                    n.b = H[op[3]]
            del n
        elif name == 'clr':
            n = H[op[1]]
            if n is not None:
                if op[2] == 0:
                    n.a = None
                else:
                    n.b = None
            del n
        elif name == 'drop':
            H[op[1]] = None
        elif name == 'cp':
            H[op[2]] = H[op[1]]
        elif name == 'wcb':
            if H[op[2]] is not None:
                w = WR(H[op[2]], wr_callback)
                w.serial = self.next_serial
                w.act = pack(op[3:6])
                self.next_serial += 1
                self.W[op[1]] = w
                del w
        elif name == 'wdrop':
            self.W[op[1]] = None
        elif name == 'fin':
            if H[op[1]] is not None:
                self.fins.append(weakref.finalize(H[op[1]], fin_callback, self.next_fin, pack(op[2:5])))
                self.next_fin += 1
        elif name == 'collect':
            self.collect('collect')
        elif name == 'unsave':
            self.unsave()
        elif name == 'survivors':
            self.log(' '.join(['survivors'] + [str(i) for i in self.alive()]))
        elif name[0] == 'v':
            d = self.V(op[1])
            if d is None:
                return
            if name == 'vset':
                if H[op[3]] is not None:
                    d[op[2]] = H[op[3]]
            elif name == 'vget':
                v = d.get(op[2])
                self.log('vget %s' % ('none' if v is None else v.id))
                del v
            elif name == 'vhas':
                self.log('vhas %d' % (op[2] in d))
            elif name == 'vlen':
                self.log('vlen %d' % len(d))
            elif name == 'vdel':
                try:
                    del d[op[2]]
                    self.log('vdel ok')
                except KeyError:
                    self.log('vdel KeyError')
            elif name == 'vpop':
                try:
                    v = d.pop(op[2])
                    self.log('vpop %d' % v.id)
                    del v
                except KeyError:
                    self.log('vpop KeyError')
            elif name == 'vclr':
                d.clear()
            elif name == 'vit':
                out = []
                for k, v in d.items():
                    out.append('%d=%d' % (k, v.id))
                    del k, v
                self.log('vit: ' + ' '.join(out))
            elif name == 'vitx':
                i = 0
                try:
                    for k, v in d.items():
                        self.log('vitx %d=%d' % (k, v.id))
                        del k, v
                        H[(op[2] + i) % nh] = None
                        i += 1
                except RuntimeError:
                    self.log('iterror')
                self.log('vitx end')
        elif name[0] == 'k':
            d = self.K(op[1])
            if d is None:
                return
            if name == 'kset':
                if H[op[2]] is not None:
                    if op[3] >= 0:
                        self.relaxed = True
                    d[H[op[2]]] = None if op[3] < 0 else H[op[3]]
            elif name == 'kget':
                if H[op[2]] is not None:
                    v = d.get(H[op[2]])
                    self.log('kget %s' % ('none' if v is None else v.id))
                    del v
            elif name == 'khas':
                if H[op[2]] is not None:
                    self.log('khas %d' % (H[op[2]] in d))
            elif name == 'klen':
                self.log('klen %d' % len(d))
            elif name == 'kdel':
                if H[op[2]] is not None:
                    try:
                        del d[H[op[2]]]
                        self.log('kdel ok')
                    except KeyError:
                        self.log('kdel KeyError')
            elif name == 'kclr':
                d.clear()
            elif name == 'kit':
                out = []
                for k, v in d.items():
                    out.append('%d=%s' % (k.id, 'none' if v is None else v.id))
                    del k, v
                self.log('kit: ' + ' '.join(out))
            elif name == 'kitx':
                i = 0
                try:
                    for k, v in d.items():
                        self.log('kitx %d=%s' % (k.id, 'none' if v is None else v.id))
                        del k, v
                        H[(op[2] + i) % nh] = None
                        i += 1
                except RuntimeError:
                    self.log('iterror')
                self.log('kitx end')
        elif name[0] == 's':
            d = self.S_(op[1])
            if d is None:
                return
            if name == 'sadd':
                if H[op[2]] is not None:
                    d.add(H[op[2]])
            elif name == 'shas':
                if H[op[2]] is not None:
                    self.log('shas %d' % (H[op[2]] in d))
            elif name == 'slen':
                self.log('slen %d' % len(d))
            elif name in ('sdis', 'srem'):
                if H[op[2]] is not None:
                    try:
                        if name == 'sdis':
                            d.discard(H[op[2]])
                        else:
                            d.remove(H[op[2]])
                        self.log('%s ok' % name)
                    except KeyError:
                        self.log('srem KeyError')
            elif name == 'sclr':
                d.clear()
            elif name == 'sit':
                out = sorted(k.id for k in d)
                self.log('sit: ' + ' '.join(str(i) for i in out))

    def run(self):
        for op in self.ops[2:]:
            self.step(op)

    def teardown(self):
        self.quiet = True
        for f in self.fins:
            f.detach()
        self.fins.clear()
        self.SAVED.clear()
        for i in range(self.nh):
            self.H[i] = None
        for i in range(self.nw):
            self.W[i] = None
        self.GV = self.GK = self.GS = None
        gc.collect()
        return self.alive()


S = None


def cpython_main(paths):
    global S
    gc.disable()
    weakref.finalize(Node(), int).detach()  # finalize's one-time set-up
    gc.collect()
    gc.freeze()
    out = []
    for path in paths:
        with open(path) as f:
            ops = parse(f.read())
        S = Scenario(ops)
        S.run()
        lines = S.lines
        if S.relaxed:
            lines.append('--- relaxed')
        if S.broken:
            lines.append('--- broken')
        left = S.teardown()
        S = None
        out.append('=== %s\n' % path)
        out.extend(line + '\n' for line in lines)
        out.append('--- leaked %d\n' % len(left))
        if gc.collect() != 0:
            out.append('--- python left cyclic garbage\n')
    sys.stdout.write(''.join(out))


# --------------------------------------------------------------------------
# The driver.
# --------------------------------------------------------------------------


def split_logs(text):
    logs = {}
    cur = None
    for line in text.splitlines():
        if line.startswith('=== '):
            cur = os.path.basename(line[4:])
            logs[cur] = []
        elif cur is not None:
            logs[cur].append(line)
    return logs


def run_both(args, named, tmpdir):
    paths = []
    for name, ops in named:
        p = os.path.join(tmpdir, name + '.scn')
        with open(p, 'w') as f:
            f.write(to_text(ops))
        paths.append(p)
    cpp = run_refgc(args, paths)
    py = subprocess.run([args.python, '-I', os.path.abspath(__file__), '--cpython'] + paths,
                        capture_output=True, text=True, timeout=600)
    if py.returncode != 0 or py.stderr:
        sys.exit('python failed (%d): %s' % (py.returncode, py.stderr[-4000:]))
    return cpp, split_logs(py.stdout)


def run_refgc(args, paths, env=None):
    """refgc's logs. When the runner fails (a sanitizer report, an exception)
    the batch is run again one scenario at a time, and the scenario that
    fails gets a last line saying how, which no CPython log has: it is
    reported and shrunk like any mismatch."""
    p = subprocess.run([args.runner] + paths, capture_output=True, text=True, timeout=600,
                       env=env)
    if p.returncode == 0:
        return split_logs(p.stdout)
    if len(paths) > 1:
        logs = {}
        for path in paths:
            logs.update(run_refgc(args, [path], env))
        return logs
    key = os.path.basename(paths[0])
    lines = p.stderr.strip().splitlines() or ['']
    why = next((x for x in lines if x.startswith('SUMMARY:') or 'runtime error' in x), lines[-1])
    return {key: split_logs(p.stdout).get(key, []) +
            ['--- refgc runner failed (status %d): %s' % (p.returncode, why.strip())]}


def same(cpp_log, py_log):
    """None if the logs match; the first difference otherwise. A Python
    'collect ?' matches any count; a scenario whose Python side raised
    'dictionary changed size during iteration' (refgc documents that its
    iteration never fails) is not compared: 'skip'."""
    if 'iterror' in py_log or '--- broken' in py_log:
        return 'skip'
    if '--- relaxed' in py_log:
        py_log = [x for x in py_log if x != '--- relaxed']
        d = strict(cpp_log, py_log)
        if d is None:
            return None
        # The collector's order differs (README): the same events per
        # collection, or other events that follow from the order.
        return 'order' if segments(cpp_log) == segments(py_log) else 'order+'
    return strict(cpp_log, py_log)


def segments(log):
    """The log cut at each top-level collection, each piece sorted, the
    counts of collections left out."""
    out, cur = [], []
    for line in log:
        cur.append(line.split(' ', 1)[0] if line.split(' ', 1)[0] in ('collect', 'acollect')
                   else line)
        if line.startswith('collect '):
            out.append(sorted(cur))
            cur = []
    out.append(sorted(cur))
    return out


def strict(cpp_log, py_log):
    for i in range(max(len(cpp_log), len(py_log))):
        a = cpp_log[i] if i < len(cpp_log) else '<end>'
        b = py_log[i] if i < len(py_log) else '<end>'
        if a == b:
            continue
        if b.endswith(' ?') and a.rsplit(' ', 1)[0] == b[:-2]:
            continue
        return 'line %d: refgc %r, python3 %r' % (i + 1, a, b)
    return None


def shrink(args, ops, tmpdir, seconds):
    deadline = time.time() + seconds
    best = ops
    changed = True
    while changed and time.time() < deadline:
        changed = False
        i = 2
        while i < len(best) and time.time() < deadline:
            cand = best[:i] + best[i + 1:]
            c, p = run_both(args, [('shrink', cand)], tmpdir)
            d = same(c['shrink.scn'], p['shrink.scn'])
            if d not in (None, 'skip', 'order', 'order+'):
                best = cand
                changed = True
            else:
                i += 1
    return best


def stress_failure(log):
    """--auto-gc: what is wrong with a refgc log on its own, or None."""
    if log and log[-1].startswith('--- refgc runner failed'):
        return log[-1][4:]
    if not log or not log[-1].startswith('--- leaked ') or log[-1] != '--- leaked 0':
        return 'teardown: %s' % (log[-1] if log else 'no log')
    return None


def stress(args, batches, tmpdir):
    """--auto-gc T0,T1,T2: refgc alone, automatic collection on with those
    thresholds (REFGC_WEAK_AUTO_GC, weak_runner.cc), so collections and
    their finalizers run inside the containers' operations. Nothing to
    compare with (CPython's collections would happen elsewhere): a scenario
    fails if the runner fails (the sanitizers, the debug build's checks) or
    the teardown leaves nodes alive. A failure is shrunk by removing
    operations one at a time."""
    env = dict(os.environ, REFGC_WEAK_AUTO_GC=args.auto_gc.replace(',', ' '))

    def failure(name, ops):
        path = os.path.join(tmpdir, name + '.scn')
        with open(path, 'w') as f:
            f.write(to_text(ops))
        return stress_failure(run_refgc(args, [path], env).get(name + '.scn', []))

    t0 = time.time()
    failures = total = 0
    for batch in batches:
        paths = []
        for name, ops in batch:
            paths.append(os.path.join(tmpdir, name + '.scn'))
            with open(paths[-1], 'w') as f:
                f.write(to_text(ops))
        logs = run_refgc(args, paths, env)
        for name, ops in batch:
            total += 1
            why = stress_failure(logs.get(name + '.scn', []))
            if why is None:
                continue
            failures += 1
            print('FAILURE %s (auto-gc %s): %s' % (name, args.auto_gc, why))
            deadline = time.time() + args.shrink_seconds
            best, i = ops, 2
            while i < len(best) and time.time() < deadline:
                cand = best[:i] + best[i + 1:]
                if failure('shrink', cand) is not None:
                    best = cand
                else:
                    i += 1
            print('--- shrunk scenario (%s):\n%s' % (failure('shrink', best), to_text(best)))
            if failures >= args.max_failures:
                break
        if failures >= args.max_failures:
            break
    print('%d scenarios run with automatic collection (thresholds %s), %d failures, %.1f s'
          % (total, args.auto_gc, failures, time.time() - t0))
    return 1 if failures else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--runner')
    ap.add_argument('--python', default='python3')
    ap.add_argument('--count', type=int, default=300)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--batch', type=int, default=200)
    ap.add_argument('--max-failures', type=int, default=3)
    ap.add_argument('--shrink-seconds', type=float, default=60)
    ap.add_argument('--kitx', action='store_true',
                    help='also kitx (WeakKeyDictionary loops that kill keys: see README)')
    ap.add_argument('--scale', type=int, default=1,
                    help='larger scenarios: K times the operations, handles and nodes')
    ap.add_argument('--auto-gc', metavar='T0,T1,T2',
                    help='refgc alone with automatic collection at these thresholds: '
                    'fails on a runner failure or a leak (see stress())')
    ap.add_argument('--gen', type=int, metavar='SEED', help='print scenario SEED and exit')
    ap.add_argument('--replay', nargs='*', metavar='SCN', help='compare these scenario files')
    ap.add_argument('--cpython', nargs='*', metavar='SCN', help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.cpython is not None:
        return cpython_main(args.cpython)
    if args.gen is not None:
        sys.stdout.write(to_text(generate(args.gen, args.kitx, args.scale)))
        return 0
    t0 = time.time()
    failures = skipped = compared = lines = relaxed = 0
    relaxed_plus = []
    with tempfile.TemporaryDirectory() as tmpdir:
        if args.replay is not None:
            named = []
            for p in args.replay:
                with open(p) as f:
                    named.append((os.path.basename(p)[:-4], parse(f.read())))
            batches = [named]
        else:
            seeds = [args.seed * 1000003 + i for i in range(args.count)]
            # With --scale K the name is seed<N>_scale<K> (--gen N --scale K).
            suffix = '_scale%d' % args.scale if args.scale != 1 else ''
            batches = [[('seed%d%s' % (s, suffix), generate(s, args.kitx, args.scale))
                        for s in seeds[i:i + args.batch]]
                       for i in range(0, len(seeds), args.batch)]
        if args.auto_gc:
            return stress(args, batches, tmpdir)
        for batch in batches:
            cpp, py = run_both(args, batch, tmpdir)
            for name, ops in batch:
                key = name + '.scn'
                d = same(cpp.get(key, ['<missing>']), py.get(key, ['<missing>']))
                if d == 'skip':
                    skipped += 1
                    continue
                if d == 'order':
                    relaxed += 1
                    d = None
                elif d == 'order+':
                    relaxed_plus.append(name)
                    d = None
                compared += 1
                lines += len(py.get(key, []))
                if d is None:
                    continue
                failures += 1
                print('MISMATCH %s: %s' % (name, d))
                small = shrink(args, ops, tmpdir, args.shrink_seconds)
                c, p = run_both(args, [('small', small)], tmpdir)
                print('--- shrunk scenario:\n' + to_text(small) + '--- refgc:\n' +
                      '\n'.join(c['small.scn']) + '\n--- python3:\n' + '\n'.join(p['small.scn']))
                if failures >= args.max_failures:
                    break
            if failures >= args.max_failures:
                break
    print('%d scenarios compared (%d log lines; %d differ only in the order of a collection\'s '
          'events, %d in what follows from that order: see README%s), %d skipped (CPython '
          'iteration error, or containers CPython broke), %d mismatches, %.1f s'
          % (compared, lines, relaxed, len(relaxed_plus),
             ' ' + ' '.join(relaxed_plus[:5]) if relaxed_plus else '', skipped, failures,
             time.time() - t0))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
