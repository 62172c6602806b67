"""Panels that other apps add to the request and catalog pages.

``requests_app`` must not import the runner or the replication app, yet its pages show
their runs and replication state. Those apps register a panel here (in their
``AppConfig.ready``); the page renders every registered panel in order.

A panel is a callable ``(obj, request) -> dict | None`` returning
``{"title": str, "template": str, "context": dict}``, or None to show nothing. It gets
the BucketRequest (request page) or the CatalogEntry (catalog page) and the HTTP request.
Panels for many rows must do their own bulk queries (pages keep a constant query count).
"""

REQUEST_PAGE = "request"
CATALOG_PAGE = "catalog"

_panels: dict[str, list] = {REQUEST_PAGE: [], CATALOG_PAGE: []}


def register_panel(page: str, panel) -> None:
    if panel not in _panels[page]:
        _panels[page].append(panel)


def render_context(page: str, obj, http_request) -> list[dict]:
    """The panels to show for ``obj``, each as title, template and context."""
    shown = []
    for panel in _panels[page]:
        result = panel(obj, http_request)
        if result:
            shown.append(result)
    return shown
