"""`manage.py verify_audit [--csv FILE ...]`: check the audit chain, and exported CSV files.

Exit 0 when everything holds; exit 1 naming the first broken link of the chain, or every
problem found in a file.
"""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.audit import verify_chain
from core.audit_csv import database_problems, file_problems, read_audit_csv


class Command(BaseCommand):
    help = ("Verify the audit trail's hash chain (and, with --csv, exported audit CSV files against it); "
            "exit 1 and name what does not hold.")

    def add_arguments(self, parser):
        parser.add_argument("--csv", nargs="+", type=Path, default=[], metavar="FILE",
                            help="Audit CSV files exported by the portal or `export_audit`.")

    def handle(self, *args, **options):
        checked, broken = verify_chain()
        if broken is not None:
            self.stderr.write(f"BROKEN at entry #{broken.entry_id}: {broken.reason} "
                              f"({checked} entries before it verified).")
            sys.exit(1)
        self.stdout.write(f"OK: {checked} audit entries, chain intact.")
        if not all(self._csv_holds(path) for path in options["csv"]):
            sys.exit(1)

    def _csv_holds(self, path: Path) -> bool:
        try:
            rows = read_audit_csv(path)
            problems = file_problems(rows) + database_problems(rows)
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"{path}: cannot read it ({error})") from error
        except KeyError as error:
            raise CommandError(f"{path}: not an audit CSV (missing column {error})") from error
        except (ValueError, TypeError) as error:  # a timestamp, id or detail that does not parse, a short row
            raise CommandError(f"{path}: a row is not an exported audit entry ({error})") from error
        for problem in problems:
            self.stderr.write(f"{path}: {problem}")
        if not problems:
            self.stdout.write(f"OK: {path}: {len(rows)} rows match the audit trail.")
        return not problems
