"""A stand-in Backstage identity provider for tests: real ES256 keys, tokens shaped as Backstage issues
them, and a real HTTP server on loopback publishing the keys where Backstage publishes them.

Token shapes follow @backstage/plugin-auth-backend's issueUserToken (user token with a ``uip`` proof) and
@backstage/backend-defaults' PluginTokenHandler (a plugin token whose ``obo`` is the limited user token).
"""

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from core.backstage_identity import (
    LIMITED_USER_TOKEN_TYPE,
    PLUGIN_TOKEN_TYPE,
    SCAFFOLDER_PLUGIN_ID,
    SCAFFOLDER_TOKEN_AUDIENCE,
    USER_TOKEN_AUDIENCE,
    USER_TOKEN_TYPE,
)

AUTH_JWKS_PATH = "/api/auth/.well-known/jwks.json"
SCAFFOLDER_JWKS_PATH = "/api/scaffolder/.backstage/auth/v1/jwks.json"


class SigningKey:
    def __init__(self, kid: str):
        self.kid = kid
        self.private = ec.generate_private_key(ec.SECP256R1())

    def public_jwk(self) -> dict:
        jwk = json.loads(ECAlgorithm.to_jwk(self.private.public_key()))
        return {**jwk, "kid": self.kid, "alg": "ES256", "use": "sig"}

    def public_pem(self) -> bytes:
        from cryptography.hazmat.primitives import serialization

        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def sign(self, claims: dict, typ: str, *, alg: str = "ES256", kid: str | None = None) -> str:
        return jwt.encode(claims, self.private, algorithm=alg, headers={"typ": typ, "kid": kid or self.kid})


class FakeBackstage:
    """Publishes the auth plugin's and the scaffolder's keys over HTTP on 127.0.0.1 and issues tokens."""

    def __init__(self):
        self.auth_key = SigningKey("auth-key-1")
        self.scaffolder_key = SigningKey("scaffolder-key-1")
        self.published = {AUTH_JWKS_PATH: [self.auth_key], SCAFFOLDER_JWKS_PATH: [self.scaffolder_key]}
        self.hits: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def issuer(self) -> str:
        return f"{self.base_url}/api/auth"

    def _handler(self):
        backstage = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # http.server's name
                backstage.hits.append(self.path)
                keys = backstage.published.get(self.path)
                if keys is None:
                    self.send_error(404)
                    return
                body = json.dumps({"keys": [key.public_jwk() for key in keys]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        return Handler

    def start(self) -> "FakeBackstage":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- tokens, as Backstage shapes them -------------------------------------------------------

    def user_token(
        self,
        sub: str = "user:default/rita",
        *,
        lifetime: int = 3600,
        iat: int | None = None,
        key: SigningKey | None = None,
        **overrides,
    ) -> str:
        """A user token as the auth plugin issues it at sign-in (issueUserToken)."""
        key = key or self.auth_key
        iat = int(time.time()) if iat is None else iat
        exp = iat + lifetime
        limited = self.limited_user_token(sub, iat=iat, exp=exp, key=key)
        claims = {
            "iss": self.issuer,
            "sub": sub,
            "ent": [sub, "group:default/app-team"],
            "aud": USER_TOKEN_AUDIENCE,
            "iat": iat,
            "exp": exp,
            "uip": limited.rsplit(".", 1)[1],
            **overrides,
        }
        return key.sign({name: value for name, value in claims.items() if value is not None}, USER_TOKEN_TYPE)

    def limited_user_token(self, sub: str, *, iat: int, exp: int, key: SigningKey | None = None) -> str:
        return (key or self.auth_key).sign({"sub": sub, "iat": iat, "exp": exp}, LIMITED_USER_TOKEN_TYPE)

    def retry_token(
        self,
        sub: str = "user:default/rita",
        *,
        plugin: str = SCAFFOLDER_PLUGIN_ID,
        audience: str = SCAFFOLDER_TOKEN_AUDIENCE,
        obo: str | None = None,
        lifetime: int = 3600,
    ) -> str:
        """What a retried task carries: the scaffolder's token on behalf of the user (PluginTokenHandler)."""
        iat = int(time.time())
        obo = obo if obo is not None else self.limited_user_token(sub, iat=iat, exp=iat + lifetime)
        claims = {"sub": plugin, "aud": audience, "iat": iat, "exp": iat + lifetime, "obo": obo}
        return self.scaffolder_key.sign(claims, PLUGIN_TOKEN_TYPE)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned_token(claims: dict, typ: str = USER_TOKEN_TYPE) -> str:
    """``alg: none``: a token with no signature at all."""
    header = {"typ": typ, "alg": "none", "kid": "auth-key-1"}
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}."


def tampered(token: str, **changes) -> str:
    """The token with claims changed after signing (the signature no longer matches)."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return f"{header}.{b64(json.dumps({**claims, **changes}).encode())}.{signature}"


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def hmac_signed(claims: dict, secret: bytes, typ: str = USER_TOKEN_TYPE) -> str:
    """HS256 "signed" with ``secret`` (e.g. the published public key), built by hand: PyJWT itself
    refuses to use a public key as an HMAC secret."""
    import hashlib
    import hmac

    header = {"typ": typ, "alg": "HS256", "kid": "auth-key-1"}
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"
