"""`manage.py verify_audit`: recompute the audit chain and report the first broken link (exit 1)."""

import sys

from django.core.management.base import BaseCommand

from requests_app.audit import verify_chain


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; exit 1 and name the first broken entry if it does not hold."

    def handle(self, *args, **options):
        checked, broken = verify_chain()
        if broken is None:
            self.stdout.write(f"OK: {checked} audit entries, chain intact.")
            return
        self.stderr.write(f"BROKEN at entry #{broken.entry_id}: {broken.reason} "
                          f"({checked} entries before it verified).")
        sys.exit(1)
