"""Acknowledge and resolve incidents: the allowed moves in one table, applied with an audit entry.

Acknowledging says "someone is on it" (the pair stays failing while failures are recent);
resolving closes the incident, and the next failure of the same pair and reason opens a new one.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from core.audit import actor_name, record
from replication.models import Incident, IncidentState

ACKNOWLEDGE = "acknowledge"
RESOLVE = "resolve"

# (current state, action) -> next state; anything else is refused.
TRANSITIONS = {
    (IncidentState.OPEN, ACKNOWLEDGE): IncidentState.ACKNOWLEDGED,
    (IncidentState.OPEN, RESOLVE): IncidentState.RESOLVED,
    (IncidentState.ACKNOWLEDGED, RESOLVE): IncidentState.RESOLVED,
}


class TransitionRefused(ValueError):
    pass


def next_state(current: str, action: str) -> str:
    try:
        return TRANSITIONS[(current, action)]
    except KeyError:
        raise TransitionRefused(f"an incident that is {current} cannot be {action}d") from None


@transaction.atomic
def apply(incident_id: int, action: str, user, note: str = "") -> Incident:
    """Move the incident (locked against a concurrent decision) and audit who did it and why."""
    incident = (
        Incident.objects.select_for_update(of=("self",))
        .select_related("pair__catalog_entry")
        .get(pk=incident_id)
    )
    previous = incident.state
    incident.state = next_state(previous, action)
    now, who = timezone.now(), actor_name(user)
    if action == ACKNOWLEDGE:
        incident.acknowledged_by, incident.acknowledged_at = who, now
    else:
        incident.resolved_by, incident.resolved_at = who, now
    incident.note = note.strip() or incident.note
    incident.save()
    entry = incident.pair.catalog_entry
    record(
        f"replication.incident_{incident.state}",
        actor=user,
        bucket_name=incident.pair.primary_bucket,
        environment=entry.environment if entry else "",
        detail={
            "incident": incident.pk,
            "from": previous,
            "to": incident.state,
            "note": note.strip(),
            "replica_bucket": incident.pair.replica_bucket,
            "reason": incident.reason,
        },
    )
    return incident
