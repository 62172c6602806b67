from django.apps import AppConfig


class ReplicationConfig(AppConfig):
    name = "replication"
    verbose_name = "Replication health"

    def ready(self):
        from django.db.models.signals import post_migrate

        from replication import checks, retention  # noqa: F401 - checks registers the system checks
        from replication.pairs import pair_for_catalog_entry, pairs_removed_with
        from replication.views import replication_panel, request_replication_panel
        from requests_app import panels
        from requests_app.signals import catalog_entry_removing, catalog_entry_saved

        post_migrate.connect(retention.ensure_schedule, sender=self, dispatch_uid="replication.retention")
        catalog_entry_saved.connect(pair_for_catalog_entry, dispatch_uid="replication.pair_for_catalog_entry")
        catalog_entry_removing.connect(pairs_removed_with, dispatch_uid="replication.pairs_removed_with")
        panels.register_panel(panels.CATALOG_PAGE, replication_panel)
        panels.register_panel(panels.REQUEST_PAGE, request_replication_panel)
