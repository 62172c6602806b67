"""REST API edges: parse, call the domain modules, shape the answer. No rule lives here."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, renderers, status
from rest_framework.exceptions import MethodNotAllowed, ParseError
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.backstage_user import backstage_requester
from core.api.permissions import Rule, token_of
from core.audit_verify import trail_status
from core.filing import person_named
from core.models import AuditEntry
from requests_app import approvals, submission, withdrawal
from requests_app.api import serializers as s
from requests_app.audit_download import UnknownEnvironment, audit_csv_download
from requests_app.contract import Problem
from requests_app.filters import filter_audit, filter_catalog, filter_requests
from requests_app.forms import InputProblems, RequestForm
from requests_app.models import BucketRequest, Decision
from requests_app.visibility import (
    VIEW_CATALOG_PERMISSION,
    VIEW_REQUESTS_PERMISSION,
    visible_catalog,
    visible_requests,
)

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="A key unique to this submission (max 255 characters). Sending the same key and body "
    "again returns the same request (201, header Idempotent-Replayed: true); the same key "
    "with another body is refused with 409. Keys are scoped to the calling account.",
)
REQUEST_EXAMPLE = OpenApiExample(
    "dev uploads bucket",
    request_only=True,
    value={
        "application": "payments-api",
        "purposeType": "uploads",
        "purposeDescription": "User file uploads for payment receipts",
        "owner": "app-team",
        "requester": "daniel-deans",
        "environment": "dev",
        "costCenter": "payments-123",
        "costAlertGb": 100,
        "retentionType": "indefinite",
        "retentionRationale": "User data retained for account lifetime",
    },
)
REFUSAL_STATUS = {
    approvals.DecisionRefused.NOT_APPROVER: status.HTTP_403_FORBIDDEN,
    approvals.DecisionRefused.OWN_REQUEST: status.HTTP_403_FORBIDDEN,
    approvals.DecisionRefused.COMMENT_REQUIRED: status.HTTP_400_BAD_REQUEST,
    approvals.DecisionRefused.COMMENT_INVALID: status.HTTP_400_BAD_REQUEST,
    approvals.DecisionRefused.ALREADY_VOTED: status.HTTP_409_CONFLICT,
    approvals.DecisionRefused.NOT_PENDING: status.HTTP_409_CONFLICT,
    approvals.DecisionRefused.STALE_CONTRACT: status.HTTP_409_CONFLICT,
    approvals.DecisionRefused.PLAN_NOT_READY: status.HTTP_409_CONFLICT,
    approvals.DecisionRefused.STALE_PLAN: status.HTTP_409_CONFLICT,
    approvals.DecisionRefused.UNSEEN: status.HTTP_400_BAD_REQUEST,
}
WITHDRAW_REFUSAL_STATUS = {
    withdrawal.WithdrawRefused.NOT_REQUESTER: status.HTTP_403_FORBIDDEN,
    withdrawal.WithdrawRefused.NOT_PENDING: status.HTTP_409_CONFLICT,
    withdrawal.WithdrawRefused.REASON_INVALID: status.HTTP_400_BAD_REQUEST,
}


# The body itself is unusable (not JSON, nested too deep, not an object): a 400 even for the preview,
# whose field problems are answered with 200 and ``valid: false``.
BODY_PROBLEM_CODES = frozenset({"parse-error", "not-an-object"})


def problems_response(problems: list[Problem], detail: str = "The request input is invalid.") -> Response:
    return Response(
        {"detail": detail, "problems": [p.to_dict() for p in problems]}, status=status.HTTP_400_BAD_REQUEST
    )


def request_input(http_request) -> dict:
    """The body as a request-input mapping; raises `InputProblems` when it cannot be one.

    A browser's form (the live preview) posts form fields; everything else posts JSON.
    A person signed in with a session is the requester, as in the web form; only token
    clients name another requester, and Backstage's token (a Backstage caller) only the
    signed-in Backstage user its user token proves (401/403 otherwise).
    """
    try:
        raw = _parsed_input(http_request)
    except InputProblems:
        # Checked before the input's problems are shown: an unproven Backstage caller learns nothing more.
        backstage_requester(http_request, None)
        raise
    proven = backstage_requester(http_request, raw.get("requester"))
    return {**raw, "requester": proven} if proven else raw


def _parsed_input(http_request) -> dict:
    media_type = http_request.content_type.split(";", 1)[0].strip()
    if media_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = RequestForm(http_request.POST, requester=http_request.user.get_username())
        return form.valid_input()
    try:
        body = http_request.data
    except ParseError as exc:
        raise InputProblems(
            [Problem("", f"The body is not valid JSON: {exc.detail}", code="parse-error")]
        ) from exc
    if not isinstance(body, dict):
        raise InputProblems(
            [Problem("", "The body must be a JSON object of request fields.", code="not-an-object")]
        )
    if token_of(http_request) is None:
        return {**body, "requester": http_request.user.get_username()}
    return body


def _all_problems(http_request, exc: InputProblems) -> list[Problem]:
    """A body that is not a mapping has only its own problems; a form's unreadable fields come with
    every problem of the other fields."""
    if exc.readable is None:
        return exc.problems
    return submission.preview(exc.readable, http_request.user, unreadable=exc.problems).problems


READ_REQUESTS = Rule("read", VIEW_REQUESTS_PERMISSION)
# Backstage files, previews and withdraws for its proven user, and reads the catalog (core.api.permissions).
SUBMIT_REQUESTS = Rule("submit", "requests_app.submit_bucketrequest", for_backstage=True)
READ_CATALOG = Rule("read", VIEW_CATALOG_PERMISSION, for_backstage=True)


def _requests_for(http_request, proven: str | None = None):
    """The requests the caller sees; a Backstage caller sees none in its own name, only (``proven``) those of
    the person its user token proved (requests_app.visibility)."""
    viewer = person_named(proven) if proven else http_request.user
    if viewer is None:  # the proven person's account went away since the proof
        return BucketRequest.objects.none()
    return visible_requests(viewer).select_related("owner", "submitted_by")


class RequestListCreate(generics.ListAPIView):
    access = {"GET": READ_REQUESTS, "POST": SUBMIT_REQUESTS}
    serializer_class = s.BucketRequestSerializer

    def get_queryset(self):
        return filter_requests(_requests_for(self.request), self.request.query_params)

    @extend_schema(
        summary="List the bucket requests you may see",
        parameters=[
            OpenApiParameter(name, OpenApiTypes.STR, description=description)
            for name, description in (
                ("environment", "dev, test, staging or prod"),
                ("status", "e.g. pending_approval"),
                ("owner", "team slug"),
                ("q", "request ID, bucket name or requester contains"),
            )
        ],
    )
    def get(self, http_request, *args, **kwargs):
        return super().get(http_request, *args, **kwargs)

    @extend_schema(
        summary="Submit a bucket request",
        description="Takes the Backstage template's fields (JSON). Approval-free requests are approved "
        "at once and queued for Terraform; the others wait for platform approvers.",
        request=s.RequestInputSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        examples=[REQUEST_EXAMPLE],
        responses={
            201: s.BucketRequestSerializer,
            400: s.ProblemListSerializer,
            409: OpenApiResponse(s.ErrorSerializer, description="Idempotency-Key reused with another body"),
        },
    )
    def post(self, http_request):
        try:
            raw = request_input(http_request)
            result = submission.submit_request(
                raw, http_request.user, idempotency_key=http_request.headers.get("Idempotency-Key")
            )
        except InputProblems as exc:
            return problems_response(_all_problems(http_request, exc))
        except submission.InvalidRequest as exc:
            return problems_response(exc.problems)
        except submission.IdempotencyConflict as exc:
            return Response(
                {"detail": str(exc), "code": "idempotency-conflict"}, status=status.HTTP_409_CONFLICT
            )
        data = s.BucketRequestSerializer(result.request, context={"request": http_request}).data
        headers = {} if result.created else {"Idempotent-Replayed": "true"}
        return Response(data, status=status.HTTP_201_CREATED, headers=headers)


class RequestPreview(APIView):
    access = {"POST": SUBMIT_REQUESTS}

    @extend_schema(
        summary="Validate and derive a request without saving it",
        request=s.RequestInputSerializer,
        examples=[REQUEST_EXAMPLE],
        responses={200: s.PreviewSerializer, 400: s.ProblemListSerializer},
    )
    def post(self, http_request):
        try:
            raw = request_input(http_request)
        except InputProblems as exc:
            if any(problem.code in BODY_PROBLEM_CODES for problem in exc.problems):
                return problems_response(exc.problems, "The body is not a JSON object of request fields.")
            return Response(
                submission.preview(exc.readable, http_request.user, unreadable=exc.problems).to_dict()
            )
        return Response(submission.preview(raw, http_request.user).to_dict())


class RequestDetail(generics.RetrieveAPIView):
    access = {"GET": READ_REQUESTS}
    serializer_class = s.BucketRequestDetailSerializer
    lookup_field = "request_id"

    def get_queryset(self):
        return _requests_for(self.request).prefetch_related("approvals__approver")


DECISION_SCHEMA = {
    "request": s.DecisionInputSerializer,
    "responses": {
        200: s.BucketRequestDetailSerializer,
        400: s.ErrorSerializer,
        403: s.ErrorSerializer,
        404: s.ErrorSerializer,
        409: s.ErrorSerializer,
    },
    "description": "Platform approvers only; not on your own request; one vote each; a comment is required. "
    "Approving needs the request's Terraform plan (GET .../plan/): it is refused (409, "
    "plan-not-ready) while the plan is being made or after it failed. The request is approved "
    "once it has its environment's number of approvals on the current contract and plan; one "
    "rejection rejects it. An approval names the contractHash and planHash you reviewed (400 "
    "without them). 409: already voted, not pending, no plan yet, or the contract or "
    "plan changed since contractHash / planHash.",
}


class RequestDecision(APIView):
    access = {"POST": Rule("approve", approvals.DECIDE_PERMISSION)}
    decision: str = ""

    def post(self, http_request, request_id):
        bucket_request = get_object_or_404(_requests_for(http_request), request_id=request_id)
        body = http_request.data if isinstance(http_request.data, dict) else {}
        try:
            approvals.decide(
                bucket_request,
                http_request.user,
                self.decision,
                str(body.get("comment") or ""),
                contract_hash=str(body.get("contractHash") or "") or None,
                plan_hash=str(body.get("planHash") or "") or None,
                seen_required=True,
            )
        except approvals.DecisionRefused as exc:
            return Response({"detail": exc.message, "code": exc.code}, status=REFUSAL_STATUS[exc.code])
        refreshed = (
            _requests_for(http_request).prefetch_related("approvals__approver").get(pk=bucket_request.pk)
        )
        return Response(s.BucketRequestDetailSerializer(refreshed, context={"request": http_request}).data)


class ApproveRequest(RequestDecision):
    decision = Decision.APPROVE

    @extend_schema(summary="Approve a pending request", **DECISION_SCHEMA)
    def post(self, http_request, request_id):
        return super().post(http_request, request_id)


class RejectRequest(RequestDecision):
    decision = Decision.REJECT

    @extend_schema(summary="Reject a pending request", **DECISION_SCHEMA)
    def post(self, http_request, request_id):
        return super().post(http_request, request_id)


class WithdrawRequest(APIView):
    access = {"POST": SUBMIT_REQUESTS}

    @extend_schema(
        summary="Withdraw your own request while it waits for approval",
        description="Only the request's requester (as a canonical identity; for Backstage, the signed-in "
        "Backstage user its user token proves), never an approver or a service account in its own name "
        "(403, not-requester); only while it is pending approval (409, not-pending). The request becomes "
        "cancelled and releases its bucket name; its plan run, if any, is not applied. The reason is "
        "optional (at most 1,000 characters, no NUL; 400, reason-invalid) and kept in the audit trail.",
        request=s.WithdrawInputSerializer,
        responses={
            200: s.BucketRequestDetailSerializer,
            400: s.ErrorSerializer,
            401: s.ErrorSerializer,
            403: s.ErrorSerializer,
            404: s.ErrorSerializer,
            409: s.ErrorSerializer,
        },
    )
    def post(self, http_request, request_id):
        # A Backstage caller proves its user first (401/403): an unproven one learns nothing more.
        proven = backstage_requester(http_request, None)
        bucket_request = get_object_or_404(_requests_for(http_request, proven), request_id=request_id)
        try:
            body = http_request.data
        except ParseError as exc:
            return Response(
                {"detail": f"The body is not valid JSON: {exc.detail}", "code": "parse-error"},
                status=status.HTTP_400_BAD_REQUEST,
            )
        if not isinstance(body, dict):
            return Response(
                {
                    "detail": 'The body must be a JSON object, {"reason": "..."} or {}.',
                    "code": "not-an-object",
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        try:
            withdrawal.withdraw_request(
                bucket_request, http_request.user, reason=body.get("reason"), requester_identity=proven
            )
        except withdrawal.WithdrawRefused as exc:
            return Response(
                {"detail": exc.message, "code": exc.code}, status=WITHDRAW_REFUSAL_STATUS[exc.code]
            )
        refreshed = (
            _requests_for(http_request, proven)
            .prefetch_related("approvals__approver")
            .get(pk=bucket_request.pk)
        )
        return Response(s.BucketRequestDetailSerializer(refreshed, context={"request": http_request}).data)


class CatalogList(generics.ListAPIView):
    access = {"GET": READ_CATALOG}
    serializer_class = s.CatalogEntrySerializer

    @extend_schema(
        summary="List catalog buckets",
        parameters=[
            OpenApiParameter(name, OpenApiTypes.STR)
            for name in ("environment", "status", "owner", "purpose", "q")
        ],
    )
    def get(self, http_request, *args, **kwargs):
        return super().get(http_request, *args, **kwargs)

    def get_queryset(self):
        queryset = visible_catalog(self.request.user).select_related("owner", "request")
        return filter_catalog(queryset, self.request.query_params)


class CSVRenderer(renderers.BaseRenderer):
    """Lets ``?format=csv`` through content negotiation; the view streams the body itself."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return str(data).encode(self.charset)


