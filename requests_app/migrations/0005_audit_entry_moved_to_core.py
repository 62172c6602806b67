"""AuditEntry now lives in core (its table stays: see core/migrations/0003); the chain lock moved too."""

from django.db import migrations


def drop_old_chain_lock(apps, schema_editor):
    apps.get_model("requests_app", "IdSequence").objects.filter(name="audit-chain").delete()


def restore_old_chain_lock(apps, schema_editor):
    apps.get_model("requests_app", "IdSequence").objects.get_or_create(name="audit-chain")


class Migration(migrations.Migration):
    dependencies = [
        ("requests_app", "0004_team_and_api_tokens_moved_to_core"),
        ("core", "0003_audit_entry_from_requests_app"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="AuditEntry")],
            database_operations=[],
        ),
        migrations.RunPython(drop_old_chain_lock, restore_old_chain_lock),
    ]
