"""Who may file a bucket request for whom, and for which team: one rule for the form, the API and Backstage.

- A person files as themselves, for a team they belong to.
- A service account (``core.ServiceAccount``) files for the person it names: that person must have an
  active account and belong to the owning team.
- An account holding ``core.file_for_any_team`` skips the team check (the person must still exist).

Names compare as canonical identities (``core.identity``): "Carol" files as carol.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model

from core.identity import identity_key, is_service_account, same_person
from core.models import Team

FILE_FOR_ANY_TEAM_PERMISSION = "core.file_for_any_team"


@dataclass(frozen=True)
class FilingRefused:
    """Why the filing is refused; ``field`` is the request-input field at fault (requester or owner)."""

    field: str
    message: str


def person_named(name: str):
    """The one active person (not a service account) whose user name is ``name`` as a canonical identity,
    or None. A service account is never filed for: it would own a request no person answers for, and a
    Backstage user named like a service account would act as that account."""
    key = identity_key(name)
    candidates = get_user_model().objects.filter(
        username__iexact=name.strip(), is_active=True, service_account__isnull=True
    )
    matches = [user for user in candidates if identity_key(user.get_username()) == key]
    return matches[0] if len(matches) == 1 else None


def teams_open_to(account):
    """The teams ``account`` may file for as a person (the form's team list), as a queryset of teams."""
    if account.has_perm(FILE_FOR_ANY_TEAM_PERMISSION):
        return Team.objects.all()
    return Team.objects.filter(members=account)


def filing_refusal(account, requester: str, owner: str) -> FilingRefused | None:
    """Why ``account`` may not file a request naming ``requester`` for team ``owner`` (a slug); None if it may."""
    if is_service_account(account):
        person = person_named(requester)
        if person is None:
            return FilingRefused(
                "requester",
                f"{requester!r} is not the user name of an active person's portal account: "
                "a service account files for a person who has one, never for another service account.",
            )
    else:
        if not same_person(account.get_username(), requester):
            return FilingRefused(
                "requester",
                f"You file as yourself ({account.get_username()}), not as "
                f"{requester!r}; only service accounts file for someone else.",
            )
        person = account
    if account.has_perm(FILE_FOR_ANY_TEAM_PERMISSION):
        return None
    if not Team.objects.filter(slug=owner, members=person).exists():
        return FilingRefused(
            "owner",
            f"{person.get_username()} is not a member of team {owner!r}: requests are "
            "filed for a team the requester belongs to.",
        )
    return None
