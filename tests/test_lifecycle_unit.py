"""Lifecycle policies as a pure function of the clock and polls: always forward, never back."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aihubmix_mock.lifecycle import Policy, advance, poll_after_ms, refresh
from aihubmix_mock.store import Job
from tests.factories import make_job

ORDER = {"queued": 0, "in_progress": 1, "completed": 2, "failed": 2}


def job(policy="time", arg=10.0, initial="queued", outcome="completed") -> Job:
    return make_job(policy=policy, policy_arg=arg, initial=initial, outcome=outcome)


@settings(max_examples=200, derandomize=True, database=None)
@given(
    arg=st.floats(0, 100),
    steps=st.lists(st.tuples(st.floats(0, 30), st.booleans()), max_size=30),
    kind=st.sampled_from(["time", "polls"]),
    initial=st.sampled_from(["queued", "in_progress"]),
    outcome=st.sampled_from(["completed", "failed"]),
)
def test_status_and_progress_only_move_forward(arg, steps, kind, initial, outcome):
    j = job(kind, arg if kind == "time" else max(1, int(arg)), initial, outcome)
    now, seen = 1000.0, []
    for dt, poll in steps:
        now += dt
        refresh(j, now, poll=poll)
        seen.append((ORDER[j.status], j.progress))
        assert 0 <= j.progress <= 100
    assert seen == sorted(seen)
    if j.status == "completed":
        assert j.progress == 100 and j.completed_at >= j.created_at and j.expires_at > j.completed_at


def test_zero_seconds_completes_on_the_first_poll():
    j = job("time", 0)
    refresh(j, 5000.0)
    assert j.status == "queued"
    refresh(j, 1000.0, poll=True)
    assert j.status == "completed"


def test_time_policy_completes_at_created_plus_seconds():
    j = job("time", 10)
    refresh(j, 1000.5)
    assert j.status == "queued"
    refresh(j, 1005)
    assert (j.status, j.progress) == ("in_progress", 50)
    assert poll_after_ms(j, 1005) == 5001
    refresh(j, 1200)
    assert j.status == "completed" and j.completed_at == 1010


def test_manual_moves_only_when_advanced():
    j = job("manual")
    refresh(j, 10**9, poll=True)
    assert j.status == "queued"
    advance(j, 2000)
    assert j.status == "in_progress"
    advance(j, 2001, "failed", "boom")
    assert j.status == "failed" and j.error_message == "boom"
    with pytest.raises(ValueError):
        advance(j, 2002)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("time=2", Policy("time", 2)),
        ("polls=4", Policy("polls", 4)),
        ("manual", Policy("manual", 0)),
        (" POLLS = 2", Policy("polls", 2)),
    ],
)
def test_policy_header(text, expected):
    default = Policy("time", 5)
    if expected is None:
        with pytest.raises(ValueError):
            Policy.parse(text, default)
    else:
        assert Policy.parse(text, default) == expected


@pytest.mark.parametrize("text", ["fast", "time=-1", "polls=0", "polls=1.5", "time=abc"])
def test_bad_policy_header(text):
    with pytest.raises(ValueError):
        Policy.parse(text, Policy("time", 5))
