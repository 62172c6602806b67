"""Approved requests for runner tests, built the way submissions build them (until tests use
requests_app.submission): a contract from tests.contract.cases, a number, an approval."""

from django.db import transaction
from django.utils import timezone

from core.models import Team
from requests_app import status_machine
from requests_app.contract import evaluate_request
from requests_app.ids import allocate_request_number, format_request_id
from requests_app.models import BucketRequest
from requests_app.platform_policy import current_policy
from requests_app.request_rows import canonical_hash, contract_columns, contract_document
from runner.models import Run, RunStatus
from tests.contract.cases import KNOWN_TEAMS, request_input

# The S3 state backend's bucket in the local AWS (tests/runner/conftest.py s3_state).
STATE_BUCKET = "bucketwise-state-tests"


def ensure_teams() -> None:
    for slug in KNOWN_TEAMS:
        Team.objects.get_or_create(slug=slug, defaults={"name": slug})


@transaction.atomic
def saved_request(raw: dict | None = None, *, submitted_by=None, contract_changes=None) -> BucketRequest:
    """A pending request; ``contract_changes(document)`` may edit the stored contract (bad-input tests)."""
    ensure_teams()
    number = allocate_request_number()
    request_id = format_request_id(number)
    evaluation = evaluate_request(
        raw or request_input(), current_policy(), request_id=request_id, known_teams=list(KNOWN_TEAMS)
    )
    assert evaluation.is_valid, evaluation.problems
    contract = evaluation.built.contract
    document = contract_document(contract)
    if contract_changes:
        contract_changes(document)
    return BucketRequest.objects.create(
        request_id=request_id,
        number=number,
        **contract_columns(contract, owner=Team.objects.get(slug=contract.owner)),
        submitted_by=submitted_by,
        contract=document,
        contract_hash=canonical_hash(document),
    )


def approved_request(raw: dict | None = None, *, approver="alex", **kwargs) -> BucketRequest:
    """Save and approve a request: the runner queues its first run in the same transaction."""
    with transaction.atomic():
        request = saved_request(raw, **kwargs)
        status_machine.transition(request, "approve", actor=approver)
    request.refresh_from_db()
    return request


def failed_request(actor="system", raw: dict | None = None):
    """An approved request whose first run failed: (request, run)."""
    request = approved_request(raw)
    run = Run.objects.get(request=request)
    Run.objects.filter(pk=run.pk).update(status=RunStatus.FAILED, finished_at=timezone.now())
    status_machine.transition(request, "mark_failed", actor=actor)
    return request, run
