"""`manage.py export_catalog --out FILE`: the catalog in the layout of the existing s3-catalog.yaml."""

from pathlib import Path

from django.core.management.base import BaseCommand

from requests_app.exports import catalog_yaml


class Command(BaseCommand):
    help = "Write the bucket catalog as YAML (buckets keyed by name: metadata, aws, governance, retention, cost)."

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, metavar="FILE")

    def handle(self, *args, **options):
        out = Path(options["out"])
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(catalog_yaml(), encoding="utf-8")
        self.stdout.write(f"wrote {out}")