class AuditList(generics.ListAPIView):
    access = {
        "GET": Rule("read", "core.view_auditentry"),
        "GET?format=csv": Rule("read", "core.export_auditentry"),
    }
    serializer_class = s.AuditEntrySerializer
    renderer_classes = [renderers.JSONRenderer, renderers.BrowsableAPIRenderer, CSVRenderer]

    def get_queryset(self):
        return filter_audit(AuditEntry.objects.order_by("-id"), self.request.query_params)

    def handle_exception(self, exc):
        """Refusals are JSON like every other API error, also when the CSV export was asked for (the CSV
        renderer only lets ``?format=csv`` through negotiation; it would print the error dict as text)."""
        response = super().handle_exception(exc)
        self.request.accepted_renderer, self.request.accepted_media_type = (
            renderers.JSONRenderer(),
            "application/json",
        )
        return response

    def get_renderers(self):
        """CSV only with ``?format=csv`` (the export, under its own permission): ``Accept: text/csv`` alone
        would have rendered a JSON page as "CSV", with no formula neutralisation; it is a 406."""
        everything = super().get_renderers()
        if self.request.query_params.get("format") == "csv":
            return everything
        return [renderer for renderer in everything if not isinstance(renderer, CSVRenderer)]

    @extend_schema(
        summary="The audit trail (JSON pages, or the whole CSV with ?format=csv, streamed)",
        parameters=[
            OpenApiParameter("environment", OpenApiTypes.STR),
            OpenApiParameter("request_id", OpenApiTypes.STR),
            OpenApiParameter("action", OpenApiTypes.STR),
            OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "csv"]),
        ],
    )
    def get(self, http_request, *args, **kwargs):
        if http_request.query_params.get("format") == "csv":
            if http_request.method == "HEAD":  # Django answers HEAD with get()
                # The export records its checkpoint before the first line: a HEAD would record an export
                # that delivered nothing (as on the page, GET only).
                self.headers["Allow"] = "GET"  # what DRF's finalize_response puts on the response
                raise MethodNotAllowed("HEAD", detail="The CSV export answers GET only.")
            try:
                return audit_csv_download(http_request.query_params.get("environment") or None)
            except UnknownEnvironment as error:
                raise ParseError(str(error)) from error  # JSON, as every refusal here (handle_exception)
        return super().get(http_request, *args, **kwargs)


class AuditVerify(APIView):
    access = {"GET": Rule("read", "core.view_auditentry")}

    @extend_schema(
        summary="Verify the audit trail: the keyed chain, against every checkpoint in the Object Lock bucket",
        description="Always 200 when the check ran: `ok` is false and `findings` name what does not hold "
        "(edited, recomputed, deleted, truncated, ...). `checkpointWrites` says whether checkpoints "
        "reach their bucket.",
        responses=s.AuditVerificationSerializer,
    )
    def get(self, http_request):
        return Response(s.AuditVerificationSerializer(trail_status()).data)
