"""Write the Backstage Software Template from RequestInput, or check that the committed one is current."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from requests_app.backstage import template_yaml

TEMPLATE_PATH = Path(settings.BASE_DIR) / "backstage" / "templates" / "s3-request.yaml"


class Command(BaseCommand):
    help = (
        "Generate backstage/templates/s3-request.yaml from the request-input model (--check: fail if stale)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Do not write; exit with an error when the file differs from the model.",
        )
        parser.add_argument("--out", default=str(TEMPLATE_PATH), metavar="FILE")

    def handle(self, *args, **options):
        path = Path(options["out"])
        text = template_yaml()
        if options["check"]:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                raise CommandError(
                    f"{path} is out of date with RequestInput; "
                    "run `python manage.py generate_backstage_template` and commit it."
                )
            self.stdout.write(f"{path} is up to date.")
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        self.stdout.write(f"Wrote {path}.")
