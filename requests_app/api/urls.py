from django.urls import path

from requests_app.api import backstage, views

app_name = "requests-api"

urlpatterns = [
    path("s3-requests/", views.RequestListCreate.as_view(), name="request-list"),
    path("s3-requests/preview/", views.RequestPreview.as_view(), name="request-preview"),
    path("s3-requests/<str:request_id>/", views.RequestDetail.as_view(), name="request-detail"),
    path("s3-requests/<str:request_id>/approve/", views.ApproveRequest.as_view(), name="request-approve"),
    path("s3-requests/<str:request_id>/reject/", views.RejectRequest.as_view(), name="request-reject"),
    path("s3-requests/<str:request_id>/withdraw/", views.WithdrawRequest.as_view(), name="request-withdraw"),
    path("catalog/buckets/", views.CatalogList.as_view(), name="catalog-list"),
    path("audit/", views.AuditList.as_view(), name="audit-list"),
    path("audit/verify/", views.AuditVerify.as_view(), name="audit-verify"),
    path("backstage/entities/", backstage.BackstageEntities.as_view(), name="backstage-entities"),
]
