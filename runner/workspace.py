"""A fresh Terraform workspace per run: the stack, its variables, its backend, a CLI config.

Layout (docs/decisions/runner-workspace-layout.md)::

    {TERRAFORM_WORK_DIR}/{request_id}/run-{run_id}/
        config/<stack and local modules at their relative paths>/
            terraform.tfvars.json       the contract's variables + aws_region/aws_endpoint_url
            backend_override.tf.json    local state, or the S3 backend from settings
        terraform.rc                    TF_CLI_CONFIG_FILE: no checkpoint, shared plugin cache
        plan.tfplan                     written by `plan -out`, applied as is

No ORM and no settings here: the caller passes everything in.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import hcl2

COPY_IGNORE = shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "*.tfstate", "*.tfstate.backup",
                                     "terraform.tfvars*", "*_override.tf*", "override.tf*")


@dataclass(frozen=True)
class BackendTarget:
    """Where a request's state lives: a local file, or an S3 bucket (``bucket`` set)."""

    key: str
    local_state_dir: Path
    bucket: str = ""
    region: str = ""
    lock_table: str = ""
    endpoint_url: str = ""


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
    if target.endpoint_url:
        endpoints = {"s3": target.endpoint_url}
        if target.lock_table:
            endpoints["dynamodb"] = target.endpoint_url
        settings.update(
            endpoints=endpoints,
            use_path_style=True,
            skip_credentials_validation=True,
            skip_requesting_account_id=True,
            skip_metadata_api_check=True,
            skip_region_validation=True,
        )
    return {"terraform": {"backend": {"s3": settings}}}


def cli_config(plugin_cache_dir: Path) -> str:
    """The CLI config the project owns, so nothing depends on the worker's ~/.terraformrc."""
    return f"disable_checkpoint = true\nplugin_cache_dir = {json.dumps(str(plugin_cache_dir))}\n"


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
        with tf_file.open() as handle:
            document = hcl2.load(handle)
        for block in document.get("module", []):
            for body in block.values():
                source = str(body.get("source", "")).strip('"')
                if source.startswith(("./", "../")):
                    sources.append(source)
    return sources


def prepare_workspace(root: Path, *, stack_dir: Path, variables: dict, backend: BackendTarget,
                      plugin_cache_dir: Path) -> Workspace:
    """Write a fresh workspace under ``root`` (replacing any left from an earlier attempt)."""
    if root.exists():
        shutil.rmtree(root)
    directories = local_module_dirs(stack_dir)
    common_root = Path(os.path.commonpath([str(path) for path in directories]))
    for directory in directories:
        shutil.copytree(directory, root / "config" / directory.relative_to(common_root), ignore=COPY_IGNORE,
                        dirs_exist_ok=True)
    config_dir = root / "config" / stack_dir.resolve().relative_to(common_root)
    _write_json(config_dir / "terraform.tfvars.json", variables)
    _write_json(config_dir / "backend_override.tf.json", backend_override(backend))
    plugin_cache_dir.mkdir(parents=True, exist_ok=True)
    if not backend.bucket:
        (backend.local_state_dir / backend.key).parent.mkdir(parents=True, exist_ok=True)
    cli_config_file = root / "terraform.rc"
    cli_config_file.write_text(cli_config(plugin_cache_dir))
    return Workspace(root=root, config_dir=config_dir, cli_config_file=cli_config_file)


def _write_json(path: Path, document: dict) -> None:
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
