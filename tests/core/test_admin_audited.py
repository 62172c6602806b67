"""Governance changes made in the admin land in the keyed audit trail: marking an account as a service
account (it then receives tokens from staff and files for the people it names), a team's members (who may
file for that team, core.filing), and a token's end (tokens are revoked, never deleted)."""

import pytest
from django.urls import reverse

from core.models import ApiToken, AuditEntry, ServiceAccount, Team
from core.tokens import issue_token
from requests_app.submission import submit_request
from tests.support.common import make_user
from tests.support.requests import rita_input

pytestmark = pytest.mark.django_db


def _actions() -> list[str]:
    return list(AuditEntry.objects.order_by("id").values_list("action", flat=True))


def test_marking_and_unmarking_a_service_account_is_audited(admin_client):
    bot = make_user("deploy-bot")
    response = admin_client.post(
        reverse("admin:core_serviceaccount_add"), {"user": bot.pk, "purpose": "deploy scripts"}
    )
    assert response.status_code == 302, response.content[:500]
    entry = AuditEntry.objects.get(action="core.service_account_marked")
    assert entry.actor == "admin" and entry.detail["account"] == "deploy-bot"
    assert entry.detail["backstage_caller"] is False

    admin_client.post(
        reverse("admin:core_serviceaccount_change", args=[bot.pk]),
        {"user": bot.pk, "purpose": "deploy scripts", "backstage_caller": "on"},
    )
    changed = AuditEntry.objects.get(action="core.service_account_changed")
    assert changed.detail["backstage_caller"] is True

    admin_client.post(reverse("admin:core_serviceaccount_delete", args=[bot.pk]), {"post": "yes"})
    assert not ServiceAccount.objects.exists()
    assert AuditEntry.objects.get(action="core.service_account_unmarked").detail["account"] == "deploy-bot"


def test_a_teams_members_changed_in_the_admin_are_audited(admin_client):
    team = Team.objects.create(slug="app-team", name="App team")
    rita, sam = make_user("rita"), make_user("sam")
    team.members.add(rita)
    admin_client.post(
        reverse("admin:core_team_change", args=[team.pk]),
        {"slug": "app-team", "name": "App team", "description": "", "members": [sam.pk]},
    )
    entry = AuditEntry.objects.get(action="core.team_members_changed")
    assert entry.detail == {"team": "app-team", "added": ["sam"], "removed": ["rita"]}
    # Saving without a change of members writes nothing.
    admin_client.post(
        reverse("admin:core_team_change", args=[team.pk]),
        {"slug": "app-team", "name": "App team", "description": "x", "members": [sam.pk]},
    )
    assert _actions().count("core.team_members_changed") == 1


