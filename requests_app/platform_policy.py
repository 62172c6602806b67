"""Adapter from Django settings and data to the contract package's explicit inputs."""

from django.conf import settings

from requests_app.contract import PlatformPolicy


def current_policy() -> PlatformPolicy:
    """The `PlatformPolicy` described by the settings (BUCKET_PREFIX, APPROVALS_REQUIRED, AWS_REGION, ...)."""
    return PlatformPolicy(
        prefix=settings.BUCKET_PREFIX,
        approvals_required=dict(settings.APPROVALS_REQUIRED),
        region=settings.AWS_REGION,
        state_bucket=getattr(settings, "TERRAFORM_STATE_BUCKET", "") or None,
        state_region=getattr(settings, "TERRAFORM_STATE_REGION", "") or None,
    )


def known_teams() -> list[str]:
    """Slugs of the teams the platform team registered (the `Team` table)."""
    from core.models import Team

    return list(Team.objects.values_list("slug", flat=True))
