"""Backstage's own schemas and rules, loaded from the pinned npm packages with node.

`npm ci --prefix backstage` installs them; without backstage/node_modules these tests skip and say so.
"""

import json
import shutil
import subprocess

import pytest
import yaml
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7
from rest_framework.test import APIClient

from core import roles
from core.models import ServiceAccount, Team
from core.tokens import issue_token
from tests.support.common import PROJECT_ROOT, make_user
from tests.contract.cases import KNOWN_TEAMS

BACKSTAGE_DIR = PROJECT_ROOT / "backstage"
TEMPLATE_FILE = BACKSTAGE_DIR / "templates" / "s3-request.yaml"
NODE_MISSING = "Backstage packages not installed: run `npm ci --prefix backstage` (needs node)"


def _node_ready() -> bool:
    return shutil.which("node") is not None and (BACKSTAGE_DIR / "node_modules" / "@backstage").is_dir()


needs_node = pytest.mark.skipif(not _node_ready(), reason=NODE_MISSING)


def run_node(script: str, payload=None):
    """Run one of backstage/*.cjs, passing ``payload`` as JSON on stdin; return its JSON answer."""
    completed = subprocess.run(
        ["node", str(BACKSTAGE_DIR / script)], input=json.dumps(payload) if payload is not None else "",
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


@pytest.fixture(scope="session")
def backstage_schemas() -> dict:
    if not _node_ready():
        pytest.skip(NODE_MISSING)
    return run_node("print-schemas.cjs")


@pytest.fixture(scope="session")
def backstage_validator(backstage_schemas):
    """validator(schema_id) -> a Draft 7 validator that resolves Backstage's cross-schema $refs."""
    registry = Registry().with_resources(
        (schema_id, Resource.from_contents(schema, default_specification=DRAFT7))
        for schema_id, schema in backstage_schemas.items()
    )

    def validator(schema_id: str) -> Draft7Validator:
        return Draft7Validator(backstage_schemas[schema_id], registry=registry)

    return validator


def schema_errors(validator: Draft7Validator, document) -> list[str]:
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
            for error in validator.iter_errors(document)]


def backstage_field_errors(entities: list[dict]) -> list:
    """Backstage's FieldFormatEntityPolicy verdict per entity: None when valid, else its message."""
    return run_node("check-entities.cjs", entities)


def render_like_scaffolder(fragment, context: dict):
    """Render a template fragment with nunjucks as the scaffolder does (see backstage/render-template.cjs)."""
    return run_node("render-template.cjs", {"fragment": fragment, "context": context})


@pytest.fixture
def committed_template() -> dict:
    return yaml.safe_load(TEMPLATE_FILE.read_text(encoding="utf-8"))


@pytest.fixture
def teams(db):
    return {slug: Team.objects.create(slug=slug, name=slug.replace("-", " ").title()) for slug in KNOWN_TEAMS}


@pytest.fixture
def backstage_account(db):
    """The service account whose token the Backstage proxy carries: a Backstage caller."""
    account = make_user("svc-backstage", roles.REQUESTERS)
    ServiceAccount.objects.create(user=account, purpose="Backstage (tests)", backstage_caller=True)
    return account


def bearer_client(user, *scopes) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_token(user, 'backstage', scopes).text}")
    return client


@pytest.fixture
def rita(teams):
    """A person with a portal account who signs in to Backstage as user:default/rita."""
    person = make_user("rita", roles.REQUESTERS)
    teams["app-team"].members.add(person)
    return person


@pytest.fixture
def fake_backstage(settings):
    """A Backstage identity provider on loopback (real HTTP, real ES256 keys), set as BACKSTAGE_BASE_URL."""
    from core.backstage_identity import forget_cached_keys
    from tests.backstage.identity import FakeBackstage

    backstage = FakeBackstage().start()
    settings.BACKSTAGE_BASE_URL = backstage.base_url
    forget_cached_keys()
    yield backstage
    forget_cached_keys()
    backstage.stop()
