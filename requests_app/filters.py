"""List filters shared by the pages and the API (requests, catalog, audit trail): exact fields and a text search."""

from collections.abc import Mapping

from django.db.models import Q, QuerySet

REQUEST_FILTERS = ("environment", "status", "owner")
CATALOG_FILTERS = ("environment", "status", "owner", "purpose")
AUDIT_FILTERS = ("environment", "request_id", "action")


def _exact(queryset: QuerySet, params: Mapping, names) -> QuerySet:
    for name in names:
        value = (params.get(name) or "").strip()
        if value:
            queryset = queryset.filter(**({"owner__slug": value} if name == "owner" else {name: value}))
    return queryset


def filter_requests(queryset: QuerySet, params: Mapping) -> QuerySet:
    queryset = _exact(queryset, params, REQUEST_FILTERS)
    text = (params.get("q") or "").strip()
    if text:
        queryset = queryset.filter(
            Q(request_id__icontains=text) | Q(bucket_name__icontains=text) | Q(requester__icontains=text)
        )
    return queryset


def filter_catalog(queryset: QuerySet, params: Mapping) -> QuerySet:
    queryset = _exact(queryset, params, CATALOG_FILTERS)
    text = (params.get("q") or "").strip()
    return queryset.filter(bucket_name__icontains=text) if text else queryset


def filter_audit(queryset: QuerySet, params: Mapping) -> QuerySet:
    return _exact(queryset, params, AUDIT_FILTERS)
