from django.db import migrations

from core.migration_helpers import grant_permissions

# The roles' permissions of this app when this migration was written (frozen: core.roles
# is the current table, later changes come with their own migrations).
ROLE_PERMISSIONS = {
    "requesters": [
        "requests_app.submit_bucketrequest",
        "requests_app.view_bucketrequest",
        "requests_app.view_catalogentry",
        "requests_app.view_team",
    ],
    "platform-approvers": [
        "requests_app.decide_bucketrequest",
        "requests_app.view_all_bucketrequests",
        "requests_app.view_bucketrequest",
        "requests_app.view_approval",
        "requests_app.view_catalogentry",
        "requests_app.view_team",
        "requests_app.view_auditentry",
    ],
    "auditors": [
        "requests_app.view_all_bucketrequests",
        "requests_app.view_bucketrequest",
        "requests_app.view_approval",
        "requests_app.view_catalogentry",
        "requests_app.view_team",
        "requests_app.view_auditentry",
        "requests_app.export_auditentry",
    ],
}


def create_roles(apps, schema_editor):
    grant_permissions(apps, "requests_app", ROLE_PERMISSIONS)


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
