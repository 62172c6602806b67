"""Team and ApiToken move here from requests_app: only Django's model state moves.

The tables keep their names (``db_table``), so no row is copied and an existing database
migrates without touching data; ``requests_app.0004`` removes the models from its state.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("requests_app", "0003_api_tokens"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="Team",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "slug",
                            models.SlugField(
                                help_text="As used in contracts, e.g. app-team.", max_length=63, unique=True
                            ),
                        ),
                        ("name", models.CharField(max_length=200)),
                        ("description", models.TextField(blank=True)),
                        (
                            "members",
                            models.ManyToManyField(
                                blank=True, related_name="teams", to=settings.AUTH_USER_MODEL
                            ),
                        ),
                    ],
                    options={"db_table": "requests_app_team", "ordering": ["slug"]},
                ),
                migrations.CreateModel(
                    name="ApiToken",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "name",
                            models.CharField(help_text="What uses it, e.g. backstage-prod.", max_length=100),
                        ),
                        (
                            "scopes",
                            models.JSONField(default=list, help_text="Any of: read, submit, approve."),
                        ),
                        ("prefix", models.CharField(editable=False, max_length=16, unique=True)),
                        ("secret_hash", models.CharField(editable=False, max_length=64)),
                        (
                            "expires_at",
                            models.DateTimeField(help_text="The token stops working at this time."),
                        ),
                        ("revoked", models.BooleanField(default=False)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("last_used_at", models.DateTimeField(blank=True, editable=False, null=True)),
                        (
                            "user",
                            models.ForeignKey(
                                help_text="The service account the token acts as.",
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="api_tokens",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "API token",
                        "ordering": ["-created_at"],
                        "db_table": "requests_app_apitoken",
                    },
                ),
            ],
        ),
    ]
