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
