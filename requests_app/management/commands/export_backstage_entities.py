"""Write the catalog as Backstage Resource entities to a YAML file a catalog location can read."""

from pathlib import Path
from urllib.parse import urljoin

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from requests_app.backstage import entities_yaml
from requests_app.backstage_catalog import catalog_entities


class Command(BaseCommand):
    help = (
        "Export every catalog bucket (but decommissioned ones) as a Backstage Resource entity, "
        "one YAML document each."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--out", required=True, metavar="FILE", help="Where to write the YAML ('-': stdout)."
        )
        parser.add_argument(
            "--base-url",
            default=settings.PORTAL_BASE_URL,
            help="The portal's address for links, e.g. https://bucketwise.example.com "
            "(default: the PORTAL_BASE_URL setting).",
        )

    def handle(self, *args, **options):
        base_url = options["base_url"].strip()
        if not base_url.startswith(("http://", "https://")):
            raise CommandError(
                "Links need the portal's address: give --base-url https://... or set PORTAL_BASE_URL."
            )
        entities = catalog_entities(lambda path: urljoin(base_url.rstrip("/") + "/", path.lstrip("/")))
        text = entities_yaml(entities)
        if options["out"] == "-":
            self.stdout.write(text, ending="")
            return
        path = Path(options["out"])
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)  # a catalog refresh never reads a half-written file
        self.stdout.write(f"Wrote {len(entities)} entities to {path}.", self.style.SUCCESS)
