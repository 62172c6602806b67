"""Nothing a Terraform step starts outlives its command or the worker: not Terraform, not its plugins.

Real worker stand-ins (Python processes calling runner.terraform_process) run shells that start a
background grandchild, the way Terraform starts provider plugins; then the worker is killed with
SIGKILL, which no handler of it can see. Each worker process has one watchdog (runner/watchdog.py);
these tests find it among the worker's children, kill it, and read what it says on the worker's stderr.
"""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from runner.terraform_process import run_command

PROJECT_ROOT = Path(__file__).resolve().parents[2]

PRELUDE = textwrap.dedent("""
    import os, signal, sys, threading, time
    from pathlib import Path
    sys.path.insert(0, {root!r})
    from runner.terraform_process import Command, run_command

    def run(script):
        return run_command(["sh", "-c", script], cwd=".", env={{}}, timeout_seconds=600, grace_seconds=5)

    def in_background(script):
        threading.Thread(target=run, args=(script,), daemon=True).start()

    def wait_for(path):
        while not Path(path).exists():
            time.sleep(0.05)
""")

# The shell stands for Terraform; the background sleep for a provider plugin it started.
TERRAFORM = "sleep 300 & echo $! > {pids}.tmp; echo $$ >> {pids}.tmp; mv {pids}.tmp {pids}; wait"


def start_worker(body: str, **paths) -> subprocess.Popen:
    script = PRELUDE.format(root=str(PROJECT_ROOT)) + textwrap.dedent(body).format(**paths)
    return subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE, text=True)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A killed child of an exited parent is reaped by init; until then it is a zombie, i.e. dead.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False


def wait_until(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.05)


def pids_in(path: Path) -> list[int]:
    wait_until(path.exists)
    return [int(pid) for pid in path.read_text().split()]


