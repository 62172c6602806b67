"""Read what Terraform prints: the JSON plan, the outputs, and its error diagnostics.

Pure functions over Terraform's text and JSON, so they are tested without running it.
"""

import re

CHANGE_COUNTERS = ("add", "change", "destroy")
_BOX_CHARS = "╷│╵"
_DIAGNOSTIC_HEADING = re.compile(r"^(?P<severity>Error|Warning): (?P<title>.+)$")


def plan_summary(plan: dict) -> dict:
    """add/change/destroy counts as Terraform's own "Plan: …" line counts them.

    A replacement counts as one add and one destroy; no-op and read actions count as nothing.
    """
    summary = dict.fromkeys(CHANGE_COUNTERS, 0)
    for change in plan.get("resource_changes", []):
        actions = change.get("change", {}).get("actions", [])
        if "create" in actions:
            summary["add"] += 1
        if "delete" in actions:
            summary["destroy"] += 1
        if actions == ["update"]:
            summary["change"] += 1
    return summary


def resource_changes(plan: dict) -> list[dict]:
    """Each planned resource change as address and actions, no-ops left out."""
    changes = []
    for change in plan.get("resource_changes", []):
        actions = change.get("change", {}).get("actions", [])
        if actions and actions != ["no-op"]:
            changes.append({"address": change.get("address", ""), "actions": actions})
    return changes


def output_values(outputs: dict) -> dict:
    """``terraform output -json`` as name -> value, sensitive values masked."""
    return {
        name: "(sensitive)" if item.get("sensitive") else item.get("value") for name, item in outputs.items()
    }


def error_summary(stderr: str, limit: int = 2000) -> str:
    """Terraform's error diagnostics as short sentences: "<title>: <explanation>".

    A diagnostic starts with "Error: <title>" (framed in box-drawing characters unless
    ``-no-color``); its explanation is its last paragraph, after the source excerpt.
    Text without any diagnostic (a crash, a missing binary) is returned as its last lines.
    """
    errors = [_summarise(title, body) for title, body in _error_diagnostics(stderr)]
    if not errors:
        lines = [line for line in stderr.strip().splitlines() if line.strip()]
        return "\n".join(lines[-5:])[:limit]
    return "\n".join(errors)[:limit]


def _error_diagnostics(text: str) -> list[tuple[str, list[str]]]:
    """(title, body lines) of each error; warnings are skipped."""
    diagnostics, current = [], None
    for raw in text.splitlines():
        line = raw.lstrip(_BOX_CHARS).strip()
        heading = _DIAGNOSTIC_HEADING.match(line)
        if heading:
            current = (heading["title"], []) if heading["severity"] == "Error" else None
            if current:
                diagnostics.append(current)
        elif current is not None:
            current[1].append(line)
    return diagnostics


# Terraform's closing advice that explains nothing about the failure (the useful paragraph is before it).
_ADVICE_PREFIXES = ("To see which modules are currently depending on",)
# What Terraform says when it cannot reach a provider registry (DNS, refused, timeout, no route).
_UNREACHABLE_MARKERS = (
    "could not connect to registry",
    "failed to request discovery document",
    "no such host",
    "connection refused",
    "i/o timeout",
    "network is unreachable",
)
REGISTRY_UNREACHABLE = (
    "Terraform could not reach the provider registry to install the AWS provider ({detail}). Without "
    "network access, set TERRAFORM_PROVIDER_MIRROR to a filesystem mirror of the provider (for example "
    "/opt/tf-plugins), or for a local demonstration start the portal with "
    "TERRAFORM_STACK_DIR=terraform/testing/s3-request-fake (the provider-free stack); then retry the run."
)


def _summarise(title: str, body: list[str]) -> str:
    paragraphs = [p for p in _paragraphs(body) if not p.startswith(_ADVICE_PREFIXES)]
    text = " ".join(paragraphs)
    if title.startswith("Failed to") and any(marker in text.lower() for marker in _UNREACHABLE_MARKERS):
        return REGISTRY_UNREACHABLE.format(detail=title.lower())
    explanation = paragraphs[-1] if paragraphs else ""
    if not explanation or explanation.startswith("on ") or explanation.startswith("with "):
        return title
    return f"{title}: {explanation}"


def _paragraphs(lines: list[str]) -> list[str]:
    paragraphs, current = [], []
    for line in lines + [""]:
        if line:
            current.append(line)
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    return paragraphs
