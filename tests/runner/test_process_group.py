"""Nothing a Terraform step starts outlives the worker: not Terraform, not its plugins, not provisioners.

A real worker stand-in (a Python process calling runner.terraform_process.run_command) runs a shell
that starts a background grandchild, the way Terraform starts provider plugins; then the worker is
killed with SIGKILL, which no handler of it can see.
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

WORKER = textwrap.dedent("""
    import sys
    sys.path.insert(0, {root!r})
    from runner.terraform_process import run_command
    # The shell stands for Terraform; the background sleep for a provider plugin it started.
    run_command(["sh", "-c", "sleep 300 & echo $! > {pids}; echo $$ >> {pids}; wait"], cwd=".", env={{}},
                timeout_seconds=600, grace_seconds=5)
""")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A killed child of an exited parent is reaped by init; until then it is a zombie, i.e. dead.
    status = (
        Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
        if Path(f"/proc/{pid}").exists()
        else "X"
    )
    return status not in ("Z", "X")


def wait_until(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.1)


def test_a_worker_killed_with_sigkill_takes_terraform_and_its_children_with_it(tmp_path):
    pids_file = tmp_path / "pids"
    worker = subprocess.Popen([sys.executable, "-c", WORKER.format(root=str(PROJECT_ROOT), pids=pids_file)])
    wait_until(lambda: pids_file.exists() and len(pids_file.read_text().split()) == 2)
    plugin, terraform = (int(pid) for pid in pids_file.read_text().split())
    assert alive(plugin) and alive(terraform)

    worker.send_signal(signal.SIGKILL)
    worker.wait()

    wait_until(lambda: not alive(plugin) and not alive(terraform))


def test_without_the_guard_a_grandchild_would_survive_the_worker(tmp_path):
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


def test_a_cancel_still_reaches_terraform_through_the_guard(tmp_path):
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


def test_the_commands_exit_code_and_output_come_through(tmp_path):
    result = run_command(
        ["sh", "-c", "echo out; echo err >&2; exit 7"],
        cwd=tmp_path,
        env={},
        timeout_seconds=60,
        grace_seconds=5,
    )

    assert (result.exit_code, result.stdout, result.stderr, result.outcome) == (
        7,
        "out\n",
        "err\n",
        "completed",
    )
