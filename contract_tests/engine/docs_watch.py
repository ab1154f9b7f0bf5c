"""The docs the rules came from: fetch each page, normalise it, compare it with the snapshot kept in
fixtures/docs/, and name the rules whose source lines changed.

RULES.md and `components/x-rules` (`docs: "002:197 …"`) cite lines of the seed documents. The
snapshot of a page is its normalised text (`fixtures/docs/<id>.txt`) plus, per snapshot line, the
seed line it stands for (`<id>.lines.json`; null for a line no seed has). The first snapshot was the
seeds themselves (line n is seed line n). A snapshot taken later from the live pages carries each
line's seed number over where its text is unchanged, so a rule's citation keeps pointing at its
words after the page is re-rendered.

    python -m contract_tests.engine.docs_watch snapshot [--docs-url URL] [--page 002]   # make docs-snapshot
    python -m contract_tests.engine.docs_watch snapshot --from-dir ../shared/seeds      # the seeds themselves
"""

from __future__ import annotations

import argparse
import difflib
import html
import json
import re
import sys
from dataclasses import dataclass, field
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from .generate import document

DOCS = Path(__file__).resolve().parents[2] / "fixtures" / "docs"
RULE_SPECS = ("aihubmix", "apimart")


@cache
def pages() -> list[dict[str, Any]]:
    return yaml.safe_load((DOCS / "pages.yaml").read_text("utf-8"))["pages"]


def page_url(page: dict[str, Any], docs_url: str | None) -> str:
    """The page's own URL, or its path on `docs_url` (a loopback docs server, a mirror)."""
    if not docs_url:
        return page["url"]
    parts = urlsplit(page["url"])
    return docs_url.rstrip("/") + parts.path + (f"?{parts.query}" if parts.query else "")


# ------------------------------------------------------------------------------------ normalising
class _Text(HTMLParser):
    BLOCK = {
        "p",
        "div",
        "br",
        "li",
        "tr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "pre",
        "section",
        "table",
        "ul",
        "ol",
        "header",
        "footer",
        "article",
        "main",
        "nav",
        "td",
        "th",
        "code",
        "blockquote",
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "noscript", "svg"):
            self.skip += 1
        elif tag in self.BLOCK:
            self.out.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "noscript", "svg"):
            self.skip = max(0, self.skip - 1)
        elif tag in self.BLOCK:
            self.out.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.out.append(data)


_FENCE = re.compile(r"^\s*(```|~~~)")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_MDX_TAG = re.compile(r"</?[A-Z][A-Za-z]*(\s[^>]*)?/?>")


def normalise(text: str, content_type: str = "") -> list[str]:
    """A page as lines of text: HTML to its text, Markdown without fences, table rules, front matter
    and MDX tags; every line stripped, blank lines dropped."""
    if "html" in content_type or text.lstrip().lower().startswith(("<!doctype html", "<html")):
        parser = _Text()
        parser.feed(text)
        text = "".join(parser.out)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[0].strip() == "---":  # front matter
        end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), 0)
        lines = lines[end + 1 :]
    out = []
    for line in lines:
        if _FENCE.match(line) or _TABLE_RULE.match(line):
            continue
        line = html.unescape(_MDX_TAG.sub("", line)).strip()
        if line:
            out.append(line)
    return out


_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_LEAD = re.compile(r"^(?:[#>]+|[-*+•]|\d+[.)])\s+")
_SQUASH = re.compile(r"[\s*_`|•\u00a0]+")


def key(line: str) -> str:
    """What decides whether two lines say the same: markup, bullets, table pipes and spacing aside."""
    line = _LINK.sub(r"\1", line.strip())
    line = _LEAD.sub("", line)
    return _SQUASH.sub("", line)


