#!/usr/bin/env python3
"""Random differential scenarios for refgc, and their CPython form.

A scenario is a list of operations on a handle table H (strong references),
a weak-reference table W and a list SAVED (where finalizers resurrect
objects). The text format is documented in README.md and in scenario.h; the
C++ runner (runner.cc) executes it against refgc, and `to_python()` renders
the same scenario as a CPython 3.11 script that prints the same event log.

  gen.py --seed 12 > s.scn          one random scenario
  gen.py --python s.scn > s.py      its CPython form
"""

import argparse
import random
import sys

# Operation name -> argument kinds ('h' handle, 'w' weak slot, 'f' field,
# 'F' finalizer kind, 'C' callback kind, 'x' free index, 'g' generation,
# 't' threshold, 'd' dict slot, 'k' dict key (an int), 'v' int value).
OPS = {
    'new': 'h', 'newf': 'hFx', 'set': 'hfh', 'clr': 'hf', 'get': 'hfh',
    'cp': 'hh', 'drop': 'h', 'wref': 'wh', 'wrefcb': 'whCx', 'wdrop': 'w',
    'wchk': 'w', 'wset': 'hw', 'wclr': 'h', 'wget': 'hw', 'collect': 'g',
    'thresh': 'ttt', 'enable': '', 'disable': '', 'count': '', 'unsave': '',
    'survivors': '', 'gcorder': 'g', 'freeze': '', 'unfreeze': '', 'isfin': 'h',
    # Dicts (README.md, "Dicts"): a table D of dict slots, and a node field d.
    'dnew': 'd', 'dset': 'dkh', 'dseti': 'dkv', 'ddel': 'dk', 'dclr': 'd',
    'ddrop': 'd', 'dget': 'dkh', 'dput': 'hd', 'dtake': 'hd', 'dtrk': 'd',
    'dsetd': 'dkd',
    # Node keys: D[d][H[h]] (README.md, "Dicts").
    'dsetk': 'dhv', 'ddelk': 'dh', 'dgetk': 'dhh', 'dsetkh': 'dhh',
}
DICT_OPS = {name for name in OPS if name.startswith('d') and name != 'drop'}
FIELDS = 'abc'
# Finalizer kinds the differential scenarios use (9, allocating in a
# finalizer, is fuzz-only: see README.md).
DIFF_FIN_KINDS = list(range(9))
CB_KINDS = list(range(5))
# Kinds that use the dict table, drawn in the scenarios that have one:
# finalizers 10 D[x][0] = self, 11 D[x].clear(), 12 self.d[1] = self;
# callback 5 D[x].clear().
DICT_FIN_KINDS = [10, 11, 12]
DICT_CB_KINDS = [5]
# And in the scenarios that also have node keys: finalizers 13
# D[x][self] = 0, 14 self.d[self] = 1.
KEY_FIN_KINDS = [13, 14]

# Ops that may only be followed by `collect` and `survivors`: computing the
# survivors in Python allocates (lists, a comprehension), which moves the
# counts and may park objects on CPython's free lists.
COUNT_PERTURBING = {'survivors'}
# Ops the CPython form cannot mirror exactly (README.md).
NOT_COMPARABLE = {'freeze', 'unfreeze'}
FUZZ_ONLY_FIN_KINDS = {9}


def not_comparable(s):
    """Why refgc and CPython cannot be compared on `s` (README.md, "What is
    not compared"), or None."""
    if s.multiweak:
        return 'multiweak: several weak references per object'
    perturbed = False
    for op in s.ops:
        if op[0] in NOT_COMPARABLE:
            return 'uses %s' % op[0]
        if op[0] == 'newf' and op[2] in FUZZ_ONLY_FIN_KINDS:
            return 'a finalizer of kind %d' % op[2]
        if perturbed and op[0] not in ('collect', 'survivors'):
            return '%s after survivors' % op[0]
        perturbed = perturbed or op[0] in COUNT_PERTURBING
    return None


class Scenario:
    def __init__(self, handles=8, weakrefs=4, multiweak=False, ops=None, longlived=False,
                 dicts=0):
        self.handles = handles
        self.weakrefs = weakrefs
        self.dicts = dicts  # size of the dict table D (0: no dict operations)
        self.multiweak = multiweak
        self.longlived = longlived  # log 'll TOTAL PENDING' after every op
        self.ops = list(ops or [])  # each op: (name, arg, arg, ...)

    def with_ops(self, ops):
        return Scenario(self.handles, self.weakrefs, self.multiweak, ops, self.longlived,
                        self.dicts)

    def text(self, comment=None):
        lines = []
        if comment:
            lines += ['# ' + c for c in comment.splitlines()]
        lines += ['handles %d' % self.handles, 'weakrefs %d' % self.weakrefs]
        if self.dicts:
            lines.append('dicts %d' % self.dicts)
        if self.multiweak:
            lines.append('multiweak')
        if self.longlived:
            lines.append('longlived')
        for op in self.ops:
            lines.append(format_op(op))
        return '\n'.join(lines) + '\n'


