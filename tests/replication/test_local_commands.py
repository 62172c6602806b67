"""The development commands refuse production and bad input with a clear message; the emulator's fault draw."""

import random

import pytest
from django.core.management import CommandError, call_command

from replication.local.local_aws import FaultShares, corrupted


@pytest.mark.parametrize(
    "command, arguments",
    [
        ("replication_pipeline", ["--webhook-url", "http://127.0.0.1:8000/hooks/sns/replication/"]),
        ("replication_demo", []),
    ],
)
def test_the_development_commands_refuse_to_run_with_debug_off(settings, command, arguments):
    settings.DEBUG = False
    settings.AWS_ENDPOINT_URL = "http://127.0.0.1:5005"
    with pytest.raises(CommandError, match="development"):
        call_command(command, *arguments)


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--objects", "0"], "--objects must be between 1 and 500"),
        (["--objects", "501"], "--objects must be between 1 and 500"),
        (["--objects", "5", "--corrupt", "3", "--missing", "3"], "together at most --objects"),
        (["--objects", "5", "--corrupt", "-1"], "positive"),
    ],
)
def test_the_demo_refuses_impossible_counts_before_uploading_anything(settings, arguments, message):
    settings.DEBUG = True
    with pytest.raises(CommandError, match=message):
        call_command("replication_demo", *arguments, "--wait", "0")


def test_the_demo_says_when_make_run_is_not_running(settings, local_aws):
    """A local AWS without the local pair (here: a bare moto server) is named, not a traceback."""
    settings.DEBUG = True
    with pytest.raises(CommandError, match="is `make run` running"):
        call_command("replication_demo", "--objects", "1", "--corrupt", "0", "--missing", "0", "--wait", "0")


def test_fault_shares_are_drawn_in_proportion_and_none_by_default():
    chance = random.Random(7)
    faults = FaultShares(delay=0.2, drop=0.1, corrupt=0.1)
    draws = [faults.draw(chance) for _ in range(10_000)]
    shares = {fault: draws.count(fault) / len(draws) for fault in ("delay", "drop", "corrupt", None)}
    assert shares == pytest.approx({"delay": 0.2, "drop": 0.1, "corrupt": 0.1, None: 0.6}, abs=0.02)
    assert {FaultShares().draw(chance) for _ in range(100)} == {None}


def test_a_corrupted_copy_has_the_same_size_and_other_content():
    for body in (b"abc", b"\x00" * 10, b""):
        copy = corrupted(body)
        assert copy != body and (len(copy) == len(body) or body == b"")
