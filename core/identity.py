"""Who a caller is: people and service accounts, and canonical user names.

A person's identity is their user name, compared case-folded: "Carol", "carol" and
"carol\\n" (the contract's patterns refuse the last one at the door) are one person, so
"no self-approval" and "one person, one vote" hold whatever spelling a request or an
account uses. Every credential of a person (the session, each token) acts as their account.
"""

import hashlib
import unicodedata

from core.models import ServiceAccount

# Set by token authentication (core.tokens) on the user it loaded together with its ServiceAccount row
# (select_related), for the request it authenticates: that row is then not asked for again.
SERVICE_ACCOUNT_LOADED = "_bucketwise_service_account_loaded"


def service_account_of(user) -> ServiceAccount | None:
    """The account's ServiceAccount row (None: a person, or not signed in)."""
    if not (user and user.is_authenticated):
        return None
    if getattr(user, SERVICE_ACCOUNT_LOADED, False):
        try:
            return user.service_account  # loaded with the user, None cached when there is none
        except ServiceAccount.DoesNotExist:
            return None
    return ServiceAccount.objects.filter(user_id=user.pk).first()


def is_service_account(user) -> bool:
    """The account is marked as a service account (by a superuser, in the admin)."""
    return service_account_of(user) is not None


def canonical_username(name: str) -> str:
    """The form a requester name is stored in: ASCII names lower-cased. Other text is returned as it
    is, for the contract's ASCII pattern to refuse (case-folding first could turn a look-alike
    such as the Kelvin sign into an ASCII letter)."""
    return name.lower() if name.isascii() else name


def identity_key(name: str) -> str:
    """The key two spellings of one person share: compatibility-normalised, stripped and case-folded, so
    a look-alike or a trailing newline names the same person. Never shown as a name."""
    return unicodedata.normalize("NFKC", name).strip().casefold()


def identity_digest(name: str) -> str:
    """SHA-256 (hex) of the identity key: what rows keep beside a name to compare people in SQL
    (``BucketRequest.requester_key``, ``Approval.approver_key``). A digest, because the key can be many
    times longer than the name (NFKC turns one character into up to 18) and must fit a column and an
    index on every database. A change to :func:`identity_key` needs a migration that recomputes them."""
    return hashlib.sha256(identity_key(name).encode()).hexdigest()


def same_person(name: str, other: str) -> bool:
    return identity_key(name) == identity_key(other)