# ------------------------------------------------------------------------------------ the snapshot
@dataclass
class Snapshot:
    page: str
    lines: list[str]  # the snapshot's text, line by line (blank lines kept for a seed snapshot)
    seed_lines: list[int | None]  # per line: the seed line it stands for
    #: seed lines with no words (blank, a code fence, a table rule): nothing to anchor, inside a cited range
    wordless: list[int] = field(default_factory=list)

    @classmethod
    def load(cls, page: str) -> Snapshot:
        lines = (DOCS / f"{page}.txt").read_text("utf-8").split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        meta = json.loads((DOCS / f"{page}.lines.json").read_text("utf-8"))
        seed_lines = meta["seed_lines"]
        if len(seed_lines) != len(lines):
            raise AssertionError(
                f"fixtures/docs/{page}.lines.json has {len(seed_lines)} entries for {len(lines)} lines"
            )
        return cls(page, lines, seed_lines, meta.get("wordless", []))

    @classmethod
    def of_seed(cls, page: str, lines: list[str]) -> Snapshot:
        """A seed taken verbatim: line n stands for seed line n."""
        wordless = [
            n
            for n, line in enumerate(lines, 1)
            if not key(line) or _FENCE.match(line) or _TABLE_RULE.match(line)
        ]
        return cls(page, lines, list(range(1, len(lines) + 1)), wordless)

    def save(self, source: str) -> None:
        DOCS.mkdir(parents=True, exist_ok=True)
        (DOCS / f"{self.page}.txt").write_text("\n".join(self.lines) + "\n", "utf-8")
        (DOCS / f"{self.page}.lines.json").write_text(
            json.dumps(
                {
                    "page": self.page,
                    "source": source,
                    "seed_lines": self.seed_lines,
                    "wordless": self.wordless,
                }
            )
            + "\n",
            "utf-8",
        )

    def keyed(self) -> tuple[list[str], list[int]]:
        """Keys of the non-blank lines, and their indexes in `lines`."""
        keys, where = [], []
        for i, line in enumerate(self.lines):
            k = key(line)
            if k:
                keys.append(k)
                where.append(i)
        return keys, where


@dataclass
class Change:
    kind: str  # replaced, removed, inserted
    seed_lines: list[int]  # seed lines the change is under (for an insertion: its neighbours)
    old: list[str]
    new: list[str]

    def describe(self, page: str) -> str:
        where = (
            ", ".join(f"{page}:{n}" for n in self.seed_lines) or "a line no rule can cite (not in the seed)"
        )
        old = " / ".join(self.old)[:200]
        new = " / ".join(self.new)[:200]
        if self.kind == "inserted":
            return f"inserted next to {where}: {new!r}"
        if self.kind == "removed":
            return f"removed {where}: {old!r}"
        return f"changed {where}: {old!r} -> {new!r}"


def diff(snapshot: Snapshot, fetched: list[str]) -> list[Change]:
    keys, where = snapshot.keyed()
    new_keys = [key(line) for line in fetched]
    matcher = difflib.SequenceMatcher(None, keys, new_keys, autojunk=False)
    changes: list[Change] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        old = [snapshot.lines[where[i]] for i in range(i1, i2)]
        new = fetched[j1:j2]
        if op == "insert":
            around = [where[i] for i in (i1 - 1, i1) if 0 <= i < len(where)]
            seeds = [snapshot.seed_lines[i] for i in around]
        else:
            seeds = [snapshot.seed_lines[where[i]] for i in range(i1, i2)]
        kind = {"replace": "replaced", "delete": "removed", "insert": "inserted"}[op]
        changes.append(Change(kind, [s for s in seeds if s is not None], old, new))
    return changes


def carry_over(snapshot: Snapshot, fetched: list[str]) -> list[int | None]:
    """Seed line numbers for a new snapshot's lines: kept where the line's text is unchanged."""
    keys, where = snapshot.keyed()
    new_keys = [key(line) for line in fetched]
    out: list[int | None] = [None] * len(fetched)
    matcher = difflib.SequenceMatcher(None, keys, new_keys, autojunk=False)
    for block in matcher.get_matching_blocks():
        for n in range(block.size):
            out[block.b + n] = snapshot.seed_lines[where[block.a + n]]
    return out


# ------------------------------------------------------------------------------------ rules by line
_CITE = re.compile(r"\b(\d{3}):(\d+(?:[-–]\d+)?(?:,\d+(?:[-–]\d+)?)*)")


def cited_lines(docs: str) -> dict[str, set[int]]:
    """`"002:52-82, 002:365-367; 001:68 …"` -> {"002": {52, …, 82, 365, 366, 367}, "001": {68}}."""
    out: dict[str, set[int]] = {}
    for page, spans in _CITE.findall(docs or ""):
        for span in spans.split(","):
            low, _, high = span.replace("–", "-").partition("-")
            first, last = int(low), int(high or low)
            if last - first > 400:  # not a line range
                continue
            out.setdefault(page, set()).update(range(first, last + 1))
    return out


