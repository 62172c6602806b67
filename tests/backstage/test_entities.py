"""Catalog buckets as Backstage Resource entities: the API, the export file and Backstage's own rules."""

from datetime import timedelta

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from core.models import ApiToken
from requests_app import catalog
from requests_app.backstage import (
    CatalogBucket,
    bucket_entity,
    entity_name,
    is_valid_entity_name,
    resource_ref,
)
from requests_app.models import CatalogStatus
from requests_app.submission import submit_request
from tests.contract.cases import request_input
from tests.support.backstage import backstage_field_errors, bearer_client, needs_node, schema_errors
from tests.support.common import make_user
from tests.support.query_counts import assert_pinned, queries_for

ENTITIES_URL = "/api/v1/backstage/entities/"


@pytest.fixture
def buckets(teams, backstage_account):
    """Three catalog buckets (dev active, prod provisioning with access logging, one decommissioned),
    filed by Backstage for daniel-deans, a member of every team."""
    person = make_user("daniel-deans")
    for team in teams.values():
        team.members.add(person)

    def add(status, **overrides):
        request = submit_request(request_input(**overrides), backstage_account).request
        return catalog.set_catalog_status(
            request, status, actor="test", region="us-east-1", arn=f"arn:aws:s3:::{request.bucket_name}"
        )

    return {
        "dev": add(CatalogStatus.ACTIVE),
        "prod": add(CatalogStatus.PROVISIONING, environment="prod", application="ledger", owner="data-team"),
        "gone": add(CatalogStatus.DECOMMISSIONED, application="old-app"),
    }


def fetch_entities(client) -> list[dict]:
    response = client.get(ENTITIES_URL)
    assert response.status_code == 200, response.content
    return response.json()["items"]


def test_api_lists_every_live_bucket_as_a_resource(buckets, backstage_account, settings):
    settings.BACKSTAGE_SYSTEM = "storage"
    entities = {
        entity["metadata"]["name"]: entity
        for entity in fetch_entities(bearer_client(backstage_account, "read"))
    }
    dev, prod = buckets["dev"], buckets["prod"]
    assert set(entities) == {dev.bucket_name, prod.bucket_name}
    entity = entities[dev.bucket_name]
    assert entity["kind"] == "Resource" and entity["spec"]["type"] == "s3-bucket"
    assert entity["spec"]["owner"] == "group:default/app-team"
    assert entity["spec"]["system"] == "storage"
    annotations = entity["metadata"]["annotations"]
    assert annotations["bucketwise.io/request-id"] == dev.request.request_id
    assert annotations["backstage.io/view-url"] == f"http://testserver/catalog/{dev.bucket_name}/"
    assert annotations["bucketwise.io/arn"] == dev.arn
    assert entity["metadata"]["labels"] == {
        "bucketwise.io/environment": "dev",
        "bucketwise.io/purpose": "uploads",
    }
    assert "dependsOn" not in entity["spec"]


def test_a_logged_bucket_depends_on_its_access_log_bucket(buckets, backstage_account):
    entities = {
        entity["metadata"]["name"]: entity
        for entity in fetch_entities(bearer_client(backstage_account, "read"))
    }
    prod = buckets["prod"]
    log_bucket = prod.request.contract["spec"]["accessLogging"]["targetBucket"]
    assert entities[prod.bucket_name]["spec"]["dependsOn"] == [resource_ref(log_bucket)]
    assert entities[prod.bucket_name]["spec"]["owner"] == "group:default/data-team"


def test_api_needs_a_read_scope(buckets, backstage_account, client):
    assert bearer_client(backstage_account, "submit").get(ENTITIES_URL).status_code == 403
    assert client.get(ENTITIES_URL).status_code in (401, 403)


