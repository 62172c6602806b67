"""`manage.py export_audit [--environment ENV] --out governance/ENV/s3_request_audit.csv` (streamed).

Without ``--environment`` the file holds every entry, also those without an environment (token
issuance). Either way the export writes its checkpoint first, so the file verifies on its own
(`manage.py verify_audit --csv FILE`).
"""

from pathlib import Path

from django.core.management.base import BaseCommand

from requests_app.exports import audit_csv_lines, write_lines
from requests_app.models import Environment


class Command(BaseCommand):
    help = (
        "Write the audit CSV of one environment, or of all entries (the existing workflow's columns first)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--environment",
            choices=Environment.values,
            help="One environment's entries; without it, every entry.",
        )
        parser.add_argument(
            "--out",
            required=True,
            metavar="FILE",
            help="e.g. governance/prod/s3_request_audit.csv (folders are created)",
        )

    def handle(self, *args, **options):
        out = Path(options["out"])
        rows = write_lines(audit_csv_lines(options["environment"] or None), out)
        self.stdout.write(f"wrote {rows} rows to {out}")
