"""What scripts/seed_coverage.py and scripts/facts_coverage.py share: the
GoogleTest cases of tests/ with the comments that belong to each, the spec
copies under tests/data/, and the --write / --check driver.

A copy of a spec under tests/data/ keeps a fresh clone's CI working (it has
no ../shared); when ../shared/spec is there and differs, --check says so
(without failing: the copy is refreshed by copying the file over).
"""
import bisect
import pathlib
import re
import sys
from dataclasses import dataclass, field

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
SHARED_SPEC = ROOT.parent / "shared" / "spec"

_TEST_RE = re.compile(r"\b(?:TYPED_)?TEST(?:_F|_P)?\(\s*(\w+)\s*,\s*(\w+)\s*\)")


@dataclass
class TestCase:
    path: str  # relative to ROOT
    suite: str
    name: str
    line: int  # of the TEST macro
    # The comment text of the test: the comment lines right above the macro
    # (no blank line or code in between) and every comment in its body.
    comments: str = ""
    body: str = field(default="", repr=False)

    @property
    def id(self):
        return f"{self.suite}.{self.name}"


def _lex(text):
    """Yields (kind, start, end) for the comments, string and character
    literals of C++ source `text`; kind is 'comment' or 'literal'."""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            yield "comment", i, j
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            yield "comment", i, j
            i = j
        elif text.startswith('R"', i) and (i == 0 or not re.match(r"\w", text[i - 1])):
            k = text.find("(", i + 2)
            delim = text[i + 2:k]
            j = text.find(")" + delim + '"', k)
            j = n if j < 0 else j + len(delim) + 2
            yield "literal", i, j
            i = j
        elif c in "\"'":
            # A digit separator (1'000) is not a character literal.
            if c == "'" and i > 0 and text[i - 1].isalnum() and i + 1 < n and text[i + 1].isalnum():
                i += 1
                continue
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            yield "literal", i, j + 1
            i = j + 1
        else:
            i += 1


def _matching_brace(text, open_at, skipped):
    depth = 0
    i = open_at
    spans = iter(skipped)
    nxt = next(spans, None)
    while i < len(text):
        while nxt is not None and nxt[1] <= i:
            nxt = next(spans, None)
        if nxt is not None and nxt[0] <= i < nxt[1]:
            i = nxt[1]
            continue
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return len(text) - 1


def gtest_cases(pattern="*_test.cc"):
    """Every TEST/TEST_F/TEST_P of tests/**/<pattern>, in file order."""
    cases = []
    for path in sorted((ROOT / "tests").rglob(pattern)):
        text = path.read_text()
        tokens = list(_lex(text))
        comments = [(s, e) for kind, s, e in tokens if kind == "comment"]
        skipped = [(s, e) for _, s, e in tokens]
        starts_skipped = [s for s, _ in skipped]
        lines = text.splitlines(keepends=True)
        for m in _TEST_RE.finditer(text):
            k = bisect.bisect_right(starts_skipped, m.start()) - 1
            if k >= 0 and skipped[k][1] > m.start():
                continue  # in a comment or a string
            line = text.count("\n", 0, m.start())
            # The comment block right above the macro.
            above = []
            k = line - 1
            while k >= 0 and lines[k].lstrip().startswith("//"):
                above.append(lines[k])
                k -= 1
            open_at = text.find("{", m.end())
            close_at = _matching_brace(text, open_at, skipped)
            inside = [text[s:e] for s, e in comments if open_at < s < close_at]
            cases.append(TestCase(
                path=path.relative_to(ROOT).as_posix(), suite=m.group(1), name=m.group(2),
                line=line + 1, comments="".join(reversed(above)) + "\n".join(inside),
                body=text[open_at:close_at + 1]))
    return cases


def spec_copy(name):
    """tests/data/<name>, the repository's copy of ../shared/spec/<name>."""
    return DATA / name


def copy_drift(name):
    """A note when ../shared/spec/<name> exists and differs from the copy."""
    shared = SHARED_SPEC / name
    copy = spec_copy(name)
    if shared.exists() and copy.exists() and shared.read_bytes() != copy.read_bytes():
        return (f"note: tests/data/{name} differs from ../shared/spec/{name}; "
                f"copy it over (cp ../shared/spec/{name} tests/data/) and rerun --write")
    return None


def md_cell(text):
    """Text for a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def run(argv, doc_path, doc, problems, ok_message, spec_name=None):
    """--write writes `doc` to `doc_path`; otherwise (--check) prints each of
    `problems` and fails on any, or when `doc_path` is missing or stale."""
    script = pathlib.Path(argv[0]).name
    if "--write" in argv:
        doc_path.write_text(doc)
        print(f"wrote {doc_path.relative_to(ROOT)}")
        return 0
    if spec_name is not None:
        note = copy_drift(spec_name)
        if note:
            print(note)
    for p in problems:
        print(p)
    rel = doc_path.relative_to(ROOT).as_posix()
    stale = doc_path.exists() and doc_path.read_text() != doc
    if stale:
        print(f"{rel} is out of date: run scripts/{script} --write")
    if problems or stale or not doc_path.exists():
        print("FAILED")
        return 1
    print(ok_message)
    return 0


def main_guard(main):
    sys.exit(main(sys.argv))
