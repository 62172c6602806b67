from django.db import migrations

from core.migration_helpers import grant_permissions

# The roles' replication permissions when this migration was written (frozen; core.roles is the
# current table).
ROLE_PERMISSIONS = {
    "requesters": [
        "replication.view_bucketpair",
        "replication.view_incident",
        "replication.view_replicationevent",
    ],
    "platform-approvers": [
        "replication.view_bucketpair",
        "replication.view_incident",
        "replication.view_replicationevent",
        "replication.manage_incident",
        "replication.view_snsmessage",
        "replication.view_refusalcount",
    ],
    "auditors": [
        "replication.view_bucketpair",
        "replication.view_incident",
        "replication.view_replicationevent",
        "replication.view_snsmessage",
        "replication.view_refusalcount",
    ],
}


def grant(apps, schema_editor):
    grant_permissions(apps, "replication", ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("replication", "0001_replication_events_and_incidents"),
        ("requests_app", "0002_roles_and_sequences"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
