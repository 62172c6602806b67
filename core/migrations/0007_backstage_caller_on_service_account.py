"""The Backstage-caller mark moves from the proxy's API token to its service account (core's marker).

A token that was a Backstage caller marks its account (made a service account if it was not one), so
every credential of that account must now carry the signed-in user's Backstage token.
"""

from django.db import migrations, models


def mark_accounts_of_caller_tokens(apps, schema_editor):
    ApiToken = apps.get_model("core", "ApiToken")
    ServiceAccount = apps.get_model("core", "ServiceAccount")
    for user_id in (
        ApiToken.objects.filter(backstage_caller=True).values_list("user_id", flat=True).distinct()
    ):
        account, _ = ServiceAccount.objects.get_or_create(user_id=user_id, defaults={"purpose": "Backstage"})
        account.backstage_caller = True
        account.save(update_fields=["backstage_caller"])


def mark_tokens_of_caller_accounts(apps, schema_editor):
    ApiToken = apps.get_model("core", "ApiToken")
    ServiceAccount = apps.get_model("core", "ServiceAccount")
    callers = ServiceAccount.objects.filter(backstage_caller=True).values_list("user_id", flat=True)
    ApiToken.objects.filter(user_id__in=list(callers)).update(backstage_caller=True)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0006_keyed_chain_and_checkpoints"),
    ]

    operations = [
        migrations.AddField(
            model_name="serviceaccount",
            name="backstage_caller",
            field=models.BooleanField(
                default=False,
                verbose_name="Backstage caller",
                help_text="The account the Backstage proxy's token belongs to: what it submits must carry the "
                "signed-in Backstage user's token (Backstage-User-Token header), and it files only for "
                "that user (core.backstage_filing).",
            ),
        ),
        migrations.RunPython(mark_accounts_of_caller_tokens, mark_tokens_of_caller_accounts),
        migrations.RemoveField(model_name="apitoken", name="backstage_caller"),
    ]
