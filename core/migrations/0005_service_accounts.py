"""The service-account marker; accounts that already hold tokens are marked."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def mark_token_holders(apps, schema_editor):
    """Accounts holding an API token were service accounts by the token note (docs/decisions/
    portal-api-tokens.md) before the marker existed; staff and superusers are left for a superuser to decide."""
    ApiToken = apps.get_model("core", "ApiToken")
    ServiceAccount = apps.get_model("core", "ServiceAccount")
    holders = (
        ApiToken.objects.filter(user__is_staff=False, user__is_superuser=False)
        .values_list("user_id", flat=True)
        .distinct()
    )
    for user_id in holders:
        ServiceAccount.objects.get_or_create(
            user_id=user_id, defaults={"purpose": "held an API token before 2026-12"}
        )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("core", "0004_apitoken_backstage_caller"),
    ]

    operations = [
        migrations.CreateModel(
            name="ServiceAccount",
            fields=[
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="service_account",
                        serialize=False,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "purpose",
                    models.CharField(
                        help_text="What uses this account, e.g. Backstage (prod).", max_length=200
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "ordering": ["user__username"],
                "permissions": [("file_for_any_team", "Can file requests for people of any team")],
            },
        ),
        migrations.RunPython(mark_token_holders, migrations.RunPython.noop),
    ]
