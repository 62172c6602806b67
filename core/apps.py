from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    """The platform core: identity, roles, teams, API tokens, API authentication and permissions,
    and the audit recorder. Every feature app (requests, runner, replication) uses it; it imports
    none of them."""

    name = "core"
    verbose_name = "Platform core"

    def ready(self):
        from core.schedules import sync_checkpoint_schedules

        post_migrate.connect(sync_checkpoint_schedules, sender=self, dispatch_uid="core-checkpoint-schedules")
