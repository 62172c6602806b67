"""Who may call which API endpoint: one declaration per view and method, one DRF permission class.

Every API view declares ``access``, a mapping from HTTP method to a :class:`Rule`. A rule names
the token scope a token client needs AND the Django permission every caller needs; a browser
session (no token) needs only the permission. :class:`DeclaredAccess`, the project's default
permission class, enforces the declaration; a method without a rule is refused, and
``tests/core/test_api_access.py`` fails for any API endpoint without one
(docs/decisions/core-platform-app.md says where a new permission goes).

A key may carry one query condition, ``"GET?format=csv"``: that rule applies when the
parameter has that value (the audit list's CSV export needs the export permission).

The token of a *Backstage caller* (core.backstage_filing) is the Backstage proxy's, used by anyone signed
in to Backstage, with or without a portal account. It may call only what a rule marks ``for_backstage``:
what it does for the person a user token proves (submit, preview, withdraw) and reading the catalog,
the platform's inventory. Everything else (requests, runs, plans, audit, compliance, replication) is
refused to it whatever its scopes and roles.
"""

import logging
from dataclasses import dataclass

from rest_framework.permissions import BasePermission

from core.backstage_filing import is_backstage_caller
from core.models import ApiToken, TokenScope

logger = logging.getLogger(__name__)


def token_of(request) -> ApiToken | None:
    return request.auth if isinstance(request.auth, ApiToken) else None


@dataclass(frozen=True)
class Rule:
    """A token needs ``scope``; every caller needs ``permission`` (``app_label.codename``).
    ``public`` rules (the API's own description) let anyone in."""

    scope: str | None
    permission: str | None
    public: bool = False
    for_backstage: bool = False  # a Backstage caller's token may call it (see the module docstring)

    def __post_init__(self):
        if self.public:
            return
        if self.scope not in TokenScope.values:
            raise ValueError(f"scope must be one of {TokenScope.values}, not {self.scope!r}")
        if not self.permission or "." not in self.permission:
            raise ValueError(f"permission must be 'app_label.codename', not {self.permission!r}")

    def allows(self, user, token: ApiToken | None) -> bool:
        if self.public:
            return True
        if not (user and user.is_authenticated):
            return False
        if token is not None and self.scope not in token.scopes:
            return False
        return user.has_perm(self.permission)

    def refusal(self, token: ApiToken | None) -> str:
        if token is not None:
            return (
                f"This needs a token with the '{self.scope}' scope, on an account with the "
                f"{self.permission} permission."
            )
        return f"This needs the {self.permission} permission."


PUBLIC = Rule(scope=None, permission=None, public=True)
BACKSTAGE_REFUSAL = (
    "The Backstage proxy's token files, previews and withdraws requests for the signed-in Backstage user "
    "and reads the catalog; nothing else. Sign in to the portal to see requests and runs."
)


def declared_rule(view, request) -> Rule | None:
    """The rule ``view`` declares for this request's method (and query condition), or None."""
    access = getattr(view, "access", None) or {}
    method = "GET" if request.method == "HEAD" else request.method
    for key, rule in access.items():
        key_method, _, condition = key.partition("?")
        if key_method == method and condition:
            name, _, value = condition.partition("=")
            if request.query_params.get(name) == value:
                return rule
    return access.get(method)


class DeclaredAccess(BasePermission):
    """Enforces the view's ``access`` declaration (see the module docstring)."""

    message = "You do not have permission to perform this action."

    def has_permission(self, request, view):
        if request.method == "OPTIONS":
            # The API answers no OPTIONS metadata (DEFAULT_METADATA_CLASS is None: 405); signing in is enough.
            return bool(request.user and request.user.is_authenticated)
        rule = declared_rule(view, request)
        if rule is None:
            logger.error(
                "API view %s declares no access rule for %s; refused.", type(view).__name__, request.method
            )
            return False
        token = token_of(request)
        if (
            token is not None
            and not (rule.public or rule.for_backstage)
            and is_backstage_caller(request.user)
        ):
            self.message = BACKSTAGE_REFUSAL
            return False
        if rule.allows(request.user, token):
            return True
        if request.user and request.user.is_authenticated:
            self.message = rule.refusal(token_of(request))
        return False
