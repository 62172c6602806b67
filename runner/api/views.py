"""API of the runner: read a run, cancel it, retry a failed request with a new run, read or redo a plan."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.permissions import Rule
from requests_app.api.serializers import BucketRequestDetailSerializer
from requests_app.models import BucketRequest
from runner import abandonment, dispatch
from runner.access import (
    CANCEL_PERMISSION,
    RETRY_PERMISSION,
    VIEW_RUN_PERMISSION,
    can_cancel,
    can_retry,
    can_view_request_runs,
    visible_run,
)
from runner.api.serializers import AbandonInputSerializer, RequestPlanSerializer, RunSerializer
from runner.models import Run
from runner.saved_plans import latest_plan


def _visible_run(http_request, pk: int) -> Run:
    run = visible_run(http_request.user, pk)
    if run is None:
        raise NotFound("No such run.")
    return run


def _visible_request(http_request, request_id: str) -> BucketRequest:
    bucket_request = BucketRequest.objects.select_related("owner").filter(request_id=request_id).first()
    if bucket_request is None or not can_view_request_runs(http_request.user, bucket_request):
        raise NotFound("No such request.")
    return bucket_request


def _conflict(error: dispatch.RunnerError) -> Response:
    return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)


class RunDetailView(APIView):
    access = {"GET": Rule("read", VIEW_RUN_PERMISSION)}

    @extend_schema(responses=RunSerializer)
    def get(self, request, pk: int):
        return Response(RunSerializer(_visible_run(request, pk)).data)


class RunCancelView(APIView):
    """Cancel a queued run at once, or ask the worker to interrupt a running one (202)."""

    access = {"POST": Rule("approve", CANCEL_PERMISSION)}

    @extend_schema(request=None, responses={200: RunSerializer, 202: RunSerializer, 409: None})
    def post(self, request, pk: int):
        run = _visible_run(request, pk)
        if not can_cancel(request.user):
            raise PermissionDenied("Only platform approvers may cancel runs.")
        try:
            run = dispatch.cancel_run(run, actor=request.user)
        except dispatch.RunnerError as error:
            return _conflict(error)
        code = status.HTTP_202_ACCEPTED if run.is_active else status.HTTP_200_OK
        return Response(RunSerializer(run).data, status=code)


class RequestRetryView(APIView):
    """Start a new run for a failed request (201 with the new run)."""

    access = {"POST": Rule("approve", RETRY_PERMISSION)}

    @extend_schema(request=None, responses={201: RunSerializer, 409: None})
    def post(self, request, request_id: str):
        bucket_request = _visible_request(request, request_id)
        if not can_retry(request.user):
            raise PermissionDenied("Only platform approvers may retry requests.")
        try:
            run = dispatch.retry_request(bucket_request, actor=request.user)
        except dispatch.RunnerError as error:
            return _conflict(error)
        return Response(RunSerializer(run).data, status=status.HTTP_201_CREATED)


class RequestAbandonView(APIView):
    """End a failed request nobody will retry, once nothing of it exists (200 with the request)."""

    access = {"POST": Rule("approve", RETRY_PERMISSION)}

    @extend_schema(
        summary="Abandon a failed request: cancelled, its bucket name and catalog entry released",
        description="Platform approvers only. The body names the reason (required, at most "
        f"{abandonment.REASON_LIMIT:,} characters). Refused with 409 while the request is not failed, has an "
        "active run, its Terraform state holds any resource, or its bucket exists in the environment's "
        "account; nothing is changed then.",
        request=AbandonInputSerializer,
        responses={200: BucketRequestDetailSerializer, 400: None, 401: None, 403: None, 404: None, 409: None},
    )
    def post(self, request, request_id: str):
        bucket_request = _visible_request(request, request_id)
        if not can_retry(request.user):
            raise PermissionDenied("Only platform approvers may abandon requests.")
        reason = request.data.get("reason", "") if isinstance(request.data, dict) else None
        try:
            if not isinstance(reason, str):
                raise abandonment.ReasonInvalid('The body must be a JSON object: {"reason": "why, as text"}.')
            abandoned = abandonment.abandon_request(bucket_request, actor=request.user, reason=reason)
        except abandonment.ReasonInvalid as error:
            return Response(
                {"detail": str(error), "code": "reason-invalid"}, status=status.HTTP_400_BAD_REQUEST
            )
        except dispatch.RunnerError as error:
            return _conflict(error)
        return Response(BucketRequestDetailSerializer(abandoned, context={"request": request}).data)


class RequestPlanView(APIView):
    """The plan approvers vote on (GET); plan again, platform approvers only (POST, 201)."""

    access = {"GET": Rule("read", VIEW_RUN_PERMISSION), "POST": Rule("approve", RETRY_PERMISSION)}

    @extend_schema(
        summary="The Terraform plan of a request: each resource with its action, and the full plan",
        responses={200: RequestPlanSerializer, 404: None},
    )
    def get(self, request, request_id: str):
        bucket_request = _visible_request(request, request_id)
        return Response(
            RequestPlanSerializer({"request": bucket_request, "plan": latest_plan(bucket_request)}).data
        )

    @extend_schema(
        summary="Plan a request waiting for approval again (after a failed plan, or to refresh it)",
        request=None,
        responses={201: RunSerializer, 409: None},
    )
    def post(self, request, request_id: str):
        bucket_request = _visible_request(request, request_id)
        if not can_retry(request.user):
            raise PermissionDenied("Only platform approvers may plan a request again.")
        try:
            run = dispatch.plan_again(bucket_request, actor=request.user)
        except dispatch.RunnerError as error:
            return _conflict(error)
        return Response(RunSerializer(run).data, status=status.HTTP_201_CREATED)
