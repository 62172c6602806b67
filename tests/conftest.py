"""Fixtures shared by the whole suite: a real worker cluster on the twin stack, a local AWS (with SNS
delivering to the live server), role users."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from core import roles
from tests.support.common import PROJECT_ROOT, SNS_REGION, child_environment, make_user, moto_server

# Fixtures more than one test package uses, kept in plain modules beside their helpers.
pytest_plugins = [
    "tests.support.real_terraform",
    "tests.support.requests",
    "tests.support.replication",
    "tests.support.compliance",
]

FAKE_STACK = PROJECT_ROOT / "terraform" / "testing" / "s3-request-fake"


@pytest.fixture(autouse=True, scope="session")
def fast_password_hashing():
    """Tests create hundreds of users; the production hasher's rounds cost half a second each."""
    from django.test import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def no_sns_refusals_counted():
    """The SNS hook's per-source refusal counts and its drain flag live in the shared cache: each test
    starts at zero refusals and with no drain thought queued (an earlier test's task went with its database)."""
    from django.core.cache import cache

    from replication import processing, refusal_limit

    refusal_limit.forget("127.0.0.1")
    cache.delete(processing.DRAIN_FLAG)
    yield


def _is_transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    if marker and marker.kwargs.get("transaction"):
        return True
    return bool({"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ())))


# What gives a test the database (and, through it, the ORM broker); a test marked db_independent uses none.
DATABASE_FIXTURES = {
    "db",
    "transactional_db",
    "live_server",
    "django_db_serialized_rollback",
    "django_db_setup",
}


def _database_independence_claim_holds(item) -> bool:
    """A ``db_independent`` test has no django_db marker and no database fixture (pytest-django then
    refuses any query it makes), so running it on the PostgreSQL/Redis pass of CI proves nothing more."""
    from django.test import TransactionTestCase

    test_class = getattr(item, "cls", None)
    return (
        not item.get_closest_marker("django_db")
        and not (DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())))
        # Django's own test cases (TestCase too) get the database from their class, not a marker.
        and not (test_class is not None and issubclass(test_class, TransactionTestCase))
    )


def pytest_collection_modifyitems(config, items):
    """Skip what this run's services cannot exercise, with the reason; make every
    transactional test restore the database it found.

    A transactional test ends with a flush. Without serialized rollback that flush deletes
    the rows data migrations made (role groups, ID sequences, schedules) and re-creates
    content types, which breaks every later test that restores a serialized database. So
    either all transactional tests serialize or none may: here, all do.
    """
    from tests.support.real_terraform import (
        missing_mirror_reason,  # here: the plugin is imported by pytest first
    )

    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    no_mirror = missing_mirror_reason()
    for item in items:
        if "db_independent" in item.keywords and not _database_independence_claim_holds(item):
            raise pytest.UsageError(f"{item.nodeid} is marked db_independent but uses the database")
        if _is_transactional(item):
            existing = item.get_closest_marker("django_db")
            options = {
                **(existing.kwargs if existing else {}),
                "transaction": True,
                "serialized_rollback": True,
            }
            item.add_marker(pytest.mark.django_db(**options), append=False)  # closest marker wins
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (DATABASE_URL)"))
        if "redis" in item.keywords and not settings.REDIS_URL:
            item.add_marker(pytest.mark.skip(reason="needs the Redis broker (REDIS_URL)"))
        if "real_provider" in item.keywords:
            item.user_properties.append(("real_provider", "true"))  # .ci/run counts these in the JUnit XML
            if no_mirror:
                item.add_marker(pytest.mark.skip(reason=f"real provider: {no_mirror}"))