def watchdogs_of(worker_pid: int) -> list[int]:
    """The live watchdogs the worker started (its children running runner/watchdog.py)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().split(")")[-1].split()[1])
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except (FileNotFoundError, ProcessLookupError, NotADirectoryError, ValueError):
            continue
        if parent == worker_pid and any(part.endswith(b"runner/watchdog.py") for part in command):
            found.append(int(entry.name))
    return found


def killed_groups(worker: subprocess.Popen) -> list[str]:
    """SIGKILL the worker; the groups its watchdog reported killing (stderr ends when the watchdog exits)."""
    worker.send_signal(signal.SIGKILL)
    stderr = worker.communicate(timeout=20)[1]
    return [
        line.split("killed process groups ")[1]
        for line in stderr.splitlines()
        if "killed process groups" in line
    ]


def test_a_worker_killed_with_sigkill_takes_terraform_and_its_children_with_it(tmp_path):
    pids_file = tmp_path / "pids"
    worker = start_worker("run({terraform!r})", terraform=TERRAFORM.format(pids=pids_file))
    plugin, terraform = pids_in(pids_file)
    assert alive(plugin) and alive(terraform)

    assert killed_groups(worker) == [str(terraform)]

    wait_until(lambda: not alive(plugin) and not alive(terraform), timeout=5)


def test_without_the_watchdog_a_grandchild_would_survive_the_worker(tmp_path):
    """The test above can fail: a bare child with only a parent-death signal leaves its own child behind."""
    pids_file = tmp_path / "pids"
    bare = textwrap.dedent(f"""
        import ctypes, ctypes.util, signal, subprocess
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        subprocess.run(["sh", "-c", "sleep 300 & echo $! > {pids_file}; wait"], start_new_session=True,
                       preexec_fn=lambda: libc.prctl(1, signal.SIGKILL))
    """)
    worker = subprocess.Popen([sys.executable, "-c", bare])
    wait_until(lambda: pids_file.exists() and pids_file.read_text().strip())
    plugin = int(pids_file.read_text())

    worker.send_signal(signal.SIGKILL)
    worker.wait()
    time.sleep(1)

    try:
        assert alive(plugin)
    finally:
        os.kill(plugin, signal.SIGKILL)


def test_a_worker_killed_between_spawn_and_go_leaves_nothing_running(tmp_path):
    """The command is spawned, not yet registered with the watchdog nor told to go: the worker dies."""
    ran, pid_file = tmp_path / "ran", tmp_path / "pid"
    worker = start_worker(
        """
        command = Command(["sh", "-c", "touch {ran}; sleep 300"], ".", {{}})
        Path("{pid_file}").write_text(str(command.pid))
        time.sleep(300)
        """,
        ran=ran,
        pid_file=pid_file,
    )
    (waiting_shell,) = pids_in(pid_file)
    assert alive(waiting_shell)

    worker.send_signal(signal.SIGKILL)
    worker.wait()

    wait_until(lambda: not alive(waiting_shell), timeout=5)
    assert not ran.exists()


def test_a_forked_child_of_the_worker_has_its_own_watchdog(tmp_path):
    parent_pids, child_pids, child_file = tmp_path / "parent", tmp_path / "child", tmp_path / "child-pid"
    worker = start_worker(
        """
        in_background({parent_terraform!r})
        wait_for("{parent_pids}")
        if os.fork() == 0:
            os.dup2(os.open(os.devnull, os.O_WRONLY), 2)  # the worker's stderr ends with its watchdog
            Path("{child_file}").write_text(str(os.getpid()))
            run({child_terraform!r})
            os._exit(0)
        time.sleep(300)
        """,
        parent_terraform=TERRAFORM.format(pids=parent_pids),
        parent_pids=parent_pids,
        child_terraform=TERRAFORM.format(pids=child_pids),
        child_file=child_file,
    )
    parent_commands, child_commands = pids_in(parent_pids), pids_in(child_pids)
    (child,) = pids_in(child_file)
    try:
        assert len(watchdogs_of(worker.pid)) == 1 and len(watchdogs_of(child)) == 1

        assert killed_groups(worker) == [str(parent_commands[1])]
        wait_until(lambda: not any(map(alive, parent_commands)), timeout=5)
        assert all(map(alive, child_commands))  # the parent's watchdog did not take the child's

        os.kill(child, signal.SIGKILL)
        wait_until(lambda: not any(map(alive, child_commands)), timeout=5)
    finally:
        for pid in (worker.pid, child, *child_commands):
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_the_watchdog_of_a_worker_that_ran_many_commands_holds_only_the_running_one(tmp_path):
    pids_file = tmp_path / "pids"
    worker = start_worker(
        """
        for index in range(40):
            assert run("sleep 60 & echo $$").exit_code == 0  # a leftover too, killed at the end
        run({terraform!r})
        """,
        terraform=TERRAFORM.format(pids=pids_file),
    )
    plugin, terraform = pids_in(pids_file)

    assert killed_groups(worker) == [str(terraform)]
    wait_until(lambda: not alive(plugin) and not alive(terraform), timeout=5)


def test_a_watchdog_that_died_is_restarted_with_the_running_commands(tmp_path):
    running, go_on, after = tmp_path / "running", tmp_path / "go-on", tmp_path / "after"
    worker = start_worker(
        """
        in_background({terraform!r})
        wait_for("{go_on}")
        run("echo $$ > {after}")
        time.sleep(300)
        """,
        terraform=TERRAFORM.format(pids=running),
        go_on=go_on,
        after=after,
    )
    plugin, terraform = pids_in(running)
    (first,) = watchdogs_of(worker.pid)
    os.kill(first, signal.SIGKILL)
    wait_until(lambda: not watchdogs_of(worker.pid))

    go_on.touch()
    (next_command,) = pids_in(after)
    (second,) = watchdogs_of(worker.pid)

    assert second != first
    assert killed_groups(worker) == [str(terraform)]  # the command that ran across the restart
    wait_until(lambda: not alive(plugin) and not alive(terraform), timeout=5)


def test_what_a_command_left_in_its_group_is_killed_when_it_ends(tmp_path):
    started = time.monotonic()
    result = run_command(
        ["sh", "-c", "sleep 300 & echo $!"], cwd=tmp_path, env={}, timeout_seconds=60, grace_seconds=5
    )

    assert (result.exit_code, result.outcome) == (0, "completed")
    assert (
        time.monotonic() - started < 10
    )  # the leftover held the output pipe: run_command did not wait for it
    wait_until(lambda: not alive(int(result.stdout)), timeout=5)


def test_a_cancel_interrupts_the_command(tmp_path):
    ready = tmp_path / "ready"
    result = run_command(
        ["sh", "-c", f"trap 'echo interrupted; exit 3' INT; touch {ready}; sleep 300 & wait"],
        cwd=tmp_path,
        env={},
        timeout_seconds=600,
        grace_seconds=10,
        should_stop=ready.exists,
    )

    assert (result.outcome, result.exit_code, result.stdout) == ("cancelled", 3, "interrupted\n")


def test_a_command_that_ignores_the_interrupt_is_killed_after_the_grace(tmp_path):
    ready = tmp_path / "ready"
    started = time.monotonic()
    result = run_command(
        ["sh", "-c", f"trap '' INT; touch {ready}; while :; do sleep 0.1; done"],
        cwd=tmp_path,
        env={},
        timeout_seconds=600,
        grace_seconds=1,
        should_stop=ready.exists,
    )

    assert (result.outcome, result.exit_code) == ("cancelled", 128 + signal.SIGKILL)
    assert 1 <= time.monotonic() - started < 10


def test_a_timeout_stops_the_command_like_a_cancel(tmp_path):
    result = run_command(["sleep", "300"], cwd=tmp_path, env={}, timeout_seconds=0.5, grace_seconds=5)

    assert (result.outcome, result.exit_code) == ("timed_out", 128 + signal.SIGINT)


def test_the_command_takes_sigint_even_in_a_worker_that_ignores_it(tmp_path):
    """django-q2's workers ignore SIGINT, and an ignored signal would stay ignored across exec."""
    ready = tmp_path / "ready"
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        status = run_command(
            ["grep", "^SigIgn", "/proc/self/status"],
            cwd=tmp_path,
            env={},
            timeout_seconds=60,
            grace_seconds=5,
        )
        started = time.monotonic()
        result = run_command(
            ["sh", "-c", f"touch {ready}; exec sleep 300"],
            cwd=tmp_path,
            env={},
            timeout_seconds=600,
            grace_seconds=30,
            should_stop=ready.exists,
        )
    finally:
        signal.signal(signal.SIGINT, previous)

    ignored = int(status.stdout.split()[1], 16)
    assert not ignored & (1 << (signal.SIGINT - 1)) and not ignored & (1 << (signal.SIGPIPE - 1))
    assert (result.outcome, result.exit_code) == ("cancelled", 128 + signal.SIGINT)
    assert time.monotonic() - started < 10  # stopped by the interrupt, not by the SIGKILL after the grace


def test_the_commands_exit_code_and_output_come_through(tmp_path):
    (tmp_path / "here").touch()
    result = run_command(
        ["sh", "-c", "echo out; ls; echo err >&2; exit 7"],
        cwd=tmp_path,
        env={},
        timeout_seconds=60,
        grace_seconds=5,
    )

    assert (result.exit_code, result.stdout, result.stderr, result.outcome) == (
        7,
        "out\nhere\n",
        "err\n",
        "completed",
    )
