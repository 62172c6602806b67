"""The navigation every page shows, with the entries the user may use."""

from django.urls import NoReverseMatch, reverse

NAVIGATION = (
    # (label, url name, who sees it: None = everyone signed in)
    ("New request", "requests:new", None),
    ("My requests", "requests:list", None),
    ("Catalog", "requests:catalog", None),
    ("Replication health", "replication:health", None),
    ("Audit", "requests:audit", "core.view_auditentry"),
    ("Admin", "admin:index", "is_staff"),
)


def _visible(user, rule) -> bool:
    if rule is None:
        return True
    if rule == "is_staff":
        return user.is_staff
    return user.has_perm(rule)


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
        entries.append({"label": label, "url": url, "active": False})
    # The entry with the longest URL that prefixes the path is the current page: on /requests/new/
    # that is "New request", not also "My requests" (/requests/).
    matching = [entry for entry in entries if request.path.startswith(entry["url"]) and entry["url"] != "/"]
    if matching:
        max(matching, key=lambda entry: len(entry["url"]))["active"] = True
    return {"navigation": entries}
