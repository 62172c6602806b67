from django.urls import path

from runner.api import views

urlpatterns = [
    path("runs/<int:pk>/", views.RunDetailView.as_view(), name="api-run-detail"),
    path("runs/<int:pk>/cancel/", views.RunCancelView.as_view(), name="api-run-cancel"),
    path("s3-requests/<str:request_id>/retry/", views.RequestRetryView.as_view(), name="api-request-retry"),
    path("s3-requests/<str:request_id>/plan/", views.RequestPlanView.as_view(), name="api-request-plan"),
    path(
        "s3-requests/<str:request_id>/abandon/",
        views.RequestAbandonView.as_view(),
        name="api-request-abandon",
    ),
]
