"""The audit trail as CSV: the one row -> CSV mapping, and checking an exported file on its own.

The CSV is produced line by line from a database cursor (``.iterator()``), so memory stays
flat however long the trail is. Owner and purpose belong to the request side, which passes
them in (``request_columns``), so the platform core imports no feature app.

Every export first writes a checkpoint (``core.audit_checkpoints``) that records exactly which
entries the file holds (their ids and hashes, digested) and the chain's head; each row names
that checkpoint. So a file verifies on its own, with the key and the checkpoint bucket but
without the database: every row still hashes to its ``entry_hash`` (nothing edited), and the
rows are exactly those the checkpoint recorded (nothing removed, added or reordered). Cells
that would start a spreadsheet formula are neutralised (``core.csv_cells``) and restored
before checking.
"""

import codecs
import csv
import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path

from django.db import connection, transaction

from core.audit import LEGACY_KEY_ID, compute_entry_hash
from core.audit_checkpoints import (
    ALL_ENVIRONMENTS,
    REASON_EXPORT,
    checkpoint_now,
    exported_entries,
    rows_digest,
)
from core.audit_keys import verification_keys
from core.csv_cells import FORMULA_TRIGGERS, neutralise_row, restore_row
from core.models import AuditEntry
from portal import json_input as bounded_json

