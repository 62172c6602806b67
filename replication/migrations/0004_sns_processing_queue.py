"""Notifications are stored pending and processed by a worker: the lane and processed marker, the
pending index, and the schedule that drains what a lost hand-over left (replication.processing)."""

from django.db import migrations, models
from django.db.models import F

SWEEP_NAME = "replication-drain"


def mark_stored_messages_processed(apps, schema_editor):
    """Every message stored before this migration was processed in its request."""
    apps.get_model("replication", "SnsMessage").objects.update(processed_at=F("received_at"))


def create_sweep_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name=SWEEP_NAME,
        defaults={
            "func": "replication.tasks.process_pending",
            "schedule_type": "I",
            "minutes": 1,
            "repeats": -1,
        },
    )


def remove_sweep_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=SWEEP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("replication", "0003_verification_counts"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [
        migrations.AddField(
            model_name="snsmessage",
            name="primary_bucket",
            field=models.CharField(blank=True, max_length=255),
        ),
        migrations.AddField(
            model_name="snsmessage",
            name="processed_at",
            field=models.DateTimeField(
                blank=True,
                help_text="When a worker built its events (or the hook decided it alone).",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="snsmessage",
            name="replica_bucket",
            field=models.CharField(
                blank=True,
                help_text="The pair the message is about (its first fact's): one pair's messages are processed in order of their SNS Timestamp, then arrival.",
                max_length=255,
            ),
        ),
        migrations.AlterField(
            model_name="snsmessage",
            name="outcome",
            field=models.CharField(
                choices=[
                    ("pending", "Waiting to be processed"),
                    ("stored", "Events stored"),
                    ("repeated", "Repeated report of known events"),
                    ("confirmed", "Subscription confirmed"),
                    ("unsubscribed", "Unsubscribe recorded (not followed)"),
                    ("unreadable", "Signed but not understood"),
                ],
                max_length=20,
            ),
        ),
        migrations.AddIndex(
            model_name="snsmessage",
            index=models.Index(
                condition=models.Q(("outcome", "pending")),
                fields=["primary_bucket", "replica_bucket", "sent_at", "id"],
                name="replication_sns_pending",
            ),
        ),
        migrations.RunPython(mark_stored_messages_processed, migrations.RunPython.noop),
        migrations.RunPython(create_sweep_schedule, remove_sweep_schedule),
    ]
