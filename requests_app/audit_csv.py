"""Checking an exported audit CSV: against the chain's own hash function, and the database.

An auditor who downloads the trail (often one environment's rows) can prove two things:
every row still hashes to its ``entry_hash`` and rows that are neighbours in the chain
link to each other (nothing in the file was edited), and every row is the entry the
database holds under that id (the file and the trail tell the same story).
"""

import csv
import json
from datetime import datetime, timezone
from pathlib import Path

from requests_app.audit import compute_entry_hash
from requests_app.exports import CSV_TIMESTAMP_FORMAT
from requests_app.models import AuditEntry


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
