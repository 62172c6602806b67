"""The audit trail moved from requests_app to core: its table, its permissions and their grants follow it."""

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType

from core import audit, roles
from core.models import AuditEntry
from requests_app.models import IdSequence

pytestmark = pytest.mark.django_db


def test_the_trail_keeps_its_table_and_is_written_through_core():
    assert AuditEntry._meta.db_table == "requests_app_auditentry"
    entry = audit.record("test.moved", actor="system", detail={"n": 1})
    assert AuditEntry.objects.get(pk=entry.pk).detail == {"n": 1}
    assert not IdSequence.objects.filter(name="audit-chain").exists()  # the chain lock lives in core now


def test_auditors_and_approvers_hold_the_audit_permissions_under_core_only():
    assert not ContentType.objects.filter(app_label="requests_app", model="auditentry").exists()
    auditors = Group.objects.get(name=roles.AUDITORS).permissions.filter(content_type__app_label="core")
    approvers = Group.objects.get(name=roles.PLATFORM_APPROVERS).permissions.filter(
        content_type__app_label="core"
    )
    assert {"view_auditentry", "export_auditentry"} <= set(auditors.values_list("codename", flat=True))
    assert "view_auditentry" in set(approvers.values_list("codename", flat=True))
    assert "export_auditentry" not in set(approvers.values_list("codename", flat=True))
