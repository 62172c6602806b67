"""Backstage's own schemas and rules, loaded from the pinned npm packages with node.

`npm ci --prefix backstage` installs them; without backstage/node_modules these tests skip and say so.
"""

import pytest
import yaml
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from core import roles
from core.models import ServiceAccount, Team
from tests.contract.cases import KNOWN_TEAMS
from tests.support.backstage import NODE_MISSING, TEMPLATE_FILE, node_ready, run_node
from tests.support.common import make_user


@pytest.fixture(scope="session")
def backstage_schemas() -> dict:
    if not node_ready():
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


@pytest.fixture
def rita(teams):
    """A person with a portal account who signs in to Backstage as user:default/rita."""
    person = make_user("rita", roles.REQUESTERS)
    teams["app-team"].members.add(person)
    return person
