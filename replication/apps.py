from django.apps import AppConfig


class ReplicationConfig(AppConfig):
    name = "replication"
    verbose_name = "Replication health"

    def ready(self):
        from replication.views import replication_panel, request_replication_panel
        from requests_app import panels

        panels.register_panel(panels.CATALOG_PAGE, replication_panel)
        panels.register_panel(panels.REQUEST_PAGE, request_replication_panel)
