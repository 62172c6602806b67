"""Login lockout beyond django-axes' per-pair rule: per client address and per account (AXES_HANDLER).

Axes compares one failure limit with the largest count of its lockout parameters, so it cannot say
"5 for a user name from one address, 20 for an address, 50 for an account". Its parameters stay the
pair (user name, address), which also keeps its reset on a right password to that pair: a sprayer
signing in to an account of their own must not wipe the failures it left on others. This handler
adds the two wider counts, over the same stored attempts and the same cool-off window, to axes'
``is_locked`` (the authentication backend's refusal) and to the moment a failure is recorded (the
429 page). A limit of 0 switches its rule off. Locked-out attempts are not recorded
(``AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False``), so one address can add at most
``AXES_FAILURE_LIMIT`` failures to an account's count: locking a person out takes many addresses.
"""

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.db.models import Q, Sum


class LoginLockoutHandler(AxesDatabaseHandler):
    def is_locked(self, request, credentials=None) -> bool:
        return super().is_locked(request, credentials) or self.wide_limit_reached(request, credentials)

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        if request is None or request.axes_locked_out or self.is_whitelisted(request, credentials):
            return
        if self.wide_limit_reached(request, credentials):
            username = get_client_username(request, credentials)
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send(
                "axes", request=request, username=username, ip_address=request.axes_ip_address
            )

    def wide_limit_reached(self, request, credentials=None) -> bool:
        """Whether the failures from this address (any user name) or for this user name (any address)
        within the cool-off window reached their limit. One query."""
        by_address = Q(ip_address=request.axes_ip_address)
        by_account = Q(username=get_client_username(request, credentials))
        counts = AccessAttempt.objects.filter(
            by_address | by_account, attempt_time__gte=get_cool_off_threshold(request)
        ).aggregate(
            address=Sum("failures_since_start", filter=by_address, default=0),
            account=Sum("failures_since_start", filter=by_account, default=0),
        )
        return _reached(counts["address"], settings.LOGIN_ADDRESS_FAILURE_LIMIT) or _reached(
            counts["account"], settings.LOGIN_ACCOUNT_FAILURE_LIMIT
        )


def _reached(failures: int, limit: int) -> bool:
    return limit > 0 and failures >= limit