# The existing workflow's columns first, in its order; ours after them.
WORKFLOW_COLUMNS = [
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
EXTRA_COLUMNS = ["actor", "entry_id", "detail", "previous_hash", "entry_hash", "key_id", "checkpoint"]
AUDIT_CSV_COLUMNS = WORKFLOW_COLUMNS + EXTRA_COLUMNS
CHUNK_ROWS = 2000
COPY_PIECE_BYTES = 64 * 1024
CSV_TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"

# The audit entry's own columns, read as plain tuples (no model instance per row: a million-row
# export spends its time in the database and the CSV writer, not in building objects).
_ENTRY_FIELDS = (
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
_NO_REQUEST = ("", "")


def _status_after(action: str, detail) -> str:
    """The status an entry leaves its request in: a submission's, else the detail's non-empty text
    ``to`` or ``status`` (the same rule as ``_COPY_QUERY``'s status column)."""
    if action == "request.submitted":
        return "pending_approval"
    if not isinstance(detail, dict):
        return ""
    for name in ("to", "status"):
        value = detail.get(name)
        if isinstance(value, str) and value:
            return value
    return ""


def _jsonb_ordered(value):
    """``value`` with every object's keys in PostgreSQL jsonb's order (shorter keys first, then by bytes),
    so that ``json.dumps`` writes what ``jsonb::text`` writes and both export paths agree byte for byte."""
    if isinstance(value, dict):
        keys = sorted(value, key=lambda key: (len(key.encode()), key.encode()))
        return {key: _jsonb_ordered(value[key]) for key in keys}
    if isinstance(value, list):
        return [_jsonb_ordered(item) for item in value]
    return value


def _approver(action: str, actor: str) -> str:
    deciding = action.startswith("approval.") or action in ("request.approve", "request.reject")
    return actor if deciding and actor != "system" else ""


def audit_row(entry: tuple, request_columns: Mapping[str, tuple[str, str]], checkpoint: int) -> list[str]:
    """One CSV row (cells neutralised) from an entry's ``_ENTRY_FIELDS`` values, its request's owner and
    purpose, and the sequence number of the export's checkpoint."""
    (
        timestamp,
        request_id,
        bucket_name,
        environment,
        action,
        actor,
        entry_id,
        detail,
        previous_hash,
        entry_hash,
        key_id,
    ) = entry
    owner, purpose = request_columns.get(request_id, _NO_REQUEST)
    return neutralise_row(
        [
            timestamp.astimezone(UTC).strftime(CSV_TIMESTAMP_FORMAT),
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
            json.dumps(_jsonb_ordered(detail), ensure_ascii=False),
            previous_hash,
            entry_hash,
            key_id,
            str(checkpoint),
        ]
    )


class _LineBuffer:
    """A write-only 'file' that hands back what csv.writer writes, so each row becomes one string."""

    def write(self, text: str) -> str:
        return text


def audit_csv_lines(environment: str | None, request_columns: Mapping[str, tuple[str, str]]) -> Iterator[str]:
    """The CSV of one environment (None: every entry, with or without an environment), header first.

    Writes the export's checkpoint now (before the first line; a bucket that is down leaves it
    pending and the export goes on), then streams the entries it recorded.
    """
    checkpoint = checkpoint_now(REASON_EXPORT, export_environment=environment)
    if connection.vendor == "postgresql":
        return _copied_lines(environment, checkpoint.head_entry_id, request_columns, checkpoint.sequence)
    entries = exported_entries(environment, checkpoint.head_entry_id).values_list(*_ENTRY_FIELDS)
    return _lines(entries, request_columns, checkpoint.sequence)


def _lines(entries, request_columns, checkpoint: int) -> Iterator[str]:
    writer = csv.writer(_LineBuffer(), lineterminator="\n")
    yield writer.writerow(AUDIT_CSV_COLUMNS)
    for entry in entries.iterator(chunk_size=CHUNK_ROWS):
        row = audit_row(entry, request_columns, checkpoint)
        yield _quoted_line(row) if any("\r" in cell for cell in row) else writer.writerow(row)


def _quoted_line(row: list[str]) -> str:
    """A row with a carriage return in a cell: Python 3.11's csv writer leaves such a cell unquoted (its own
    reader then splits the row there); quoted here as RFC 4180 and PostgreSQL's COPY quote it."""
    return (
        ",".join(
            f'"{cell.replace(chr(34), chr(34) * 2)}"' if any(c in cell for c in ',"\r\n') else cell
            for cell in row
        )
        + "\n"
    )


# --- PostgreSQL: the rows written by the database's COPY ---------------------------------------
#
# The same mapping as ``audit_row``, in SQL (docs/decisions/audit-export-copy.md); a test compares the
# two byte for byte on tricky values. ``_n`` is core.csv_cells' rule: a cell whose text, past leading
# quotes, starts with a formula trigger gets a leading quote (PostgreSQL text holds no NUL, the last
# trigger). It compares the code of the first character (``ascii``; 0 for an empty text), which costs
# the database about a quarter less than comparing one-character strings. NULLIF writes an empty cell
# unquoted, as Python's csv module does (COPY quotes an empty string, not a NULL).

_TRIGGER_CODES = ", ".join(str(ord(trigger)) for trigger in FORMULA_TRIGGERS if trigger != "\0")


def _n(expression: str) -> str:
    return (
        f"NULLIF(CASE WHEN ascii(ltrim({expression}, '''')) IN ({_TRIGGER_CODES}) "
        f"THEN '''' || {expression} ELSE {expression} END, '')"
    )


_STATUS = (
    "CASE WHEN a.action = 'request.submitted' THEN 'pending_approval' "
    "WHEN jsonb_typeof(a.detail -> 'to') = 'string' AND a.detail ->> 'to' <> '' "
    "THEN a.detail ->> 'to' "
    "WHEN jsonb_typeof(a.detail -> 'status') = 'string' AND a.detail ->> 'status' <> '' "
    "THEN a.detail ->> 'status' ELSE '' END"
)
_APPROVER = (
    "CASE WHEN (starts_with(a.action, 'approval.') "
    "OR a.action IN ('request.approve', 'request.reject')) "
    "AND a.actor <> 'system' THEN a.actor ELSE '' END"
)
_COPY_COLUMNS = [
    """to_char(a.timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')""",
    _n("a.request_id"),
    _n("a.bucket_name"),
    _n("coalesce(rc.value ->> 0, '')"),
    _n("a.environment"),
    _n("coalesce(rc.value ->> 1, '')"),
    _n("a.action"),
    _n(_APPROVER),
    _n(_STATUS),
    _n("a.actor"),
    "a.id::text",
    _n("a.detail::text"),
    _n("a.previous_hash"),
    _n("a.entry_hash"),
    _n("a.key_id"),
    "%(checkpoint)s::text",
]
_COPY_QUERY = (
    f"COPY (SELECT {', '.join(_COPY_COLUMNS)} FROM {AuditEntry._meta.db_table} a "
    "LEFT JOIN jsonb_each(%(requests)s::jsonb) rc ON rc.key = a.request_id "
    "WHERE a.id <= %(head)s "
    "AND (%(environment)s::text IS NULL OR a.environment = %(environment)s) "
    "ORDER BY a.id) TO STDOUT WITH (FORMAT csv)"
)


def _copied_lines(
    environment: str | None, head_entry_id: int, request_columns, checkpoint: int
) -> Iterator[str]:
    """The CSV from COPY: the header, then text pieces of whole rows (about COPY_PIECE_BYTES each)."""
    yield csv.writer(_LineBuffer(), lineterminator="\n").writerow(AUDIT_CSV_COLUMNS)
    params = {
        "checkpoint": checkpoint,
        "head": head_entry_id,
        "environment": environment,
        "requests": json.dumps({key: list(value) for key, value in request_columns.items()}),
    }
    with transaction.atomic(), connection.cursor() as cursor:
        # JIT-compiling this long projection costs the database more than it saves on one streamed pass
        # (about 0.4 s of a million rows' 4): off for this transaction only.
        cursor.execute("SET LOCAL jit = off")
        yield from _pieces(cursor, params)


def _pieces(cursor, params) -> Iterator[str]:
    """COPY's rows (one per read) joined into text pieces of about COPY_PIECE_BYTES."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    pending, size = [], 0
    with cursor.cursor.copy(_COPY_QUERY, params) as copy:
        for block in copy:
            pending.append(bytes(block))
            size += len(block)
            if size >= COPY_PIECE_BYTES:
                yield decoder.decode(b"".join(pending))
                pending, size = [], 0
    yield decoder.decode(b"".join(pending), final=True)


# --- Checking a file ----------------------------------------------------------------------------


def read_audit_csv(path: Path) -> list[dict]:
    """The file's rows with neutralised cells restored to the values that were hashed."""
    with open(path, encoding="utf-8", newline="") as exported:
        return [restore_row(row) for row in csv.DictReader(exported)]


def recomputed_hash(row: dict) -> str:
    """The row's hash from its columns, under the key its ``key_id`` names (legacy rows: unkeyed)."""
    key_id = row.get("key_id", LEGACY_KEY_ID)
    key = None if key_id == LEGACY_KEY_ID else verification_keys().get(key_id)
    if key_id != LEGACY_KEY_ID and key is None:
        raise UnknownKey(key_id)
    timestamp = datetime.strptime(row["timestamp_utc"], CSV_TIMESTAMP_FORMAT).replace(tzinfo=UTC)
    return compute_entry_hash(
        row["previous_hash"],
        key=key,
        timestamp=timestamp,
        actor=row["actor"],
        action=row["action"],
        request_id=row["request_id"],
        bucket_name=row["bucket_name"],
        environment=row["environment"],
        detail=bounded_json.loads(row["detail"]),
    )


class UnknownKey(ValueError):
    def __init__(self, key_id: str):
        super().__init__(f"signed with key id {key_id!r}, which is not configured")


def is_legacy_export(rows: list[dict]) -> bool:
    """Exported before exports named their checkpoint: checked against the database instead."""
    return bool(rows) and "checkpoint" not in rows[0]


def file_problems(rows: list[dict]) -> list[str]:
    """Rows whose hash does not recompute, and broken links between consecutive entries."""
    problems = []
    for row in rows:
        try:
            if recomputed_hash(row) != row["entry_hash"]:
                problems.append(f"entry {row['entry_id']}: its columns do not match its hash (edited)")
        except UnknownKey as error:
            problems.append(f"entry {row['entry_id']}: {error}")
    for before, after in zip(rows, rows[1:], strict=False):
        consecutive = int(after["entry_id"]) == int(before["entry_id"]) + 1
        if consecutive and after["previous_hash"] != before["entry_hash"]:
            problems.append(f"entry {after['entry_id']}: does not link to entry {before['entry_id']}")
    return problems


def checkpoint_problems(rows: list[dict], checkpoints: Mapping[int, dict]) -> list[str]:
    """Whether the rows are exactly those the export's checkpoint (from the bucket) recorded."""
    named = {row["checkpoint"] for row in rows}
    if len(named) != 1:
        return [f"rows name different checkpoints ({', '.join(sorted(named))}): not one export"]
    sequence = int(named.pop())
    checkpoint = checkpoints.get(sequence)
    if checkpoint is None:
        return [
            f"checkpoint #{sequence}, which the file names, is not in the checkpoint bucket "
            "(not written yet, or the file is not from this trail)"
        ]
    export = checkpoint.get("export")
    if not export:
        return [f"checkpoint #{sequence} is not an export's checkpoint"]
    problems = []
    environments = {row["environment"] for row in rows}
    if export["environment"] != ALL_ENVIRONMENTS and environments - {export["environment"]}:
        problems.append(
            f"the export was of environment {export['environment']!r}, the file holds rows of "
            f"{', '.join(sorted(repr(e) for e in environments - {export['environment']}))}"
        )
    digest = rows_digest((int(row["entry_id"]), row["entry_hash"]) for row in rows).hexdigest()
    if len(rows) != export["rows"] or digest != export["rows_digest"]:
        problems.append(
            f"the file holds {len(rows)} rows, checkpoint #{sequence} recorded {export['rows']} "
            f"(entries #{export['first_entry_id']} to #{export['last_entry_id']}) and they differ: rows "
            "were removed, added, replaced or reordered"
        )
    return problems


def database_problems(rows: list[dict]) -> list[str]:
    """Rows that are not the entry the database holds under their id (legacy exports)."""
    stored = dict(
        AuditEntry.objects.filter(id__in=[int(row["entry_id"]) for row in rows]).values_list(
            "id", "entry_hash"
        )
    )
    return [
        f"entry {row['entry_id']}: not the entry the audit trail holds under this id"
        for row in rows
        if stored.get(int(row["entry_id"])) != row["entry_hash"]
    ]
