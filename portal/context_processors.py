"""The navigation every page shows, with the entries the user may use."""

from django.urls import NoReverseMatch, reverse

NAVIGATION = (
    # (label, url name, who sees it: None = everyone signed in)
    ("New request", "requests:new", None),
    ("My requests", "requests:list", None),
    ("Catalog", "requests:catalog", None),
    ("Replication health", "replication:health", None),
    ("Audit", "requests:audit", "requests_app.view_auditentry"),
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
        entries.append({"label": label, "url": url, "active": request.path.startswith(url) and url != "/"})
    return {"navigation": entries}
