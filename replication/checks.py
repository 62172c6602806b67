"""Startup checks of the replication settings."""

from django.conf import settings
from django.core.checks import Error, register

from replication.dev_certificates import local_certificates_problem


@register()
def local_certificates_only_in_development(app_configs, **kwargs):
    if not settings.SNS_CERTIFICATES_FROM_LOCAL_AWS:
        return []
    problem = local_certificates_problem(settings.DEBUG, settings.AWS_ENDPOINT_URL)
    if problem is None:
        return []
    return [
        Error(
            f"SNS_CERTIFICATES_FROM_LOCAL_AWS is on, but {problem}: SNS signing certificates would come from "
            "somewhere other than AWS.",
            hint="It is for `make run` only; unset it (production reads certificates from AWS).",
            id="replication.E001",
        )
    ]


@register()
def replica_region_differs(app_configs, **kwargs):
    if settings.REPLICATION_REPLICA_REGION != settings.AWS_REGION:
        return []
    return [
        Error(
            "REPLICATION_REPLICA_REGION equals AWS_REGION: replication must cross regions.",
            hint="Set REPLICATION_REPLICA_REGION to another region.",
            id="replication.E002",
        )
    ]


@register()
def retention_outlasts_the_age_bound(app_configs, **kwargs):
    days, max_age = settings.SNS_MESSAGE_RETENTION_DAYS, settings.SNS_MAX_MESSAGE_AGE_SECONDS
    if days == 0 or (days > 0 and days * 86400 > max_age):
        return []
    return [
        Error(
            f"SNS_MESSAGE_RETENTION_DAYS is {days}: it must be 0 (keep every message) or longer than "
            f"SNS_MAX_MESSAGE_AGE_SECONDS ({max_age} seconds), or a redelivery of a deleted message would be "
            "accepted again.",
            hint="Set SNS_MESSAGE_RETENTION_DAYS to 0 or to more days than the age bound.",
            id="replication.E003",
        )
    ]
