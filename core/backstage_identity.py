"""Who is really filing from Backstage: the signed-in user's Backstage token, verified.

The Backstage template sends the user's token (the scaffolder's ``secrets.backstageToken``) in the
``Backstage-User-Token`` header; the proxy's portal token only proves *Backstage* is calling. This
module verifies that user token against the Backstage instance's published keys (JWKS, fetched from
``BACKSTAGE_BASE_URL`` and cached by PyJWT's ``PyJWKClient``) and names the Backstage user it proves;
``core.backstage_filing`` maps that user to a portal person. No ORM here (settings import this module).

Two token shapes are accepted, both as Backstage issues them (see docs/decisions/backstage-identity.md):

- a **user token** (header ``typ: vnd.backstage.user``), issued by the auth plugin when a person signs
  in: ``iss`` = ``<BACKSTAGE_BASE_URL>/api/auth``, ``aud`` = ``backstage``, ``sub`` = ``user:<ns>/<name>``,
  ``exp``. A new task carries this one.
- a **scaffolder token on behalf of the user** (``typ: vnd.backstage.plugin``, ``sub: scaffolder``),
  which a *retried* task carries instead: signed with the scaffolder plugin's own key, its ``obo`` claim
  is the user's *limited* token (``typ: vnd.backstage.limited-user``, ``sub``/``iat``/``exp`` only)
  signed with the auth plugin's key. Both signatures are checked.

Only asymmetric algorithms from ``BACKSTAGE_TOKEN_ALGORITHMS`` (default ES256, what Backstage issues)
are accepted: ``alg: none`` and HMAC (e.g. HS256 "signed" with the public key) never verify.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import jwt
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

USER_TOKEN_HEADER = "Backstage-User-Token"
USER_TOKEN_TYPE = "vnd.backstage.user"
LIMITED_USER_TOKEN_TYPE = "vnd.backstage.limited-user"
PLUGIN_TOKEN_TYPE = "vnd.backstage.plugin"
USER_TOKEN_AUDIENCE = "backstage"
# A retried task's token: the scaffolder plugin calling on behalf of the user (targetPluginId "catalog").
SCAFFOLDER_PLUGIN_ID = "scaffolder"
SCAFFOLDER_TOKEN_AUDIENCE = "catalog"
# Only public-key signatures: a token verified with a key anyone can download must not be forgeable.
ASYMMETRIC_ALGORITHMS = frozenset(
    {"ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "EdDSA"}
)
# Clock skew tolerated between Backstage and the portal on exp/iat.
LEEWAY_SECONDS = 30
MAX_TOKEN_LENGTH = 32768  # Backstage refuses to issue longer user tokens


class IdentityRefused(Exception):
    """The Backstage user is not proven (401) or may not file this way (403); ``detail`` says why."""

    def __init__(self, detail: str, status: int = 401):
        super().__init__(detail)
        self.detail = detail
        self.status = status


class IdentityUnavailable(Exception):
    """The portal could not check the token (Backstage's keys unreachable): try again later."""


@dataclass(frozen=True)
class BackstageUser:
    """A Backstage user proven by a verified token."""

    entity_ref: str  # as in the token: user:default/rita
    name: str  # the entity name: rita


def auth_base_url() -> str:
    return f"{settings.BACKSTAGE_BASE_URL.rstrip('/')}/api/auth"


def auth_jwks_url() -> str:
    return f"{auth_base_url()}/.well-known/jwks.json"


def scaffolder_jwks_url() -> str:
    base = settings.BACKSTAGE_BASE_URL.rstrip("/")
    return f"{base}/api/{SCAFFOLDER_PLUGIN_ID}/.backstage/auth/v1/jwks.json"


def checked_algorithms(names) -> list[str]:
    """The configured algorithm allow-list; anything symmetric or unknown is a configuration error."""
    names = [name.strip() for name in names if name.strip()]
    unsafe = sorted(set(names) - ASYMMETRIC_ALGORITHMS)
    if unsafe or not names:
        raise ImproperlyConfigured(
            f"BACKSTAGE_TOKEN_ALGORITHMS must be public-key algorithms from "
            f"{sorted(ASYMMETRIC_ALGORITHMS)}; refused: {unsafe or 'an empty list'}"
        )
    return names


_clients: dict[str, jwt.PyJWKClient] = {}
_clients_lock = threading.Lock()


def _jwks_client(url: str) -> jwt.PyJWKClient:
    """One key client per JWKS address and process: keys are fetched once per cache period, and a
    token with an unknown key ID makes one refetch (Backstage rotates its keys)."""
    with _clients_lock:
        client = _clients.get(url)
        if client is None:
            client = jwt.PyJWKClient(
                url,
                cache_jwk_set=True,
                lifespan=settings.BACKSTAGE_JWKS_CACHE_SECONDS,
                timeout=settings.BACKSTAGE_JWKS_TIMEOUT_SECONDS,
            )
            _clients[url] = client
        return client


def forget_cached_keys() -> None:
    """Drop every cached key set (tests, and a changed BACKSTAGE_BASE_URL)."""
    with _clients_lock:
        _clients.clear()


def verify_user_token(token: str) -> BackstageUser:
    """The Backstage user ``token`` proves; raises :class:`IdentityRefused` or
    :class:`IdentityUnavailable`."""
    if not settings.BACKSTAGE_BASE_URL:
        raise IdentityRefused(
            "This portal does not verify Backstage users: BACKSTAGE_BASE_URL is not set. "
            "Ask the platform team.",
            status=403,
        )
    token = (token or "").strip()
    if not token:
        raise IdentityRefused(
            f"The signed-in Backstage user's token is missing (the {USER_TOKEN_HEADER} "
            "header); the template must send ${{ secrets.backstageToken }}."
        )
    if len(token) > MAX_TOKEN_LENGTH:
        raise IdentityRefused("The Backstage user token is too long.")
    token_type = _unverified_type(token)
    if token_type == USER_TOKEN_TYPE:
        claims = _verified_claims(
            token,
            auth_jwks_url(),
            USER_TOKEN_TYPE,
            audience=USER_TOKEN_AUDIENCE,
            issuer=auth_base_url(),
            required=["exp", "iat", "sub", "iss", "aud"],
        )
    elif token_type == PLUGIN_TOKEN_TYPE:
        claims = _on_behalf_of_claims(token)
    else:
        raise IdentityRefused(
            f"The Backstage user token is not a Backstage user token (type {token_type or 'missing'})."
        )
    return BackstageUser(entity_ref=claims["sub"], name=_user_name(claims["sub"]))


def _unverified_type(token: str) -> str:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise IdentityRefused(f"The Backstage user token is not a JWT: {exc}.") from exc
    return str(header.get("typ") or "")


def _verified_claims(
    token: str,
    jwks_url: str,
    token_type: str,
    *,
    required: list[str],
    audience: str | None = None,
    issuer: str | None = None,
) -> dict:
    """The claims of ``token`` once its signature (key from ``jwks_url``), type and claims check out."""
    algorithms = settings.BACKSTAGE_TOKEN_ALGORITHMS
    try:
        header = jwt.get_unverified_header(token)
        if header.get("alg") not in algorithms:
            # Checked before any key is looked up: alg none, HS256 and the like never reach a key.
            raise IdentityRefused(
                f"The Backstage token's algorithm {header.get('alg')!r} is not accepted "
                f"(accepted: {', '.join(algorithms)})."
            )
        key = _jwks_client(jwks_url).get_signing_key_from_jwt(token)
        verified = jwt.decode_complete(
            token,
            key,
            algorithms=algorithms,
            audience=audience,
            issuer=issuer,
            leeway=LEEWAY_SECONDS,
            options={
                "require": required,
                "verify_aud": audience is not None,
                "verify_iss": issuer is not None,
            },
        )
    except jwt.PyJWKClientConnectionError as exc:
        raise IdentityUnavailable(
            f"Backstage's signing keys could not be fetched from {jwks_url}: {exc}"
        ) from exc
    except jwt.ExpiredSignatureError as exc:
        raise IdentityRefused(
            "The Backstage user token has expired; sign in to Backstage again and run the template again."
        ) from exc
    except jwt.InvalidAudienceError as exc:
        raise IdentityRefused("The Backstage user token is meant for another audience.") from exc
    except jwt.InvalidIssuerError as exc:
        raise IdentityRefused(f"The Backstage user token was not issued by {issuer}.") from exc
    except jwt.PyJWKClientError as exc:
        raise IdentityRefused(
            f"The Backstage user token is not signed by a key Backstage publishes: {exc}"
        ) from exc
    except jwt.PyJWTError as exc:
        raise IdentityRefused(f"The Backstage user token is invalid: {exc}.") from exc
    if verified["header"].get("typ") != token_type:
        raise IdentityRefused(f"The Backstage token is not of type {token_type}.")
    return verified["payload"]


def _on_behalf_of_claims(token: str) -> dict:
    """A retried task's token: the scaffolder's own token whose ``obo`` is the user's limited token."""
    plugin = _verified_claims(
        token,
        scaffolder_jwks_url(),
        PLUGIN_TOKEN_TYPE,
        audience=SCAFFOLDER_TOKEN_AUDIENCE,
        required=["exp", "iat", "sub", "aud"],
    )
    if plugin["sub"] != SCAFFOLDER_PLUGIN_ID:
        raise IdentityRefused(
            f"Only the scaffolder may act on behalf of a Backstage user here, not {plugin['sub']!r}."
        )
    limited = plugin.get("obo")
    if not isinstance(limited, str) or not limited:
        raise IdentityRefused("The scaffolder token does not act on behalf of a user.")
    return _verified_claims(limited, auth_jwks_url(), LIMITED_USER_TOKEN_TYPE, required=["exp", "iat", "sub"])


def _user_name(entity_ref: str) -> str:
    """``user:<namespace>/<name>`` -> ``name``; only User entities of BACKSTAGE_USER_NAMESPACE map."""
    kind, _, rest = str(entity_ref).partition(":")
    namespace, _, name = rest.partition("/")
    if kind.lower() != "user" or not name or "/" in name:
        raise IdentityRefused(f"The Backstage token's subject {entity_ref!r} is not a user.", status=403)
    if namespace.lower() != settings.BACKSTAGE_USER_NAMESPACE.lower():
        raise IdentityRefused(
            f"Backstage user {entity_ref!r} is outside the namespace the portal maps "
            f"({settings.BACKSTAGE_USER_NAMESPACE!r}).",
            status=403,
        )
    return name
