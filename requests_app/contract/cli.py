"""What `manage.py s3_contract` does, without Django: read files, validate or render, choose the exit code."""

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .loading import (
    MAX_YAML_BYTES,
    ContractParseError,
    parse_yaml_mapping,
    read_contract,
    refuse_oversized,
)
from .models import Contract
from .policy import PlatformPolicy
from .problems import Problem, has_errors
from .render import backend_settings, iam_policy, terraform_variables
from .validation import as_existing_bucket, validate_contract

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_UNREADABLE = 2

TFVARS_FILE = "terraform.tfvars.json"
IAM_POLICY_FILE = "iam-policy.json"
BACKEND_JSON_FILE = "backend.json"
BACKEND_HCL_FILE = "backend.tfbackend"


@dataclass
class FileReport:
    """Outcome for one file: `unreadable` (with `error`), else valid or not according to `problems`."""

    file: str
    problems: list[Problem] = field(default_factory=list)
    error: str | None = None
    line: int | None = None
    column: int | None = None
    contract: Contract | None = None

    @property
    def status(self) -> str:
        if self.error is not None:
            return "unreadable"
        return "invalid" if has_errors(self.problems) else "ok"

    def to_dict(self) -> dict:
        return {
            "file": self.file,
            "status": self.status,
            "error": self.error,
            "line": self.line,
            "column": self.column,
            "problems": [problem.to_dict() for problem in self.problems],
        }


def check_file(
    path: str, policy: PlatformPolicy, known_teams: Iterable[str] | None = None, *, existing: bool = False
) -> FileReport:
    """Every problem of the file in one pass: GoldenPath spellings (warnings), unknown fields, guardrails.

    ``existing``: the file describes a bucket that already exists (import), so a legacy bucket name
    that is not the derived one is a warning, not an error.
    """
    try:
        text = _read_bounded(Path(path))
        contract, problems = read_contract(
            parse_yaml_mapping(text), rules=lambda contract: validate_contract(contract, policy, known_teams)
        )
    except (OSError, UnicodeDecodeError) as exc:
        return FileReport(path, error=f"cannot read file: {exc}")
    except ContractParseError as exc:
        return FileReport(path, error=exc.reason, line=exc.line, column=exc.column)
    if contract is not None:
        problems += validate_contract(contract, policy, known_teams)
    if existing:
        problems = as_existing_bucket(problems)
    return FileReport(path, problems=problems, contract=contract)


def _read_bounded(path: Path) -> str:
    """The file's text; a file larger than a contract can be is refused before it is read whole."""
    with path.open("rb") as stream:
        data = stream.read(MAX_YAML_BYTES + 1)
    refuse_oversized(len(data))
    return data.decode("utf-8")


def exit_code(reports: list[FileReport]) -> int:
    statuses = {report.status for report in reports}
    if "unreadable" in statuses:
        return EXIT_UNREADABLE
    return EXIT_INVALID if "invalid" in statuses else EXIT_OK


def format_text(reports: list[FileReport]) -> str:
    lines = []
    for report in reports:
        if report.status == "unreadable":
            where = f" at line {report.line}, column {report.column}" if report.line is not None else ""
            lines.append(f"{report.file}: ERROR {report.error}{where}")
            continue
        lines.append(f"{report.file}: {'OK' if report.status == 'ok' else 'INVALID'}")
        lines += [f"  {p.severity.value}: {p.path}: {p.message}" for p in report.problems]
    return "\n".join(lines) + "\n"


def format_json(reports: list[FileReport]) -> str:
    return (
        json.dumps(
            {"valid": exit_code(reports) == EXIT_OK, "files": [report.to_dict() for report in reports]},
            indent=2,
        )
        + "\n"
    )


def render_files(contract: Contract, policy: PlatformPolicy, out_dir: Path) -> list[Path]:
    """Write the Terraform variables, IAM policy and backend settings (JSON and .tfbackend) into `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    backend = backend_settings(contract, policy)
    documents = {
        TFVARS_FILE: _json_text(terraform_variables(contract, policy)),
        IAM_POLICY_FILE: _json_text(iam_policy(contract, policy)),
        BACKEND_JSON_FILE: _json_text(backend),
        BACKEND_HCL_FILE: _tfbackend_text(backend),
    }
    written = []
    for name, text in documents.items():
        target = out_dir / name
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written


def _json_text(data: dict) -> str:
    return json.dumps(data, indent=2) + "\n"


def _tfbackend_text(settings: dict) -> str:
    """`key = value` lines for `terraform init -backend-config=FILE`; values JSON-encoded (valid HCL)."""
    return "".join(f"{key} = {json.dumps(value)}\n" for key, value in settings.items())
