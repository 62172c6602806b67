"""On PostgreSQL the audit CSV is written by COPY (core.audit_csv._COPY_QUERY); it must be the very bytes the
Python row mapping (audit_row, used on SQLite) writes for the same entries, tricky values included, and
verify on its own like every export."""

import pytest
from django.core.management import call_command

from core import audit
from core.audit_checkpoints import exported_entries
from core.audit_csv import _ENTRY_FIELDS, _copied_lines, _lines
from core.models import AuditEntry
from tests.support.audit import verify_csv

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

TRICKY = [
    "-2+3",
    "=cmd|' /C calc'!A0",
    "@admin",
    "+x",
    "'=already quoted",
    "''-two quotes",
    "'plain quote",
    "\tTAB",
    "\rCR",
    "\nLF",
    "a,b",
    'say "hi"',
    "line\nbreak",
    "",
    "système 😀",
    " =space first",
    "a\rb",
    "system",
    "'",
    "'''",
    "é=not first",
]


@pytest.fixture
def tricky_trail(db):
    for index, value in enumerate(TRICKY):
        audit.record(
            "approval.granted" if index % 2 else "request.approve",
            actor=value or "anonymous",
            detail={
                "zz": 1,
                "aaa": [value, {"b": None, "a": True}],
                "to": value,
                "status": "queued",
                "ctl": "\x01\x1f\u2028",
                "n": -2.5,
            },
            bucket_name=value,
            environment="prod" if index % 3 else value,
        )
    audit.record("request.submitted", actor="system", detail={"to": 5, "status": ""}, environment="prod")
    audit.record("run.finished", actor="system", detail={"status": 7, "to": ""}, environment="prod")


def both_paths(environment):
    head = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first()
    requests = {"": ("=owner", "-purpose"), "x": ("team", "")}
    copied = "".join(_copied_lines(environment, head, requests, 42))
    python = "".join(_lines(exported_entries(environment, head).values_list(*_ENTRY_FIELDS), requests, 42))
    return copied, python


@pytest.mark.parametrize("environment", [None, "prod"])
def test_copy_writes_the_same_bytes_as_the_python_mapping(tricky_trail, environment):
    copied, python = both_paths(environment)
    assert copied.count("\n") >= len(TRICKY) // 2
    assert copied == python


def test_the_copied_export_verifies_on_its_own(tricky_trail, checkpoint_bucket, tmp_path):
    path = tmp_path / "all.csv"
    call_command("export_audit", "--out", str(path))
    assert "'-2+3" in path.read_text(encoding="utf-8")
    code, out, err = verify_csv(path)
    assert code == 0, out + err
    assert f"{len(TRICKY) + 2} rows verify with the key and match checkpoint #1" in out
