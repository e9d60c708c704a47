#!/usr/bin/env python3
"""Encodes differential scenarios as fuzz inputs (the byte format that
fuzz_scenario.cc decodes), to seed or extend tests/fuzz/corpus/.

  make_corpus.py OUTDIR --seeds 0-15           generated scenarios (gen.py)
  make_corpus.py OUTDIR --scn A.scn [B.scn ...]  given scenario files
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
           'count', 'unsave', 'survivors', 'gcorder', 'freeze', 'unfreeze', 'isfin']


def encode(s):
    if not (2 <= s.handles <= 12 and 1 <= s.weakrefs <= 6):
        raise ValueError('fuzz inputs have 2-12 handles and 1-6 weak slots')
    out = [s.handles - 2, s.weakrefs - 1, 1 if s.multiweak else 0]
    for op in s.ops:
        name, args = op[0], list(op[1:])
        if name == 'thresh':
            args = [args[0] % 32, args[1] % 6, args[2] % 6]
        out.append(OPCODES.index(name))
        out += [a % 256 for a in args]
    return bytes(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--seeds', help='a range of gen.py seeds, e.g. 0-15')
    ap.add_argument('--scn', nargs='*', default=[])
    ap.add_argument('outdir')
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    named = []
    if args.seeds:
        lo, hi = (int(x) for x in args.seeds.split('-'))
        named += [('seed%d' % i, gen.generate(i)) for i in range(lo, hi + 1)]
    for path in args.scn:
        with open(path) as f:
            named.append((os.path.basename(path)[:-4], gen.parse(f.read())))
    for name, s in named:
        with open(os.path.join(args.outdir, name), 'wb') as f:
            f.write(encode(s))
    print('%d inputs written to %s' % (len(named), args.outdir))


if __name__ == '__main__':
    main()