def format_op(op):
    name, args = op[0], op[1:]
    words = [name]
    for kind, value in zip(OPS[name], args):
        words.append(FIELDS[value] if kind == 'f' else str(value))
    return ' '.join(words)


def parse(text):
    s = Scenario()
    for lineno, raw in enumerate(text.splitlines(), 1):
        words = raw.split('#', 1)[0].split()
        if not words:
            continue
        head = words[0]
        if head in ('handles', 'weakrefs', 'dicts'):
            setattr(s, head, int(words[1]))
        elif head == 'multiweak':
            s.multiweak = True
        elif head == 'longlived':
            s.longlived = True
        elif head in OPS:
            kinds = OPS[head]
            if len(words) - 1 != len(kinds):
                raise ValueError('line %d: wrong number of arguments: %r' % (lineno, raw))
            args = []
            for kind, w in zip(kinds, words[1:]):
                args.append(FIELDS.index(w) if kind == 'f' else int(w))
            s.ops.append(tuple([head] + args))
        else:
            raise ValueError('line %d: unknown operation: %r' % (lineno, raw))
    return s


# ---------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------

WEIGHTS = {
    'new': 9, 'newf': 9, 'set': 20, 'clr': 4, 'get': 6, 'cp': 4, 'drop': 12,
    'wref': 2, 'wrefcb': 8, 'wdrop': 2, 'wchk': 4, 'wset': 3, 'wclr': 1,
    'wget': 2, 'collect': 3, 'thresh': 2, 'enable': 3, 'disable': 1,
    'count': 6, 'unsave': 2, 'gcorder': 2, 'isfin': 3,
}
# At most this many nodes are created by a scenario's operations; a quarter
# of the scenarios ("deep") also build long chains in bursts, so that
# deallocation cascades nest deeper than the trashcan limit (50) and the
# deferred deallocations' order is compared too.
MAX_NODES = 45
MAX_NODES_DEEP = 200
# Dict operations, in the scenarios that have dicts (DICT_SHARE of them).
DICT_WEIGHTS = {
    'dnew': 8, 'dset': 12, 'dseti': 4, 'ddel': 3, 'dclr': 2, 'ddrop': 3,
    'dget': 3, 'dput': 6, 'dtake': 3, 'dtrk': 6, 'dsetd': 3,
}
DICT_SHARE = 0.6
# Node-key operations, in KEY_SHARE of the scenarios with dicts.
KEY_WEIGHTS = {'dsetk': 8, 'ddelk': 3, 'dgetk': 2, 'dsetkh': 4}
KEY_SHARE = 0.7
MAX_DICTS = 30
DICT_KEYS = 6  # keys 0..5
DICT_ATOMS = 10  # int values 0..9 (CPython's cached small ints: no allocation)


