"""Run one Terraform command as a child process that can be watched, interrupted and killed.

Terraform runs in its own process group (with its provider plugins and provisioners), so an interrupt
reaches all of it and nothing of it outlives the command or the worker. Its output is handed to
``on_output`` line by line while it runs. ``should_stop`` is asked a few times a second; when it
answers, or the step's time is up, the group gets SIGINT (Terraform's graceful stop: it finishes the
resource in flight and writes state), then SIGKILL after ``grace_seconds``. When the command ends,
whatever it left in its group is killed. If the worker itself dies, its watchdog (runner/watchdog.py,
one per worker process) kills every group it was told about. See docs/decisions/runner-overhead.md
for why one watchdog per worker rather than a guard per command, and
docs/decisions/runner-python-terraform.md for why this is not python-terraform.
"""

from __future__ import annotations

import fcntl
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
WATCHDOG_SCRIPT = str(Path(__file__).with_name("watchdog.py"))
# The command's first process: a shell that waits for the worker's "go" on stdin (sent once its
# group is registered with the watchdog; EOF, i.e. a worker gone before that, makes it exit 125),
# then enters the working directory and execs the command with stdin from /dev/null.
TRAMPOLINE = [
    "/bin/sh",
    "-c",
    'read -r go || exit 125; cd -- "$1" || exit 125; shift; exec "$@" </dev/null',
    "sh",
]
# django-q2's workers ignore SIGINT, and an ignored signal stays ignored across exec (a shell cannot
# even reset it); SIGPIPE and SIGXFSZ are what Popen's restore_signals resets.
DEFAULT_SIGNALS = (signal.SIGINT, signal.SIGPIPE, signal.SIGXFSZ)


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
    command = Command(argv, cwd, env)
    stdout_lines: list[str] = []
    stderr_lines: list[str] = []
    readers = [
        _start_reader(command.stdout, stdout_lines, on_output),
        _start_reader(command.stderr, stderr_lines, on_output),
    ]
    try:
        command.go()
        outcome = _wait(command, timeout_seconds, grace_seconds, should_stop)
    finally:
        exit_code = command.clean_up()
    for reader in readers:
        reader.join()
    return CommandResult(exit_code, "".join(stdout_lines), "".join(stderr_lines), outcome)


class Command:
    """One command in a new session (its pid is its group's id), started waiting for ``go()``.

    os.posix_spawn rather than Popen: Popen cannot give SIGINT back its default disposition without a
    preexec_fn, which forces a fork of the whole worker instead of a vfork (15-40 ms per command here);
    glibc's posix_spawn is a vfork-like clone. It closes no descriptor, but every one Python opens is
    close-on-exec, so the command inherits the three below (not the watchdog's pipe).
    """

    def __init__(self, argv: Sequence[str], cwd: str | os.PathLike, env: dict):
        go_read, self._go = _pipe()
        stdout_read, stdout_write = _pipe()
        stderr_read, stderr_write = _pipe()
        try:
            self.pid = os.posix_spawn(
                TRAMPOLINE[0],
                [*TRAMPOLINE, os.path.abspath(cwd), *argv],  # absolute: CDPATH plays no part
                env,
                file_actions=[
                    (os.POSIX_SPAWN_DUP2, go_read, 0),
                    (os.POSIX_SPAWN_DUP2, stdout_write, 1),
                    (os.POSIX_SPAWN_DUP2, stderr_write, 2),
                ],
                setsid=True,
                setsigdef=DEFAULT_SIGNALS,
            )
        except BaseException:
            for fd in (self._go, stdout_read, stderr_read):
                os.close(fd)
            raise
        finally:
            for fd in (go_read, stdout_write, stderr_write):
                os.close(fd)
        # Text like Popen's (universal newlines); their readers close them.
        self.stdout = open(stdout_read, encoding="utf-8", errors="replace")
        self.stderr = open(stderr_read, encoding="utf-8", errors="replace")
        self.ended = threading.Event()
        self._registered = False

    def go(self) -> None:
        """Register the group with the watchdog, then let the command start. A worker that dies
        before that leaves a shell reading EOF: nothing runs."""
        WATCHDOG.register(self.pid)
        self._registered = True
        try:
            os.write(self._go, b"go\n")
        except BrokenPipeError:
            pass  # the shell was killed already: its status will say so
        os.close(self._go)
        self._go = -1
        # A thread blocks in waitid so the end is seen at once (polling would notice it late). WNOWAIT
        # leaves the command a zombie: its pid, hence the group's id, cannot be reused before clean_up().
        threading.Thread(target=self._wait_for_end, daemon=True).start()

    def _wait_for_end(self) -> None:
        try:
            os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOWAIT)
        except ChildProcessError:
            pass  # reaped by clean_up() after an error in the worker
        self.ended.set()

    def signal_group(self, sig: int) -> None:
        try:
            os.killpg(self.pid, sig)
        except ProcessLookupError:
            pass  # only the zombie leader is left

    def clean_up(self) -> int:
        """Kill what is left in the group, unregister it, reap the command; return its exit code (128 +
        the signal's number when a signal ended it). One SIGKILL is enough: a fork that races a signal
        to its group fails in the kernel, so nothing can be started into the group behind it."""
        if self._go >= 0:  # no go(): the shell reads EOF and exits without running anything
            os.close(self._go)
            self._go = -1
        self.signal_group(signal.SIGKILL)
        if self._registered:
            WATCHDOG.unregister(self.pid)
        code = os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])
        return code if code >= 0 else 128 - code


