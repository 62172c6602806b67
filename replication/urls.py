from django.urls import path

from replication import views, webhook
from replication.incidents import ACKNOWLEDGE, RESOLVE

app_name = "replication"
urlpatterns = [
    path("hooks/sns/replication/", webhook.sns_replication_hook, name="sns-hook"),
    path("replication/", views.health, name="health"),
    path("replication/pairs/<int:pk>/", views.pair_detail, name="pair"),
    path("replication/incidents/<int:pk>/", views.incident_detail, name="incident"),
    path(
        f"replication/incidents/<int:pk>/{ACKNOWLEDGE}/",
        views.incident_action,
        {"action": ACKNOWLEDGE},
        name="acknowledge",
    ),
    path(
        f"replication/incidents/<int:pk>/{RESOLVE}/",
        views.incident_action,
        {"action": RESOLVE},
        name="resolve",
    ),
]
