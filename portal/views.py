from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from portal.healthz import overall_health


@require_GET
@never_cache
def healthz(request):
    report = overall_health()
    return JsonResponse(report, status=503 if report["status"] == "unhealthy" else 200)


def home(request):
    return render(request, "portal/home.html")
