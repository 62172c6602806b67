"""The environment a Terraform run gets: an allow-list, never the worker's whole environment.

Terraform, its provider plugins and every provisioner of the stack inherit this environment.
The worker's own secrets (``SECRET_KEY``, ``DATABASE_URL``, ``REDIS_URL``, tokens of other
services) must not reach them: a provisioner or a compromised provider could print or send
them. So only what Terraform and the AWS provider need is passed (docs/decisions/runner-least-environment.md):
the process basics, Terraform's own ``TF_*`` settings, the AWS credentials and settings, proxy and
CA settings, and the names an operator lists in ``TERRAFORM_ENV_PASSTHROUGH``.

:func:`run_environment` is the one place the run environment is built; a new need (a provider
mirror, a role to assume) is added here, in ``overrides``, or by an operator's pass-through name.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

# Process basics: where programs are, whose home (Terraform's CLI config and credentials helpers),
# locale and time zone, and where temporary files go.
BASIC_NAMES = frozenset({"PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR"})
# Proxies and trusted CAs (Go reads SSL_CERT_FILE / SSL_CERT_DIR), in both spellings.
NETWORK_NAMES = frozenset(
    {
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "NO_PROXY",
        "http_proxy",
        "https_proxy",
        "no_proxy",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
    }
)
# Terraform's settings (TF_LOG, TF_PLUGIN_CACHE_DIR, TF_VAR_*, ...) and the AWS provider's
# (credentials, profile, region, role, web identity, CA bundle, endpoints).
ALLOWED_PREFIXES = ("TF_", "AWS_")


def is_allowed(name: str, passthrough: Iterable[str] = ()) -> bool:
    return (
        name in BASIC_NAMES
        or name in NETWORK_NAMES
        or name.startswith(ALLOWED_PREFIXES)
        or name in passthrough
    )


def run_environment(
    overrides: Mapping[str, str], *, passthrough: Iterable[str] = (), source: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The allowed variables of ``source`` (the worker's environment by default), then ``overrides``.

    ``passthrough`` names further variables an operator chose to give Terraform
    (setting ``TERRAFORM_ENV_PASSTHROUGH``); the allow-list itself is not a setting.
    """
    passthrough = frozenset(passthrough)
    source = os.environ if source is None else source
    environment = {name: value for name, value in source.items() if is_allowed(name, passthrough)}
    environment.update(overrides)
    return environment
