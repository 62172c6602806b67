from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = "Compliance (live read-back)"

    def ready(self):
        from django.db.models.signals import post_migrate

        from compliance import removal, schedule, verification, views
        from requests_app import panels
        from requests_app.signals import catalog_entry_removing
        from runner import signals as runner_signals

        runner_signals.apply_succeeded.connect(
            verification.on_apply_succeeded, dispatch_uid="compliance.on_apply_succeeded"
        )
        catalog_entry_removing.connect(removal.rows_removed_with, dispatch_uid="compliance.rows_removed_with")
        post_migrate.connect(schedule.ensure_schedule, sender=self, dispatch_uid="compliance.ensure_schedule")
        panels.register_panel(panels.CATALOG_PAGE, views.catalog_compliance_panel)
        panels.register_panel(panels.REQUEST_PAGE, views.request_compliance_panel)
        panels.register_catalog_column(views.COMPLIANCE_COLUMN)
        panels.register_entity_annotations(views.entity_annotations)
