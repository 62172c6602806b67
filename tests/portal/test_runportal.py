"""`manage.py runportal` (what `make run` starts): all parts up, and one Ctrl-C (or a `kill`) stops all of them."""

import contextlib
import datetime
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from portal.management.commands.runportal import STOP_GRACE_SECONDS
from tests.support.common import PROJECT_ROOT, free_port, like_a_terminal_child

pytestmark = [pytest.mark.slow, pytest.mark.db_independent]


def portal_processes(session_id: int) -> list[int]:
    """Processes started from the portal's session, including children in sessions of their own."""
    ps = subprocess.run(["ps", "-eo", "pid,ppid,sid"], capture_output=True, text=True).stdout.split("\n")[1:]
    rows = [tuple(map(int, line.split())) for line in ps if line.strip()]
    family = {pid for pid, _, sid in rows if sid == session_id}
    grown = True
    while grown:
        children = {pid for pid, ppid, _ in rows if ppid in family} - family
        family |= children
        grown = bool(children)
    return sorted(family)


def wait_for_health(url: str, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # loopback
                return {"status": response.status}
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"{url} never answered 200")


def command_lines(pids: list[int]) -> list[str]:
    lines = []
    for pid in pids:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                lines.append(cmdline.read().replace(b"\0", b" ").decode())
        except OSError:
            pass
    return lines


def errors_logged_since(moment: datetime.datetime, output: bytes) -> list[str]:
    """The JSON log lines at level ERROR stamped at or after ``moment``."""
    errors = []
    for line in output.decode(errors="replace").splitlines():
        with contextlib.suppress(ValueError):
            entry = json.loads(line)
            if not isinstance(entry, dict) or entry.get("level") != "ERROR":
                continue
            if datetime.datetime.fromisoformat(entry["time"]) >= moment:
                errors.append(line)
    return errors


@pytest.mark.parametrize("stop", ["ctrl-c", "kill", "parent-terminated"])
def test_runportal_serves_with_a_live_cluster_and_pipeline_and_one_signal_stops_every_part(tmp_path, stop):
    web_port, aws_port = free_port(), free_port()
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "AWS_ENDPOINT_URL")
    }
    environment.update(
        DEBUG="true",
        BUCKETWISE_VAR_DIR=str(tmp_path),
        LOCAL_AWS_PORT=str(aws_port),
        Q_CLUSTER_NAME=f"runportal-test-{web_port}",
        PYTHONUNBUFFERED="1",
    )
    command = [sys.executable, "manage.py", "runportal", "--addr", f"127.0.0.1:{web_port}"]
    if (
        stop == "parent-terminated"
    ):  # as under `make run`: a parent that dies of SIGTERM and passes nothing on
        command = ["/bin/sh", "-c", " ".join(command) + "; status=$?"]
    started = []
    portal = subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # like a terminal: Ctrl-C signals this process group
        preexec_fn=like_a_terminal_child,
    )
    try:
        assert wait_for_health(f"http://127.0.0.1:{web_port}/healthz") == {"status": 200}
        started = portal_processes(portal.pid)
        assert (
            len(started) >= 5
        )  # supervisor, local AWS, web server, worker cluster (+ its workers), pipeline
        commands = " | ".join(command_lines(started))
        assert "replication.local.local_aws" in commands and "replication_pipeline" in commands

        stop_requested = datetime.datetime.now(datetime.UTC)
        if stop == "ctrl-c":
            os.killpg(portal.pid, signal.SIGINT)  # a terminal's Ctrl-C reaches the whole foreground group
        else:
            portal.send_signal(signal.SIGTERM)  # `kill <pid>` reaches the supervisor (or make) only
        # The supervisor gives its children STOP_GRACE_SECONDS, then kills them: it ends before this.
        output, _ = portal.communicate(timeout=STOP_GRACE_SECONDS + 10)
        deadline = time.monotonic() + 10
        while [pid for pid in started if os.path.exists(f"/proc/{pid}")] and time.monotonic() < deadline:
            time.sleep(0.2)
        assert [pid for pid in started if os.path.exists(f"/proc/{pid}")] == []
        assert b"Demo logins" in output and f"http://127.0.0.1:{web_port}/".encode() in output
        # Stopped in the reverse of their start: nothing (the pipeline) polls a local AWS already gone.
        # Errors before the stop do not count: /healthz answers (and logs) 503 until the cluster's first
        # heartbeat, which under load comes after the web server's first answer.
        assert errors_logged_since(stop_requested, output) == []
    finally:
        if portal.poll() is None:
            os.killpg(portal.pid, signal.SIGKILL)
        for pid in started:  # a failed stop leaves children in sessions of their own: end them here
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
