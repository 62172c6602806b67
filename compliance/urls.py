from django.urls import path

from compliance import views

app_name = "compliance"
urlpatterns = [
    path("catalog/<str:bucket_name>/remediate/", views.remediate, name="remediate"),
]
