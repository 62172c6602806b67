from django.urls import path

from requests_app import views

app_name = "requests"

urlpatterns = [
    path("requests/new/", views.new_request, name="new"),
    path("requests/", views.request_list, name="list"),
    path("requests/waiting/", views.approval_queue, name="queue"),
    path("requests/<str:request_id>/", views.request_detail, name="detail"),
    path("requests/<str:request_id>/decide/", views.decide_request, name="decide"),
    path("requests/<str:request_id>/withdraw/", views.withdraw_request, name="withdraw"),
    path("requests/<str:request_id>/contract.yaml", views.contract_download, name="contract"),
    path("catalog/", views.catalog_list, name="catalog"),
    path("catalog/<str:bucket_name>/", views.catalog_detail, name="catalog-detail"),
    path("audit/", views.audit_list, name="audit"),
    path("audit/export.csv", views.audit_export, name="audit-export"),
]
