from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from core.api.views import ApiDocsView, ApiSchemaView
from portal import views

admin.site.site_header = "Bucketwise administration"
admin.site.site_title = "Bucketwise"
admin.site.login_template = "portal/admin_login.html"

# The methods the class-based pages answer, as the function views' require_safe / require_http_methods do:
# Django's defaults take more (RedirectView answers every method, LoginView PUT, every view OPTIONS).
PAGE = ["get", "head"]
FORM = ["get", "head", "post"]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico on pages without an icon link (the admin's): the portal's icon.
    path(
        "favicon.ico",
        RedirectView.as_view(url=static("portal/favicon.svg"), permanent=True, http_method_names=PAGE),
    ),
    path("accounts/login/", auth_views.LoginView.as_view(http_method_names=FORM), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(http_method_names=["post"]), name="logout"),
    path("admin/", admin.site.urls),
    path("", include("requests_app.urls")),
    path("runs/", include("runner.urls")),
    path("", include("replication.urls")),
    path("", include("compliance.urls")),
    path("api/v1/schema/", ApiSchemaView.as_view(), name="api-schema"),
    path("api/v1/docs/", ApiDocsView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("requests_app.api.urls")),
    path("api/v1/", include("runner.api.urls")),
    path("api/v1/", include("replication.api.urls")),
    path("api/v1/", include("compliance.api.urls")),
]
