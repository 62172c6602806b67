from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The platform core: identity, roles, teams, API tokens, API authentication and permissions,
    and the audit recorder. Every feature app (requests, runner, replication) uses it; it imports
    none of them."""

    name = "core"
    verbose_name = "Platform core"
