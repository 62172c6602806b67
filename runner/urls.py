from django.urls import path

from runner import views

app_name = "runner"
urlpatterns = [
    path("<int:pk>/", views.run_detail, name="run-detail"),
    path("<int:pk>/status/", views.run_status, name="run-status"),
]
