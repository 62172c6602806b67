"""Whom a Backstage caller files for: the person its user's Backstage token proves, no one else.

A service account marked as a *Backstage caller* (``ServiceAccount.backstage_caller``) is the account
whose token the Backstage proxy carries, on behalf of anyone signed in to Backstage. What it submits
must carry that person's Backstage token (``core.backstage_identity``); the token's subject
``user:<namespace>/<name>`` maps to the active portal person (never a service account) named ``<name>`` as a canonical identity
(``core.filing.person_named``), and a body naming someone else is refused. The general filing rules
(``core.filing``: the person must belong to the owning team) still apply afterwards.
"""

from core.backstage_identity import BackstageUser, IdentityRefused, verify_user_token
from core.filing import person_named
from core.identity import same_person, service_account_of


def is_backstage_caller(account) -> bool:
    row = service_account_of(account)
    return row is not None and row.backstage_caller


def portal_person(backstage_user: BackstageUser):
    """The active portal account a Backstage user maps to; :class:`IdentityRefused` (403) when none does."""
    person = person_named(backstage_user.name)
    if person is None:
        raise IdentityRefused(
            f"Backstage user {backstage_user.entity_ref} has no active portal account "
            f"named {backstage_user.name!r} (a person's: service accounts are never filed for); "
            "ask the platform team.",
            status=403,
        )
    return person


def proven_requester(account, user_token: str | None, named_requester) -> str | None:
    """The requester a Backstage-caller ``account`` files for: the person its user token proves.

    ``None`` when ``account`` is not a Backstage caller (the general rules decide). Raises
    :class:`IdentityRefused` (401: the token is missing or does not verify; 403: it proves someone
    without a portal account, or the body names another requester) or ``IdentityUnavailable``.
    """
    if not is_backstage_caller(account):
        return None
    proven = portal_person(verify_user_token(user_token or "")).get_username()
    named = named_requester.strip() if isinstance(named_requester, str) else ""
    if named and not same_person(named, proven):
        raise IdentityRefused(
            f"The request names requester {named!r}, but the signed-in Backstage user is "
            f"{proven!r}: Backstage files only for the person signed in.",
            status=403,
        )
    return proven
