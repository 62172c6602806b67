"""Compliance permissions for the roles (portal/roles.py): everyone reads findings, approvers remediate."""

from django.db import migrations

from portal.roles import grant_role_permissions


def grant(apps, schema_editor):
    grant_role_permissions(apps, "compliance")


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0001_bucket_compliance_and_findings"),
        ("requests_app", "0002_roles_and_sequences"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
