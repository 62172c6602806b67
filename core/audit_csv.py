"""The audit trail as CSV: the one row -> CSV mapping, and checking an exported file.

The CSV is produced line by line from a database cursor (``.iterator()``), so memory stays
flat however long the trail is. Owner and purpose belong to the request side, which passes
them in (``request_columns``), so the platform core imports no feature app.

An auditor who downloads the trail (often one environment's rows) can prove two things:
every row still hashes to its ``entry_hash`` and rows that are neighbours in the chain
link to each other (nothing in the file was edited), and every row is the entry the
database holds under that id (the file and the trail tell the same story).
"""

import csv
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, Mapping

from core.audit import compute_entry_hash
from core.models import AuditEntry

# The existing workflow's columns first, in its order; ours after them.
WORKFLOW_COLUMNS = ["timestamp_utc", "request_id", "bucket_name", "owner", "environment", "purpose",
                    "action", "approver", "status"]
EXTRA_COLUMNS = ["actor", "entry_id", "detail", "previous_hash", "entry_hash"]
AUDIT_CSV_COLUMNS = WORKFLOW_COLUMNS + EXTRA_COLUMNS
CHUNK_ROWS = 2000
CSV_TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"

# The audit entry's own columns, read as plain tuples (no model instance per row: a million-row
# export spends its time in the database and the CSV writer, not in building objects).
_ENTRY_FIELDS = ("timestamp", "request_id", "bucket_name", "environment", "action", "actor", "id", "detail",
                 "previous_hash", "entry_hash")
_NO_REQUEST = ("", "")


def _status_after(action: str, detail) -> str:
    if action == "request.submitted":
        return "pending_approval"
    if not isinstance(detail, dict):
        return ""
    return str(detail.get("to") or detail.get("status") or "")


def _approver(action: str, actor: str) -> str:
    deciding = action.startswith("approval.") or action in ("request.approve", "request.reject")
    return actor if deciding and actor != "system" else ""


def audit_row(entry: tuple, request_columns: Mapping[str, tuple[str, str]]) -> list[str]:
    """One CSV row from an entry's ``_ENTRY_FIELDS`` values and its request's owner and purpose."""
    timestamp, request_id, bucket_name, environment, action, actor, entry_id, detail, previous_hash, entry_hash = entry
    owner, purpose = request_columns.get(request_id, _NO_REQUEST)
    return [
        timestamp.astimezone(timezone.utc).strftime(CSV_TIMESTAMP_FORMAT),
        request_id,
        bucket_name,
        owner,
        environment,
        purpose,
        action,
        _approver(action, actor),
        _status_after(action, detail),
        actor,
        str(entry_id),
        json.dumps(detail, sort_keys=True, ensure_ascii=False),
        previous_hash,
        entry_hash,
    ]


class _LineBuffer:
    """A write-only 'file' that hands back what csv.writer writes, so each row becomes one string."""

    def write(self, text: str) -> str:
        return text


def audit_csv_lines(environment: str | None, request_columns: Mapping[str, tuple[str, str]]) -> Iterator[str]:
    """The CSV, header first, one line per entry, read from the database in chunks."""
    writer = csv.writer(_LineBuffer(), lineterminator="\n")
    yield writer.writerow(AUDIT_CSV_COLUMNS)
    entries = AuditEntry.objects.order_by("id")
    if environment:
        entries = entries.filter(environment=environment)
    for entry in entries.values_list(*_ENTRY_FIELDS).iterator(chunk_size=CHUNK_ROWS):
        yield writer.writerow(audit_row(entry, request_columns))


def read_audit_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as exported:
        return list(csv.DictReader(exported))


def recomputed_hash(row: dict) -> str:
    timestamp = datetime.strptime(row["timestamp_utc"], CSV_TIMESTAMP_FORMAT).replace(tzinfo=timezone.utc)
    return compute_entry_hash(row["previous_hash"], timestamp=timestamp, actor=row["actor"],
                              action=row["action"], request_id=row["request_id"],
                              bucket_name=row["bucket_name"], environment=row["environment"],
                              detail=json.loads(row["detail"]))


def file_problems(rows: list[dict]) -> list[str]:
    """Rows whose hash does not recompute, and broken links between consecutive entries."""
    problems = [f"entry {row['entry_id']}: hash does not match its columns"
                for row in rows if recomputed_hash(row) != row["entry_hash"]]
    for before, after in zip(rows, rows[1:]):
        consecutive = int(after["entry_id"]) == int(before["entry_id"]) + 1
        if consecutive and after["previous_hash"] != before["entry_hash"]:
            problems.append(f"entry {after['entry_id']}: does not link to entry {before['entry_id']}")
    return problems


def database_problems(rows: list[dict]) -> list[str]:
    """Rows that are not the entry the database holds under their id."""
    stored = dict(AuditEntry.objects.filter(id__in=[int(row["entry_id"]) for row in rows])
                  .values_list("id", "entry_hash"))
    return [f"entry {row['entry_id']}: not the entry the audit trail holds under this id"
            for row in rows if stored.get(int(row["entry_id"])) != row["entry_hash"]]
