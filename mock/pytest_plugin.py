"""pytest fixtures for projects that test a client against the mock (entry point `pytest11`).

- `aihubmix_mock`: a real server on a loopback port with a handle (`MockServer`): `.url` (the
  docs' base URL), `.api_url` (with /v1, for openai-python), `.advance(seconds)`, `.journal()`,
  `.complete(id)` / `.fail(id)` / `.force(id, to)`, `.seed(n)`, `.reset()`. Reset before each test.
- `aihubmix_mock_url`: that server's `.url`.
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

import warnings
from collections.abc import Iterable, Iterator
from typing import Any

import pytest

from .config import MockConfig
from .errors import UnconfirmedRuleWarning
from .server import MockServer

#: What the marker may set: MockConfig's fields a test would want to vary.
MARKER_SETTINGS = ("keys", "policy", "job_seconds", "polls", "outcome", "seed")


class RunningMock(MockServer):
    """The old name: `RunningMock(app)` serves an ASGI app of your own."""

    def __init__(self, app: Any) -> None:
        super().__init__(app=app)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("aihubmix_mock_job_seconds", "job seconds for the aihubmix_mock fixtures", default="0")


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
def aihubmix_mock_server(request: pytest.FixtureRequest) -> Iterator[MockServer]:
    """The session-wide server with the ini settings (tests without a marker share it)."""
    with MockServer(_config(_settings(request))) as server:
        yield server


@pytest.fixture
def aihubmix_mock(request: pytest.FixtureRequest) -> Iterator[MockServer]:
    if request.node.get_closest_marker("aihubmix_mock") is None:
        server: MockServer = request.getfixturevalue("aihubmix_mock_server")
        server.reset()
        yield server
        _warn(server.journal(warned=True))
        return
    with MockServer(_config(_settings(request))) as own:
        yield own
        _warn(own.journal(warned=True))


@pytest.fixture
def aihubmix_mock_url(aihubmix_mock: MockServer) -> str:
    return aihubmix_mock.url
