"""Team and ApiToken now live in ``core`` (core.0001); only the model state changes here."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("requests_app", "0003_api_tokens"),
        ("core", "0001_team_and_api_tokens_from_requests_app"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="bucketrequest",
                    name="owner",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="requests", to="core.team"
                    ),
                ),
                migrations.AlterField(
                    model_name="catalogentry",
                    name="owner",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="buckets", to="core.team"
                    ),
                ),
                migrations.DeleteModel(name="Team"),
                migrations.DeleteModel(name="ApiToken"),
            ],
        ),
    ]
