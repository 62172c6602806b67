"""Run permissions for the roles, and the sweeper's schedule (every minute, see runner.dispatch.sweep)."""

from django.db import migrations

from core.migration_helpers import grant_permissions

SWEEPER_NAME = "runner-sweeper"
# The roles' run permissions when this migration was written (frozen; core.roles is the current table).
ROLE_PERMISSIONS = {
    "requesters": ["runner.view_run"],
    "platform-approvers": ["runner.view_run", "runner.cancel_run", "runner.retry_run"],
    "auditors": ["runner.view_run"],
}


def grant(apps, schema_editor):
    grant_permissions(apps, "runner", ROLE_PERMISSIONS)


def create_sweeper_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(
        name=SWEEPER_NAME,
        defaults={"func": "runner.tasks.sweep", "schedule_type": "I", "minutes": 1, "repeats": -1},
    )


def remove_sweeper_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=SWEEPER_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("runner", "0001_initial"),
        ("requests_app", "0002_roles_and_sequences"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [
        migrations.RunPython(grant, migrations.RunPython.noop),
        migrations.RunPython(create_sweeper_schedule, remove_sweeper_schedule),
    ]
