"""The export's rows digest has two writers: Python (``digest_line``, ``python_rows_digest``: checking a file,
and SQLite) and PostgreSQL (``DIGEST_LINE_SQL``, ``database_rows_digest``). They must agree byte for byte:
the lines, the digest, the row count and the first and last ids, for one environment, for every entry and
for an export with no rows."""

import pytest
from django.db import connection

from core import audit, audit_checkpoints
from core.audit_checkpoints import (
    DIGEST_LINE_SQL,
    RowsDigest,
    database_rows_digest,
    digest_line,
    python_rows_digest,
)
from core.models import AuditEntry
from tests.core.audit_tampering import TABLE, delete_entries, sql

pytestmark = pytest.mark.django_db


def test_lines_fed_by_the_block_digest_as_lines_fed_one_by_one():
    pairs = [(3, "a" * 64), (7, "b" * 64), (12, "c" * 64)]
    one_by_one, by_block = RowsDigest(), RowsDigest()
    for entry_id, entry_hash in pairs:
        one_by_one.add(entry_id, entry_hash)
    by_block.add_lines(digest_line(*pairs[0]), 1, 3, 3)
    by_block.add_lines(b"".join(digest_line(*pair) for pair in pairs[1:]), 2, 7, 12)
    assert (by_block.hexdigest(), by_block.rows, by_block.first_entry_id, by_block.last_entry_id) == (
        one_by_one.hexdigest(),
        3,
        3,
        12,
    )
    assert digest_line(7, "b" * 64) == b"7:" + b"b" * 64 + b"\n"


@pytest.fixture
def trail(db):
    """Entries of two environments and none, interleaved, with ids that leave gaps."""
    entries = []
    for n in range(11):
        entries.append(
            audit.record("test.step", actor="system", detail={"n": n}, environment=["prod", "dev", ""][n % 3])
        )
    delete_entries(entries[4].id, entries[5].id)
    return entries


def summary(digest: RowsDigest) -> tuple:
    return digest.hexdigest(), digest.rows, digest.first_entry_id, digest.last_entry_id


@pytest.mark.postgres
def test_postgres_writes_the_very_lines_python_writes(trail):
    # Hashes no writer produces, to pin the line's bytes beyond hex: quotes, backslash, tab, non-ASCII.
    sql(f"UPDATE {TABLE} SET entry_hash = %s WHERE id = %s", ["it's a \\ back\tslash é😀", trail[0].id])
    rows = AuditEntry.objects.order_by("id").values_list("id", "entry_hash")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {DIGEST_LINE_SQL} FROM {TABLE} a ORDER BY a.id")
        from_sql = [line.encode() for (line,) in cursor.fetchall()]
    assert from_sql == [digest_line(entry_id, entry_hash) for entry_id, entry_hash in rows]


@pytest.mark.postgres
@pytest.mark.parametrize("range_ids", [2, 3, 50_000])
@pytest.mark.parametrize("environment", ["prod", "dev", None, "staging"])  # staging: no rows
def test_postgres_digests_an_export_as_python_does(trail, monkeypatch, environment, range_ids):
    monkeypatch.setattr(audit_checkpoints, "DIGEST_RANGE_IDS", range_ids)
    head = trail[-1].id
    database = database_rows_digest(environment, head)
    assert summary(database) == summary(python_rows_digest(environment, head))
    assert database.rows == {"prod": 4, "dev": 3, None: 9, "staging": 0}[environment]


@pytest.mark.postgres
def test_postgres_digests_up_to_the_head_only_and_an_empty_trail(trail):
    head = trail[6].id
    assert summary(database_rows_digest(None, head)) == summary(python_rows_digest(None, head))
    assert database_rows_digest(None, head).last_entry_id == head
    assert summary(database_rows_digest(None, 0)) == summary(RowsDigest())
