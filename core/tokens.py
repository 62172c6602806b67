"""API tokens for service accounts: issued once, stored hashed, scoped, expiring.

A token reads ``bw_<prefix>_<secret>``. The prefix (random, unique) finds the row; the
SHA-256 of the whole token is compared in constant time. The secret carries 256 bits of
randomness, so a fast hash is enough (no password stretching needed).
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from core import audit
from core.models import ApiToken, TokenScope

TOKEN_MARK = "bw_"
DEFAULT_LIFETIME = timedelta(days=90)
# last_used_at is written at most this often per token (no write on every API call).
LAST_USED_RESOLUTION = timedelta(minutes=1)


class InvalidToken(Exception):
    pass


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    text: str  # shown once, never stored


def token_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _check_scopes(scopes) -> list[str]:
    unknown = sorted(set(scopes) - set(TokenScope.values))
    if unknown or not scopes:
        raise ValueError(f"scopes must be a non-empty subset of {TokenScope.values}; unknown: {unknown}")
    return sorted(set(scopes))


@transaction.atomic
def issue_token(user, name: str, scopes, *, expires_at: datetime | None = None,
                token: ApiToken | None = None, issued_by=None,
                backstage_caller: bool | None = None) -> IssuedToken:
    """Create (or fill in the unsaved ``token`` from the admin) and return the text once; audited."""
    prefix = secrets.token_hex(6)
    text = f"{TOKEN_MARK}{prefix}_{secrets.token_urlsafe(32)}"
    token = token or ApiToken(user=user, name=name)
    token.scopes = _check_scopes(scopes)
    token.expires_at = expires_at or token.expires_at or timezone.now() + DEFAULT_LIFETIME
    if backstage_caller is not None:
        token.backstage_caller = backstage_caller
    token.prefix = prefix
    token.secret_hash = token_hash(text)
    token.save()
    audit.record("token.issued", actor=issued_by, detail=_token_detail(token))
    return IssuedToken(token, text)


@transaction.atomic
def set_revoked(token: ApiToken, revoked: bool, *, actor) -> None:
    """Revoke (or reinstate) a token; audited, since a credential's life is a governance fact."""
    token.revoked = revoked
    token.save(update_fields=["revoked"])
    audit.record("token.revoked" if revoked else "token.reinstated", actor=actor, detail=_token_detail(token))


def _token_detail(token: ApiToken) -> dict:
    return {"token": token.name, "prefix": token.prefix, "account": token.user.get_username(),
            "scopes": token.scopes, "expires_at": token.expires_at.isoformat(),
            "backstage_caller": token.backstage_caller}


def authenticate_token(text: str) -> ApiToken:
    """The live token for ``text``; raises :class:`InvalidToken` with a reason safe to show."""
    prefix = _prefix_of(text)
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.secret_hash, token_hash(text)):
        raise InvalidToken("Invalid API token.")
    if token.revoked:
        raise InvalidToken("This API token was revoked.")
    now = timezone.now()
    if token.expires_at <= now:
        raise InvalidToken("This API token has expired.")
    if not token.user.is_active:
        raise InvalidToken("The service account of this token is disabled.")
    _touch(token, now)
    return token


def _prefix_of(text: str) -> str:
    if not text.startswith(TOKEN_MARK):
        raise InvalidToken("Invalid API token.")
    prefix, _, secret = text[len(TOKEN_MARK):].partition("_")
    if not prefix or not secret:
        raise InvalidToken("Invalid API token.")
    return prefix


def _touch(token: ApiToken, now: datetime) -> None:
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