def generate(seed, scale=1):
    """A random comparable scenario, a pure function of `seed` and `scale`.
    `scale` (long runs by hand, run.py --scale) multiplies the handles, the
    weak slots, the operations and the node budget; the random draws are the
    same for every scale, so scale 1 is the scenario CI knows."""
    rnd = random.Random(seed)
    handles = min(64, rnd.randint(3, 12) * scale)
    weakrefs = min(64, rnd.randint(1, 6) * scale)
    n_ops = rnd.choice([20, 40, 80, 120, 200]) * scale
    # Each scenario leans on a few operations more than the others.
    weights = dict(WEIGHTS)
    ndicts = 0
    keys = False  # node keys
    fin_kinds, cb_kinds = DIFF_FIN_KINDS, CB_KINDS
    if rnd.random() < DICT_SHARE:
        ndicts = min(64, rnd.randint(1, 4) * scale)
        weights.update(DICT_WEIGHTS)
        fin_kinds, cb_kinds = DIFF_FIN_KINDS + DICT_FIN_KINDS, CB_KINDS + DICT_CB_KINDS
        keys = rnd.random() < KEY_SHARE
        if keys:
            weights.update(KEY_WEIGHTS)
            fin_kinds = fin_kinds + KEY_FIN_KINDS
    for name in rnd.sample(sorted(weights), 4):
        weights[name] *= rnd.choice([2, 3])
    names = sorted(weights)
    cum = [weights[n] for n in names]

    def thresh():
        # Small older thresholds, so that generations 1 and 2 are collected
        # automatically too (and the 25% long-lived rule decides).
        # count0 is allocations minus frees, and most nodes die young: it
        # takes small thresholds for automatic collections to happen.
        t0 = rnd.choice([0, 1, 1, 2, 2, 3, 3, 4, 5, 8, 12, 700])
        return ('thresh', t0, rnd.choice([0, 1, 1, 2, 2, 3, 5]), rnd.choice([0, 0, 1, 1, 2, 3]))

    deep = rnd.random() < 0.3
    max_nodes = (MAX_NODES_DEEP if deep else MAX_NODES) * scale
    # Composite steps: 'ring' makes a small cycle of new nodes and drops it
    # (cyclic garbage is what makes count0 grow: most nodes die young);
    # 'burst' grows a long chain.
    names.append('ring')
    cum.append(rnd.choice([2, 5, 10]))
    if deep:
        names.append('burst')
        cum.append(rnd.choice([4, 8]))
    if ndicts:
        # 'dring': a node holding a dict that holds the node (a cycle through
        # a dict), then maybe dropped.
        names.append('dring')
        cum.append(rnd.choice([2, 5, 10]))
    if keys:
        # 'kring': the same through a key: D[node] = x, node.d = D, or
        # D[n1] = x, n1.f = n2, n2.d = D, or D[n1] = n2, n1.d = D; the
        # nodes' handles then usually dropped, sometimes a collection (which
        # may find the nodes reachable only through the dict), the dict's
        # slot maybe dropped.
        names.append('kring')
        cum.append(rnd.choice([2, 5, 10]))

    ops = []
    ops.append(thresh())
    created = 0
    dicts_made = 0
    max_dicts = MAX_DICTS * scale
    h = lambda: rnd.randrange(handles)  # noqa: E731
    w = lambda: rnd.randrange(weakrefs)  # noqa: E731
    d = lambda: rnd.randrange(ndicts)  # noqa: E731
    k = lambda: rnd.randrange(DICT_KEYS)  # noqa: E731
    while len(ops) < n_ops:
        name = rnd.choices(names, cum)[0]
        if name in ('new', 'newf'):
            if created >= max_nodes:
                continue
            created += 1
        if name == 'dnew':
            if dicts_made >= max_dicts:
                continue
            dicts_made += 1
        if name == 'dring':
            if created >= max_nodes or dicts_made >= max_dicts:
                continue
            node, slot = h(), d()
            if rnd.random() < 0.5:
                ops.append(('newf', node, rnd.choice(fin_kinds), h()))
            else:
                ops.append(('new', node))
            ops += [('dnew', slot), ('dset', slot, k(), node), ('dput', node, slot)]
            if rnd.random() < 0.3:
                ops.append(('wrefcb', w(), node, rnd.choice(cb_kinds), h()))
            if rnd.random() < 0.7:
                ops.append(('drop', node))
            if rnd.random() < 0.5:
                ops.append(('ddrop', slot))
            created += 1
            dicts_made += 1
            continue
        if name == 'kring':
            size = rnd.randint(1, 2)
            if created + size > max_nodes or dicts_made >= max_dicts or handles < size:
                continue
            nodes, slot = rnd.sample(range(handles), size), d()
            for node in nodes:
                if rnd.random() < 0.5:
                    ops.append(('newf', node, rnd.choice(fin_kinds), h()))
                else:
                    ops.append(('new', node))
            if size == 2 and rnd.random() < 0.5:
                # both an entry's key and its value young nodes: a
                # collection that finds them reachable through the dict
                # moves them back in dict_traverse's order (value, key)
                ops += [('dnew', slot), ('dsetkh', slot, nodes[0], nodes[1]),
                        ('dput', nodes[0], slot)]
            else:
                ops += [('dnew', slot), ('dsetk', slot, nodes[0], rnd.randrange(DICT_ATOMS))]
                if size == 2:
                    ops.append(('set', nodes[0], rnd.randrange(3), nodes[1]))
                ops.append(('dput', nodes[-1], slot))
            if rnd.random() < 0.3:
                ops.append(('wrefcb', w(), nodes[0], rnd.choice(cb_kinds), h()))
            for node in nodes:
                if rnd.random() < 0.7:
                    ops.append(('drop', node))
            if rnd.random() < 0.3:
                ops.append(('collect', rnd.choice([0, 0, 1, 2])))
            if rnd.random() < 0.5:
                ops.append(('ddrop', slot))
            created += size
            dicts_made += 1
            continue
        if name == 'burst':
            # A chain grows at H[top]: each new node points (by field f) to
            # the previous head.
            # With dicts, half the chains go through a dict at every link
            # (node.d = {key: previous head}, or with node keys, half of
            # those node.d = {previous head: f}): two deallocations per link.
            top, tmp, f = h(), h(), rnd.randrange(3)
            length = min(rnd.randint(10, 70), max_nodes - created)
            if tmp == top or length <= 0:
                continue
            slot = d() if ndicts and rnd.random() < 0.5 else None
            by_key = keys and slot is not None and rnd.random() < 0.5
            for _ in range(length):
                if rnd.random() < 0.5:
                    ops.append(('newf', tmp, rnd.choice(fin_kinds), h()))
                else:
                    ops.append(('new', tmp))
                if slot is None:
                    ops += [('set', tmp, f, top), ('cp', tmp, top)]
                elif by_key:
                    ops += [('dnew', slot), ('dsetk', slot, top, f), ('dput', tmp, slot),
                            ('cp', tmp, top)]
                else:
                    ops += [('dnew', slot), ('dset', slot, f, top), ('dput', tmp, slot),
                            ('cp', tmp, top)]
            ops.append(('drop', tmp))
            if slot is not None:
                ops.append(('ddrop', slot))
            created += length
            continue
        if name == 'ring':
            size = min(rnd.randint(1, 4), max_nodes - created)
            if size <= 0 or handles < size + 1:
                continue
            slots = rnd.sample(range(handles), size)
            for slot in slots:
                if rnd.random() < 0.5:
                    ops.append(('newf', slot, rnd.choice(fin_kinds), h()))
                else:
                    ops.append(('new', slot))
            for i, slot in enumerate(slots):
                ops.append(('set', slot, rnd.randrange(3), slots[(i + 1) % size]))
            if rnd.random() < 0.3:
                ops.append(('wrefcb', w(), slots[0], rnd.choice(cb_kinds), h()))
            for slot in slots:
                ops.append(('drop', slot))
            created += size
            continue
        if name == 'new':
            op = ('new', h())
        elif name == 'newf':
            op = ('newf', h(), rnd.choice(fin_kinds), h())
        elif name in ('set', 'get'):
            op = (name, h(), rnd.randrange(3), h())
        elif name == 'clr':
            op = ('clr', h(), rnd.randrange(3))
        elif name == 'cp':
            op = ('cp', h(), h())
        elif name in ('drop', 'wclr', 'isfin'):
            op = (name, h())
        elif name == 'wref':
            op = ('wref', w(), h())
        elif name == 'wrefcb':
            kind = rnd.choice(cb_kinds)
            op = ('wrefcb', w(), h(), kind, w() if kind == 3 else h())
        elif name in ('wdrop', 'wchk'):
            op = (name, w())
        elif name in ('wset', 'wget'):
            op = (name, h(), w())
        elif name == 'collect':
            op = ('collect', rnd.choice([0, 0, 1, 2]))
        elif name == 'gcorder':
            op = ('gcorder', rnd.randrange(3))
        elif name == 'thresh':
            op = thresh()
        elif name in ('dnew', 'dclr', 'ddrop', 'dtrk'):
            op = (name, d())
        elif name in ('dset', 'dget'):
            op = (name, d(), k(), h())
        elif name == 'dseti':
            op = ('dseti', d(), k(), rnd.randrange(DICT_ATOMS))
        elif name == 'ddel':
            op = ('ddel', d(), k())
        elif name == 'dsetd':
            op = ('dsetd', d(), k(), d())
        elif name in ('dput', 'dtake'):
            op = (name, h(), d())
        elif name == 'dsetk':
            op = ('dsetk', d(), h(), rnd.randrange(DICT_ATOMS))
        elif name == 'ddelk':
            op = ('ddelk', d(), h())
        elif name in ('dgetk', 'dsetkh'):
            op = (name, d(), h(), h())
        else:
            op = (name,)
        ops.append(op)
    ops += [('count',), ('survivors',), ('collect', 2), ('survivors',)]
    # longlived: both sides also log the 25% rule's state after every op, so a
    # survivor only one side has shows where it appears, not at the first
    # collection it changes.
    return Scenario(handles, weakrefs, False, ops, longlived=True, dicts=ndicts)


