"""pytest fixtures for projects that test a client against the mock (entry point `pytest11`).

- `aihubmix_mock`: a real server on a loopback port with a handle (`MockServer`): `.url` (the
  docs' base URL), `.api_url` (with /v1, for openai-python), `.advance(seconds)`, `.journal()`,
  `.complete(id)` / `.fail(id)` / `.force(id, to)`, `.seed(n)`, `.reset()`. Each test gets a session
  of its own (`X-Mock-Session`, docs/sessions.md: `.session` names it, `.headers` carries it): the
  server puts requests that name no session in the test's, so its jobs, clock, ids, queued faults
  and journal are the test's alone, and the session is dropped when the test ends. Under
  pytest-xdist each worker runs its own server, its tests each in their own session.
- `aihubmix_mock_url`: that server's `.url`.
- A mock that is already running instead (shared by several test runs or xdist workers):
  `pytest --aihubmix-mock-url http://127.0.0.1:4010` (or the ini option / env AIHUBMIX_MOCK_URL).
  Each test still gets its own session, but a mock in another process cannot tell whose request
  is whose: the test's clients send `aihubmix_mock.headers` (e.g. openai-python's
  `default_headers=aihubmix_mock.headers`).
- `aihubmix_mock_app`: a fresh ASGI app per test, for in-process clients (httpx's ASGITransport,
  Starlette's TestClient).

Per-test settings with a marker (a test with settings gets a server of its own):

    @pytest.mark.aihubmix_mock(keys=["sk-a"], policy="manual", job_seconds=30, polls=2,
                               outcome="failed", seed=1)

Unmarked, jobs complete on the first status poll unless the ini option `aihubmix_mock_job_seconds`
says otherwise.

Every request the mock accepted with a warning (it breaks a rule production may enforce: an
unconfirmed value rule, RULES.md) becomes an `aihubmix_mock.UnconfirmedRuleWarning` at the end of
the test: pytest's summary lists it, and `-W error::aihubmix_mock.UnconfirmedRuleWarning` (or
`filterwarnings = error::aihubmix_mock.UnconfirmedRuleWarning`) makes it fail the test.
"""

from __future__ import annotations

import itertools
import os
import warnings
from collections.abc import Iterable, Iterator
from typing import Any

import pytest

from .config import MockConfig
from .errors import UnconfirmedRuleWarning
from .server import MockControl, MockServer

#: What the marker may set: MockConfig's fields a test would want to vary.
MARKER_SETTINGS = ("keys", "policy", "job_seconds", "polls", "outcome", "seed")


class RunningMock(MockServer):
    """The old name: `RunningMock(app)` serves an ASGI app of your own."""

    def __init__(self, app: Any) -> None:
        super().__init__(app=app)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("aihubmix_mock_job_seconds", "job seconds for the aihubmix_mock fixtures", default="0")
    parser.addini("aihubmix_mock_url", "a running mock for the aihubmix_mock fixtures (default: start one)")
    parser.getgroup("aihubmix_mock").addoption(
        "--aihubmix-mock-url",
        default=None,
        help="use this running mock (each test in a session of its own) instead of starting one; "
        "also the env AIHUBMIX_MOCK_URL",
    )


def _running_url(config: pytest.Config) -> str | None:
    url = (
        config.getoption("aihubmix_mock_url")
        or config.getini("aihubmix_mock_url")
        or os.environ.get("AIHUBMIX_MOCK_URL")
    )
    return str(url) if url else None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "aihubmix_mock(keys=None, policy=None, job_seconds=None, polls=None, outcome=None, seed=None): "
        "settings of the aihubmix_mock server or app for this test",
    )


def _settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The ini default, then the marker's settings (the closest marker wins)."""
    settings: dict[str, Any] = {"job_seconds": float(request.config.getini("aihubmix_mock_job_seconds") or 0)}
    marker = request.node.get_closest_marker("aihubmix_mock")
    if marker is not None:
        if marker.args:
            raise pytest.UsageError("@pytest.mark.aihubmix_mock takes keyword arguments only")
        unknown = set(marker.kwargs) - set(MARKER_SETTINGS)
        if unknown:
            raise pytest.UsageError(
                f"@pytest.mark.aihubmix_mock: unknown setting(s) {sorted(unknown)}; "
                f"one of {', '.join(MARKER_SETTINGS)}"
            )
        settings.update(marker.kwargs)
    return settings


def _config(settings: dict[str, Any]) -> MockConfig:
    try:
        return MockConfig(**settings)
    except ValueError as exc:
        raise pytest.UsageError(f"@pytest.mark.aihubmix_mock: {exc}") from None


def _warn(entries: Iterable[dict[str, Any]]) -> None:
    """One UnconfirmedRuleWarning per request the journal marks as warned."""
    for entry in entries:
        warning = entry["warning"]
        warnings.warn(
            UnconfirmedRuleWarning(
                f"{entry['method']} {entry['path']} was accepted by the mock but breaks rules "
                f"production may enforce ({', '.join(warning['rules'])}): {warning['message']}"
            ),
            stacklevel=2,
        )


@pytest.fixture
def aihubmix_mock_app(request: pytest.FixtureRequest) -> Iterator[Any]:
    from .app import create_app

    app = create_app(_config(_settings(request)))
    yield app
    _warn(app.state.mock.journal.entries(warned=True))


@pytest.fixture(scope="session")
def aihubmix_mock_server(request: pytest.FixtureRequest) -> Iterator[MockControl]:
    """The session-wide server with the ini settings (tests without a marker share it), or a
    handle on the running mock that --aihubmix-mock-url names."""
    url = _running_url(request.config)
    if url is not None:
        yield MockControl(url)
        return
    with MockServer(_config(_settings(request))) as server:
        yield server


_TESTS = itertools.count(1)


def session_name() -> str:
    """A session name for the next test: its xdist worker (`gw0`…, or `main`) and a number."""
    return f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-t{next(_TESTS)}"


@pytest.fixture
def aihubmix_mock(request: pytest.FixtureRequest) -> Iterator[MockControl]:
    if request.node.get_closest_marker("aihubmix_mock") is None:
        server: MockControl = request.getfixturevalue("aihubmix_mock_server")
        server.session = session_name()
        try:
            yield server
            _warn(server.journal(warned=True))
        finally:
            server.end_session()
        return
    with MockServer(_config(_settings(request))) as own:
        yield own
        _warn(own.journal(warned=True))


@pytest.fixture
def aihubmix_mock_url(aihubmix_mock: MockControl) -> str:
    return aihubmix_mock.url
