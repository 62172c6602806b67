"""Helpers every test package uses: the project's root, users with roles, the environment of a child
process of the portal, a free port, work released in threads at once, a command called in process."""

import io
import os
import socket
import threading
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db import connection

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
SNS_REGION = "eu-west-1"


def make_user(username: str, *role_names: str, is_staff: bool = False) -> User:
    user = User.objects.create_user(username=username, password="pw-" + username, is_staff=is_staff)
    user.groups.add(*Group.objects.filter(name__in=role_names))
    return user


def _database_url_for_children(connection) -> str:
    """The test database as a URL, so child processes use the database the test sees."""
    config = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{config['NAME']}"
    password = f":{config['PASSWORD']}" if config.get("PASSWORD") else ""
    return (
        f"postgres://{config['USER']}{password}@{config['HOST'] or '127.0.0.1'}:"
        f"{config['PORT'] or 5432}/{config['NAME']}"
    )


def child_environment(**overrides) -> dict:
    """Environment for a process of the portal (manage.py …) sharing this test's database."""
    environment = dict(os.environ)
    environment.update(
        DATABASE_URL=_database_url_for_children(connection),
        SECRET_KEY=settings.SECRET_KEY,
        DEBUG="false",
        BUCKETWISE_VAR_DIR=str(settings.VAR_DIR),
        AWS_ENDPOINT_URL=settings.AWS_ENDPOINT_URL,
        PYTHONUNBUFFERED="1",
    )
    if not settings.REDIS_URL:
        environment.pop("REDIS_URL", None)
    environment.update(overrides)
    return environment


def like_a_terminal_child() -> None:
    """``preexec_fn`` for a child that must take Ctrl-C as a terminal's foreground job does: SIGINT at its
    default even when the test run itself was started in the background (where SIGINT is ignored and
    children inherit that)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


@contextmanager
def moto_server():
    """moto in server mode on a free loopback port; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_at_once(work, count: int) -> list:
    """Run ``work(index)`` in ``count`` threads released together; return results or exceptions."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def target(index):
        try:
            barrier.wait()
            results[index] = work(index)
        except Exception as exc:  # reported to the test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def run_command(*args) -> tuple[int, str, str]:
    """``manage.py`` command ``args`` called in this process: its exit code, output and errors."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    return code, out.getvalue(), err.getvalue()
