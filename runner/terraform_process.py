"""Run one Terraform command as a child process that can be watched, interrupted and killed.

Terraform runs in its own process group (with its provider plugins and provisioners), so
an interrupt reaches all of it and nothing of it outlives a kill. Its output is handed to
``on_output`` line by line while it runs. ``should_stop`` is asked a few times a second;
when it answers, or the step's time is up, the group gets SIGINT (Terraform's graceful
stop: it finishes the resource in flight and writes state), then SIGKILL after
``grace_seconds``. If the worker itself dies, the group's guard (runner/process_guard.py, the
group's leader) kills the whole group: Terraform, its plugins and its provisioners. See
docs/decisions/runner-python-terraform.md for why this is not python-terraform.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

POLL_SECONDS = 0.2
GUARD = str(Path(__file__).with_name("process_guard.py"))
# The guard ignores SIGINT from its first instruction on (a cancel may come while it starts; it gives
# the command the default back): a shell sets SIGINT to ignored and execs it, and an ignored signal
# stays ignored across exec. A preexec_fn would do the same but forces a fork of the whole worker
# instead of a vfork: 15-40 ms per Terraform command on this project's workers.
IGNORING_INTERRUPTS = ["/bin/sh", "-c", 'trap "" INT; exec "$@"', "sh"]


class Outcome:
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"


@dataclass(frozen=True)
class CommandResult:
    exit_code: int
    stdout: str
    stderr: str
    outcome: str = Outcome.COMPLETED

    @property
    def succeeded(self) -> bool:
        return self.outcome == Outcome.COMPLETED and self.exit_code == 0


def run_command(
    argv: Sequence[str],
    *,
    cwd: str | os.PathLike,
    env: dict,
    timeout_seconds: float,
    grace_seconds: float,
    on_output: Callable[[str], None] = lambda line: None,
    should_stop: Callable[[], bool] = lambda: False,
) -> CommandResult:
    """Run ``argv`` to its end, its interruption or its timeout; never raises for its exit code."""
    process = subprocess.Popen(
        # -I -S: the guard needs the standard library only; site's .pth files took a third of its start.
        [*IGNORING_INTERRUPTS, sys.executable, "-I", "-S", GUARD, str(os.getpid()), *argv],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
        start_new_session=True,
    )
    stdout_lines: list[str] = []
    stderr_lines: list[str] = []
    readers = [
        _start_reader(process.stdout, stdout_lines, on_output),
        _start_reader(process.stderr, stderr_lines, on_output),
    ]
    outcome = _wait(process, timeout_seconds, grace_seconds, should_stop)
    for reader in readers:
        reader.join()
    return CommandResult(process.returncode, "".join(stdout_lines), "".join(stderr_lines), outcome)


def _start_reader(stream, sink: list[str], on_output: Callable[[str], None]) -> threading.Thread:
    def read() -> None:
        for line in stream:
            sink.append(line)
            on_output(line)
        stream.close()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return reader


def _wait(
    process: subprocess.Popen, timeout_seconds: float, grace_seconds: float, should_stop: Callable[[], bool]
) -> str:
    """Wait for the end, asking ``should_stop`` every POLL_SECONDS. A thread blocks in wait() so the end
    is seen at once (Popen.wait with a timeout polls, noticing the end up to 50 ms late)."""
    ended = threading.Event()

    def wait_for_end() -> None:
        process.wait()
        ended.set()

    threading.Thread(target=wait_for_end, daemon=True).start()
    deadline = time.monotonic() + timeout_seconds
    while not ended.wait(POLL_SECONDS):
        if should_stop():
            _interrupt_then_kill(process, grace_seconds)
            return Outcome.CANCELLED
        if time.monotonic() >= deadline:
            _interrupt_then_kill(process, grace_seconds)
            return Outcome.TIMED_OUT
    return Outcome.COMPLETED


def _interrupt_then_kill(process: subprocess.Popen, grace_seconds: float) -> None:
    _signal_group(process, signal.SIGINT)
    try:
        process.wait(timeout=grace_seconds)
    except subprocess.TimeoutExpired:
        _signal_group(process, signal.SIGKILL)
        process.wait()


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass  # it ended on its own in the meantime
