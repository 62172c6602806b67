"""Permissions read in one statement instead of two (settings.AUTHENTICATION_BACKENDS).

``ModelBackend.get_all_permissions`` asks for the account's own permissions and for its groups' in two
queries; every API and page request checks a permission, so every one of them paid both. This backend,
listed just before Django's ``ModelBackend``, asks for both sets in one ``UNION`` of the same two
queries. The result and its cache are Django's: the set is kept on the user object (``_perm_cache``),
which lives for one request, so a role or permission changed takes effect on the next request, as
before; Django's backend, asked next for a permission this one did not grant, finds that cache and
answers from it without a query.

It authenticates no one (``authenticate`` returns None): passwords are still checked once, by Django's
backend, whose path sessions keep storing.
"""

from django.contrib.auth import backends
from django.contrib.auth.models import Permission


class PermissionsBackend(backends.ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        return None

    async def aauthenticate(self, request, username=None, password=None, **kwargs):
        return None

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            user_obj._perm_cache = {
                f"{app_label}.{codename}" for app_label, codename in _permissions(user_obj)
            }
        return user_obj._perm_cache


def _permissions(user_obj):
    fields = ("content_type__app_label", "codename")
    if user_obj.is_superuser:
        return Permission.objects.values_list(*fields).order_by()
    own = user_obj.user_permissions.values_list(*fields).order_by()
    groups = Permission.objects.filter(group__in=user_obj.groups.all()).values_list(*fields).order_by()
    return own.union(groups)
