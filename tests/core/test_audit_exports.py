"""Audit CSV exports that verify on their own: against the export's checkpoint in the Object Lock bucket,
with the key, without the database; formula cells neutralised without breaking that."""

import csv
import io

import pytest
from django.core.management import call_command

from core import audit, audit_checkpoints
from core.audit_csv import AUDIT_CSV_COLUMNS, audit_row, read_audit_csv
from core.models import AuditEntry
from tests.core.audit_tampering import TABLE, sql
from tests.support.audit import download, rewrite, verify_csv
from tests.support.common import free_port

pytestmark = pytest.mark.django_db

WORKFLOW_NINE = [
    "timestamp_utc",
    "request_id",
    "bucket_name",
    "owner",
    "environment",
    "purpose",
    "action",
    "approver",
    "status",
]


def test_an_environment_export_keeps_the_nine_columns_first_neutralises_formulas_and_verifies(
    trail, checkpoint_bucket, client, auditor, tmp_path
):
    path = download(client, auditor, tmp_path, "dev")
    header, first, *_ = list(csv.reader(path.open(newline="")))
    assert header[:9] == WORKFLOW_NINE and header == AUDIT_CSV_COLUMNS
    assert first[header.index("actor")] == "'-2+3"
    assert not any(
        cell[:1] in "=+-@\t\r"
        for line in path.read_text().splitlines()[1:]
        for cell in next(csv.reader([line]))
        if cell
    )
    code, out, err = verify_csv(path)
    assert code == 0, err
    assert "2 rows verify with the key and match checkpoint #1" in out


def test_the_all_export_holds_entries_without_an_environment_and_verifies(
    trail, checkpoint_bucket, client, auditor, tmp_path
):
    path = download(client, auditor, tmp_path)
    rows = read_audit_csv(path)
    assert [row["environment"] for row in rows] == ["dev", "prod", "", "dev"]
    assert rows[2]["actor"] == "@admin"  # restored from the neutralised cell
    assert verify_csv(path)[0] == 0


def test_an_export_verifies_without_the_database(trail, checkpoint_bucket, client, auditor, tmp_path):
    path = download(client, auditor, tmp_path, "dev")
    sql(f"DELETE FROM {TABLE}")  # the database is gone (or lies); the file and the bucket remain
    code, _, err = verify_csv(path)
    assert code == 0, err


@pytest.mark.parametrize(
    "transform, problem",
    [
        (lambda rows: rows[:-1], "rows were removed, added, replaced or reordered"),
        (lambda rows: rows[::-1], "rows were removed, added, replaced or reordered"),
        (
            lambda rows: [[*rows[0][:9], "mallory", *rows[0][10:]], *rows[1:]],
            "its columns do not match its hash",
        ),
    ],
)
def test_a_file_edited_after_export_is_refused(
    trail, checkpoint_bucket, client, auditor, tmp_path, transform, problem
):
    path = download(client, auditor, tmp_path, "dev")
    rewrite(path, transform)
    code, _, err = verify_csv(path)
    assert code == 1 and problem in err


def test_rows_of_another_environment_pasted_in_are_refused(
    trail, checkpoint_bucket, client, auditor, tmp_path
):
    dev = download(client, auditor, tmp_path, "dev")
    prod_rows = list(csv.reader(download(client, auditor, tmp_path, "prod").open(newline="")))[1:]
    rewrite(dev, lambda rows: [*rows, *[[*row[:-1], rows[0][-1]] for row in prod_rows]])
    code, _, err = verify_csv(dev)
    assert code == 1 and "the export was of environment 'dev'" in err


def test_an_export_while_the_bucket_is_down_verifies_once_its_checkpoint_is_written(
    trail, checkpoint_bucket, settings, client, auditor, tmp_path
):
    reachable = settings.AWS_ENDPOINT_URL
    settings.AWS_ENDPOINT_URL = f"http://127.0.0.1:{free_port()}"
    path = download(client, auditor, tmp_path, "dev")  # the export goes on
    settings.AWS_ENDPOINT_URL = reachable
    code, _, err = verify_csv(path)
    assert code == 1 and "checkpoint #1, which the file names, is not in the checkpoint bucket" in err
    assert audit_checkpoints.write_pending() == 1  # the retry schedule's work
    assert verify_csv(path)[0] == 0


def test_export_audit_without_an_environment_writes_every_entry(trail, checkpoint_bucket, tmp_path):
    out = tmp_path / "all.csv"
    call_command("export_audit", "--out", str(out), stdout=io.StringIO())
    assert len(read_audit_csv(out)) == AuditEntry.objects.count() == 4
    assert verify_csv(out)[0] == 0


def test_an_export_from_before_checkpoints_is_still_checked_against_the_database(trail, tmp_path):
    """Files exported before this change have neither key_id nor checkpoint columns (and legacy hashes)."""
    previous = AuditEntry.objects.order_by("id").last().entry_hash
    legacy = AuditEntry(
        timestamp=audit.timezone.now(),
        actor="old",
        action="legacy.step",
        previous_hash=previous,
        environment="dev",
        key_id="",
    )
    legacy.entry_hash = audit.compute_entry_hash(previous, key=None, **audit.entry_content(legacy))
    legacy.save()
    values = (
        AuditEntry.objects.filter(pk=legacy.pk)
        .values_list(
            "timestamp",
            "request_id",
            "bucket_name",
            "environment",
            "action",
            "actor",
            "id",
            "detail",
            "previous_hash",
            "entry_hash",
            "key_id",
        )
        .get()
    )
    path = tmp_path / "old.csv"
    with path.open("w", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(AUDIT_CSV_COLUMNS[:-2])
        writer.writerow(audit_row(values, {}, 0)[:-2])
    code, out_text, err = verify_csv(path)
    assert code == 0, err
    assert "match the audit trail's database (an export from before checkpoints)" in out_text