# ---------------------------------------------------------------------------
# The CPython form
# ---------------------------------------------------------------------------

# Design (README.md, "Making CPython's counts comparable"): the only
# gc-tracked objects the script allocates while the scenario runs are the
# scenario's own nodes and weak references. Everything else is created before
# gc.freeze(); calls that need an argument tuple (set_threshold, get_count's
# result, weakref construction) first release a spare tuple of that size, so
# CPython takes it back from its free list instead of allocating a counted
# one; log lines are str (untracked); ops are functions (no closures).
PRELUDE = r'''
import gc, os, sys
from weakref import ref, getweakrefcount

LOG = []
SAVED = []
H = [None] * %(handles)d
W = [None] * %(weakrefs)d
D = [None] * %(dicts)d
DNEXT = 0
# id() -> serial of the scenario's dicts, for gcorder (untracked: int keys
# and values).
DSERIAL = {}
MULTIWEAK = %(multiweak)s
NEXT = 0
WNEXT = 0
CK = 0
CX = 0
Z = 0
T1 = (Z,)
T2 = (Z, Z)
T3 = (Z, Z, Z)
# Spare lists for gcorder, frozen below (a spare kept in a young generation
# would be a tracked survivor that refgc does not have).
SPARE_LISTS = [[Z] for _ in range(%(spare_lists)d)]
QUIET = False


class Node:
    __slots__ = ('a', 'b', 'c', 'd', 'i', 'w', '__weakref__')

    def __init__(self):
        global NEXT
        self.i = NEXT
        NEXT += 1
        self.a = None
        self.b = None
        self.c = None
        self.d = None
        self.w = None


class FNode(Node):
    __slots__ = ('k', 'x')

    def __init__(self):
        global NEXT
        self.i = NEXT
        NEXT += 1
        self.a = None
        self.b = None
        self.c = None
        self.d = None
        self.w = None
        self.k = CK
        self.x = CX

    def __del__(self):
        LOG.append('del %%d' %% self.i)
        if QUIET:
            return
        k = self.k
        if k == 1:
            SAVED.append(self)
        elif k == 2:
            self.a = None
        elif k == 3:
            H[self.x %% len(H)] = None
        elif k == 4:
            v = H[self.x %% len(H)]
            self.a = v
            v = None
        elif k == 5:
            H[self.x %% len(H)] = self
        elif k == 6:
            SAVED.clear()
        elif k == 7:
            self.b = self
        elif k == 8:
            n = gc.collect(0)
            LOG.append('fcollect %%d' %% n)
        elif k == 9:
            v = Node()
            H[self.x %% len(H)] = v
            v = None
        elif k == 10:
            if D:
                v = D[self.x %% len(D)]
                if v is not None:
                    v[0] = self
                v = None
        elif k == 11:
            if D:
                v = D[self.x %% len(D)]
                if v is not None:
                    v.clear()
                v = None
        elif k == 12:
            v = self.d
            if v is not None:
                v[1] = self
            v = None
        elif k == 13:
            if D:
                v = D[self.x %% len(D)]
                if v is not None:
                    v[self] = 0
                v = None
        elif k == 14:
            v = self.d
            if v is not None:
                v[self] = 1
            v = None


class WR(ref):
    __slots__ = ('n', 'k', 'x')

    def __init__(self, o, c):
        global WNEXT
        self.n = WNEXT
        WNEXT += 1
        self.k = CK
        self.x = CX


def cb(r):
    LOG.append('cb %%d' %% r.n)
    if QUIET:
        return
    k = r.k
    if k == 1:
        H[r.x %% len(H)] = None
    elif k == 2:
        SAVED.clear()
    elif k == 3:
        W[r.x %% len(W)] = None
    elif k == 4:
        n = gc.collect(0)
        LOG.append('cbcollect %%d' %% n)
    elif k == 5:
        if D:
            v = D[r.x %% len(D)]
            if v is not None:
                v.clear()
            v = None


# After every statement that may run a full collection (an allocation, or
# gc.collect), before anything can die: refills the dict free list that the
# collection emptied (defined below the probe when the scenario has dicts).
def _df():
    pass


def op_new(h):
    v = Node()
    _df()
    H[h] = v
    v = None


def op_newf(h, k, x):
    global CK, CX
    CK = k
    CX = x
    v = FNode()
    _df()
    H[h] = v
    v = None


def op_set(h, f, h2):
    o = H[h]
    if o is not None:
        v = H[h2]
        if f == 0:
            o.a = v
        elif f == 1:
            o.b = v
        else:
            o.c = v
        v = None
    o = None


def op_clr(h, f):
    o = H[h]
    if o is not None:
        if f == 0:
            o.a = None
        elif f == 1:
            o.b = None
        else:
            o.c = None
    o = None


def op_get(h, f, h2):
    o = H[h]
    v = None
    if o is not None:
        if f == 0:
            v = o.a
        elif f == 1:
            v = o.b
        else:
            v = o.c
    o = None
    H[h2] = v
    v = None


def op_cp(h, h2):
    v = H[h]
    H[h2] = v
    v = None


def op_drop(h):
    H[h] = None


# ref(o) and WR(o, cb) hold their arguments in a tuple (3.11's weakref types
# have no vectorcall): taken from the free list (T1/T2 released just before),
# so uncounted, but tracked and alive while the weak reference is allocated.
# A collection triggered by that allocation would count it as a survivor
# (long_lived_total / long_lived_pending), which refgc has no reason to do.
# Both sides therefore create weak references with automatic collection
# paused; the allocation still counts, and the next tracked allocation runs
# the collection (README.md, "A weak reference's argument tuple").
def op_wref(w, h):
    global T1
    o = H[h]
    if o is None or (not MULTIWEAK and getweakrefcount(o) != 0):
        o = None
        W[w] = None
        return
    T1 = None
    enabled = gc.isenabled()
    gc.disable()
    r = ref(o)
    if enabled:
        gc.enable()
    T1 = (Z,)
    o = None
    W[w] = r
    r = None


def op_wrefcb(w, h, k, x):
    global T2, CK, CX
    o = H[h]
    if o is None or (not MULTIWEAK and getweakrefcount(o) != 0):
        o = None
        W[w] = None
        return
    CK = k
    CX = x
    T2 = None
    enabled = gc.isenabled()
    gc.disable()
    r = WR(o, cb)
    if enabled:
        gc.enable()
    T2 = (Z, Z)
    o = None
    W[w] = r
    r = None


def op_wdrop(w):
    W[w] = None


def op_wchk(w):
    r = W[w]
    if r is None:
        LOG.append('w%%d none' %% w)
    else:
        o = r()
        if o is None:
            LOG.append('w%%d dead' %% w)
        else:
            LOG.append('w%%d alive ' %% w + '%%d' %% o.i)
        o = None
    r = None


def op_isfin(h):
    o = H[h]
    if o is None:
        LOG.append('isfin %%d none' %% h)
    elif gc.is_finalized(o):
        LOG.append('isfin %%d 1' %% h)
    else:
        LOG.append('isfin %%d 0' %% h)
    o = None


def op_wset(h, w):
    o = H[h]
    if o is not None:
        v = W[w]
        o.w = v
        v = None
    o = None


def op_wclr(h):
    o = H[h]
    if o is not None:
        o.w = None
    o = None


def op_wget(h, w):
    o = H[h]
    v = None
    if o is not None:
        v = o.w
    o = None
    W[w] = v
    v = None


def op_collect(g):
    n = gc.collect(g)
    _df()
    LOG.append('collect %%d ' %% g + '%%d' %% n)


def op_thresh(a, b, c):
    global T3
    T3 = None
    gc.set_threshold(a, b, c)
    T3 = (Z, Z, Z)


def op_enable():
    gc.enable()


def op_disable():
    gc.disable()


def op_count():
    global T3
    T3 = None
    T3 = gc.get_count()
    LOG.append('count %%d %%d %%d' %% T3)


def op_unsave():
    SAVED.clear()


def op_survivors():
    # Allocates: only `collect` and `survivors` may follow it.
    enabled = gc.isenabled()
    gc.disable()
    ids = sorted([o.i for o in gc.get_objects() if type(o) is Node or type(o) is FNode])
    LOG.append(' '.join(['survivors'] + [str(i) for i in ids]))
    if enabled:
        gc.enable()


def op_gcorder(g):
    # get_objects' result list must come from the free list: a frozen spare
    # list is released first (untracked, parked on the free list, no count
    # change). The free list keeps it until a full collection empties it, so
    # it is not taken back; the pool is large enough for a scenario. The
    # loop's list iterator is counted and freed, with collections off.
    enabled = gc.isenabled()
    gc.disable()
    spare = SPARE_LISTS.pop()
    spare = None
    objs = gc.get_objects(g)
    s = 'gen %%d:' %% g
    for o in objs:
        t = type(o)
        if t is Node or t is FNode:
            s += ' %%d' %% o.i
        elif t is WR:
            s += ' w%%d' %% o.n
        elif t is ref:
            s += ' r'
        elif t is dict:
            s += ' d%%d' %% DSERIAL[id(o)]
    o = None
    t = None
    objs = None
    if enabled:
        gc.enable()
    LOG.append(s)


# Dicts. dict() always allocates a counted object (dict_new through
# tp_alloc), never one from the dict free list, as refgc's make<Dict> does.
def op_dnew(i):
    global DNEXT
    v = dict()
    _df()
    DSERIAL[id(v)] = DNEXT
    DNEXT += 1
    D[i] = v
    v = None


def op_dset(i, k, h):
    d = D[i]
    if d is not None:
        v = H[h]
        d[k] = v
        v = None
    d = None


def op_dsetd(i, k, j):
    d = D[i]
    if d is not None:
        v = D[j]
        d[k] = v
        v = None
    d = None


def op_dseti(i, k, x):
    d = D[i]
    if d is not None:
        d[k] = x
    d = None


def op_ddel(i, k):
    d = D[i]
    if d is not None and k in d:
        del d[k]
    d = None


def op_dclr(i):
    d = D[i]
    if d is not None:
        d.clear()
    d = None


def op_ddrop(i):
    D[i] = None


def op_dget(i, k, h):
    d = D[i]
    v = None
    if d is not None:
        v = d.get(k)
        if type(v) is not Node and type(v) is not FNode:
            v = None
    d = None
    H[h] = v
    v = None


def op_dput(h, i):
    o = H[h]
    if o is not None:
        v = D[i]
        o.d = v
        v = None
    o = None


def op_dtake(h, i):
    o = H[h]
    v = None
    if o is not None:
        v = o.d
    o = None
    D[i] = v
    v = None


def op_dtrk(i):
    d = D[i]
    if d is None:
        LOG.append('dtrk %%d none' %% i)
    elif gc.is_tracked(d):
        LOG.append('dtrk %%d 1' %% i)
    else:
        LOG.append('dtrk %%d 0' %% i)
    d = None


# Node keys: a node hashes and compares by identity (no __eq__), as refgc's
# Ref key; an int key is a cached small int, refgc's one Int of that value.
def op_dsetk(i, h, x):
    d = D[i]
    if d is not None:
        k = H[h]
        if k is not None:
            d[k] = x
        k = None
    d = None


def op_dsetkh(i, h, h2):
    d = D[i]
    if d is not None:
        k = H[h]
        if k is not None:
            v = H[h2]
            d[k] = v
            v = None
        k = None
    d = None


def op_ddelk(i, h):
    d = D[i]
    if d is not None:
        k = H[h]
        if k is not None and k in d:
            del d[k]
        k = None
    d = None


def op_dgetk(i, h, h2):
    d = D[i]
    v = None
    if d is not None:
        k = H[h]
        if k is not None:
            v = d.get(k)
            if type(v) is not Node and type(v) is not FNode:
                v = None
        k = None
    d = None
    H[h2] = v
    v = None


def op_freeze():
    gc.freeze()


def op_unfreeze():
    gc.unfreeze()


def audit():
    # Harness self-check (run.py --self-check): after a full collection
    # (which untracks tuples and dicts of atoms), no gc-tracked object other
    # than the scenario's may be left in generations 0-2: such an object
    # would be a survivor refgc does not have, and would change the 25%%
    # long-lived rule.
    gc.collect()
    names = []
    for o in gc.get_objects():
        t = type(o)
        if o is not names and t is not Node and t is not FNode and t is not WR \
                and t is not ref and not (t is dict and id(o) in DSERIAL):
            names.append(t.__name__)
    o = None
    LOG.append(' '.join(['audit:'] + sorted(names)))


def finish():
    # Writing the log allocates: no collection may run (and log) any more.
    global QUIET
    gc.disable()
    QUIET = True
    sys.stdout.write(''.join([line + '\n' for line in LOG]))
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


# Everything above is frozen: from here on, the only tracked allocations are
# the scenario's nodes and weak references (and get_count's tuple, which
# reuses a free-list slot and is untracked by the next collection).
gc.collect()
gc.freeze()
gc.collect()
'''


