"""API tokens for service accounts: issued once, stored hashed, scoped, expiring.

Who may issue: staff (with ``core.add_apitoken``) for service accounts only; a token for a
staff or superuser account only by a superuser. Lifetime: 90 days unless chosen, at most
``API_TOKEN_MAX_DAYS`` (docs/decisions/portal-api-tokens.md).

A token reads ``bw_<prefix>_<secret>``. The prefix (random, unique) finds the row; the
SHA-256 of the whole token is compared in constant time. The secret carries 256 bits of
randomness, so a fast hash is enough (no password stretching needed).
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core import audit
from core.identity import SERVICE_ACCOUNT_LOADED, is_service_account
from core.models import ApiToken, TokenScope

TOKEN_MARK = "bw_"
DEFAULT_LIFETIME = timedelta(days=90)
# last_used_at is written at most this often per token (no write on every API call).
LAST_USED_RESOLUTION = timedelta(minutes=1)


ISSUE_PERMISSION = "core.add_apitoken"


class InvalidToken(Exception):
    pass


class TokenRefused(Exception):
    """Issuing (or reinstating) this token breaks a rule; ``field`` names the form field at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


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


def max_lifetime() -> timedelta:
    return timedelta(days=settings.API_TOKEN_MAX_DAYS)


def default_expiry(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) + min(DEFAULT_LIFETIME, max_lifetime())


def account_refusal(issuer, account) -> TokenRefused | None:
    """Why ``issuer`` may not give ``account`` a (new or reinstated) token; None when they may."""
    if not issuer.has_perm(ISSUE_PERMISSION):
        return TokenRefused("user", "Issuing API tokens needs the core.add_apitoken permission.")
    if issuer.is_superuser:
        return None
    if account.is_staff or account.is_superuser:
        return TokenRefused(
            "user",
            f"{account.get_username()} is a staff or superuser account: only a superuser issues its tokens.",
        )
    if not is_service_account(account):
        return TokenRefused(
            "user",
            f"{account.get_username()} is not a service account: staff issue tokens "
            "only for service accounts (a superuser marks them).",
        )
    return None


def expiry_refusal(
    expires_at: datetime, now: datetime | None = None, *, allow_past: bool = False
) -> TokenRefused | None:
    now = now or timezone.now()
    if expires_at <= now and not allow_past:
        return TokenRefused("expires_at", "The expiry must be in the future.")
    if expires_at > now + max_lifetime():
        return TokenRefused(
            "expires_at",
            f"A token lives at most {settings.API_TOKEN_MAX_DAYS} days "
            f"(until {(now + max_lifetime()):%Y-%m-%d %H:%M} UTC).",
        )
    return None


@transaction.atomic
def issue_token(
    user,
    name: str,
    scopes,
    *,
    expires_at: datetime | None = None,
    token: ApiToken | None = None,
    issued_by=None,
) -> IssuedToken:
    """Create (or fill in the unsaved ``token`` from the admin) and return the text once; audited.

    A person issuing (``issued_by``) is held to the account and lifetime rules; code issuing
    without one (commands, tests) only to the maximum lifetime.
    """
    now = timezone.now()
    expires_at = expires_at or (token.expires_at if token else None) or default_expiry(now)
    refusal = expiry_refusal(expires_at, now, allow_past=issued_by is None)
    if issued_by is not None:
        refusal = account_refusal(issued_by, user) or refusal
    if refusal is not None:
        raise refusal
    prefix = secrets.token_hex(6)
    text = f"{TOKEN_MARK}{prefix}_{secrets.token_urlsafe(32)}"
    token = token or ApiToken(user=user, name=name)
    token.scopes = _check_scopes(scopes)
    token.expires_at = expires_at
    token.prefix = prefix
    token.secret_hash = token_hash(text)
    token.save()
    audit.record("token.issued", actor=issued_by, detail=_token_detail(token))
    return IssuedToken(token, text)


@transaction.atomic
def set_revoked(token: ApiToken, revoked: bool, *, actor) -> None:
    """Revoke (or reinstate) a token; audited, since a credential's life is a governance fact.
    Reinstating gives the account a working token again, so it follows the issuing rules."""
    if not revoked and (refusal := account_refusal(actor, token.user)) is not None:
        raise refusal
    token.revoked = revoked
    token.save(update_fields=["revoked"])
    audit.record("token.revoked" if revoked else "token.reinstated", actor=actor, detail=_token_detail(token))


def _token_detail(token: ApiToken) -> dict:
    return {
        "token": token.name,
        "prefix": token.prefix,
        "account": token.user.get_username(),
        "scopes": token.scopes,
        "expires_at": token.expires_at.isoformat(),
    }


def authenticate_token(text: str) -> ApiToken:
    """The live token for ``text``; raises :class:`InvalidToken` with a reason safe to show."""
    prefix = _prefix_of(text)
    # The account's ServiceAccount row comes with it: the request's filing checks read it (core.identity).
    token = ApiToken.objects.select_related("user", "user__service_account").filter(prefix=prefix).first()
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
    setattr(token.user, SERVICE_ACCOUNT_LOADED, True)
    return token


def _prefix_of(text: str) -> str:
    if not text.startswith(TOKEN_MARK):
        raise InvalidToken("Invalid API token.")
    prefix, _, secret = text[len(TOKEN_MARK) :].partition("_")
    if not prefix or not secret:
        raise InvalidToken("Invalid API token.")
    return prefix


def _touch(token: ApiToken, now: datetime) -> None:
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
