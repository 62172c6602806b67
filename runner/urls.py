from django.urls import path

from runner import views

app_name = "runner"
urlpatterns = [
    path("<int:pk>/", views.run_detail, name="run-detail"),
    path("<int:pk>/status/", views.run_status, name="run-status"),
    path("<int:pk>/cancel/", views.cancel_run, name="run-cancel"),
    path("requests/<str:request_id>/retry/", views.retry_request, name="request-retry"),
    path("requests/<str:request_id>/plan/", views.plan_again, name="request-plan"),
    path("requests/<str:request_id>/abandon/", views.abandon_request, name="request-abandon"),
]
