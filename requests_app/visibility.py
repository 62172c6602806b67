"""Who sees which requests: one rule for the pages, the API and the exports.

Approvers and auditors (permission ``view_all_bucketrequests``) see every request.
Everyone else sees the requests they submitted, the ones naming them as requester, and
those of the teams they belong to; a Backstage caller sees none in its own name.
"""

from django.db.models import Exists, Q, QuerySet

from core.identity import identity_digest
from core.models import ServiceAccount
from requests_app.models import BucketRequest, CatalogEntry

VIEW_ALL_PERMISSION = "requests_app.view_all_bucketrequests"
# Reading requests at all, and the catalog: the three roles hold both (core.roles); an account without a
# role reads neither, on the pages as in the API.
VIEW_REQUESTS_PERMISSION = "requests_app.view_bucketrequest"
VIEW_CATALOG_PERMISSION = "requests_app.view_catalogentry"


def sees_all(user) -> bool:
    return user.has_perm(VIEW_ALL_PERMISSION)


def visible_requests(user, queryset: QuerySet | None = None) -> QuerySet:
    queryset = BucketRequest.objects.all() if queryset is None else queryset
    # A Backstage caller's token is used by anyone signed in to Backstage (its proxy adds it): it acts only
    # for the person a user token proves (core.backstage_filing), and in its own name sees nothing, not even
    # what it filed for everyone, whatever role it was given. A condition of the same query (no query more).
    not_backstage_caller = ~Exists(ServiceAccount.objects.filter(user_id=user.pk, backstage_caller=True))
    if sees_all(user):
        return queryset.filter(not_backstage_caller)
    # ``owner__in`` is a subquery, not a join: no row repeats, so no DISTINCT (which on
    # PostgreSQL would compare every column, the contract JSON included, on each list page).
    # Named as requester in any spelling of the same person (core.identity), as approvals compare them.
    named = Q(requester_key=identity_digest(user.get_username()))
    return queryset.filter(Q(submitted_by=user) | named | Q(owner__in=user.teams.all()), not_backstage_caller)


def visible_catalog(user) -> QuerySet:
    """The catalog is the platform's inventory: whoever may read it (VIEW_CATALOG_PERMISSION, checked at the
    edge) reads it whole; nobody signed out."""
    return CatalogEntry.objects.all() if user.is_authenticated else CatalogEntry.objects.none()
