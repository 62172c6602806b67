"""Setup the API, pages and audit-export benchmarks share: a fresh PostgreSQL database, and the portal's
environment and Django in this process (bench-only secret, no Redis: the ORM broker)."""

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def recreate_database(url: str) -> None:
    """Drop the database `url` names (closing its connections) and create it empty."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username,
        password=parts.password,
        dbname="postgres",
        autocommit=True,
    ) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def portal_environment(url: str | None, var_dir: Path, **overrides: str) -> dict:
    """This process's environment for a portal on `url` (None: the embedded SQLite under `var_dir`)."""
    environment = {
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        **os.environ,
        "BUCKETWISE_VAR_DIR": str(var_dir),
        "SECRET_KEY": "bench-only",
        "AUDIT_CHAIN_KEY": "bench-only-audit-chain-key-of-32-characters",
        "DEBUG": "false",
        "LOG_LEVEL": "ERROR",
        **overrides,
    }
    environment.pop("REDIS_URL", None)
    if url:
        environment["DATABASE_URL"] = url
    else:
        environment.pop("DATABASE_URL", None)
    return environment


def setup_django(environment: dict) -> None:
    """Make `environment` this process's own (keys it lacks are dropped), set Django up and migrate."""
    os.environ.clear()
    os.environ.update(environment)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
