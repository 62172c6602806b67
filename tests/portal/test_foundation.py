"""The foundation: settings for both layouts, safe defaults, roles, login, health, logs."""

import json
import logging
import subprocess
import sys

import pytest
from django.contrib.auth.models import Group
from django_q.conf import Conf

from core import roles
from portal.json_logging import JsonFormatter, RequestIdLogFilter, bind_request_id
from tests.support.common import PROJECT_ROOT

SETTINGS_PROBE = (
    "import json, django; from django.conf import settings; django.setup();"
    "print(json.dumps({'engine': settings.DATABASES['default']['ENGINE'],"
    " 'name': str(settings.DATABASES['default']['NAME']),"
    " 'broker': 'redis' if 'redis' in settings.Q_CLUSTER else 'orm',"
    " 'cache': settings.CACHES['default']['BACKEND'], 'debug': settings.DEBUG,"
    " 'secure_cookies': settings.SESSION_COOKIE_SECURE,"
    " 'login_address_failure_limit': settings.LOGIN_ADDRESS_FAILURE_LIMIT,"
    " 'trusted_proxy_count': settings.TRUSTED_PROXY_COUNT}))"
)


AUDIT_KEY = "k" * 32


def load_settings(**environment):
    base = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "BUCKETWISE_VAR_DIR": "/tmp/bw-probe",
    }
    return subprocess.run(
        [sys.executable, "-c", SETTINGS_PROBE],
        cwd=PROJECT_ROOT,
        env={**base, **environment},
        capture_output=True,
        text=True,
    )


def test_embedded_default_uses_sqlite_orm_broker_and_a_shared_file_cache():
    result = load_settings(SECRET_KEY="x", AUDIT_CHAIN_KEY=AUDIT_KEY)
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded["engine"] == "django.db.backends.sqlite3"
    assert loaded["name"].startswith("/tmp/bw-probe/")
    assert loaded["broker"] == "orm"
    assert loaded["cache"].endswith("FileBasedCache")
    assert loaded["debug"] is False and loaded["secure_cookies"] is True


