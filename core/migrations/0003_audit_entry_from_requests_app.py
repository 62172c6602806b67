"""The audit trail moves from requests_app into core.

The table keeps its name and its rows (state only: SeparateDatabaseAndState); the content
type is re-pointed, so the permissions (view/export) and every group holding them follow
(``requests_app.view_auditentry`` is ``core.view_auditentry`` from here on). The chain lock
becomes a row of its own in core (requests_app.0005 drops the old IdSequence row).
"""

from django.db import migrations, models

from core.migration_helpers import move_content_types


def repoint_content_type(apps, schema_editor):
    move_content_types(apps, "requests_app", "core", ["auditentry"])


def repoint_content_type_back(apps, schema_editor):
    move_content_types(apps, "core", "requests_app", ["auditentry"])


def create_chain_lock(apps, schema_editor):
    apps.get_model("core", "AuditChainLock").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_team_and_api_token_permissions_follow"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AuditEntry",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("timestamp", models.DateTimeField(db_index=True)),
                        ("actor", models.CharField(max_length=150)),
                        ("action", models.CharField(db_index=True, max_length=64)),
                        ("request_id", models.CharField(blank=True, db_index=True, max_length=20)),
                        ("bucket_name", models.CharField(blank=True, max_length=255)),
                        ("environment", models.CharField(blank=True, db_index=True, max_length=16)),
                        ("detail", models.JSONField(blank=True, default=dict)),
                        ("previous_hash", models.CharField(max_length=64)),
                        ("entry_hash", models.CharField(max_length=64, unique=True)),
                    ],
                    options={
                        "verbose_name_plural": "audit entries",
                        "ordering": ["id"],
                        "permissions": [("export_auditentry", "Can export the audit trail")],
                        "db_table": "requests_app_auditentry",
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.CreateModel(
            name="AuditChainLock",
            fields=[
                (
                    "id",
                    models.PositiveSmallIntegerField(
                        default=1, editable=False, primary_key=True, serialize=False
                    ),
                ),
            ],
        ),
        migrations.RunPython(create_chain_lock, migrations.RunPython.noop),
        migrations.RunPython(repoint_content_type, repoint_content_type_back),
    ]
