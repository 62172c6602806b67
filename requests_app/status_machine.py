"""The request status machine: named transitions only, each audited.

An illegal transition raises :class:`IllegalTransition` instead of writing silently.
Other apps react to transitions through the signals in ``requests_app.signals`` (the
runner creates a Terraform run when a request becomes approved), so this module never
imports them.
"""

from core import audit
from requests_app import signals
from requests_app.models import BucketRequest, RequestStatus

S = RequestStatus

# transition name -> (states it may start from, state it ends in)
TRANSITIONS: dict[str, tuple[frozenset, str]] = {
    "approve": (frozenset({S.PENDING_APPROVAL}), S.APPROVED),
    "reject": (frozenset({S.PENDING_APPROVAL}), S.REJECTED),
    "cancel": (frozenset({S.PENDING_APPROVAL, S.APPROVED, S.QUEUED}), S.CANCELLED),
    # The requester takes back a request nobody has decided yet (requests_app.withdrawal).
    "withdraw": (frozenset({S.PENDING_APPROVAL}), S.CANCELLED),
    "queue": (frozenset({S.APPROVED, S.FAILED}), S.QUEUED),
    # A failed request nobody will retry, once nothing of it exists (runner.abandonment).
    "abandon": (frozenset({S.FAILED}), S.CANCELLED),
    # An applied request queued again to re-apply its approved contract (a drifted bucket's remediation).
    "remediate": (frozenset({S.APPLIED}), S.QUEUED),
    "start_apply": (frozenset({S.QUEUED}), S.APPLYING),
    "mark_applied": (frozenset({S.APPLYING}), S.APPLIED),
    "mark_failed": (frozenset({S.QUEUED, S.APPLYING}), S.FAILED),
    # The approved plan was stale and the new one does something else (runner.execution).
    "return_to_approval": (frozenset({S.APPLYING}), S.PENDING_APPROVAL),
}

# States no transition leaves: a request in one never changes again (rejected, cancelled).
FINAL_STATES = frozenset(S) - frozenset().union(*(sources for sources, _ in TRANSITIONS.values()))


class IllegalTransition(Exception):
    def __init__(self, request: BucketRequest, name: str):
        allowed_from = ", ".join(sorted(TRANSITIONS[name][0])) if name in TRANSITIONS else "-"
        super().__init__(
            f"{request.request_id} is {request.status}; '{name}' is only allowed from: {allowed_from}"
        )
        self.request = request
        self.transition = name


@audit.atomic()
def transition(
    request: BucketRequest, name: str, *, actor, detail: dict | None = None, row_locked: bool = False
) -> BucketRequest:
    """Move ``request`` along transition ``name``; returns the locked, updated row.

    ``row_locked``: ``request`` is the instance a ``select_for_update()`` of the caller's transaction
    returned (or this function's, passed on by a ``status_changed`` receiver), so the row is locked and
    ``request`` is current: it is used as it is instead of being read and locked again.
    """
    if name not in TRANSITIONS:
        raise ValueError(f"unknown transition {name!r}")
    locked = request if row_locked else BucketRequest.objects.select_for_update().get(pk=request.pk)
    sources, target = TRANSITIONS[name]
    if locked.status not in sources:
        raise IllegalTransition(locked, name)
    previous = locked.status
    locked.status = target
    locked.save(update_fields=["status", "updated_at"])
    audit.record(
        f"request.{name}",
        actor=actor,
        request=locked,
        detail={"from": previous, "to": target, **(detail or {})},
    )
    request.status = locked.status
    signals.status_changed.send(sender=BucketRequest, request=locked, transition=name, actor=actor)
    return locked
