#!/usr/bin/env python3
"""Keeps the documentation's C++ honest: every ```cpp block is compiled, and run.

    doc_blocks.py generate --source-root DIR --out DIR FILE.md...
        writes one C++ translation unit per Markdown file (its checked blocks,
        each with #line directives pointing back at the Markdown), one per
        complete program, and manifest.cmake, which tests/docs/CMakeLists.txt
        includes to make the targets and the CTests.
    doc_blocks.py run --build-dir DIR --target T --exe PATH [--expect FILE]
        builds T in DIR (so that a block that does not compile fails the
        test, not the whole build), runs PATH, and compares its standard
        output with FILE when given.

The convention (tests/docs/README.md has the full text): an HTML comment on
the line right before the fence says what the block is,

    <!-- doc-test: fragment -->          statements: the body of a function
    <!-- doc-test: top-level -->         declarations at namespace scope
    <!-- doc-test: program -->           a whole program with main()
    <!-- doc-test: skip (why) -->        not compiled; the reason is required
    <!-- doc-test: compile-fail (regex) --> must not compile: after the file's
                                         blocks before it, the build fails on
                                         one of its lines, matching regex

A block without the comment is a program when it defines main() and a
fragment otherwise. Options and hidden sections follow the kind:

    <!-- doc-test: fragment, output      the block's full-line // comments are
                                         what it prints (std::cout, std::cerr)
    context:                             namespace-scope code the block needs
      struct Result : refgc::Object {};  (a bus, a helper: what the prose
    before:                              assumes but does not show)
      auto survivor = ...;               statements run before the block
    after:
      DOC_CHECK(cache->size() == 1);     checks run after the block
    output:                              what a program prints, when its
      Deleting Alice                     comments say it in prose
    -->

In fragments and programs a statement whose trailing comment starts with a
result is checked: `expr;  // true`, `// false`, `// 2` (or `// 2: ...`),
`// "text"` compare expr's value; `stmt;  // throws refgc::BufferError`
expects that exception. A line that is only `...` stands for elided code and
is dropped. In expected output `...` matches any text within a line, and a
line that is only `...` matches any number of lines.
"""

import argparse
import os
import re
import subprocess
import sys

FENCE = re.compile(r'^(\s*)(`{3,})\s*([\w+-]*)\s*$')
KINDS = ('fragment', 'top-level', 'program', 'skip', 'compile-fail')
SECTIONS = ('context', 'before', 'after', 'output')
SECTION_RE = re.compile(r'^\s*(%s):\s?(.*)$' % '|'.join(SECTIONS))
ELISION = re.compile(r'^\s*\.\.\.\s*(//.*)?$')
# `statement;  // claim`: the statement is on one line and is not a declaration.
CLAIM_LINE = re.compile(r'^(?P<indent>\s*)(?P<stmt>[^/"]*(?:"[^"]*"[^/"]*)*);\s*//\s*(?P<claim>.*)$')
DECLARATION = re.compile(r'^(auto|const|using|static|return|constexpr|if|for|while)\b')
ASSIGNMENT = re.compile(r'(?<![=!<>])=(?!=)')
CLAIM_THROWS = re.compile(r'^throws\s+([\w:]+)')
CLAIM_BOOL = re.compile(r'^(true|false)\b')
CLAIM_INT = re.compile(r'^(-?\d+)(?=$|[:,;\s])')
CLAIM_STR = re.compile(r'^("(?:[^"\\]|\\.)*")')