class WorkerCluster:
    """A real `manage.py qcluster` process; stop() sends SIGTERM like an operator would."""

    def __init__(self, environment: dict, log_path: Path):
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=PROJECT_ROOT,
            env=environment,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def is_alive(self) -> bool:
        """This cluster's own heartbeat is there (not one left by an earlier cluster) and names its workers
        (a first heartbeat under load may name none yet: /healthz then says "degraded")."""
        from django_q.brokers import get_broker
        from django_q.status import Stat

        return any(
            stat.pid == self.process.pid and stat.status != "Stopped" and stat.workers
            for stat in Stat.get_all(broker=get_broker())
        )

    def wait_until_alive(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"qcluster exited early:\n{self.log_path.read_text()[-4000:]}")
            if self.is_alive():
                return
            time.sleep(0.25)
        raise TimeoutError(f"qcluster did not report alive:\n{self.log_path.read_text()[-4000:]}")

    def kill(self, sig=signal.SIGKILL) -> None:
        """Kill the whole process group (the cluster and its worker processes)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()


@pytest.fixture
def start_worker_cluster(transactional_db, django_db_serialized_rollback, tmp_path):
    """Start real worker clusters against the test database; all are stopped afterwards.

    The test's writes must be committed for the workers to see them (a transactional
    test); serialized rollback restores the rows data migrations made (groups, ID
    sequences, schedules), which the flush after a transactional test would delete.
    """
    clusters = []

    def start(**environment_overrides) -> WorkerCluster:
        log_path = tmp_path / f"qcluster-{len(clusters)}.log"
        cluster = WorkerCluster(child_environment(**environment_overrides), log_path)
        clusters.append(cluster)
        cluster.wait_until_alive()
        return cluster

    yield start
    for cluster in clusters:
        cluster.stop()


@pytest.fixture
def worker_cluster(start_worker_cluster):
    return start_worker_cluster()


@pytest.fixture
def runner_settings(settings, tmp_path):
    """Point this process's settings at the fake stack; returns the same as environment
    variables for a worker cluster (start_worker_cluster(**runner_settings))."""
    values = {
        "TERRAFORM_STACK_DIR": str(FAKE_STACK),
        "TERRAFORM_STATE_DIR": str(tmp_path / "state"),
        "TERRAFORM_WORK_DIR": str(tmp_path / "runs"),
        "TERRAFORM_PLUGIN_CACHE_DIR": str(tmp_path / "plugin-cache"),
    }
    settings.TERRAFORM_STACK_DIR = FAKE_STACK
    settings.TERRAFORM_STATE_DIR = Path(values["TERRAFORM_STATE_DIR"])
    settings.TERRAFORM_WORK_DIR = Path(values["TERRAFORM_WORK_DIR"])
    settings.TERRAFORM_PLUGIN_CACHE_DIR = Path(values["TERRAFORM_PLUGIN_CACHE_DIR"])
    settings.RUNNER_HEARTBEAT_SECONDS = 0.5
    settings.RUNNER_CANCEL_GRACE_SECONDS = 5
    # The fake stack's provisioner sleeps this long; Terraform sees only allow-listed variables.
    settings.TERRAFORM_ENV_PASSTHROUGH = ["BUCKETWISE_FAKE_APPLY_SECONDS"]
    return {
        **values,
        "RUNNER_HEARTBEAT_SECONDS": "0.5",
        "RUNNER_CANCEL_GRACE_SECONDS": "5",
        "Q_WORKERS": "2",
        "TERRAFORM_ENV_PASSTHROUGH": "BUCKETWISE_FAKE_APPLY_SECONDS",
    }


@pytest.fixture(scope="session")
def local_aws_endpoint():
    """moto in server mode on a free loopback port: the portal's local AWS."""
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def local_aws(local_aws_endpoint, settings, monkeypatch):
    """Point the portal (settings.AWS_ENDPOINT_URL) and boto3 at the local AWS."""
    settings.AWS_ENDPOINT_URL = local_aws_endpoint
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": settings.AWS_REGION,
        "AWS_ENDPOINT_URL": local_aws_endpoint,
    }.items():
        monkeypatch.setenv(name, value)
    return local_aws_endpoint


@pytest.fixture
def checkpoint_bucket(local_aws, settings):
    """A fresh audit checkpoint bucket (Object Lock, compliance mode) in the local AWS; returns its name."""
    from uuid import uuid4

    from core import audit_checkpoints

    settings.AUDIT_CHECKPOINT_BUCKET = f"audit-checkpoints-{uuid4().hex[:12]}"
    audit_checkpoints.ensure_bucket()
    return settings.AUDIT_CHECKPOINT_BUCKET


def moto_certificate_fetcher(moto_endpoint: str, fetched: list):
    """The development fetcher (moto's certificate from the local AWS), recording the URLs it fetched.

    Tests run with DEBUG off, where the webhook's own fetcher refuses the local AWS; the same
    fetch function is called here directly."""
    from replication.dev_certificates import fetch_from_local_aws

    def fetch(url: str) -> bytes:
        certificate = fetch_from_local_aws(url, moto_endpoint)
        fetched.append(url)
        return certificate

    return fetch