# `longlived`: CPython's long_lived_total and long_lived_pending (the 25%
# rule's state, which no API exposes) and the per-generation statistics
# (get_stats() would allocate a list of dicts; these count automatic
# collections too), read from the interpreter's gc state
# with ctypes. The struct is found by its three thresholds, set to unlikely
# values for the search; the offsets that follow are CPython 3.11's
# (Include/internal/pycore_gc.h: generations[3] of {head, threshold, count},
# generation0, permanent_generation, generation_stats[3], collecting,
# garbage, callbacks, long_lived_total, long_lived_pending). Reading them
# allocates nothing tracked: '%d' % int, no tuple (str(x) would build an
# argument tuple, tracked and possibly counted, and move the collections).
LONGLIVED_PROBE = r'''
import ctypes, struct


def _find_gc_state():
    # Collections off: an allocation here must not change the statistics
    # between the read and the check below.
    gc.disable()
    gc.set_threshold(12345, 23456, 3456)
    ctypes.pythonapi.PyInterpreterState_Get.restype = ctypes.c_void_p
    base = ctypes.pythonapi.PyInterpreterState_Get()
    # The gc state is 688 bytes into the interpreter state in 3.11: read a
    # little, more only if needed, never far past the structure.
    found = None
    for size in (4096, 16384):
        mem = ctypes.string_at(base, size)
        at = 0
        while found is None:
            at = mem.find(struct.pack('i', 12345), at)
            if at < 0 or at + 52 > size:
                break
            if struct.unpack_from('i', mem, at + 24)[0] == 23456 and \
                    struct.unpack_from('i', mem, at + 48)[0] == 3456:
                found = at
            at += 4
        if found is not None:
            break
    if found is None:
        raise SystemExit('longlived: the gc state was not found (CPython 3.11 only)')
    at = found
    gc.set_threshold(700, 10, 10)
    generations = base + at - 16
    stats = (ctypes.c_ssize_t * 9).from_address(generations + 104)
    if [stats[i] for i in range(9)] != [d[k] for d in gc.get_stats()
                                        for k in ('collections', 'collected', 'uncollectable')]:
        raise SystemExit('longlived: generation_stats is not where CPython 3.11 has it')
    gc.enable()
    return (ctypes.c_ssize_t.from_address(generations + 200),
            ctypes.c_ssize_t.from_address(generations + 208), stats)


_TOTAL, _PENDING, _STATS = _find_gc_state()
_BASE = (ctypes.c_ssize_t * 9)()


def _ll_base():
    # after the preamble: get_stats() counts from here, as on a fresh heap
    for i in range(9):
        _BASE[i] = _STATS[i]


def _ll():
    line = 'll %d' % _TOTAL.value + ' %d' % _PENDING.value + ' st'
    for i in range(9):
        line += ' %d' % (_STATS[i] - _BASE[i])
    LOG.append(line)
'''


