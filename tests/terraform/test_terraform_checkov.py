"""checkov on every module and stack under terraform/ (everyone's), from its own virtualenv.

checkov downgrades boto3/botocore and replaces python-hcl2's module, so it lives in .venv-checkov
(CI builds it from .ci/checkov-requirements.txt). Every skip must be a justified
`#checkov:skip=CKV_...:reason` comment next to the resource.
"""

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.terraform.support import REPO_ROOT, TERRAFORM_ROOT, relative_id, terraform_config_dirs

pytestmark = [pytest.mark.slow, pytest.mark.db_independent]

CHECKOV = REPO_ROOT / ".venv-checkov" / "bin" / "checkov"
SKIP_COMMENT = re.compile(r"#\s*checkov:skip=(?P<check>[A-Z0-9_]+)(?::(?P<reason>.*))?")

needs_checkov = pytest.mark.skipif(
    not CHECKOV.exists(),
    reason="checkov's own venv is missing: python3.11 -m venv .venv-checkov && "
    ".venv-checkov/bin/pip install -r .ci/checkov-requirements.txt",
)


@pytest.fixture(scope="module")
def checkov_report() -> dict:
    """One checkov run over all of terraform/ (starting checkov costs seconds; the tree is small)."""
    result = subprocess.run(
        [
            str(CHECKOV),
            "--directory",
            str(TERRAFORM_ROOT),
            "--framework",
            "terraform",
            "--skip-download",
            "--compact",
            "--output",
            "json",
        ],
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode in (0, 1), result.stderr  # 1: checks failed, reported per directory below
    return json.loads(result.stdout)["results"]


def _in(config_dir: Path, check: dict) -> bool:
    return Path(check["file_abs_path"]).parent == config_dir


def _declares_aws_resources(config_dir: Path) -> bool:
    return any('resource "aws_' in path.read_text() for path in config_dir.glob("*.tf"))


@needs_checkov
@pytest.mark.parametrize("config_dir", terraform_config_dirs(), ids=relative_id)
def test_checkov_passes(config_dir, checkov_report):
    failed = [
        f"{check['check_id']} {check['resource']} ({check['file_path']}:{check['file_line_range'][0]})"
        for check in checkov_report.get("failed_checks", [])
        if _in(config_dir, check)
    ]

    assert failed == []
    if _declares_aws_resources(config_dir):
        evaluated = checkov_report.get("passed_checks", []) + checkov_report.get("skipped_checks", [])
        assert any(_in(config_dir, check) for check in evaluated), "checkov evaluated nothing here"


def test_every_checkov_skip_gives_a_reason():
    unexplained = [
        f"{relative_id(path)}: {match.group('check')}"
        for path in sorted(TERRAFORM_ROOT.rglob("*.tf"))
        for match in SKIP_COMMENT.finditer(path.read_text())
        if len((match.group("reason") or "").strip()) < 15
    ]

    assert unexplained == []
