"""The API's own description (OpenAPI schema and its docs page), under the same access declaration as
every other API view: public, since it describes the API and holds no data."""

from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core.api.permissions import PUBLIC, DeclaredAccess


class ApiSchemaView(SpectacularAPIView):
    permission_classes = [DeclaredAccess]
    access = {"GET": PUBLIC}


class ApiDocsView(SpectacularSwaggerView):
    permission_classes = [DeclaredAccess]
    access = {"GET": PUBLIC}
