"""The request side's helpers and fixtures (registered for every package in tests/conftest.py): teams, API
clients, service accounts with tokens, valid inputs, a plan made without Terraform."""

import hashlib

import pytest
from rest_framework.test import APIClient

from core import roles
from core.models import ServiceAccount, Team
from core.tokens import issue_token
from requests_app import plans
from requests_app.contract import contract_to_yaml, evaluate_request
from requests_app.models import BucketRequest
from requests_app.platform_policy import current_policy
from tests.contract.cases import KNOWN_TEAMS, request_input
from tests.support.common import make_user


@pytest.fixture
def teams(db):
    return {slug: Team.objects.create(slug=slug, name=slug.replace("-", " ").title()) for slug in KNOWN_TEAMS}


@pytest.fixture
def team_member(teams, requester):
    """rita, a requester in app-team."""
    teams["app-team"].members.add(requester)
    return requester


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def service_account(db):
    """A service account (marked, core.ServiceAccount): it files for the people it names."""
    account = make_user("svc-backstage", roles.REQUESTERS)
    ServiceAccount.objects.create(user=account, purpose="Backstage (tests)")
    return account


def token_client(user, *scopes) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_token(user, 'test', scopes).text}")
    return client


@pytest.fixture
def backstage(service_account, team_member):
    """The Backstage service account's client with a read+submit token (it files for rita, in app-team)."""
    return token_client(service_account, "read", "submit")


def rita_input(**overrides) -> dict:
    """A valid dev request naming rita as requester."""
    return request_input(**{"requester": "rita", **overrides})


def prod_input(**overrides) -> dict:
    return rita_input(environment="prod", **overrides)


# An approved request is queued at once by the runner (it listens to the approve transition).
APPROVED_STATES = {"approved", "queued"}


def plan_made(request: BucketRequest, label: str = "first") -> str:
    """End the request's queued plan run and record its plan as ready, as the runner does when
    a plan run succeeds (runner.outcomes.planned); returns the plan's hash. The approval rules
    need only the hash (no Terraform here: these tests run inside one transaction, where a
    worker's heartbeat could not see the run). tests/runner/test_plan_approval.py makes real
    plans with Terraform and votes on them."""
    from runner.models import Run, RunKind, RunStatus

    plan_hash = hashlib.sha256(f"{label} plan of {request.request_id}".encode()).hexdigest()
    run = Run.objects.get(request=request, kind=RunKind.PLAN, status=RunStatus.QUEUED)
    Run.objects.filter(pk=run.pk).update(status=RunStatus.SUCCEEDED, plan_sha256=plan_hash)
    plans.plan_ready(
        request,
        actor="runner",
        run_id=run.pk,
        plan_hash=plan_hash,
        changes=[
            {"address": "module.bucket.aws_s3_bucket.this", "type": "aws_s3_bucket", "action": "create"}
        ],
    )
    return plan_hash


def form_data(**overrides) -> dict:
    """The form as a browser posts it (text fields; lists and tags one per line)."""
    data = {key: value for key, value in rita_input(**overrides).items() if value is not None}
    data.pop("requester")
    data["versioning"] = "true" if data.get("versioning") else ""
    data["corsEnabled"] = "on" if data.get("corsEnabled") else ""
    data["corsAllowedOrigins"] = "\n".join(data.get("corsAllowedOrigins", []))
    data["tags"] = "\n".join(f"{k}={v}" for k, v in data.get("tags", {}).items())
    return data


def contract_file(tmp_path, request_id: str, **overrides):
    evaluation = evaluate_request(
        rita_input(**overrides), current_policy(), request_id=request_id, known_teams=KNOWN_TEAMS
    )
    path = tmp_path / f"{request_id}.yaml"
    path.write_text(contract_to_yaml(evaluation.built.contract))
    return path
