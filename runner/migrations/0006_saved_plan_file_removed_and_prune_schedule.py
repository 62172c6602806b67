"""Saved plan files are removed once no apply can use them (runner.saved_plans.prune_plan_files), every hour."""

from django.db import migrations, models

PRUNE_NAME = "runner-prune-plan-files"


def create_prune_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name=PRUNE_NAME,
        defaults={"func": "runner.tasks.prune_plan_files", "schedule_type": "H", "repeats": -1},
    )


def remove_prune_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=PRUNE_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("runner", "0005_run_steps"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [
        migrations.AddField(
            model_name="savedplan",
            name="file_removed_at",
            field=models.DateTimeField(
                blank=True,
                help_text="When the plan file was removed: no apply could use it any more.",
                null=True,
            ),
        ),
        migrations.AlterField(
            model_name="savedplan",
            name="plan_file",
            field=models.BinaryField(
                help_text="The file `terraform plan -out` wrote, applied as is (empty once removed)."
            ),
        ),
        migrations.RunPython(create_prune_schedule, remove_prune_schedule),
    ]
