"""Verify an SNS HTTP(S) delivery before anything else reads it.

Plain functions over bytes and dicts (no ORM, no HTTP server): the webhook view calls
:meth:`SnsVerifier.verify` and stores only what it returns. The checks, in order (cheap
ones first, so that garbage never costs a certificate fetch or an RSA operation):

1. size, JSON object, the fields its ``Type`` needs, all strings;
2. ``SigningCertURL`` strictly validated (https, port 443, an ``sns.<region>.amazonaws.com``
   host, a ``.pem`` path, no userinfo, query or fragment): the lesson of CVE-2023-33185;
3. ``Timestamp`` not older than the bound (nor far in the future);
4. ``TopicArn`` in the allow-list (a valid signature proves AWS sent it, not that it is ours;
   checked before the signature so that other topics never cost a certificate fetch);
5. the signature: version 1 = SHA1withRSA, 2 = SHA256withRSA, PKCS#1 v1.5, over the
   ``Key\\nValue\\n`` pairs AWS documents for the message type.

The certificate is fetched through an injected ``fetch`` callable (the one seam tests
replace) only after the URL check passed, without following redirects, and cached by URL.
"""

from __future__ import annotations

import base64
import binascii
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from portal import json_input as bounded_json
from requests_app.contract.patterns import full_match

# The only hosts AWS signs from (docs/decisions/health-sns-verification.md).
AWS_CERT_HOST_PATTERN = r"^sns\.[a-zA-Z0-9-]{3,}\.amazonaws\.com(\.cn)?$"
MAX_CERTIFICATE_BYTES = 16 * 1024
FUTURE_TOLERANCE = timedelta(minutes=5)

NOTIFICATION = "Notification"
SUBSCRIPTION_CONFIRMATION = "SubscriptionConfirmation"
UNSUBSCRIBE_CONFIRMATION = "UnsubscribeConfirmation"

_SIGNED_FIELDS = {
    NOTIFICATION: ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    SUBSCRIPTION_CONFIRMATION: (
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ),
    UNSUBSCRIBE_CONFIRMATION: (
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ),
}
_OPTIONAL_FIELDS = {"Subject"}
_ENVELOPE_FIELDS = ("SignatureVersion", "Signature", "SigningCertURL")
_HASHES = {"1": hashes.SHA1, "2": hashes.SHA256}