def test_a_token_cannot_be_deleted_in_the_admin_only_revoked(admin_client, service_account_user):
    token = issue_token(service_account_user, "ci", ["read"]).token
    response = admin_client.post(reverse("admin:core_apitoken_delete", args=[token.pk]), {"post": "yes"})
    assert response.status_code == 403
    bulk = admin_client.post(
        reverse("admin:core_apitoken_changelist"),
        {"action": "delete_selected", "_selected_action": [token.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 302)
    assert ApiToken.objects.filter(pk=token.pk).exists()


@pytest.fixture
def service_account_user(db):
    account = make_user("svc-ci")
    ServiceAccount.objects.create(user=account, purpose="CI")
    return account


def _user_form(user, **changes) -> dict:
    data = {
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "email": "",
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "initial-date_joined_0": "2026-01-01",
        "initial-date_joined_1": "00:00:00",
        "groups": [],
        "user_permissions": [],
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def test_making_someone_an_approver_or_staff_in_the_admin_is_audited(admin_client):
    from django.contrib.auth.models import Group

    from core import roles

    rita = make_user("rita")
    approvers = Group.objects.get(name=roles.PLATFORM_APPROVERS)
    response = admin_client.post(
        reverse("admin:auth_user_change", args=[rita.pk]),
        _user_form(rita, groups=[approvers.pk], is_staff="on"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = AuditEntry.objects.get(action="core.user_access_changed")
    assert entry.actor == "admin" and entry.detail["user"] == "rita"
    assert entry.detail["groups"] == {"from": [], "to": [roles.PLATFORM_APPROVERS]}
    assert entry.detail["is_staff"] == {"from": False, "to": True}
    assert "is_superuser" not in entry.detail
    # Saving the same access again writes nothing more.
    admin_client.post(
        reverse("admin:auth_user_change", args=[rita.pk]),
        _user_form(rita, groups=[approvers.pk], is_staff="on", first_name="Rita"),
    )
    assert _actions().count("core.user_access_changed") == 1


def test_renaming_an_account_in_the_admin_is_audited(admin_client):
    """The user name is who the account is for votes, requesters and filing (core.identity)."""
    rita = make_user("rita")
    response = admin_client.post(
        reverse("admin:auth_user_change", args=[rita.pk]), _user_form(rita, username="alex")
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = AuditEntry.objects.get(action="core.user_access_changed")
    assert entry.detail == {"user": "alex", "username": {"from": "rita", "to": "alex"}}


def test_giving_a_role_a_permission_in_the_admin_is_audited(admin_client):
    from django.contrib.auth.models import Group, Permission

    from core import roles

    requesters = Group.objects.get(name=roles.REQUESTERS)
    decide = Permission.objects.get(codename="decide_bucketrequest")
    kept = list(requesters.permissions.values_list("pk", flat=True))
    response = admin_client.post(
        reverse("admin:auth_group_change", args=[requesters.pk]),
        {"name": roles.REQUESTERS, "permissions": [*kept, decide.pk]},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = AuditEntry.objects.get(action="core.role_permissions_changed")
    assert entry.detail == {
        "role": roles.REQUESTERS,
        "added": ["requests_app.decide_bucketrequest"],
        "removed": [],
    }


def test_deleting_a_team_or_a_user_in_the_admin_is_audited(admin_client):
    team = Team.objects.create(slug="old-team", name="Old team")
    rita = make_user("rita")
    team.members.add(rita)
    admin_client.post(reverse("admin:core_team_delete", args=[team.pk]), {"post": "yes"})
    assert not Team.objects.exists()
    assert AuditEntry.objects.get(action="core.team_deleted").detail == {
        "team": "old-team",
        "members": ["rita"],
    }
    other = Team.objects.create(slug="app-team", name="App team")
    other.members.add(rita)
    admin_client.post(reverse("admin:auth_user_delete", args=[rita.pk]), {"post": "yes"})
    deleted = AuditEntry.objects.get(action="core.user_deleted").detail
    assert deleted["user"] == "rita" and deleted["is_active"] is True and deleted["teams"] == ["app-team"]


def test_deleting_a_role_in_the_admin_is_audited_with_its_permissions_and_members(admin_client):
    from django.contrib.auth.models import Group, Permission

    role = Group.objects.create(name="bucket-deciders")
    role.permissions.add(Permission.objects.get(codename="view_auditentry"))
    make_user("sam").groups.add(role)
    admin_client.post(reverse("admin:auth_group_delete", args=[role.pk]), {"post": "yes"})
    assert not Group.objects.filter(name="bucket-deciders").exists()
    assert AuditEntry.objects.get(action="core.role_deleted").detail == {
        "role": "bucket-deciders",
        "permissions": ["core.view_auditentry"],
        "members": ["sam"],
    }


def test_deleting_teams_and_users_in_bulk_is_audited_one_entry_each(admin_client):
    teams = [Team.objects.create(slug=f"team-{n}", name=f"Team {n}") for n in range(2)]
    users = [make_user(f"user-{n}") for n in range(2)]
    for model, objects in (("core_team", teams), ("auth_user", users)):
        response = admin_client.post(
            reverse(f"admin:{model}_changelist"),
            {"action": "delete_selected", "_selected_action": [o.pk for o in objects], "post": "yes"},
        )
        assert response.status_code == 302
    assert _actions().count("core.team_deleted") == 2 and _actions().count("core.user_deleted") == 2


def test_a_team_slug_is_renamed_audited_and_frozen_once_a_request_names_it(admin_client, team_member):
    spare = Team.objects.create(slug="spare-team", name="Spare")
    admin_client.post(
        reverse("admin:core_team_change", args=[spare.pk]),
        {"slug": "platform-spare", "name": "Spare", "description": "", "members": []},
    )
    assert AuditEntry.objects.get(action="core.team_renamed").detail == {
        "from": "spare-team",
        "to": "platform-spare",
    }
    owner = submit_request(rita_input(), submitted_by=team_member).request.owner
    admin_client.post(
        reverse("admin:core_team_change", args=[owner.pk]),
        {"slug": "renamed", "name": owner.name, "description": "", "members": []},
    )
    owner.refresh_from_db()
    assert owner.slug != "renamed" and _actions().count("core.team_renamed") == 1
