from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from portal.healthz import overall_health


@require_safe  # load balancers may ask with HEAD
@never_cache
def healthz(request):
    report = overall_health()
    return JsonResponse(report, status=503 if report["status"] == "unhealthy" else 200)


@require_safe
def home(request):
    return render(request, "portal/home.html")
