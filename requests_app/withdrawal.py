"""A requester withdraws their own request: every rule, in one place for the page and the API.

- only the person named as the request's requester withdraws it, compared as canonical identities
  (core.identity: "Rita " and an account "RITA" are rita; a look-alike in another script is not);
  not the account that submitted it for them, not a platform approver (approvers reject instead);
- the caller is the account's user name, or the person a Backstage caller's user token proved
  (core.backstage_filing.proven_requester: the edge proves it and passes ``requester_identity``);
  a service account withdraws nothing in its own name, and only a Backstage caller acts for a
  proven person;
- the caller needs the permission to file requests (``submit_bucketrequest``);
- only a request waiting for approval is withdrawn; it becomes ``cancelled`` (transition
  ``withdraw``, audited as ``request.withdraw`` with the reason and who withdrew it) and releases its
  bucket name (requests_app.bucket_names);
- a reason is optional: stripped, at most 1,000 characters, storable text (core.free_text).

Nothing else is to be done for the request's plan run: a queued plan run of a request that no longer
waits for a plan is ended ``cancelled`` by the runner when claimed, and a running one's plan is kept
but not made the request's (runner.outcomes.waits_for_plan). The request row is locked while the
rules are checked, so a withdrawal and a vote that settles the request cannot both win.
"""

from core import audit
from core.backstage_filing import is_backstage_caller
from core.free_text import unstorable
from core.identity import is_service_account, same_person
from core.refusal import Refused
from requests_app import status_machine
from requests_app.models import BucketRequest, RequestStatus

WITHDRAW_PERMISSION = "requests_app.submit_bucketrequest"
REASON_MAX_CHARS = 1000


class WithdrawRefused(Refused):
    """A withdrawal the rules do not allow; ``code`` says which rule (the edges map it to a status)."""

    NOT_REQUESTER = "not-requester"
    NOT_PENDING = "not-pending"
    REASON_INVALID = "reason-invalid"


def caller_identity(user, requester_identity: str | None = None) -> str | None:
    """The person ``user`` acts as here, or None when it acts for nobody who could withdraw.

    ``requester_identity``: the person a Backstage caller's user token proved (never taken from
    anyone else). A service account acting in its own name is nobody."""
    if requester_identity is not None:
        return requester_identity if is_backstage_caller(user) else None
    if not (user and user.is_authenticated) or is_service_account(user):
        return None
    return user.get_username()


def refusal_for(
    request: BucketRequest, user, requester_identity: str | None = None
) -> WithdrawRefused | None:
    """Why ``user`` may not withdraw ``request`` now (None when they may); for the page and the service."""
    return _refusal(request, user, caller_identity(user, requester_identity))


def _refusal(request: BucketRequest, user, identity: str | None) -> WithdrawRefused | None:
    if not (identity and same_person(identity, request.requester) and user.has_perm(WITHDRAW_PERMISSION)):
        return WithdrawRefused(
            WithdrawRefused.NOT_REQUESTER,
            f"Only the requester of {request.request_id} ({request.requester}) can withdraw it.",
        )
    if request.status != RequestStatus.PENDING_APPROVAL:
        return WithdrawRefused(
            WithdrawRefused.NOT_PENDING,
            f"{request.request_id} is {request.get_status_display().lower()}; "
            "only a request waiting for approval can be withdrawn.",
        )
    return None


def may_withdraw(request: BucketRequest, user) -> bool:
    """Whether the request page offers ``user`` the withdraw form (a session: no Backstage identity).
    The state is checked first: most pages show a request nobody can withdraw any more, at no query."""
    return request.status == RequestStatus.PENDING_APPROVAL and refusal_for(request, user) is None


def clean_reason(reason) -> str:
    """The reason as stored, or :class:`WithdrawRefused` (``reason-invalid``)."""
    if reason is None:
        return ""
    if not isinstance(reason, str):
        raise WithdrawRefused(WithdrawRefused.REASON_INVALID, "The reason must be text.")
    reason = reason.strip()
    if len(reason) > REASON_MAX_CHARS:
        raise WithdrawRefused(
            WithdrawRefused.REASON_INVALID,
            f"The reason may be at most {REASON_MAX_CHARS:,} characters ({len(reason):,} given).",
        )
    problem = unstorable(reason)
    if problem:
        raise WithdrawRefused(WithdrawRefused.REASON_INVALID, f"The reason {problem}.")
    return reason


@audit.atomic()
def withdraw_request(
    request: BucketRequest, user, *, reason: str = "", requester_identity: str | None = None
) -> BucketRequest:
    """Withdraw ``request`` for ``user`` (see the module docstring); returns the updated, cancelled row.

    Refusals come in this order: who (403), the request's state (409), then the reason (400)."""
    identity = caller_identity(user, requester_identity)
    locked = BucketRequest.objects.select_for_update().get(pk=request.pk)
    refusal = _refusal(locked, user, identity)
    if refusal is not None:
        raise refusal
    reason = clean_reason(reason)
    status_machine.transition(
        locked,
        "withdraw",
        actor=user,
        detail={"reason": reason, "withdrawn_by": identity},
        row_locked=True,
    )
    request.status = locked.status
    return locked