def test_the_entities_api_makes_its_pinned_number_of_queries_with_5_and_50_buckets(
    buckets, backstage_account
):
    client = bearer_client(backstage_account, "read")

    def add_live(count: int, start: int):
        for index in range(start, start + count):
            request = submit_request(
                request_input(application=f"extra-app{index}"), backstage_account
            ).request
            catalog.mark_active(request, actor="test", region="us-east-1", arn="")

    add_live(3, start=0)  # and the fixture's two live buckets
    ApiToken.objects.update(last_used_at=timezone.now() + timedelta(days=1))  # no last-use write is due
    few = queries_for(client, ENTITIES_URL)
    add_live(45, start=3)
    many = queries_for(client, ENTITIES_URL)
    assert len(fetch_entities(client)) == 50
    assert_pinned(__file__, f"list {ENTITIES_URL}", {5: few, 50: many})


@needs_node
def test_entities_are_valid_for_backstages_schemas_and_field_rules(
    buckets, backstage_account, backstage_validator
):
    entities = fetch_entities(bearer_client(backstage_account, "read"))
    for entity in entities:
        assert schema_errors(backstage_validator("ResourceV1alpha1"), entity) == []
    assert backstage_field_errors(entities) == [None] * len(entities)


@needs_node
def test_backstages_resource_schema_would_catch_a_missing_owner(
    buckets, backstage_account, backstage_validator
):
    entity = fetch_entities(bearer_client(backstage_account, "read"))[0]
    del entity["spec"]["owner"]
    assert schema_errors(backstage_validator("ResourceV1alpha1"), entity)


def test_export_writes_the_same_entities_as_yaml_documents(buckets, backstage_account, tmp_path):
    out = tmp_path / "catalog" / "bucketwise-entities.yaml"
    call_command(
        "export_backstage_entities", "--out", str(out), "--base-url", "https://bucketwise.example.com/"
    )
    text = out.read_text(encoding="utf-8")
    served = fetch_entities(bearer_client(backstage_account, "read"))
    assert text.count("\n---") + text.startswith("---") == len(served) == 2
    same_host = text.replace("https://bucketwise.example.com", "http://testserver")
    assert list(yaml.safe_load_all(same_host)) == served


def test_export_without_a_portal_address_fails_clearly_and_writes_nothing(buckets, tmp_path, settings):
    settings.PORTAL_BASE_URL = ""
    out = tmp_path / "entities.yaml"
    with pytest.raises(CommandError, match="--base-url"):
        call_command("export_backstage_entities", "--out", str(out), "--base-url", "")
    assert not out.exists()


# --- entity names ----------------------------------------------------------------------------------


def sample_bucket(name: str) -> CatalogBucket:
    return CatalogBucket(
        bucket_name=name,
        request_id="S3-0001",
        owner="app-team",
        environment="dev",
        purpose="logs",
        status="active",
        portal_url="https://p/c/",
        request_url="https://p/r/",
    )


@pytest.mark.parametrize("name", ["goldenpath-dev-payments-api-uploads", "logs.example.com", "a1b"])
def test_todays_s3_names_are_kept_as_entity_names(name):
    assert entity_name(name) == name


@pytest.mark.parametrize("name", ["Legacy_Bucket_", "-dots..and--dashes-", "x" * 200, "UPPER.lower_1", "__"])
def test_legacy_names_become_valid_entity_names(name):
    assert is_valid_entity_name(entity_name(name))


def test_long_legacy_names_stay_distinct():
    assert entity_name("a" * 100 + "1") != entity_name("a" * 100 + "2")


LEGACY_NAMES = st.text(alphabet=st.sampled_from("abcXYZ019._- "), min_size=1, max_size=120)


@needs_node
@hypothesis_settings(max_examples=1, deadline=None)
@given(names=st.lists(LEGACY_NAMES, min_size=50, max_size=50))
def test_entity_names_agree_with_backstages_own_validator(names):
    """Both the Python check and the derived names are held to Backstage's FieldFormatEntityPolicy."""
    raw = [bucket_entity(sample_bucket(name), "s3-platform") for name in names]
    for entity, name in zip(raw, names, strict=True):
        entity["metadata"]["name"] = name
    verdicts = backstage_field_errors(
        raw + [bucket_entity(sample_bucket(name), "s3-platform") for name in names]
    )
    assert [verdict is None for verdict in verdicts[: len(names)]] == [is_valid_entity_name(n) for n in names]
    assert verdicts[len(names) :] == [None] * len(names)
