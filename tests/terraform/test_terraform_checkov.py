"""checkov on every module and stack under terraform/ (everyone's), from its own virtualenv.

checkov downgrades boto3/botocore and replaces python-hcl2's module, so it lives in .venv-checkov
(CI builds it from .ci/checkov-requirements.txt). Every skip must be a justified
`#checkov:skip=CKV_...:reason` comment next to the resource.
"""

import os
import re
import subprocess

import pytest

from tests.terraform.support import REPO_ROOT, TERRAFORM_ROOT, relative_id, terraform_config_dirs

pytestmark = pytest.mark.slow

CHECKOV = REPO_ROOT / ".venv-checkov" / "bin" / "checkov"
SKIP_COMMENT = re.compile(r"#\s*checkov:skip=(?P<check>[A-Z0-9_]+)(?::(?P<reason>.*))?")

needs_checkov = pytest.mark.skipif(
    not CHECKOV.exists(),
    reason="checkov's own venv is missing: python3.11 -m venv .venv-checkov && "
           ".venv-checkov/bin/pip install -r .ci/checkov-requirements.txt",
)


@needs_checkov
@pytest.mark.parametrize("config_dir", terraform_config_dirs(), ids=relative_id)
def test_checkov_passes(config_dir):
    result = subprocess.run(
        [str(CHECKOV), "--directory", str(config_dir), "--framework", "terraform", "--skip-download",
         "--quiet", "--compact", "--output", "cli"],
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE"}, capture_output=True, text=True, timeout=300,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_every_checkov_skip_gives_a_reason():
    unexplained = [
        f"{relative_id(path)}: {match.group('check')}"
        for path in sorted(TERRAFORM_ROOT.rglob("*.tf"))
        for match in SKIP_COMMENT.finditer(path.read_text())
        if len((match.group("reason") or "").strip()) < 15
    ]

    assert unexplained == []
