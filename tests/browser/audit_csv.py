"""Reading a downloaded audit CSV and checking it against the audit chain's own hash function.

``manage.py verify_audit`` checks the chain in the database; these helpers check that the
exported file says the same thing: each row's hash recomputes from the row's columns, and
rows that are neighbours in the chain link to each other.
"""

import csv
import json
from datetime import datetime, timezone
from pathlib import Path

from requests_app.audit import compute_entry_hash

CSV_TIMESTAMP = "%Y-%m-%dT%H:%M:%S.%fZ"


def read_audit_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as exported:
        return list(csv.DictReader(exported))


def recomputed_hash(row: dict) -> str:
    timestamp = datetime.strptime(row["timestamp_utc"], CSV_TIMESTAMP).replace(tzinfo=timezone.utc)
    return compute_entry_hash(row["previous_hash"], timestamp=timestamp, actor=row["actor"],
                              action=row["action"], request_id=row["request_id"],
                              bucket_name=row["bucket_name"], environment=row["environment"],
                              detail=json.loads(row["detail"]))


def chain_problems(rows: list[dict]) -> list[str]:
    """Rows whose hash does not recompute, and broken links between consecutive entries."""
    problems = [f"entry {row['entry_id']}: hash does not match its columns"
                for row in rows if recomputed_hash(row) != row["entry_hash"]]
    for before, after in zip(rows, rows[1:]):
        consecutive = int(after["entry_id"]) == int(before["entry_id"]) + 1
        if consecutive and after["previous_hash"] != before["entry_hash"]:
            problems.append(f"entry {after['entry_id']}: does not link to entry {before['entry_id']}")
    return problems