@cache
def rules_by_line() -> dict[tuple[str, int], list[str]]:
    """(page, seed line) -> the rule ids whose `docs` cite it, from the specs' `components/x-rules`."""
    out: dict[tuple[str, int], list[str]] = {}
    for spec in RULE_SPECS:
        for rule_id, rule in (document(spec).get("components", {}).get("x-rules", {}) or {}).items():
            docs = rule.get("docs", "") if isinstance(rule, dict) else ""
            for page, lines in cited_lines(docs).items():
                for line in lines:
                    out.setdefault((page, line), [])
                    if rule_id not in out[(page, line)]:
                        out[(page, line)].append(rule_id)
    return out


def rules_touched(page: str, changes: list[Change]) -> list[str]:
    table = rules_by_line()
    found: list[str] = []
    for change in changes:
        for line in change.seed_lines:
            for rule in table.get((page, line), []):
                if rule not in found:
                    found.append(rule)
    return found


def unanchored(page: str, snapshot: Snapshot) -> dict[str, list[int]]:
    """Rules citing a line of this page that no snapshot line stands for (lost in an update)."""
    present = {n for n in snapshot.seed_lines if n is not None} | set(snapshot.wordless)
    out: dict[str, list[int]] = {}
    for (p, line), rules in rules_by_line().items():
        if p == page and line not in present:
            for rule in rules:
                out.setdefault(rule, []).append(line)
    return {rule: sorted(lines) for rule, lines in sorted(out.items())}


# ------------------------------------------------------------------------------------ the command
def _fetch(url: str) -> tuple[str, str]:
    import httpx

    response = httpx.get(
        url,
        timeout=30.0,
        follow_redirects=True,
        headers={"Accept": "text/markdown, text/plain, text/html;q=0.5, */*;q=0.1"},
    )
    response.raise_for_status()
    return response.text, response.headers.get("content-type", "")


def snapshot_command(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m contract_tests.engine.docs_watch snapshot",
        description="Update the docs snapshot in fixtures/docs/.",
    )
    parser.add_argument("--docs-url", help="fetch each page's path from this base URL instead of its own URL")
    parser.add_argument("--page", action="append", help="only this page id (repeatable); default: every page")
    parser.add_argument(
        "--from-dir", help="take the seed files <id>_*.txt in this folder verbatim (line n = seed line n)"
    )
    args = parser.parse_args(argv)
    status = 0
    for page in pages():
        if args.page and page["id"] not in args.page:
            continue
        if args.from_dir:
            found = sorted(Path(args.from_dir).glob(f"{page['id']}_*.txt"))
            if not found:
                print(f"{page['id']}: no {page['id']}_*.txt in {args.from_dir}", file=sys.stderr)
                return 2
            lines = found[0].read_text("utf-8").split("\n")
            if lines and lines[-1] == "":
                lines.pop()
            new = Snapshot.of_seed(page["id"], lines)
            new.save(f"seed {found[0].name}")
        else:
            url = page_url(page, args.docs_url)
            text, content_type = _fetch(url)
            fetched = normalise(text, content_type)
            old = Snapshot.load(page["id"])
            changes = diff(old, fetched)
            new = Snapshot(page["id"], fetched, carry_over(old, fetched), old.wordless)
            new.save(url)
            print(
                f"{page['id']}: {len(fetched)} lines from {url}; {len(changes)} change(s); "
                f"rules under them: {', '.join(rules_touched(page['id'], changes)) or 'none'}"
            )
        lost = unanchored(page["id"], new)
        if lost:
            status = 1
            for rule, cited in lost.items():
                print(
                    f"  {page['id']}: rule {rule} cites {', '.join(map(str, cited))}: no snapshot line stands for it "
                    "any more; re-read the page and update its `docs` (x-rules) and RULES.md"
                )
    return status


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] != "snapshot":
        print(__doc__)
        sys.exit(2)
    sys.exit(snapshot_command(sys.argv[2:]))


# ------------------------------------------------------------------------------------ serving
class SnapshotPages:
    """A tiny ASGI app serving the snapshot at each page's path (text/plain): the docs target when no
    --docs-url is given and the target is not the vendor, and the base of the tests' docs stand-ins.
    `edit(page_id, lines) -> lines` may change a page on its way out."""

    def __init__(self, edit=None) -> None:
        self.edit = edit
        self.by_path = {urlsplit(p["url"]).path: p["id"] for p in pages()}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return
        page = self.by_path.get(scope["path"])
        if page is None or scope["method"] not in ("GET", "HEAD"):
            status, body = 404, b"not found"
        else:
            lines = Snapshot.load(page).lines
            if self.edit is not None:
                lines = self.edit(page, list(lines))
            status, body = 200, ("\n".join(lines) + "\n").encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
