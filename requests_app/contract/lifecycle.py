"""Lifecycle facts: AWS storage-class names, S3's transition rules, and what the cost alarm must watch."""

from .models import Lifecycle
from .problems import Problem, error, warning
from .vocabulary import StorageClass, TransitionClass

AWS_TRANSITION_CLASS = {
    TransitionClass.STANDARD_IA: "STANDARD_IA",
    TransitionClass.INTELLIGENT_TIERING: "INTELLIGENT_TIERING",
    TransitionClass.GLACIER_IR: "GLACIER_IR",
    TransitionClass.GLACIER: "GLACIER",
    TransitionClass.DEEP_ARCHIVE: "DEEP_ARCHIVE",
}
# S3's waterfall: objects only move to a class further down this list.
TRANSITION_ORDER = list(TransitionClass)
MIN_DAYS_IN_STANDARD_BEFORE_IA = 30
MIN_DAYS_IN_IA_BEFORE_NEXT = 30
# Deleting earlier than this is billed as if stored this long (minimum storage duration).
MIN_STORAGE_DAYS = {
    TransitionClass.GLACIER_IR: 90,
    TransitionClass.GLACIER: 90,
    TransitionClass.DEEP_ARCHIVE: 180,
}

# CloudWatch `AWS/S3 BucketSizeBytes` StorageType dimensions per class objects can be in.
STANDARD_STORAGE_TYPES = ("StandardStorage",)
STORAGE_TYPES = {
    TransitionClass.STANDARD_IA: ("StandardIAStorage",),
    TransitionClass.INTELLIGENT_TIERING: (
        "IntelligentTieringFAStorage",
        "IntelligentTieringIAStorage",
        "IntelligentTieringAIAStorage",
    ),
    TransitionClass.GLACIER_IR: ("GlacierInstantRetrievalStorage",),
    TransitionClass.GLACIER: ("GlacierStorage", "GlacierObjectOverhead", "GlacierS3ObjectOverhead"),
    TransitionClass.DEEP_ARCHIVE: ("DeepArchiveStorage",),
}

TRANSITIONS_PATH = "spec.lifecycle.transitions"
EXPIRATION_PATH = "spec.lifecycle.expirationDays"


def transition_class_for(storage_class: StorageClass) -> TransitionClass | None:
    """The transition target that puts objects in `storage_class` (None for standard)."""
    if storage_class == StorageClass.STANDARD:
        return None
    return TransitionClass(storage_class.value)


def sorted_transitions(lifecycle: Lifecycle) -> list:
    return sorted(lifecycle.transitions, key=lambda transition: transition.days)


def cost_alarm_storage_types(lifecycle: Lifecycle) -> list[str]:
    """Storage types the bucket really uses: Standard (where uploads land) plus every transition target.

    Deep Archive's overhead metrics are left out so the alarm's metric math stays within CloudWatch's
    limit of 10 metrics (see docs/decisions/contract-tags-and-cost-alarm.md).
    """
    types = list(STANDARD_STORAGE_TYPES)
    for transition in sorted_transitions(lifecycle):
        types += [name for name in STORAGE_TYPES[transition.storage_class] if name not in types]
    return types


def transition_problems(lifecycle: Lifecycle) -> list[Problem]:
    """The rules S3 applies to a lifecycle configuration's transitions and expiration."""
    problems: list[Problem] = []
    ordered = sorted_transitions(lifecycle)
    positions = {id(transition): index for index, transition in enumerate(lifecycle.transitions)}
    previous = None
    for transition in ordered:
        path = f"{TRANSITIONS_PATH}[{positions[id(transition)]}]"
        problems += _single_transition_problems(transition, path)
        if previous is not None:
            problems += _successive_transition_problems(previous, transition, path)
        previous = transition
    return problems + _expiration_problems(lifecycle, ordered)


def _single_transition_problems(transition, path: str) -> list[Problem]:
    if (
        transition.storage_class == TransitionClass.STANDARD_IA
        and transition.days < MIN_DAYS_IN_STANDARD_BEFORE_IA
    ):
        return [
            error(
                f"{path}.days",
                "lifecycle.ia-too-early",
                f"S3 moves objects to Standard-IA only after at least {MIN_DAYS_IN_STANDARD_BEFORE_IA} "
                f"days; set days to {MIN_DAYS_IN_STANDARD_BEFORE_IA} or more.",
            )
        ]
    return []


def _successive_transition_problems(previous, transition, path: str) -> list[Problem]:
    if transition.days == previous.days:
        return [
            error(
                f"{path}.days",
                "lifecycle.same-day",
                f"Two transitions on day {transition.days}; give each transition its own day.",
            )
        ]
    if TRANSITION_ORDER.index(transition.storage_class) <= TRANSITION_ORDER.index(previous.storage_class):
        return [
            error(
                f"{path}.storageClass",
                "lifecycle.order",
                f"Objects cannot move from {previous.storage_class.value} to "
                f"{transition.storage_class.value}; later transitions must go to colder classes "
                f"({' -> '.join(c.value for c in TRANSITION_ORDER)}).",
            )
        ]
    if (
        previous.storage_class == TransitionClass.STANDARD_IA
        and transition.days - previous.days < MIN_DAYS_IN_IA_BEFORE_NEXT
    ):
        return [
            error(
                f"{path}.days",
                "lifecycle.ia-minimum-stay",
                f"Objects must stay in Standard-IA at least {MIN_DAYS_IN_IA_BEFORE_NEXT} days; set days "
                f"to {previous.days + MIN_DAYS_IN_IA_BEFORE_NEXT} or more.",
            )
        ]
    return []


def _expiration_problems(lifecycle: Lifecycle, ordered: list) -> list[Problem]:
    expiration = lifecycle.expiration_days
    if expiration is None or not ordered:
        return []
    last = ordered[-1]
    if expiration <= last.days:
        return [
            error(
                EXPIRATION_PATH,
                "lifecycle.expiration-before-transition",
                f"Objects expire on day {expiration} but transition to {last.storage_class.value} on day "
                f"{last.days}; expire after the last transition (day {last.days + 1} or later) or drop "
                f"the transition.",
            )
        ]
    minimum = MIN_STORAGE_DAYS.get(last.storage_class)
    if minimum and expiration - last.days < minimum:
        return [
            warning(
                EXPIRATION_PATH,
                "lifecycle.early-deletion",
                f"{last.storage_class.value} bills at least {minimum} days per object; expiring "
                f"{expiration - last.days} days after the transition pays for storage not used. "
                f"Expire on day {last.days + minimum} or later, or transition later.",
            )
        ]
    return []