class Block:
    def __init__(self, md, line, code, annotation):
        self.md = md              # path relative to the source root
        self.line = line          # 1-based line of the opening fence
        self.code = code          # list of lines, indentation of the fence removed
        self.kind = None
        self.reason = ''
        self.options = set()
        self.sections = {name: [] for name in SECTIONS}
        self.section_lines = {name: 0 for name in SECTIONS}
        self.error = None
        self.parse_annotation(annotation)

    def parse_annotation(self, annotation):
        has_main = any(re.search(r'\bint\s+main\s*\(', l) for l in self.code)
        if annotation is None:
            self.kind = 'program' if has_main else 'fragment'
            return
        text, first_line = annotation
        lines = text.split('\n')
        header = lines[0].split('doc-test:', 1)[1].strip()
        m = re.match(r'^([\w-]+)\s*(.*)$', header)
        if not m or m.group(1) not in KINDS:
            self.error = 'unknown doc-test kind %r (one of %s)' % (header, ', '.join(KINDS))
            return
        self.kind, rest = m.group(1), m.group(2).strip()
        if self.kind in ('skip', 'compile-fail'):
            r = re.match(r'^\((.+)\)$', rest)
            if not r or not r.group(1).strip():
                self.error = ('a skipped block states why: <!-- doc-test: skip (reason) -->'
                              if self.kind == 'skip' else
                              'a compile-fail block names the error: '
                              '<!-- doc-test: compile-fail (regular expression) -->')
            else:
                self.reason = r.group(1).strip()
            rest = ''
            if self.kind == 'skip':
                return
        self.options = {o.strip() for o in rest.split(',') if o.strip()}
        unknown = self.options - {'output', 'continues'}
        if unknown:
            self.error = 'unknown doc-test option(s) %s' % ', '.join(sorted(unknown))
        current = None
        for i, l in enumerate(lines[1:], start=1):
            s = SECTION_RE.match(l)
            if s:
                current = s.group(1)
                self.section_lines[current] = first_line + i + (0 if s.group(2) else 1)
                if s.group(2):
                    self.sections[current].append(s.group(2))
            elif current:
                self.sections[current].append(l)
            elif l.strip():
                self.error = 'text before the first section (context:, before:, after:, output:)'
        for name in SECTIONS:
            self.sections[name] = dedent(self.sections[name])

    def expected_output(self):
        if self.sections['output']:
            return self.sections['output']
        if 'output' in self.options:
            out = []
            for l in self.code:
                m = re.match(r'^\s*//\s?(.*)$', l)
                if m:
                    out.append(m.group(1).rstrip())
            return out
        return None


def dedent(lines):
    while lines and not lines[-1].strip():
        lines.pop()
    indents = [len(l) - len(l.lstrip()) for l in lines if l.strip()]
    cut = min(indents) if indents else 0
    return [l[cut:] for l in lines]


def extract(root, md):
    with open(os.path.join(root, md), encoding='utf-8') as f:
        lines = f.read().split('\n')
    blocks = []
    used = set()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, ticks, lang = m.group(1), m.group(2), m.group(3)
        start = i
        i += 1
        body = []
        while i < len(lines):
            c = FENCE.match(lines[i])
            if c and c.group(2) == ticks and not c.group(3):
                break
            body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i].lstrip())
            i += 1
        i += 1
        if lang not in ('cpp', 'c++', 'cxx'):
            continue
        annotation = find_annotation(lines, start)
        if annotation:
            used.add(annotation[1])
        blocks.append(Block(md, start + 1, body, annotation))
    # A doc-test comment that is not right before a ```cpp fence says nothing:
    # a mistake (a blank line in between, a typo in the language).
    for n, l in enumerate(lines, start=1):
        if '<!-- doc-test:' in l and n not in used:
            orphan = Block(md, n, [], None)
            orphan.kind = 'fragment'
            orphan.error = 'this doc-test comment is not on the line right before a ```cpp fence'
            blocks.append(orphan)
    blocks.sort(key=lambda b: b.line)
    return blocks


def find_annotation(lines, fence):
    """The <!-- doc-test: ... --> comment ending on the line before the fence."""
    end = fence - 1
    if end < 0 or not lines[end].rstrip().endswith('-->'):
        return None
    begin = end
    while begin >= 0 and '<!--' not in lines[begin]:
        begin -= 1
    if begin < 0:
        return None
    text = '\n'.join(lines[begin:end + 1]).strip()
    text = text[len('<!--'):-len('-->')].strip() if text.startswith('<!--') else ''
    if not text.startswith('doc-test:'):
        return None
    return text, begin + 1