def test_scale_out_uses_postgresql_and_redis():
    result = load_settings(
        SECRET_KEY="x",
        AUDIT_CHAIN_KEY=AUDIT_KEY,
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/bucketwise",
        REDIS_URL="redis://127.0.0.1:6379/0",
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded["engine"] == "django.db.backends.postgresql"
    assert loaded["broker"] == "redis"
    assert loaded["cache"].endswith("RedisCache")


@pytest.mark.parametrize(
    ("environment", "proxies", "limit"),
    [
        ({}, 0, 20),
        # Behind the proxy the client is the address the proxy appended to X-Forwarded-For.
        ({"BEHIND_TLS_PROXY": "true"}, 1, 20),
        ({"BEHIND_TLS_PROXY": "true", "TRUSTED_PROXY_COUNT": "2"}, 2, 20),
        # A proxy that appends nothing: every client has the proxy's address, a limit would lock everyone.
        ({"BEHIND_TLS_PROXY": "true", "TRUSTED_PROXY_COUNT": "0"}, 0, 0),
        (
            {"BEHIND_TLS_PROXY": "true", "TRUSTED_PROXY_COUNT": "0", "LOGIN_ADDRESS_FAILURE_LIMIT": "40"},
            0,
            40,
        ),
    ],
)
def test_the_login_address_limit_is_off_only_where_every_client_has_one_address(environment, proxies, limit):
    result = load_settings(SECRET_KEY="x", AUDIT_CHAIN_KEY=AUDIT_KEY, **environment)
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert (loaded["trusted_proxy_count"], loaded["login_address_failure_limit"]) == (proxies, limit)


def test_startup_refuses_a_missing_secret_key_when_debug_is_off():
    result = load_settings()
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr


def test_debug_mode_runs_without_a_secret_key():
    assert load_settings(DEBUG="true").returncode == 0


@pytest.mark.parametrize(
    "environment, refusal",
    [
        ({}, "AUDIT_CHAIN_KEY is required"),
        ({"AUDIT_CHAIN_KEY": "short"}, "at least 32 characters"),
        (
            {
                "AUDIT_CHAIN_KEY": AUDIT_KEY,
                "AUDIT_CHAIN_KEY_ID": "k2",
                "AUDIT_CHAIN_RETIRED_KEYS": f"k2:{AUDIT_KEY}",
            },
            "also listed in AUDIT_CHAIN_RETIRED_KEYS",
        ),
    ],
)
def test_startup_refuses_a_missing_weak_or_reused_audit_chain_key_when_debug_is_off(environment, refusal):
    result = load_settings(SECRET_KEY="x", **environment)
    assert result.returncode != 0
    assert refusal in result.stderr


@pytest.mark.django_db
@pytest.mark.parametrize("role", [roles.REQUESTERS, roles.PLATFORM_APPROVERS, roles.AUDITORS])
def test_each_role_group_has_exactly_its_permissions(role):
    group = Group.objects.get(name=role)
    granted = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
    assert granted == set(roles.ROLE_PERMISSIONS[role])
    if role == roles.REQUESTERS:
        assert "requests_app.decide_bucketrequest" not in granted
        assert "core.view_auditentry" not in granted


@pytest.mark.django_db
def test_only_approvers_may_decide_and_only_auditors_export(requester, approver, auditor):
    assert approver.has_perm("requests_app.decide_bucketrequest")
    assert not requester.has_perm("requests_app.decide_bucketrequest")
    assert not auditor.has_perm("requests_app.decide_bucketrequest")
    assert auditor.has_perm("core.export_auditentry")
    assert not approver.has_perm("core.export_auditentry")


@pytest.mark.django_db
def test_anonymous_user_is_redirected_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_login_page_renders_with_a_labelled_form(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b'<label for="id_username">' in response.content


@pytest.mark.django_db
def test_signed_in_user_sees_the_navigation(client, requester):
    client.force_login(requester)
    page = client.get("/").content.decode()
    assert "Bucketwise" in page and "Sign out" in page


@pytest.mark.slow
def test_healthz_is_ok_with_a_live_worker_cluster(client, worker_cluster):
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok", body
    assert body["checks"]["cluster"]["clusters"] >= 1


@pytest.mark.django_db
def test_healthz_is_unavailable_without_a_worker_cluster(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["cluster"]["ok"] is False


@pytest.mark.django_db
def test_healthz_is_unavailable_when_the_broker_is_down(client, monkeypatch):
    # A real Redis client against a port where nothing listens: the broker is down.
    monkeypatch.setattr(Conf, "ORM", None)
    monkeypatch.setattr(Conf, "REDIS", "redis://127.0.0.1:1/0")
    monkeypatch.setattr(Conf, "DJANGO_REDIS", None)
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 503
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True


@pytest.mark.django_db
def test_each_response_carries_a_request_id(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="abc-123")
    assert response["X-Request-ID"] == "abc-123"
    generated = client.get("/healthz", HTTP_X_REQUEST_ID="bad id; drop")["X-Request-ID"]
    assert generated != "bad id; drop" and len(generated) == 32


def test_log_lines_are_single_json_objects_with_the_request_id():
    record = logging.makeLogRecord({"name": "t", "levelname": "INFO", "msg": "hello %s", "args": ("world",)})
    record.bucket = "b1"
    with bind_request_id("req-1"):
        RequestIdLogFilter().filter(record)
    line = JsonFormatter().format(record)
    assert "\n" not in line
    event = json.loads(line)
    assert event["message"] == "hello world"
    assert event["request_id"] == "req-1"
    assert event["bucket"] == "b1"


@pytest.mark.django_db
def test_healthz_is_degraded_when_the_cluster_reports_no_worker(client, monkeypatch):
    # A cluster whose heartbeat lists no worker process cannot be started on purpose (django-q
    # starts at least one): its Stat is stood in for here, the only replaced part.
    from types import SimpleNamespace

    from django_q.status import Stat

    monkeypatch.setattr(
        Stat, "get_all", classmethod(lambda cls, broker=None: [SimpleNamespace(status="Idle", workers=[])])
    )
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200 and body["status"] == "degraded"
    assert body["checks"]["cluster"]["workers"] == 0 and "no worker" in body["checks"]["cluster"]["problem"]


def test_access_log_lines_name_method_path_and_status_not_the_socket():
    import json
    import logging
    import socket

    from portal.json_logging import JsonFormatter

    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"%s" %s %s',
        ("GET /requests/?page=2 HTTP/1.1", "200", "1234"),
        None,
    )
    with socket.socket() as server_socket:
        record.request, record.status_code = server_socket, 200  # what runserver's handler passes
        line = json.loads(JsonFormatter().format(record))
    assert (line["method"], line["path"], line["status"]) == ("GET", "/requests/?page=2", 200)
    assert "socket" not in line["request"] and line["time"].endswith("+00:00")
