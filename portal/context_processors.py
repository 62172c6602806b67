"""The navigation every page shows: only the entries the user may open (no link leads to a 403)."""

from django.urls import NoReverseMatch, reverse

from requests_app.visibility import VIEW_CATALOG_PERMISSION, VIEW_REQUESTS_PERMISSION

NAVIGATION = (
    # (label, url name, the permission the page itself requires: None = everyone signed in)
    ("New request", "requests:new", "requests_app.submit_bucketrequest"),
    ("Waiting for you", "requests:queue", "requests_app.decide_bucketrequest"),
    ("My requests", "requests:list", VIEW_REQUESTS_PERMISSION),  # "All requests" for those who see every one
    ("Catalog", "requests:catalog", VIEW_CATALOG_PERMISSION),
    ("Replication health", "replication:health", "replication.view_bucketpair"),
    ("Audit", "requests:audit", "core.view_auditentry"),
    ("Admin", "admin:index", "is_staff"),
)


def _visible(user, rule) -> bool:
    if rule is None:
        return True
    if rule == "is_staff":
        return user.is_staff
    return user.has_perm(rule)


def _count(url_name: str, user) -> int | None:
    """The number shown next to an entry (one query), or None for entries without one."""
    if url_name == "requests:queue":
        from requests_app.approvals import awaiting_decision  # the portal's pages live in requests_app

        return awaiting_decision(user).count()
    return None


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"navigation": []}
    entries = []
    for label, url_name, rule in NAVIGATION:
        if not _visible(user, rule):
            continue
        try:
            url = reverse(url_name)
        except NoReverseMatch:  # the page's app is not installed in this deployment
            continue
        if url_name == "requests:list" and user.has_perm("requests_app.view_all_bucketrequests"):
            label = "All requests"
        entries.append({"label": label, "url": url, "active": False, "count": _count(url_name, user)})
    # The entry with the longest URL that prefixes the path is the current page: on /requests/new/
    # that is "New request", not also "My requests" (/requests/).
    matching = [entry for entry in entries if request.path.startswith(entry["url"]) and entry["url"] != "/"]
    if matching:
        max(matching, key=lambda entry: len(entry["url"]))["active"] = True
    return {"navigation": entries}
