from django.db import migrations

from portal.roles import grant_role_permissions


def grant(apps, schema_editor):
    grant_role_permissions(apps, "replication")


class Migration(migrations.Migration):
    dependencies = [
        ("replication", "0001_replication_events_and_incidents"),
        ("requests_app", "0002_roles_and_sequences"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