@pytest.fixture
def topic(local_aws, live_server, settings, monkeypatch):
    """A moto SNS topic (in SNS_REGION) that POSTs to the portal's webhook on the live server, and is the
    one topic the portal accepts; yields (sns client, topic ARN, certificate URLs fetched)."""
    import boto3

    from replication import webhook
    from replication.sns import CertificateCache

    sns = boto3.client("sns", region_name=SNS_REGION, endpoint_url=local_aws)
    topic_arn = sns.create_topic(Name="bucketwise-replication-failures-e2e")["TopicArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="http", Endpoint=live_server.url + "/hooks/sns/replication/")
    settings.SNS_ALLOWED_TOPIC_ARNS = [topic_arn]
    fetched = []
    monkeypatch.setattr(
        webhook, "CERTIFICATES", CertificateCache(moto_certificate_fetcher(local_aws, fetched))
    )
    yield sns, topic_arn, fetched
    sns.delete_topic(TopicArn=topic_arn)


@pytest.fixture
def requester(db):
    return make_user("rita", roles.REQUESTERS)


@pytest.fixture
def approver(db):
    return make_user("alex", roles.PLATFORM_APPROVERS, is_staff=True)


@pytest.fixture
def second_approver(db):
    return make_user("blake", roles.PLATFORM_APPROVERS, is_staff=True)


@pytest.fixture
def auditor(db):
    return make_user("ada", roles.AUDITORS)


class LocalReplication:
    """`make run`'s replication half for a test: the local AWS process and the pipeline process, against the
    portal on the live server (configured as runportal configures it), and the demo command."""

    def __init__(self, live_url: str, settings, monkeypatch, log_dir: Path):
        from replication.local_dev import HOOK_PATH, LOCAL_AWS_CREDENTIALS, local_pipeline

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.endpoint = f"http://127.0.0.1:{port}"
        self.region = settings.AWS_REGION
        self.pipeline = local_pipeline()
        self.log_dir = log_dir
        self.processes: list[tuple[subprocess.Popen, object]] = []
        self.environment = child_environment(
            DEBUG="true",
            AWS_ENDPOINT_URL=self.endpoint,
            AWS_DEFAULT_REGION=settings.AWS_REGION,
            **LOCAL_AWS_CREDENTIALS,
        )
        self._settings, self._monkeypatch, self._hook_url = settings, monkeypatch, live_url + HOOK_PATH
        self.fetched: list[str] = []

    def start(self) -> None:
        from replication import webhook
        from replication.sns import CertificateCache

        settings, monkeypatch, port = self._settings, self._monkeypatch, self.endpoint.rsplit(":", 1)[1]
        self._start(
            "local-aws",
            [
                sys.executable,
                "-m",
                "replication.local.local_aws",
                "--port",
                str(port),
                "--primary-region",
                settings.AWS_REGION,
                "--replica-region",
                settings.REPLICATION_REPLICA_REGION,
            ],
        )
        self._wait_until(self._local_aws_answers, "the local AWS answers")
        settings.AWS_ENDPOINT_URL = self.endpoint
        settings.SNS_ALLOWED_TOPIC_ARNS = self.pipeline.topic_arns
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL"):
            monkeypatch.setenv(name, self.environment[name])
        # Tests run with DEBUG off, where the webhook's own fetcher refuses the local AWS: the same
        # development fetch is installed directly (see tests/replication/test_dev_certificates.py).
        monkeypatch.setattr(
            webhook, "CERTIFICATES", CertificateCache(moto_certificate_fetcher(self.endpoint, self.fetched))
        )
        self._start(
            "pipeline", [sys.executable, "manage.py", "replication_pipeline", "--webhook-url", self._hook_url]
        )

    def wait_for_confirmed_subscriptions(self) -> None:
        from replication.models import SnsMessage

        self._wait_until(
            lambda: SnsMessage.objects.filter(outcome="confirmed").count() == 2,
            "both subscriptions confirmed through the hook",
        )

    def start_demo(self, objects: int, corrupt: int, missing: int) -> subprocess.Popen:
        """``manage.py replication_demo`` (it waits until the portal has every result); ``communicate()`` it."""
        return subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "replication_demo",
                "--objects",
                str(objects),
                "--corrupt",
                str(corrupt),
                "--missing",
                str(missing),
                "--wait",
                "120",
            ],
            cwd=PROJECT_ROOT,
            env=self.environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def queue_depths(self) -> dict[str, int]:
        import boto3

        sqs = boto3.client("sqs", region_name=self.region, endpoint_url=self.endpoint)
        depths = {}
        for url in sqs.list_queues().get("QueueUrls", []):
            attributes = sqs.get_queue_attributes(
                QueueUrl=url,
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]
            depths[url.rsplit("/", 1)[-1]] = sum(int(value) for value in attributes.values())
        return depths

    def wait_until_queues_are_empty(self) -> None:
        self._wait_until(lambda: set(self.queue_depths().values()) == {0}, "every queue and DLQ empty")

    def stop(self) -> None:
        for process, log in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
            log.close()

    def _start(self, name: str, command: list[str]) -> None:
        log = open(self.log_dir / f"{name}.log", "wb")
        process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=self.environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append((process, log))

    def _local_aws_answers(self) -> bool:
        import urllib.error
        import urllib.request

        try:
            urllib.request.urlopen(self.endpoint, timeout=1)  # loopback
        except urllib.error.HTTPError:
            pass
        except OSError:
            return False
        return True

    def _wait_until(self, condition, what: str, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for process, _ in self.processes:
                if process.poll() is not None:
                    raise RuntimeError(f"a local replication process exited; logs in {self.log_dir}")
            if condition():
                return
            time.sleep(0.3)
        raise AssertionError(f"not {what} within {seconds:.0f}s (logs in {self.log_dir})")


@pytest.fixture
def local_replication(live_server, settings, monkeypatch, tmp_path):
    """The local AWS and pipeline processes serving the live portal; stopped (SIGTERM) afterwards."""
    replication = LocalReplication(live_server.url, settings, monkeypatch, tmp_path)
    try:
        replication.start()
        yield replication
    finally:
        replication.stop()


@pytest.fixture
def fake_backstage(settings):
    """A Backstage identity provider on loopback (real HTTP, real ES256 keys), set as BACKSTAGE_BASE_URL."""
    from core.backstage_identity import forget_cached_keys
    from tests.backstage.identity import FakeBackstage

    backstage = FakeBackstage().start()
    settings.BACKSTAGE_BASE_URL = backstage.base_url
    forget_cached_keys()
    yield backstage
    forget_cached_keys()
    backstage.stop()
