"""core 0007 moves the Backstage-caller mark from tokens to their service accounts, losing no caller."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = ("core", "0006_keyed_chain_and_checkpoints")
AFTER = ("core", "0007_backstage_caller_on_service_account")


@pytest.mark.django_db(transaction=True)
def test_a_caller_token_marks_its_account_and_other_accounts_stay_unmarked():
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])  # undoes 0007 (and whatever depends on it)
    old = executor.loader.project_state([BEFORE]).apps
    user_model = old.get_model("auth", "User")
    proxy, script = (user_model.objects.create(username=name) for name in ("svc-proxy", "svc-script"))
    old.get_model("core", "ServiceAccount").objects.create(user=script, purpose="a script")
    tokens = old.get_model("core", "ApiToken")
    expires = timezone.now() + timezone.timedelta(days=1)
    tokens.objects.create(
        user=proxy, name="proxy", prefix="p1", secret_hash="x", expires_at=expires, backstage_caller=True
    )
    tokens.objects.create(user=script, name="script", prefix="s1", secret_hash="y", expires_at=expires)

    executor = MigrationExecutor(connection)
    try:
        executor.migrate([AFTER])
        new = executor.loader.project_state([AFTER]).apps
        accounts = {
            account.user.username: account.backstage_caller
            for account in new.get_model("core", "ServiceAccount").objects.select_related("user")
        }
        assert accounts == {"svc-proxy": True, "svc-script": False}
    finally:  # back to the latest state of every app, for the tests after this one
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
