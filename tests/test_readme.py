"""Every command the documentation shows runs as printed: README.md, ARCHITECTURE.md, docs/*.md.

Each fenced block of a language a reader would run (python, sh, bash, console) carries a marker
after the language, and this file honours it:

- ```python runnable : a block with test functions runs as another project's test file (the plugin
  loaded through its entry point); any other block runs as a script.
- ```sh runnable     : each command (a line, with its `\\` continuations) runs in bash and must
  exit 0.
- ```sh server       : each command starts a server; it must answer `GET /__mock/health` and then
  stop on SIGTERM.
- ```console runnable: the `$ ` commands run in one bash session, in order; the printed output of
  each must appear in what it printed, line by line in that order (`...` or `…` stands for
  anything, a number of five or more digits for any number).
- ```sh not-run (or python / console not-run): not run here; the page says why just above the block
  (it needs production and a key, or it is `make test` itself, or `make test` runs it already).

The make mock address (127.0.0.1:4010, localhost:4010, `PORT`) is replaced by a fresh mock on a
free loopback port, so nothing here touches a server someone else runs. Blocks that mention
`make` or a path of the repository run from its root; the others in a temporary folder (files an
example writes land there).

Besides: links between the pages resolve (anchors too), every option of `aihubmix-mock serve` and
of the suite and every make target is named on its page, a long page opens with a table of
contents, and the README stays a front door (its three start paths on the first screen).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from aihubmix_mock import MockServer

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", ROOT / "ARCHITECTURE.md", *sorted((ROOT / "docs").glob("*.md"))]
#: the languages a reader runs; their blocks must carry a marker
COMMAND_LANGUAGES = {"python", "sh", "bash", "shell", "console"}
MARKERS = {"runnable", "server", "not-run"}
MAKE_MOCK_PORT = "4010"
MAKE_MOCK_ADDRESSES = ("127.0.0.1:4010", "localhost:4010")
FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```$", re.S | re.M)


@dataclass(frozen=True)
class Block:
    page: str
    line: int
    language: str
    marker: str
    text: str

    def __str__(self) -> str:
        return f"{self.page}:{self.line}"


def _blocks() -> list[Block]:
    found = []
    for page in PAGES:
        if not page.exists():
            continue
        text = page.read_text(encoding="utf-8")
        for match in FENCE.finditer(text):
            words = match.group(1).split()
            if not words:
                continue
            line = text.count("\n", 0, match.start()) + 1
            name = str(page.relative_to(ROOT))
            found.append(Block(name, line, words[0], " ".join(words[1:]), match.group(2)))
    return found


BLOCKS = _blocks()


def _of(language: str, marker: str) -> list[Block]:
    return [b for b in BLOCKS if b.language == language and b.marker == marker]


def test_the_docs_have_runnable_examples():
    assert len(_of("python", "runnable")) >= 5
    assert _of("sh", "runnable") and _of("sh", "server") and _of("console", "runnable")


def test_every_command_block_says_whether_it_runs():
    """A new block a reader would run is either run here or says why not: no third kind."""
    unmarked = [
        f"{b} ```{b.language} {b.marker}".strip()
        for b in BLOCKS
        if b.language in COMMAND_LANGUAGES and b.marker not in MARKERS
    ]
    assert not unmarked, "mark each as runnable, server or not-run: " + ", ".join(unmarked)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _local(text: str, port: int, any_port: bool = False) -> str:
    """The block with the make mock address (or, for a server, any `--port N`) on `port`."""
    for address in MAKE_MOCK_ADDRESSES:
        text = text.replace(address, address.replace(MAKE_MOCK_PORT, str(port)))
    return re.sub(r"--port \d+\b" if any_port else r"--port 4010\b", f"--port {port}", text)


def _commands(text: str) -> list[str]:
    """Shell commands of a block: comments dropped, `\\` continuations joined."""
    commands, current = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        current += line
        if current.endswith("\\"):
            current = current[:-1].rstrip() + " "
            continue
        commands.append(_strip_comment(current.strip()))
        current = ""
    return commands


def _strip_comment(command: str) -> str:
    """`make mock   # a comment` → `make mock` (a `#` after two spaces, outside quotes, as printed)."""
    quote = None
    for i, char in enumerate(command):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and command[i - 2 : i] == "  ":
            return command[:i].rstrip()
    return command


#: what places a command in the repository: make, or a path under its root
_REPO_WORDS = ("make ", *(f"{entry.name}/" for entry in ROOT.iterdir()), "Makefile")


def _cwd(block: Block, tmp_path: Path) -> Path:
    return ROOT if any(word in block.text for word in _REPO_WORDS) else tmp_path


def _env(port: int) -> dict[str, str]:
    env = dict(os.environ, PORT=str(port))
    env["PATH"] = f"{ROOT / '.venv' / 'bin'}{os.pathsep}{env['PATH']}"
    return env


@pytest.fixture
def kept_reports(tmp_path_factory):
    """A documented `make contract` or `make free` writes reports/ as it would for a user, so the
    user's own reports/ (a kept baseline, the last live run's reports/free) is put aside and back."""
    reports = ROOT / "reports"
    had = reports.exists()
    saved = tmp_path_factory.mktemp("kept") / "reports"
    if had:
        shutil.move(reports, saved)
    try:
        yield
    finally:
        shutil.rmtree(reports, ignore_errors=True)
        if had:
            shutil.move(saved, reports)


# --- python ----------------------------------------------------------------------------------


@pytest.mark.parametrize("block", [b for b in _of("python", "runnable") if "def test_" in b.text], ids=str)
def test_python_test_file_runs(block, pytester):
    pytester.makepyfile(test_readme_example=block.text)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=len(re.findall(r"^def test_", block.text, re.M)))


@pytest.mark.parametrize(
    "block", [b for b in _of("python", "runnable") if "def test_" not in b.text], ids=str
)
def test_python_script_runs(block, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # files the example writes land here
    if any(address in block.text for address in MAKE_MOCK_ADDRESSES):
        with MockServer(job_seconds=0) as mock:
            port = int(mock.url.rsplit(":", 1)[1])
            exec(compile(_local(block.text, port), str(block), "exec"), {})
    else:
        exec(compile(block.text, str(block), "exec"), {})


# --- sh --------------------------------------------------------------------------------------


@pytest.mark.parametrize("block", _of("sh", "runnable"), ids=str)
def test_shell_commands_run(block, tmp_path, kept_reports):
    with MockServer(job_seconds=5) as mock:
        port = int(mock.url.rsplit(":", 1)[1])
        for command in _commands(_local(block.text, port)):
            done = subprocess.run(
                ["bash", "-c", command],
                cwd=_cwd(block, tmp_path),
                env=_env(port),
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert done.returncode == 0, (
                f"{block}: `{command}` exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
            )


@pytest.mark.parametrize("block", _of("sh", "server"), ids=str)
def test_server_commands_serve(block, tmp_path):
    for command in _commands(block.text):
        port = _free_port()
        process = subprocess.Popen(
            ["bash", "-c", f"exec {_local(command, port, any_port=True)}"],
            cwd=_cwd(block, tmp_path),
            env=_env(port),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        try:
            _wait_healthy(port, process, command)
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.communicate(timeout=30)  # stops on SIGTERM, or this raises


def _wait_healthy(port: int, process: subprocess.Popen[str], command: str) -> None:
    deadline = time.monotonic() + 120  # `make mock` may install first
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"`{command}` exited {process.returncode} before serving:\n{process.stdout.read() if process.stdout else ''}"
            )
        try:
            if httpx.get(f"http://127.0.0.1:{port}/__mock/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"`{command}` did not answer /__mock/health within 120 s")


# --- console ---------------------------------------------------------------------------------

SENTINEL = "@@readme-command@@"


def _session(text: str) -> list[tuple[str, list[str]]]:
    """(command, printed output lines) for each `$ ` command of a console block."""
    steps: list[tuple[str, list[str]]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("$ "):
            command = line[2:]
            while command.endswith("\\") and i + 1 < len(lines):
                i += 1
                command += "\n" + lines[i]  # bash reads the backslash-newline as printed
            steps.append((command, []))
        elif steps:
            steps[-1][1].append(line)
        i += 1
    return steps


def _pattern(printed: str) -> re.Pattern[str]:
    parts = re.split(r"(\.\.\.|…|\d{5,}(?:\.\d+)?)", printed.rstrip())
    regex = ""
    for n, part in enumerate(parts):
        if n % 2 == 0:
            regex += re.escape(part)
        elif part in ("...", "…"):
            regex += ".*"
        else:
            regex += r"\d+(?:\.\d+)?"
    return re.compile(regex)


def _matches(printed: list[str], actual: list[str]) -> str | None:
    """None when every printed line (but a bare `...`) is found in `actual`, in order."""
    at = 0
    for line in printed:
        if line.strip() in ("...", "…", ""):
            continue
        pattern = _pattern(line)
        while at < len(actual) and not pattern.fullmatch(actual[at].rstrip("\r").rstrip()):
            at += 1
        if at == len(actual):
            return line
        at += 1
    return None


@pytest.mark.parametrize("block", _of("console", "runnable"), ids=str)
def test_console_session_prints_what_the_page_shows(block, tmp_path, kept_reports):
    with MockServer(job_seconds=5) as mock:
        port = int(mock.url.rsplit(":", 1)[1])
        steps = _session(_local(block.text, port))
        script = "".join(f"echo {SENTINEL}\n{command}\n" for command, _ in steps)
        done = subprocess.run(
            ["bash", "-c", script],
            cwd=_cwd(block, tmp_path),
            env=_env(port),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=300,
        )
    outputs = done.stdout.split(SENTINEL + "\n")[1:]
    assert len(outputs) == len(steps), f"{block}: the session stopped early:\n{done.stdout}"
    for (command, printed), output in zip(steps, outputs, strict=True):
        missing = _matches(printed, output.splitlines())
        assert missing is None, f"{block}: `{command}` did not print\n  {missing}\nit printed:\n{output}"


# --- links -----------------------------------------------------------------------------------

#: Pages other work in progress adds (issue 21's start paths link them already); each name here is
#: allowed to be missing until it lands, and nothing else is.
PAGES_IN_PROGRESS: set[str] = set()  # pages another change is still writing: their links may be missing
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _anchors(page: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    text = FENCE.sub("", page.read_text(encoding="utf-8"))
    headings = re.findall(r"^#{1,6} (.+)$", text, re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def test_links_between_pages_resolve():
    broken = []
    for page in PAGES:
        if not page.exists():
            continue
        text = FENCE.sub("", page.read_text(encoding="utf-8"))
        for target in LINK.findall(text):
            if re.match(r"[a-z]+:", target):
                continue  # an absolute URL: not followed (no network)
            path, _, anchor = target.partition("#")
            file = (page.parent / path).resolve() if path else page
            name = str(file.relative_to(ROOT)) if file.is_relative_to(ROOT) else str(file)
            if name in PAGES_IN_PROGRESS and not file.exists():
                continue
            if not file.exists():
                broken.append(f"{page.relative_to(ROOT)}: {target} (no such file)")
            elif anchor and file.suffix == ".md" and anchor not in _anchors(file):
                broken.append(f"{page.relative_to(ROOT)}: {target} (no such heading)")
    assert not broken, "\n".join(broken)


# --- the front door, and the harness itself --------------------------------------------------

FIRST_SCREEN = 30  # lines a reader sees before scrolling
START_PATHS = ("#you-write-a-client", "#your-ci-is-in-another-language", "#you-watch-production-for-drift")


def test_the_readme_is_a_front_door():
    """At most about 150 lines, and each kind of user finds their start path on the first screen."""
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 150
    first = "\n".join(lines[:FIRST_SCREEN])
    assert all(path in first for path in START_PATHS), [p for p in START_PATHS if p not in first]
    anchors = _anchors(ROOT / "README.md")
    assert all(any(a.startswith(path[1:]) for a in anchors) for path in START_PATHS)


@pytest.mark.parametrize(
    ("printed", "actual", "found"),
    [
        (["409"], ["409"], True),
        (["409"], ["200"], False),  # short numbers are the page's own: they must match
        (["x-request-id: 2026112122330060427635707059975"], ["x-request-id: 1"], True),  # long ones any
        (['{"id":"eyJ...","status":"completed"}'], ['{"id":"eyJabc","status":"completed"}'], True),
        (['{"id":"eyJ...","status":"completed"}'], ['{"id":"eyJabc","status":"failed"}'], False),
        (["a", "b"], ["b", "a"], False),  # in the printed order
        (["a", "...", "c"], ["a", "b", "c"], True),
        (["worst case: … job(s)"], ["worst case: 39 job(s)"], True),
    ],
)
def test_console_output_is_matched_line_by_line(printed, actual, found):
    assert (_matches(printed, actual) is None) is found


def test_commands_are_read_as_a_shell_reads_them():
    text = '# a comment\nmake mock    # runs the mock\ncurl -s a \\\n    -d \'{"k": "#1"}\'\n\n'
    assert _commands(text) == ["make mock", 'curl -s a -d \'{"k": "#1"}\'']
    assert _session("$ A=1 \\\n  B=2\nout\n$ echo\n") == [("A=1 \\\n  B=2", ["out"]), ("echo", [])]


# --- every option a user can pass is on a page -------------------------------------------------


def _help(*command: str) -> str:
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, env=_env(0))
    assert done.returncode == 0, done.stderr
    return done.stdout


def _sections(text: str, *titles: str) -> str:
    """The parts of a --help text under the headers (unindented lines ending in ':') named."""
    keep, out = False, []
    for line in text.splitlines():
        if line and not line[0].isspace() and line.rstrip().endswith(":"):
            keep = any(title in line for title in titles)
        elif keep:
            out.append(line)
    return "\n".join(out)


@pytest.mark.parametrize(
    ("command", "sections", "page"),
    [
        (("aihubmix-mock", "serve", "--help"), (), "docs/mock.md"),
        (
            ("python", "-m", "pytest", "--help"),
            ("contract suite", "zero-cost drift watch"),
            "docs/contract-suite.md docs/free-watch.md",
        ),
    ],
    ids=["aihubmix-mock serve", "pytest contract_tests"],
)
def test_every_option_is_documented(command, sections, page):
    """An option added to the CLI or the suite without a line in its page fails here."""
    text = _help(*command)
    if sections:
        text = _sections(text, *sections)
    options = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]+)", text)) - {"--help"}
    assert options, "no options found: has the --help layout changed?"
    documented = " ".join((ROOT / p).read_text(encoding="utf-8") for p in page.split())
    missing = sorted(o for o in options if f"`{o}" not in documented)
    assert not missing, f"not in {page}: {', '.join(missing)}"


def test_every_make_target_is_documented():
    targets = set(re.findall(r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text(encoding="utf-8"), re.M))
    page = (ROOT / "docs" / "contributing.md").read_text(encoding="utf-8")
    assert targets
    assert not sorted(t for t in targets if f"`make {t}`" not in page)


LONG_PAGE = 100  # lines: past this, a page opens with a table of contents
LONG_PAGES = [p for p in PAGES if p.exists() and len(p.read_text(encoding="utf-8").splitlines()) > LONG_PAGE]


@pytest.mark.parametrize("page", LONG_PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_long_page_has_a_table_of_contents(page):
    top = "\n".join(page.read_text(encoding="utf-8").splitlines()[:40])
    assert len(re.findall(r"\]\(#[^)]+\)", top)) >= 3, f"{page.name} is long and has no table of contents"
