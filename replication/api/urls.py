from django.urls import path

from replication.api.views import ReplicationHealthView

urlpatterns = [
    path("replication/health/", ReplicationHealthView.as_view(), name="replication-health-api"),
]
