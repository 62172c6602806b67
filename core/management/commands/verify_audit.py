"""`manage.py verify_audit [--csv FILE ...]`: check the audit trail, or exported CSV files on their own.

Without ``--csv``: the chain in the database, with the key, against every checkpoint in the
bucket. With ``--csv``: each file with the key against the checkpoint it names (no database
needed; files exported before checkpoints existed are compared with the database instead).
Exit 0 when everything holds; exit 1 naming every problem found.
"""

import sys
from functools import cached_property
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.audit_checkpoints import CheckpointsUnavailable, read_checkpoints
from core.audit_csv import (
    checkpoint_problems,
    database_problems,
    file_problems,
    is_legacy_export,
    read_audit_csv,
)
from core.audit_verify import verify_trail


class Command(BaseCommand):
    help = (
        "Verify the audit trail (keyed chain and checkpoints), or with --csv exported audit CSV files on "
        "their own; exit 1 and name what does not hold."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--csv",
            nargs="+",
            type=Path,
            default=[],
            metavar="FILE",
            help="Audit CSV files exported by the portal or `export_audit`.",
        )

    def handle(self, *args, **options):
        if options["csv"]:
            if not all([self._csv_holds(path) for path in options["csv"]]):
                sys.exit(1)
            return
        report = verify_trail()
        for finding in report.findings:
            self.stderr.write(f"{finding.kind.upper()}: {finding.message}")
        if report.more_findings:
            self.stderr.write(f"... and {report.more_findings} more findings")
        (self.stdout if report.ok else self.stderr).write(report.summary())
        if not report.ok:
            sys.exit(1)

    @cached_property
    def _checkpoints(self) -> dict[int, dict]:
        """The bucket's checkpoints by sequence, read once (and only when a file names one)."""
        try:
            stored, problems = read_checkpoints()
        except CheckpointsUnavailable as error:
            raise CommandError(f"{error}: an export is verified against its checkpoint") from error
        for problem in problems:
            self.stderr.write(f"checkpoint bucket: {problem}")
        return {checkpoint.sequence: checkpoint.document for checkpoint in stored}

    def _csv_holds(self, path: Path) -> bool:
        try:
            rows = read_audit_csv(path)
            if not rows:
                self.stdout.write(f"OK: {path}: no rows.")
                return True
            legacy = is_legacy_export(rows)
            problems = file_problems(rows) + (
                database_problems(rows) if legacy else checkpoint_problems(rows, self._checkpoints)
            )
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"{path}: cannot read it ({error})") from error
        except KeyError as error:
            raise CommandError(f"{path}: not an audit CSV (missing column {error})") from error
        except (ValueError, TypeError) as error:  # a timestamp, id or detail that does not parse, a short row
            raise CommandError(f"{path}: a row is not an exported audit entry ({error})") from error
        for problem in problems:
            self.stderr.write(f"{path}: {problem}")
        if not problems:
            against = (
                "the audit trail's database (an export from before checkpoints)"
                if legacy
                else f"checkpoint #{rows[0]['checkpoint']}"
            )
            self.stdout.write(f"OK: {path}: {len(rows)} rows verify with the key and match {against}.")
        return not problems
