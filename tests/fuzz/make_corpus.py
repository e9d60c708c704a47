#!/usr/bin/env python3
"""Encodes differential scenarios as fuzz inputs (the byte format that
fuzz_scenario.cc decodes), to seed or extend tests/fuzz/corpus/.

  make_corpus.py OUTDIR --seeds 0-15           generated scenarios (gen.py)
  make_corpus.py OUTDIR --scn A.scn [B.scn ...]  given scenario files
  make_corpus.py OUTDIR --seeds 0-40 --dicts-only --prefix dicts_seed
                                 only the generated scenarios with dicts

A scenario with dicts (1-7 slots) sets bits 1-3 of the flags byte; its
opcodes then include the Dict operations (README.md, "Byte format"). One
that also uses node keys (dsetk, ddelk, dgetk, dsetkh, finalizer kinds 13
and 14) sets bit 4 too.
"""

import argparse
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'differential'))
import gen  # noqa: E402

# The order of refgc_diff::OpCode (scenario.h).
OPCODES = ['new', 'newf', 'set', 'clr', 'get', 'cp', 'drop', 'wref', 'wrefcb', 'wdrop',
           'wchk', 'wset', 'wclr', 'wget', 'collect', 'thresh', 'enable', 'disable',
           'count', 'unsave', 'survivors', 'gcorder', 'freeze', 'unfreeze', 'isfin',
           'dnew', 'dset', 'dseti', 'ddel', 'dclr', 'ddrop', 'dget', 'dput', 'dtake', 'dtrk',
           'dsetd', 'dsetk', 'ddelk', 'dgetk', 'dsetkh']
NO_DICT_OPCODES = OPCODES.index('isfin') + 1
NO_KEY_OPCODES = OPCODES.index('dsetd') + 1
# Finalizer kinds 13 and 14 store the dying node as a key.
KEY_FIN_KINDS = (13, 14)
# The decoder's key range (kDictKeys in fuzz_scenario.cc).
DICT_KEYS = 8
# The operations whose second argument is a dict key.
KEYED = ('dset', 'dseti', 'ddel', 'dget', 'dsetd')


def encode(s):
    if not (2 <= s.handles <= 12 and 1 <= s.weakrefs <= 6):
        raise ValueError('fuzz inputs have 2-12 handles and 1-6 weak slots')
    dicts = getattr(s, 'dicts', 0)
    if not 0 <= dicts <= 7:
        raise ValueError('fuzz inputs have 0-7 dict slots')
    keys = any(OPCODES.index(op[0]) >= NO_KEY_OPCODES or
               (op[0] == 'newf' and op[2] in KEY_FIN_KINDS) for op in s.ops)
    if keys and not dicts:
        raise ValueError('node keys in a scenario without dicts')
    out = [s.handles - 2, s.weakrefs - 1,
           (1 if s.multiweak else 0) | dicts << 1 | (16 if keys else 0)]
    for op in s.ops:
        name, args = op[0], list(op[1:])
        if name == 'thresh':
            args = [args[0] % 32, args[1] % 6, args[2] % 6]
        code = OPCODES.index(name)
        if code >= NO_DICT_OPCODES and not dicts:
            raise ValueError('%s in a scenario without dicts' % name)
        if name in KEYED and not 0 <= args[1] < DICT_KEYS:
            raise ValueError('fuzz inputs have dict keys 0-%d' % (DICT_KEYS - 1))
        out.append(code)
        out += [a % 256 for a in args]
    return bytes(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--seeds', help='a range of gen.py seeds, e.g. 0-15')
    ap.add_argument('--scn', nargs='*', default=[])
    ap.add_argument('--prefix', default='seed', help='file name of --seeds N: PREFIX + N')
    ap.add_argument('--dicts-only', action='store_true',
                    help='skip the generated scenarios without dicts')
    ap.add_argument('outdir')
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    named = []
    if args.seeds:
        lo, hi = (int(x) for x in args.seeds.split('-'))
        for i in range(lo, hi + 1):
            s = gen.generate(i)
            if s.dicts or not args.dicts_only:
                named.append(('%s%d' % (args.prefix, i), s))
    for path in args.scn:
        with open(path) as f:
            named.append((os.path.basename(path)[:-4], gen.parse(f.read())))
    for name, s in named:
        with open(os.path.join(args.outdir, name), 'wb') as f:
            f.write(encode(s))
    print('%d inputs written to %s' % (len(named), args.outdir))


if __name__ == '__main__':
    main()
