"""`manage.py s3_contract validate|render|import|export|schemas`: the contract CLI.

Logic lives in requests_app.contract.cli (files, pure) and requests_app.imports (the database).
"""

import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from requests_app.bucket_names import name_taken_problems
from requests_app.contract import stale_schema_files, write_schema_files
from requests_app.contract.cli import (
    EXIT_INVALID,
    EXIT_OK,
    EXIT_UNREADABLE,
    check_file,
    exit_code,
    format_json,
    format_text,
    render_files,
)
from requests_app.exports import export_goldenpath_contracts
from requests_app.imports import FAILED, import_contract_file
from requests_app.platform_policy import current_policy, known_teams

IMPORT_ACTOR = "import"

SCHEMA_DIR = Path(settings.BASE_DIR) / "schemas" / "requests"


class Command(BaseCommand):
    help = (
        "Validate S3 bucket request contracts, render their Terraform inputs, or regenerate the JSON schemas."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        validate = sub.add_parser(
            "validate", help="Validate contract files; exit 0 valid, 1 invalid, 2 unreadable."
        )
        validate.add_argument("files", nargs="+", metavar="FILE")
        validate.add_argument("--format", choices=["text", "json"], default="text")
        validate.add_argument(
            "--existing",
            action="store_true",
            help="The files describe buckets that exist (as import reads them): a legacy "
            "bucket name that is not the derived one is a warning.",
        )
        self._add_team_options(validate)
        render = sub.add_parser(
            "render", help="Write tfvars, IAM policy and backend settings for a valid contract."
        )
        render.add_argument("file", metavar="FILE")
        render.add_argument("--out", required=True, metavar="DIR")
        self._add_team_options(render)
        importer = sub.add_parser(
            "import",
            help="Bring existing contract files in with their IDs, as applied; "
            "exit 0 all imported or unchanged, 1 any failed.",
        )
        importer.add_argument("files", nargs="+", metavar="FILE")
        importer.add_argument(
            "--create-teams",
            action="store_true",
            help="Create owner teams that do not exist yet (default: refuse the file).",
        )
        importer.add_argument(
            "--dry-run", action="store_true", help="Say per file what would happen; save nothing."
        )
        importer.add_argument(
            "--adopt",
            action="store_true",
            help="Bring each existing bucket under the portal's Terraform state: a plan that "
            "imports it, for approval, instead of recording it as applied.",
        )
        export = sub.add_parser("export", help="Write contracts as GoldenPath's {env}/S3-XXXX.yaml files.")
        export.add_argument("ids", nargs="*", metavar="ID", help="Request IDs (default: every request).")
        export.add_argument("--out", required=True, metavar="DIR")
        schemas = sub.add_parser("schemas", help="Write or check schemas/requests/ against the models.")
        mode = schemas.add_mutually_exclusive_group(required=True)
        mode.add_argument("--write", action="store_true")
        mode.add_argument("--check", action="store_true")
        schemas.add_argument("--dir", default=str(SCHEMA_DIR))

    @staticmethod
    def _add_team_options(parser):
        parser.add_argument("--teams", help="Comma-separated known teams (default: the Team table).")
        parser.add_argument("--skip-team-check", action="store_true", help="Do not check the owner team.")

    def handle(self, *args, **options):
        action = options["action"]
        code = getattr(self, f"_{action}")(options)
        if code != EXIT_OK:
            sys.exit(code)

    def _validate(self, options) -> int:
        teams = self._teams(options)
        reports = [
            check_file(path, current_policy(), teams, existing=options["existing"])
            for path in options["files"]
        ]
        self._check_bucket_names(reports)
        formatter = format_json if options["format"] == "json" else format_text
        self.stdout.write(formatter(reports), ending="")
        return exit_code(reports)

    def _render(self, options) -> int:
        report = check_file(options["file"], current_policy(), self._teams(options))
        if report.status != "ok":
            self.stderr.write(format_text([report]), ending="")
            return EXIT_UNREADABLE if report.status == "unreadable" else EXIT_INVALID
        for path in render_files(report.contract, current_policy(), Path(options["out"])):
            self.stdout.write(str(path))
        return EXIT_OK

    def _import(self, options) -> int:
        outcomes = [
            import_contract_file(
                path,
                actor=IMPORT_ACTOR,
                create_teams=options["create_teams"],
                dry_run=options["dry_run"],
                adopt=options["adopt"],
            )
            for path in options["files"]
        ]
        for outcome in outcomes:
            stream = self.stderr if outcome.status == FAILED else self.stdout
            stream.write(
                f"{outcome.file}: {outcome.status.upper()} {outcome.request_id or ''} {outcome.message}"
            )
            for note in outcome.warnings:
                stream.write(f"  warning: {note}")
        return EXIT_INVALID if any(outcome.status == FAILED for outcome in outcomes) else EXIT_OK

    def _export(self, options) -> int:
        for path in export_goldenpath_contracts(Path(options["out"]), options["ids"]):
            self.stdout.write(str(path))
        return EXIT_OK

    def _schemas(self, options) -> int:
        directory = Path(options["dir"])
        if options["write"]:
            for name in write_schema_files(directory):
                self.stdout.write(f"wrote {directory / name}")
            return EXIT_OK
        stale = stale_schema_files(directory)
        for name in stale:
            self.stderr.write(
                f"{directory / name} differs from the models; run: manage.py s3_contract schemas --write"
            )
        return EXIT_INVALID if stale else EXIT_OK

    def _check_bucket_names(self, reports) -> None:
        """With a database, a name held by another request is a problem too (as at submission)."""
        try:
            for report in reports:
                if report.contract is not None:
                    report.problems += name_taken_problems(
                        report.contract.spec.bucket_name, except_request_id=report.contract.id
                    )
        except DatabaseError as exc:
            self.stderr.write(f"bucket names not checked against other requests (no database: {exc})")

    def _teams(self, options) -> list[str] | None:
        if options["skip_team_check"]:
            return None
        if options["teams"]:
            return [team.strip() for team in options["teams"].split(",") if team.strip()]
        try:
            return known_teams()
        except DatabaseError as exc:
            raise CommandError(
                f"cannot read the Team table ({exc}); pass --teams or --skip-team-check"
            ) from exc
