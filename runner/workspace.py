"""A fresh Terraform workspace per run: the stack, its variables, its backend, a CLI config.

Layout (docs/decisions/runner-workspace-layout.md)::

    {TERRAFORM_WORK_DIR}/{request_id}/run-{run_id}/
        config/<stack and local modules at their relative paths>/
            terraform.tfvars.json       the contract's variables + aws_region/aws_endpoint_url
            backend_override.tf.json    local state, or the S3 backend from settings
            .terraform.lock.hcl         the stack's committed provider lock (init -lockfile=readonly)
        terraform.rc                    TF_CLI_CONFIG_FILE: no checkpoint, plugin cache, provider mirror
        plan.tfplan                     written by `plan -out`, applied as is

No ORM and no settings here: the caller passes everything in.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import hcl2

# The stack's committed .terraform.lock.hcl is copied: `init -lockfile=readonly` installs exactly those.
COPY_IGNORE = shutil.ignore_patterns(
    ".terraform", "*.tfstate", "*.tfstate.backup", "terraform.tfvars*", "*_override.tf*", "override.tf*"
)
LOCK_FILE = ".terraform.lock.hcl"


@dataclass(frozen=True)
class BackendTarget:
    """Where a request's state lives: a local file, or an S3 bucket (``bucket`` set)."""

    key: str
    local_state_dir: Path
    bucket: str = ""
    region: str = ""
    lock_table: str = ""
    endpoint_url: str = ""
    role_arn: str = ""  # the environment's role (AWS_ROLE_ARN_<ENV>), assumed to reach the state


@dataclass(frozen=True)
class Workspace:
    root: Path
    config_dir: Path
    cli_config_file: Path

    @property
    def plan_file(self) -> Path:
        return self.root / "plan.tfplan"


def backend_override(target: BackendTarget) -> dict:
    """The ``backend_override.tf.json`` document for ``target`` (it replaces the stack's backend)."""
    if not target.bucket:
        return {"terraform": {"backend": {"local": {"path": str(target.local_state_dir / target.key)}}}}
    settings = {"bucket": target.bucket, "key": target.key, "region": target.region, "encrypt": True}
    if target.lock_table:
        settings["dynamodb_table"] = target.lock_table
    else:
        settings["use_lockfile"] = True
    if target.role_arn:
        settings["assume_role"] = {"role_arn": target.role_arn, "session_name": "bucketwise-runner"}
    if target.endpoint_url:
        endpoints = {"s3": target.endpoint_url}
        if target.lock_table:
            endpoints["dynamodb"] = target.endpoint_url
        if target.role_arn:
            endpoints["sts"] = target.endpoint_url
        settings.update(
            endpoints=endpoints,
            use_path_style=True,
            skip_credentials_validation=True,
            skip_requesting_account_id=True,
            skip_metadata_api_check=True,
            skip_region_validation=True,
        )
    return {"terraform": {"backend": {"s3": settings}}}


def cli_config(plugin_cache_dir: Path, provider_mirror: str = "") -> str:
    """The CLI config the project owns, so nothing depends on the worker's ~/.terraformrc.

    With ``provider_mirror`` (a filesystem mirror's root, the directory holding
    ``registry.terraform.io/``) providers are installed from there only, never from a registry;
    the plugin cache still shares one unpacked copy between runs.
    """
    text = f"disable_checkpoint = true\nplugin_cache_dir = {json.dumps(str(plugin_cache_dir))}\n"
    if provider_mirror:
        text += (
            "provider_installation {\n"
            "  filesystem_mirror {\n"
            f"    path = {json.dumps(str(provider_mirror))}\n"
            '    include = ["*/*/*"]\n'
            "  }\n"
            "}\n"
        )
    return text


def local_module_dirs(config_dir: Path) -> set[Path]:
    """``config_dir`` and every module it calls by a local path (``./…``, ``../…``), recursively."""
    found: set[Path] = set()
    pending = [config_dir.resolve()]
    while pending:
        directory = pending.pop()
        if directory in found:
            continue
        found.add(directory)
        pending.extend((directory / source).resolve() for source in _local_module_sources(directory))
    return found


def _local_module_sources(directory: Path) -> list[str]:
    sources = []
    for tf_file in sorted(directory.glob("*.tf")):
        found = tf_file.stat()
        sources.extend(_module_sources_of(str(tf_file), found.st_mtime_ns, found.st_size))
    return sources


@lru_cache(maxsize=512)
def _module_sources_of(tf_file: str, mtime_ns: int, size: int) -> tuple[str, ...]:
    """The local module sources one ``.tf`` file calls; parsed once per version of the file (parsing
    HCL in Python took most of a workspace's preparation, every run, for files that never change)."""
    with open(tf_file) as handle:
        document = hcl2.load(handle)
    return tuple(
        source
        for block in document.get("module", [])
        for body in block.values()
        if (source := str(body.get("source", "")).strip('"')).startswith(("./", "../"))
    )


def provider_versions(config_dir: Path) -> dict[str, str]:
    """``{provider address: version}`` from the dependency lock file in ``config_dir`` ({} without one).

    After ``init -lockfile=readonly`` succeeded these are exactly the providers installed.
    """
    lock_file = config_dir / LOCK_FILE
    if not lock_file.is_file():
        return {}
    return dict(_locked_versions(lock_file.read_text()))


@lru_cache(maxsize=64)
def _locked_versions(lock_text: str) -> tuple[tuple[str, str], ...]:
    """Parsed once per lock file text: every workspace gets a copy of the same committed lock file."""
    document = hcl2.loads(lock_text)
    return tuple(
        (address.strip('"'), str(body.get("version", "")).strip('"'))
        for block in document.get("provider", [])
        for address, body in block.items()
    )


def prepare_workspace(
    root: Path,
    *,
    stack_dir: Path,
    variables: dict,
    backend: BackendTarget,
    plugin_cache_dir: Path,
    provider_mirror: str = "",
) -> Workspace:
    """Write a fresh workspace under ``root`` (replacing any left from an earlier attempt)."""
    if root.exists():
        shutil.rmtree(root)
    directories = local_module_dirs(stack_dir)
    common_root = Path(os.path.commonpath([str(path) for path in directories]))
    for directory in directories:
        shutil.copytree(
            directory,
            root / "config" / directory.relative_to(common_root),
            ignore=COPY_IGNORE,
            dirs_exist_ok=True,
        )
    config_dir = root / "config" / stack_dir.resolve().relative_to(common_root)
    _write_json(config_dir / "terraform.tfvars.json", variables)
    _write_json(config_dir / "backend_override.tf.json", backend_override(backend))
    plugin_cache_dir.mkdir(parents=True, exist_ok=True)
    if not backend.bucket:
        (backend.local_state_dir / backend.key).parent.mkdir(parents=True, exist_ok=True)
    cli_config_file = root / "terraform.rc"
    cli_config_file.write_text(cli_config(plugin_cache_dir, provider_mirror))
    return Workspace(root=root, config_dir=config_dir, cli_config_file=cli_config_file)


def _write_json(path: Path, document: dict) -> None:
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