def c_string(s):
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"') + '"'


def rewrite_claims(block, code):
    """`expr; // claim` lines become checks; `...` lines are dropped."""
    out = []
    prev = ''
    for l in code:
        if ELISION.match(l):
            out.append('')
            continue
        new = l
        m = CLAIM_LINE.match(l)
        ends_statement = prev.rstrip().endswith((';', '{', '}')) or not prev.strip()
        if m and ends_statement and not DECLARATION.match(m.group('stmt').strip()):
            stmt, claim, indent = m.group('stmt').strip(), m.group('claim').strip(), m.group('indent')
            t, b, n, s = (CLAIM_THROWS.match(claim), CLAIM_BOOL.match(claim),
                          CLAIM_INT.match(claim), CLAIM_STR.match(claim))
            if t:
                new = '%sDOC_EXPECT_THROWS(%s, %s);' % (indent, stmt, t.group(1))
            elif not ASSIGNMENT.search(stmt) and b:
                new = '%sDOC_EXPECT_BOOL(%s, %s);' % (indent, stmt, b.group(1))
            elif not ASSIGNMENT.search(stmt) and n:
                new = '%sDOC_EXPECT_INT(%s, %s);' % (indent, stmt, n.group(1))
            elif not ASSIGNMENT.search(stmt) and s:
                new = '%sDOC_EXPECT_STR(%s, %s);' % (indent, stmt, s.group(1))
        out.append(new)
        stripped = re.sub(r'//.*$', '', l).strip()
        if stripped:
            prev = stripped
    return out


def line_directive(line, md):
    return '#line %d %s' % (line, c_string(md))


def split_includes(code):
    includes, rest = [], []
    for n, l in enumerate(code):
        if l.lstrip().startswith('#include'):
            includes.append((n, l.strip()))
            rest.append('')
        else:
            rest.append(l)
    return includes, rest


def ident(md):
    return re.sub(r'[^A-Za-z0-9]+', '_', os.path.splitext(md)[0]).strip('_')


def write_if_changed(path, text):
    if os.path.exists(path):
        with open(path, encoding='utf-8') as f:
            if f.read() == text:
                return
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)


HEADER = ('// Generated by tests/docs/doc_blocks.py from %s: edit the Markdown, not this file.\n'
          '#include "doc_test_support.h"\n')


def file_unit(md, blocks):
    """One translation unit for a Markdown file's fragments and top-level blocks."""
    includes, body, calls, functions = [], [], [], []
    gtest = False
    for b in blocks:
        where = '%s:%d' % (b.md, b.line)
        if b.error:
            body.append('%s\n#error %s' % (line_directive(b.line, md),
                                            c_string('%s: %s' % (where, b.error))))
            continue
        inc, code = split_includes(b.code)
        includes += [(b.line + 1 + n, i) for n, i in inc]
        gtest = gtest or any('gtest' in i for _, i in inc)
        context = []
        if b.sections['context']:
            context = [line_directive(b.section_lines['context'], md)] + b.sections['context']
        if 'continues' in b.options and functions:  # before the function it joins
            at = next(k for k, x in enumerate(body) if x is functions[-1])
            body[at:at] = context
        else:
            body += context
        if b.kind == 'top-level':
            body.append(line_directive(b.line + 1, md))
            body += ['' if ELISION.match(l) else l for l in code]
            continue
        if 'continues' in b.options:
            if not functions:
                body.append('%s\n#error "%s: continues, but no fragment comes before it"' %
                            (line_directive(b.line, md), where))
                continue
            f = functions[-1]
        else:
            f = {'name': 'doc_block_%d' % b.line, 'where': where, 'code': [], 'expected': None}
            functions.append(f)
            body.append(f)
        if b.sections['before']:
            f['code'].append(line_directive(b.section_lines['before'], md))
            f['code'] += b.sections['before']
        f['code'].append(line_directive(b.line + 1, md))
        f['code'] += rewrite_claims(b, code)
        if b.sections['after']:
            f['code'].append(line_directive(b.section_lines['after'], md))
            f['code'] += b.sections['after']
        if b.expected_output() is not None:
            f['expected'] = (f['expected'] or []) + b.expected_output()
    for f in functions:
        fn = f['name']
        if f['expected'] is None:
            calls.append('  doc_test::run(%s, %s);' % (c_string(f['where']), fn))
        else:
            calls.append('  doc_test::run(%s, %s, {%s});' %
                         (c_string(f['where']), fn, ', '.join(c_string(e) for e in f['expected'])))
    body = ['\n'.join(['static void %s() {' % x['name']] + x['code'] + ['}'])
            if isinstance(x, dict) else x for x in body]
    seen = set()
    text = HEADER % md
    for line, inc in includes:
        if inc not in seen:
            seen.add(inc)
            text += '%s\n%s\n' % (line_directive(line, md), inc)
    text += '\n'.join(body) + '\n\n'
    text += '#line %d "%s.cc"\n' % (text.count('\n') + 2, ident(md))
    text += 'int main(int argc, char** argv) {\n'
    text += '\n'.join(calls) + '\n'
    if gtest:
        text += '  testing::InitGoogleTest(&argc, argv);\n'
        text += '  if (RUN_ALL_TESTS() != 0) doc_test::failed();\n'
    else:
        text += '  (void)argc;\n  (void)argv;\n'
    text += '  return doc_test::finish();\n}\n'
    return text, gtest


