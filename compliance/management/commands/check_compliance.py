"""``manage.py check_compliance [BUCKET ...]``: read buckets back now and print what was found."""

from django.core.management.base import BaseCommand, CommandError

from compliance.checking import active_entries, check_buckets


class Command(BaseCommand):
    help = "Read active buckets back and compare them with their contracts (all when none is named)."

    def add_arguments(self, parser):
        parser.add_argument("buckets", nargs="*", help="Bucket names (default: every active bucket).")

    def handle(self, *args, buckets, **options):
        entries = active_entries().order_by("bucket_name")
        if buckets:
            entries = entries.filter(bucket_name__in=buckets)
            missing = set(buckets) - set(entries.values_list("bucket_name", flat=True))
            if missing:
                raise CommandError(f"Not active catalog buckets: {', '.join(sorted(missing))}")
        drifted = 0
        for result in check_buckets(entries):
            self.stdout.write(
                f"{result.bucket_name}: {result.state}{' - ' + result.reason if result.reason else ''}"
            )
            for difference in result.differences:
                self.stdout.write(
                    f"  {difference.field}: expected {difference.expected!r}, actual {difference.actual!r}"
                )
            drifted += result.state != "compliant"
        if drifted:
            raise SystemExit(1)