# Dicts (README.md, "Dicts and CPython's dict free list"). dict_dealloc puts
# a dead dict on a free list of up to 80 (PyDict_MAXFREELIST) instead of
# freeing it, and then count0 does not go down; refgc, which has no free
# lists, decrements it as for any object. So the free list is kept full
# whenever a scenario dict may die: then dict_dealloc frees it (tp_free,
# PyObject_GC_Del: count0 -= 1, floored at 0). Only a full collection empties
# it (clear_freelists, at its very end); after every statement that may run
# one (an allocation, gc.collect), _df() sees generation 2's collection count
# move and releases 80 dicts of a pool made in the preamble (alive and
# untracked: releasing them counts nothing). Scenario dicts are made with
# dict(), which never takes one from the free list.
DICT_FREE_LIST = r'''
DPOOL = [dict() for _ in range(DPOOL_SIZE)]
DF_SEEN = -1


def _df():
    global DF_SEEN
    n = _STATS[6]
    if n != DF_SEEN:
        DF_SEEN = n
        if len(DPOOL) < 80:
            LOG.append('harness: the dict pool is exhausted')
            return
        i = 0
        while i < 80:
            DPOOL.pop()
            i += 1
'''


def uses_dicts(s):
    return any(op[0] in DICT_OPS for op in s.ops)


