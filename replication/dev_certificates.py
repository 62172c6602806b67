"""Where SNS signing certificates come from: AWS, or (development only) the local AWS.

moto signs its SNS deliveries with a certificate it generates and serves itself, under the same
``https://sns.<region>.amazonaws.com/…pem`` URL AWS uses (so the strict URL check still runs
first, unchanged). With ``SNS_CERTIFICATES_FROM_LOCAL_AWS`` the fetcher asks the local endpoint
for that path instead. It is refused, at startup by a system check and again on every fetch,
unless ``DEBUG`` is on and ``AWS_ENDPOINT_URL`` is a loopback address: a production portal never
trusts a certificate that AWS did not serve (docs/decisions/replication-local-pipeline.md).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings

from replication.sns import MAX_CERTIFICATE_BYTES, CertificateFetchError, fetch_certificate_over_https

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def local_certificates_problem(debug: bool, endpoint: str) -> str | None:
    """Why certificates may not come from ``endpoint``; None when they may (development, loopback)."""
    if not debug:
        return "DEBUG is off"
    try:
        host = urlsplit(endpoint).hostname
    except ValueError:
        host = None
    if host not in LOOPBACK_HOSTS:
        return f"AWS_ENDPOINT_URL {endpoint!r} is not a loopback address"
    return None


def fetch_from_local_aws(url: str, endpoint: str, timeout: float = 5.0) -> bytes:
    """GET the certificate's path from the local AWS (moto serves it only to an SNS-region request)."""
    import requests

    parts = urlsplit(url)
    region = (parts.hostname or "").split(".")[1]
    # moto routes by the Authorization header's credential scope; nothing is signed.
    routing = {"Authorization": f"AWS4-HMAC-SHA256 Credential=local/20260101/{region}/sns/aws4_request"}
    try:
        with requests.get(
            endpoint.rstrip("/") + parts.path,
            headers=routing,
            timeout=timeout,
            allow_redirects=False,
            stream=True,
        ) as response:
            if response.status_code != 200:
                raise CertificateFetchError(f"local AWS answered {response.status_code}")
            body = response.raw.read(MAX_CERTIFICATE_BYTES + 1, decode_content=True)
    except requests.RequestException as exc:
        raise CertificateFetchError(f"local AWS fetch failed: {exc}") from exc
    if len(body) > MAX_CERTIFICATE_BYTES:
        raise CertificateFetchError("certificate larger than expected")
    return body


def fetch_certificate(url: str) -> bytes:
    """The webhook's fetcher: AWS over HTTPS, unless development reads the local AWS (checked per call)."""
    if not settings.SNS_CERTIFICATES_FROM_LOCAL_AWS:
        return fetch_certificate_over_https(url)
    problem = local_certificates_problem(settings.DEBUG, settings.AWS_ENDPOINT_URL)
    if problem:
        raise CertificateFetchError(f"SNS_CERTIFICATES_FROM_LOCAL_AWS refused: {problem}")
    return fetch_from_local_aws(url, settings.AWS_ENDPOINT_URL)
