"""Paths and settings shared by the Terraform checks."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
TERRAFORM_ROOT = REPO_ROOT / "terraform"

# No provider can be downloaded here or in CI: point provider installation at an empty
# mirror so `init` fails fast (and offline) at the provider step, after loading the configuration.
OFFLINE_CLI_CONFIG = """\
disable_checkpoint = true
provider_installation {{
  filesystem_mirror {{
    path    = "{mirror}"
    include = ["*/*/*"]
  }}
}}
"""


def terraform_config_dirs() -> list[Path]:
    """Every directory under terraform/ holding .tf files (modules and stacks, everyone's)."""
    dirs = {path.parent for path in TERRAFORM_ROOT.rglob("*.tf") if ".terraform" not in path.parts}
    return sorted(dirs)


def relative_id(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT))
