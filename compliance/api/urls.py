from django.urls import path

from compliance.api.views import BucketComplianceView

urlpatterns = [
    path(
        "catalog/buckets/<str:bucket_name>/compliance/",
        BucketComplianceView.as_view(),
        name="bucket-compliance-api",
    ),
]
