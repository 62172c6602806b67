"""Tasks the worker cluster runs on a schedule (created and kept in step with settings by ``core.apps``)."""

from core import audit_checkpoints


def write_audit_checkpoint():
    """Every AUDIT_CHECKPOINT_INTERVAL_MINUTES: a checkpoint when the chain grew, and any pending ones."""
    audit_checkpoints.scheduled_checkpoint()


def retry_audit_checkpoints():
    """Every minute: write checkpoints a failed attempt left pending (cheap when there are none)."""
    audit_checkpoints.write_pending()
