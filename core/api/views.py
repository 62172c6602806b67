"""The API's own description (OpenAPI schema and its docs page), under the same access declaration as
every other API view: public, since it describes the API and holds no data."""

from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core.api.permissions import PUBLIC, DeclaredAccess


class ApiSchemaView(SpectacularAPIView):
    permission_classes = [DeclaredAccess]
    access = {"GET": PUBLIC}


class ApiDocsView(SpectacularSwaggerSplitView):
    """The split view serves its start-up script as a file (``?script``), and our template drops the
    inline style: the page works under the portal's Content-Security-Policy without 'unsafe-inline'."""

    permission_classes = [DeclaredAccess]
    access = {"GET": PUBLIC}
    template_name = "portal/api_docs.html"