def to_python(s, audit=False):
    spare_lists = 1 + sum(1 for op in s.ops if op[0] == 'gcorder')
    prelude = PRELUDE % {'handles': s.handles, 'weakrefs': s.weakrefs, 'dicts': s.dicts,
                         'multiweak': 'True' if s.multiweak else 'False',
                         'spare_lists': spare_lists}
    dicts = uses_dicts(s)
    if s.longlived or dicts:
        # defined before the preamble's freeze, like everything else
        mark = '\ngc.collect()\ngc.freeze()\n'
        assert mark in prelude
        extra = LONGLIVED_PROBE
        if dicts:
            # One refill per full collection: at most one per statement that
            # may run one, and the first.
            full = 2 + sum(1 for op in s.ops if op[0] in ('new', 'newf', 'dnew', 'collect'))
            extra += DICT_FREE_LIST.replace('DPOOL_SIZE', '%d' % (80 * full))
        prelude = prelude.replace(mark, extra + mark, 1)
    out = [prelude]
    if dicts:
        out.append('_df()')  # the preamble's last collection emptied the free list
    if s.longlived:
        out.append('_ll_base()')
    for op in s.ops:
        out.append('op_%s(%s)' % (op[0], ', '.join(str(a) for a in op[1:])))
        if s.longlived:
            out.append('_ll()')
    if audit:
        out.append('audit()')
    out.append('finish()')
    return '\n'.join(out) + '\n'


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--scale', type=int, default=1, help='larger scenarios (generate())')
    ap.add_argument('--python', metavar='SCN', help='print the CPython form of a .scn file')
    args = ap.parse_args()
    if args.python:
        with open(args.python) as f:
            sys.stdout.write(to_python(parse(f.read())))
    else:
        sys.stdout.write(generate(args.seed, args.scale).text(
            'seed %d' % args.seed + (' scale %d' % args.scale if args.scale != 1 else '')))


if __name__ == '__main__':
    main()
