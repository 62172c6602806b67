from django.db import migrations

from portal.roles import grant_role_permissions


def create_roles(apps, schema_editor):
    grant_role_permissions(apps, "requests_app")


def create_sequences(apps, schema_editor):
    # The rows exist before the first request, so allocation only ever locks and updates.
    IdSequence = apps.get_model("requests_app", "IdSequence")
    for name in ("S3", "audit-chain"):
        IdSequence.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [
        ("requests_app", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(create_roles, migrations.RunPython.noop),
        migrations.RunPython(create_sequences, migrations.RunPython.noop),
    ]
