"""Backstage's own schemas and rules, run with node from the pinned npm packages (`npm ci --prefix
backstage`), and an API client with a Backstage token."""

import json
import shutil
import subprocess

import pytest
from jsonschema import Draft7Validator
from rest_framework.test import APIClient

from core.tokens import issue_token
from tests.support.common import PROJECT_ROOT

BACKSTAGE_DIR = PROJECT_ROOT / "backstage"
TEMPLATE_FILE = BACKSTAGE_DIR / "templates" / "s3-request.yaml"
NODE_MISSING = "Backstage packages not installed: run `npm ci --prefix backstage` (needs node)"


def node_ready() -> bool:
    return shutil.which("node") is not None and (BACKSTAGE_DIR / "node_modules" / "@backstage").is_dir()


needs_node = pytest.mark.skipif(not node_ready(), reason=NODE_MISSING)


def run_node(script: str, payload=None):
    """Run one of backstage/*.cjs, passing ``payload`` as JSON on stdin; return its JSON answer."""
    completed = subprocess.run(
        ["node", str(BACKSTAGE_DIR / script)],
        input=json.dumps(payload) if payload is not None else "",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def schema_errors(validator: Draft7Validator, document) -> list[str]:
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(document)
    ]


def backstage_field_errors(entities: list[dict]) -> list:
    """Backstage's FieldFormatEntityPolicy verdict per entity: None when valid, else its message."""
    return run_node("check-entities.cjs", entities)


def render_like_scaffolder(fragment, context: dict):
    """Render a template fragment with nunjucks as the scaffolder does (see backstage/render-template.cjs)."""
    return run_node("render-template.cjs", {"fragment": fragment, "context": context})


def bearer_client(user, *scopes) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_token(user, 'backstage', scopes).text}")
    return client