class SnsRefusal(Exception):
    """A delivery that is not accepted: ``status`` is the HTTP answer, ``reason`` a short code."""

    def __init__(self, status: int, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.status = status
        self.reason = reason
        self.detail = detail


def malformed(reason: str, detail: str = "") -> SnsRefusal:
    return SnsRefusal(400, reason, detail)


def forbidden(reason: str, detail: str = "") -> SnsRefusal:
    return SnsRefusal(403, reason, detail)


@dataclass(frozen=True)
class VerifiedMessage:
    """An SNS message whose signature, certificate URL, age and topic were checked."""

    type: str
    message_id: str
    topic_arn: str
    timestamp: datetime
    message: str
    fields: dict

    @property
    def subject(self) -> str:
        return self.fields.get("Subject") or ""

    @property
    def token(self) -> str:
        return self.fields.get("Token", "")


def parse_envelope(body: bytes, max_bytes: int) -> dict:
    """The delivery as a dict with every field its type needs; refuses size and shape errors."""
    if len(body) > max_bytes:
        raise SnsRefusal(413, "body_too_large", f"{len(body)} bytes, limit {max_bytes}")
    try:
        envelope = bounded_json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise malformed("malformed_json", str(exc)) from exc
    if not isinstance(envelope, dict):
        raise malformed("malformed_json", "the body is not a JSON object")
    message_type = envelope.get("Type")
    if message_type not in _SIGNED_FIELDS:
        raise malformed("unknown_type", f"Type {message_type!r}")
    required = [name for name in _SIGNED_FIELDS[message_type] if name not in _OPTIONAL_FIELDS]
    missing = [name for name in (*required, *_ENVELOPE_FIELDS) if not isinstance(envelope.get(name), str)]
    if missing:
        raise malformed("missing_field", ", ".join(missing))
    # An optional field is signed only when present; ``null`` counts as absent, any other
    # non-string would break the string to sign (a 500 instead of a refusal).
    wrong = [name for name in _OPTIONAL_FIELDS if not isinstance(envelope.get(name), str | None)]
    if wrong:
        raise malformed("bad_field", ", ".join(wrong) + " is not a string")
    return envelope


def validate_certificate_url(url: str) -> None:
    """Refuse every certificate URL that is not an AWS SNS signing certificate over https.

    The host pattern is deliberately not a setting: there is no deployment in which another
    host may sign (moto, too, names ``sns.<region>.amazonaws.com``; tests replace the fetcher).
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise forbidden("certificate_url", f"unparsable URL: {exc}") from exc
    if parts.scheme != "https":
        raise forbidden("certificate_url", "not https")
    if parts.username is not None or parts.password is not None or parts.query or parts.fragment:
        raise forbidden("certificate_url", "userinfo, query or fragment present")
    if port not in (None, 443):
        raise forbidden("certificate_url", f"port {port}")
    if not full_match(AWS_CERT_HOST_PATTERN, parts.hostname or ""):
        raise forbidden("certificate_url", f"host {parts.hostname!r} is not an SNS host")
    if not parts.path.endswith(".pem") or "/../" in parts.path:
        raise forbidden("certificate_url", "path is not a .pem file")


def string_to_sign(envelope: dict) -> bytes:
    """The canonical text AWS signs: ``Name\\nvalue\\n`` for each signed field present (not null), in order."""
    lines = []
    for name in _SIGNED_FIELDS[envelope["Type"]]:
        if name in _OPTIONAL_FIELDS and envelope.get(name) is None:
            continue
        lines.extend((name, envelope[name]))
    return ("\n".join(lines) + "\n").encode("utf-8")


def verify_signature(envelope: dict, public_key: rsa.RSAPublicKey) -> None:
    hash_type = _HASHES.get(envelope["SignatureVersion"])
    if hash_type is None:
        raise forbidden("signature_version", f"unsupported SignatureVersion {envelope['SignatureVersion']!r}")
    try:
        signature = base64.b64decode(envelope["Signature"], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise forbidden("bad_signature", "Signature is not base64") from exc
    try:
        public_key.verify(signature, string_to_sign(envelope), padding.PKCS1v15(), hash_type())
    except InvalidSignature as exc:
        raise forbidden("bad_signature", "the signature does not match the message") from exc


def parse_timestamp(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise malformed("bad_timestamp", f"Timestamp {text!r}") from exc
    if moment.tzinfo is None:
        raise malformed("bad_timestamp", "Timestamp has no time zone")
    return moment


def check_age(timestamp: datetime, now: datetime, max_age: timedelta) -> None:
    if now - timestamp > max_age:
        raise forbidden("stale_timestamp", f"sent {timestamp.isoformat()}, older than {max_age}")
    if timestamp - now > FUTURE_TOLERANCE:
        raise forbidden("future_timestamp", f"sent {timestamp.isoformat()}")


class CertificateCache:
    """Public keys of signing certificates by URL, fetched once through ``fetch``.

    A URL whose fetch (or certificate) failed is remembered as failed for ``failure_seconds``:
    deliveries naming it again are refused at once, without fetching, so a forger naming an
    allowed topic cannot make the portal fetch on demand (each new URL still costs one fetch;
    the webhook's per-source refusal limit bounds those). Both maps are bounded (least recently
    used goes first) so that a stream of valid-looking URLs cannot grow memory; thread-safe
    because the web server serves deliveries in threads.
    """

    def __init__(
        self,
        fetch: Callable[[str], bytes],
        max_entries: int = 32,
        failure_seconds: float = 300,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._fetch = fetch
        self._max_entries = max_entries
        self._failure_seconds = failure_seconds
        self._clock = clock
        self._keys: OrderedDict[str, rsa.RSAPublicKey] = OrderedDict()
        self._failures: OrderedDict[str, tuple[float, SnsRefusal]] = OrderedDict()
        self._lock = threading.Lock()

    def public_key(self, url: str) -> rsa.RSAPublicKey:
        with self._lock:
            if url in self._keys:
                self._keys.move_to_end(url)
                return self._keys[url]
            failed = self._failures.get(url)
            if failed and self._clock() < failed[0]:
                refusal = failed[1]
                raise SnsRefusal(
                    refusal.status, refusal.reason, f"{refusal.detail} (remembered, not fetched again)"
                )
        try:
            key = self._load(url)
        except SnsRefusal as refusal:
            with self._lock:
                self._remember(self._failures, url, (self._clock() + self._failure_seconds, refusal))
            raise
        with self._lock:
            self._failures.pop(url, None)
            self._remember(self._keys, url, key)
        return key

    def _remember(self, entries: OrderedDict, url: str, value) -> None:
        entries[url] = value
        entries.move_to_end(url)
        while len(entries) > self._max_entries:
            entries.popitem(last=False)

    def _load(self, url: str) -> rsa.RSAPublicKey:
        try:
            pem = self._fetch(url)
        except CertificateFetchError as exc:
            raise forbidden("certificate_fetch", str(exc)) from exc
        try:
            key = x509.load_pem_x509_certificate(pem).public_key()
        except ValueError as exc:
            raise forbidden("certificate_invalid", "not a PEM certificate") from exc
        if not isinstance(key, rsa.RSAPublicKey):
            raise forbidden("certificate_invalid", "not an RSA certificate")
        return key


class CertificateFetchError(Exception):
    """The certificate could not be fetched (network, status, redirect, size)."""


def fetch_certificate_over_https(url: str, timeout: float = 5.0) -> bytes:
    """The production fetcher: one GET, TLS verified, redirects refused, size bounded."""
    import requests

    try:
        with requests.get(url, timeout=timeout, allow_redirects=False, stream=True) as response:
            if response.status_code != 200:
                raise CertificateFetchError(f"HTTP {response.status_code} (redirects are not followed)")
            body = response.raw.read(MAX_CERTIFICATE_BYTES + 1, decode_content=True)
    except requests.RequestException as exc:
        raise CertificateFetchError(f"fetch failed: {exc}") from exc
    if len(body) > MAX_CERTIFICATE_BYTES:
        raise CertificateFetchError("certificate larger than expected")
    return body


@dataclass
class SnsVerifier:
    """Everything one delivery is checked against; built from settings by the webhook."""

    allowed_topic_arns: frozenset[str]
    max_body_bytes: int
    max_age: timedelta
    certificates: CertificateCache

    def verify(self, body: bytes, now: datetime | None = None) -> VerifiedMessage:
        envelope = parse_envelope(body, self.max_body_bytes)
        validate_certificate_url(envelope["SigningCertURL"])
        timestamp = parse_timestamp(envelope["Timestamp"])
        check_age(timestamp, now or datetime.now(UTC), self.max_age)
        if envelope["TopicArn"] not in self.allowed_topic_arns:
            raise forbidden("topic_not_allowed", envelope["TopicArn"])
        verify_signature(envelope, self.certificates.public_key(envelope["SigningCertURL"]))
        return VerifiedMessage(
            type=envelope["Type"],
            message_id=envelope["MessageId"],
            topic_arn=envelope["TopicArn"],
            timestamp=timestamp,
            message=envelope["Message"],
            fields=envelope,
        )
