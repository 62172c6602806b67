from django.urls import path

from replication import webhook

app_name = "replication"
urlpatterns = [
    path("hooks/sns/replication/", webhook.sns_replication_hook, name="sns-hook"),
]