def program_unit(b):
    md = b.md
    if b.error:
        return HEADER % md + '%s\n#error %s\n' % (line_directive(b.line, md),
                                                  c_string('%s:%d: %s' % (md, b.line, b.error)))
    inc, code = split_includes(b.code)
    text = HEADER % md
    for n, i in inc:
        text += '%s\n%s\n' % (line_directive(b.line + 1 + n, md), i)
    if b.sections['context']:
        text += line_directive(b.section_lines['context'], md) + '\n'
        text += '\n'.join(b.sections['context']) + '\n'
    text += line_directive(b.line + 1, md) + '\n'
    text += '\n'.join(rewrite_claims(b, code)) + '\n'
    return text


def cmake_quote(s):
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"') + '"'


def generate(args):
    os.makedirs(args.out, exist_ok=True)
    manifest = ['# Generated by tests/docs/doc_blocks.py: the doc-test targets.']
    skipped = []
    for md in args.files:
        rel = os.path.relpath(os.path.abspath(md), args.source_root)
        blocks = extract(args.source_root, rel)
        if not blocks:
            continue
        name = ident(rel)
        unit_blocks = [b for b in blocks if b.kind in ('fragment', 'top-level') or
                       (b.error and b.kind in ('skip', 'compile-fail', None))]
        if unit_blocks:
            text, gtest = file_unit(rel, unit_blocks)
            path = os.path.join(args.out, name + '.cc')
            write_if_changed(path, text)
            manifest.append('refgc_doc_test(%s %s %s %d "" "" "")' %
                            (name, cmake_quote(path), cmake_quote(rel), 1 if gtest else 0))
        # Programs and compile-fail blocks are numbered in their file (test names
        # that do not change when a line is added above them).
        programs = compile_fails = 0
        for b in blocks:
            if b.kind == 'program':
                programs += 1
                pname = '%s_program_%d' % (name, programs)
                path = os.path.join(args.out, pname + '.cc')
                write_if_changed(path, program_unit(b))
                expect = ''
                if b.expected_output() is not None:
                    expect = os.path.join(args.out, pname + '.expected')
                    write_if_changed(expect, '\n'.join(b.expected_output()) + '\n')
                manifest.append('refgc_doc_test(%s %s %s 0 %s program_%d %d)' %
                                (pname, cmake_quote(path), cmake_quote(rel), cmake_quote(expect),
                                 programs, b.line))
            elif b.kind == 'compile-fail' and not b.error:
                compile_fails += 1
                cname = '%s_compile_fail_%d' % (name, compile_fails)
                path = os.path.join(args.out, cname + '.cc')
                # The blocks before it, then this one as a fragment.
                text, _ = file_unit(rel, [x for x in unit_blocks if x.line < b.line] + [b])
                write_if_changed(path, text)
                manifest.append('refgc_doc_compile_fail(%s %s %s compile_fail_%d %d %d %s)' %
                                (cname, cmake_quote(path), cmake_quote(rel), compile_fails, b.line,
                                 b.line + len(b.code), cmake_quote(b.reason)))
            elif b.kind == 'skip':
                skipped.append('%s:%d (%s)' % (rel, b.line, b.reason))
    manifest.append('set(REFGC_DOC_SKIPPED %s)' % cmake_quote(';'.join(skipped).replace(';', ' | ')))
    write_if_changed(os.path.join(args.out, 'manifest.cmake'), '\n'.join(manifest) + '\n')


