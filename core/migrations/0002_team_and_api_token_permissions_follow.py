"""The content types of Team and ApiToken become core's, so their permissions (and the groups and
users holding them, e.g. every role's ``view_team``) follow the models: ``requests_app.view_team``
is ``core.view_team`` from here on."""

from django.db import migrations

from core.migration_helpers import move_content_types

MOVED_MODELS = ["team", "apitoken"]


def forwards(apps, schema_editor):
    move_content_types(apps, "requests_app", "core", MOVED_MODELS)


def backwards(apps, schema_editor):
    move_content_types(apps, "core", "requests_app", MOVED_MODELS)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_team_and_api_tokens_from_requests_app"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
