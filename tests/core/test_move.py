"""Team and API tokens moved from requests_app to core: their permissions and grants follow them."""

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType

from core import roles
from core.migration_helpers import move_content_types

pytestmark = pytest.mark.django_db


def test_roles_hold_view_team_under_core_and_nothing_is_left_under_requests_app():
    assert not ContentType.objects.filter(app_label="requests_app", model__in=["team", "apitoken"]).exists()
    for role in (roles.REQUESTERS, roles.PLATFORM_APPROVERS, roles.AUDITORS):
        assert (
            Group.objects.get(name=role)
            .permissions.filter(content_type__app_label="core", codename="view_team")
            .exists()
        )


def test_grants_of_an_old_content_type_move_onto_an_existing_new_one():
    """A database where core's content type exists already (a migrate ran before the move): the group and
    user grants of the old permissions are carried over, the old rows are deleted."""
    old = ContentType.objects.create(app_label="requests_app", model="team")
    old_view = Permission.objects.create(content_type=old, codename="view_team", name="Can view team")
    old_extra = Permission.objects.create(content_type=old, codename="audit_team", name="Can audit team")
    group = Group.objects.create(name="team-viewers")
    group.permissions.add(old_view)
    person = User.objects.create_user("pat")
    person.user_permissions.add(old_extra)

    move_content_types(apps, "requests_app", "core", ["team"])

    assert not ContentType.objects.filter(pk=old.pk).exists()
    assert not Permission.objects.filter(content_type_id=old.pk).exists()
    assert group.permissions.filter(content_type__app_label="core", codename="view_team").exists()
    assert User.objects.get(pk=person.pk).has_perm("core.audit_team")


def test_a_content_type_is_relabelled_when_the_new_one_does_not_exist_yet():
    ContentType.objects.filter(app_label="core", model="apitoken").update(app_label="requests_app")
    moved = ContentType.objects.get(app_label="requests_app", model="apitoken")
    grant = Permission.objects.get(content_type=moved, codename="add_apitoken")

    move_content_types(apps, "requests_app", "core", ["apitoken"])

    assert ContentType.objects.get(pk=moved.pk).app_label == "core"
    assert Permission.objects.get(pk=grant.pk).content_type.app_label == "core"