def glob_match(expected, actual):
    """Lines of expected against actual: `...` within a line matches any text,
    a line that is only `...` any number of lines."""
    def line_re(e):
        return re.compile('^' + '.*'.join(re.escape(p) for p in e.split('...')) + '$')

    def match(i, j):
        if i == len(expected):
            return j == len(actual)
        if expected[i].strip() == '...':
            return any(match(i + 1, k) for k in range(j, len(actual) + 1))
        return j < len(actual) and bool(line_re(expected[i].rstrip()).match(actual[j].rstrip())) \
            and match(i + 1, j + 1)
    return match(0, 0)


def run(args):
    build = subprocess.run(['cmake', '--build', args.build_dir, '--target', args.target],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if args.compile_error is not None:
        if build.returncode == 0:
            print('doc-test: %s: the block compiles, but its text says it does not' % args.doc)
            return 1
        first, last = (int(x) for x in args.lines.split('-'))
        at_block = any(re.search(r'%s:%d:' % (re.escape(args.doc.rsplit(':', 1)[0]), n),
                                 build.stdout) for n in range(first, last + 1))
        if not at_block or not re.search(args.compile_error, build.stdout):
            sys.stdout.write(build.stdout)
            print('doc-test: %s: the block does not compile, but not with /%s/' %
                  (args.doc, args.compile_error))
            return 1
        print('doc-test: %s: the block does not compile, as its text says (/%s/)' %
              (args.doc, args.compile_error))
        return 0
    if build.returncode != 0:
        sys.stdout.write(build.stdout)
        print('doc-test: a block of %s does not compile (errors above name its line)' % args.doc)
        return 1
    proc = subprocess.run([args.exe], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=120)
    sys.stdout.write(proc.stdout)
    sys.stderr.write(proc.stderr)
    if proc.returncode != 0:
        print('doc-test: %s exited with status %d' % (args.exe, proc.returncode))
        return 1
    if args.expect:
        with open(args.expect, encoding='utf-8') as f:
            expected = f.read().rstrip('\n').split('\n')
        actual = proc.stdout.rstrip('\n').split('\n')
        if not glob_match(expected, actual):
            print('doc-test: %s prints something else than its text says.\n--- expected\n%s\n'
                  '--- printed\n%s' % (args.doc, '\n'.join(expected), '\n'.join(actual)))
            return 1
    print('doc-test: %s: every checked block compiles, runs and prints what its text says' %
          args.doc)
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = p.add_subparsers(dest='command', required=True)
    g = sub.add_parser('generate')
    g.add_argument('--source-root', required=True)
    g.add_argument('--out', required=True)
    g.add_argument('files', nargs='+')
    r = sub.add_parser('run')
    r.add_argument('--build-dir', required=True)
    r.add_argument('--target', required=True)
    r.add_argument('--exe', required=True)
    r.add_argument('--doc', required=True)
    r.add_argument('--expect')
    r.add_argument('--compile-error', help='the target must fail to build with this regex')
    r.add_argument('--lines', help='FIRST-LAST: the compile error is within these lines')
    args = p.parse_args()
    if args.command == 'generate':
        generate(args)
        return 0
    return run(args)


if __name__ == '__main__':
    sys.exit(main())
