"""Compliance permissions for the roles: everyone reads findings, approvers remediate."""

from django.db import migrations

from core.migration_helpers import grant_permissions

# The roles' compliance permissions when this migration was written (frozen; core.roles is the current table).
ROLE_PERMISSIONS = {
    "requesters": ["compliance.view_bucketcompliance", "compliance.view_finding"],
    "platform-approvers": [
        "compliance.view_bucketcompliance",
        "compliance.view_finding",
        "compliance.remediate_bucket",
    ],
    "auditors": ["compliance.view_bucketcompliance", "compliance.view_finding"],
}


def grant(apps, schema_editor):
    grant_permissions(apps, "compliance", ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0001_bucket_compliance_and_findings"),
        ("requests_app", "0002_roles_and_sequences"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