def _pipe() -> tuple[int, int]:
    """A close-on-exec pipe whose ends are not 0-2, which the spawn's dup2s would overwrite."""
    read, write = (fd if fd > 2 else _moved_above_stdio(fd) for fd in os.pipe())
    return read, write


def _moved_above_stdio(fd: int) -> int:
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 3)
    os.close(fd)
    return moved


class Watchdog:
    """This worker process's watchdog (runner/watchdog.py): started for the first command, and again
    if it died, with the groups of the commands still running. It belongs to the process that started
    it: a forked child drops its copy of the pipe at once (so the parent's watchdog sees EOF when the
    parent dies) and starts its own for its own commands."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owner = os.getpid()
        self._process: subprocess.Popen | None = None
        self._groups: set[int] = set()

    def register(self, pgid: int) -> None:
        with self._lock:
            self._groups.add(pgid)
            try:
                if self._running():
                    try:
                        self._process.stdin.write(f"+{pgid}\n".encode())
                        return
                    except BrokenPipeError:
                        pass  # it died since _running(): start another
                self._start()
            except BaseException:
                self._groups.discard(pgid)
                raise

    def unregister(self, pgid: int) -> None:
        with self._lock:
            self._groups.discard(pgid)
            if self._running():
                try:
                    self._process.stdin.write(f"-{pgid}\n".encode())
                except BrokenPipeError:
                    pass  # it died: the next command starts another, without this group

    def _running(self) -> bool:
        if self._owner != os.getpid():  # forked by other means than os.fork (register_at_fork missed it)
            self.forget()
        return self._process is not None and self._process.poll() is None

    def _start(self) -> None:
        if self._process is not None:
            self._process.stdin.close()
        self._process = subprocess.Popen(
            # -I -S: standard library only; site's .pth files took a third of a Python start.
            [sys.executable, "-I", "-S", WATCHDOG_SCRIPT, str(os.getpid())],
            stdin=subprocess.PIPE,
            bufsize=0,
            start_new_session=True,
        )
        self._process.stdin.write("".join(f"+{pgid}\n" for pgid in self._groups).encode())

    def forget(self) -> None:
        """In a forked child: the parent's watchdog and groups are not this process's."""
        self._lock = threading.Lock()  # another thread of the parent may have held it at the fork
        if self._process is not None:
            self._process.stdin.close()
            self._process.returncode = 0  # not this process's child: never wait for it
        self._owner, self._process, self._groups = os.getpid(), None, set()


WATCHDOG = Watchdog()
os.register_at_fork(after_in_child=WATCHDOG.forget)


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
    command: Command, timeout_seconds: float, grace_seconds: float, should_stop: Callable[[], bool]
) -> str:
    """Wait for the end, asking ``should_stop`` every POLL_SECONDS."""
    deadline = time.monotonic() + timeout_seconds
    while not command.ended.wait(POLL_SECONDS):
        if should_stop():
            _interrupt_then_kill(command, grace_seconds)
            return Outcome.CANCELLED
        if time.monotonic() >= deadline:
            _interrupt_then_kill(command, grace_seconds)
            return Outcome.TIMED_OUT
    return Outcome.COMPLETED


def _interrupt_then_kill(command: Command, grace_seconds: float) -> None:
    command.signal_group(signal.SIGINT)
    if not command.ended.wait(grace_seconds):
        command.signal_group(signal.SIGKILL)
        command.ended.wait()
