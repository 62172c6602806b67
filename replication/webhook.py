"""``POST /hooks/sns/replication/``: verify, then store; every refusal logged and counted.

A Notification is stored and answered at once; a worker builds its events and incidents
(``replication.processing``). Answers: 200 accepted, duplicate, confirmed or unsubscribed, 400 malformed (or signed but not understood), 403 bad
signature, certificate, age or topic, 413 too large, 502 when AWS refused a confirmation.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core.client_address import client_address
from replication import aws, refusal_limit
from replication.dev_certificates import fetch_certificate
from replication.ingest import count_refusal, ingest
from replication.sns import CertificateCache, SnsRefusal, SnsVerifier

logger = logging.getLogger(__name__)

# Process-wide, so a certificate is fetched once per URL (and a failed URL not again for a while).
# Tests replace this object (its fetcher) with one serving their own certificate; nothing else is
# ever swapped.
CERTIFICATES = CertificateCache(
    fetch_certificate, failure_seconds=settings.SNS_CERTIFICATE_FAILURE_CACHE_SECONDS
)


def verifier() -> SnsVerifier:
    return SnsVerifier(
        allowed_topic_arns=frozenset(settings.SNS_ALLOWED_TOPIC_ARNS),
        max_body_bytes=settings.SNS_MAX_BODY_BYTES,
        max_age=timedelta(seconds=settings.SNS_MAX_MESSAGE_AGE_SECONDS),
        certificates=CERTIFICATES,
    )


@csrf_exempt
@require_POST
def sns_replication_hook(request):
    if refusal_limit.is_limited(_source(request)):
        # Not counted again, so the limit ends with its window.
        logger.warning(
            "SNS delivery refused",
            extra={"reason": "rate_limited", "status": 429, "remote_addr": _source(request)},
        )
        return JsonResponse(
            {"status": "refused", "reason": "rate_limited"},
            status=429,
            headers={"Retry-After": str(settings.SNS_REFUSAL_WINDOW_SECONDS)},
        )
    body = request.read(settings.SNS_MAX_BODY_BYTES + 1)
    try:
        message = verifier().verify(body)
        result = ingest(message, confirm_subscription=aws.confirm_subscription)
    except SnsRefusal as refusal:
        return refuse(request, refusal.status, refusal.reason, refusal.detail)
    except aws.ConfirmationFailed as exc:
        return refuse(request, 502, "confirmation_failed", str(exc))
    if not result.accepted:
        return refuse(request, 400, "unreadable_message", result.detail, message_id=message.message_id)
    logger.info("SNS delivery accepted", extra={"message_id": message.message_id, "outcome": result.outcome})
    return JsonResponse({"status": result.outcome})


def _source(request) -> str:
    return client_address(request) or "unknown"


def refuse(request, status: int, reason: str, detail: str, **extra) -> JsonResponse:
    count_refusal(reason)
    refusal_limit.count(_source(request))
    logger.warning(
        "SNS delivery refused",
        extra={
            "reason": reason,
            "detail": detail[:500],
            "status": status,
            "client_address": _source(request),
            **extra,
        },
    )
    return JsonResponse({"status": "refused", "reason": reason}, status=status)
