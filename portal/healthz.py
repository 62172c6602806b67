"""Health of the parts a portal needs: the database, the task broker, the worker cluster; whether
audit checkpoints reach their bucket; and whether SNS notifications wait too long for a worker.

Each check returns a small dict with ``ok`` and details, so `/healthz` can show what is
wrong instead of only that something is. The first three are needed to serve: any of them
failing makes the portal *unhealthy* (503). Checkpoints that cannot be written make it
*degraded* (still 200: the portal works and keeps auditing, but the trail's outside anchor
lags; docs/audit.md), and so does a cluster that reports no worker process (requests are taken
but no run, plan or check starts until a worker is back). SNS notifications that wait longer than
the stated bound for a worker (``replication_processing``: how many, the oldest's age, the bound)
make it *degraded* too, never unhealthy: the hook still stores and answers every delivery, and a 503
would take web servers out of a load balancer, so SNS would lose the very notifications that are
waiting (docs/decisions/health-sns-backlog-monitoring.md).
"""

import logging

from django.db import connection
from django_q.brokers import Broker, get_broker
from django_q.status import Stat

from core import audit_checkpoints
from replication.overview import processing_backlog

logger = logging.getLogger(__name__)


def check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"ok": True, "vendor": connection.vendor}
    except Exception as error:  # any driver error means "down"; say which
        return {"ok": False, "vendor": connection.vendor, "error": str(error)}


def check_broker(broker: Broker) -> dict:
    try:
        broker.ping()
        return {"ok": True, "broker": broker.info(), "queued": broker.queue_size()}
    except Exception as error:
        return {"ok": False, "error": str(error)}


def check_cluster(broker: Broker) -> dict:
    """A cluster counts as alive while its last heartbeat (Stat) has not expired."""
    try:
        stats = Stat.get_all(broker=broker)
    except Exception as error:
        return {"ok": False, "clusters": 0, "error": str(error)}
    alive = [stat for stat in stats if stat.status != "Stopped"]
    workers = sum(len(stat.workers) for stat in alive)
    result = {"ok": bool(alive), "clusters": len(alive), "workers": workers}
    if alive and not workers:
        result["problem"] = "The cluster's heartbeat names no worker process: nothing runs until one is back."
    return result


def check_audit_checkpoints() -> dict:
    try:
        return audit_checkpoints.write_status()
    except Exception as error:  # the database check names the cause
        return {"ok": False, "error": str(error)}


def check_replication_processing() -> dict:
    """The SNS backlog (replication.overview.processing_backlog, as the health page shows it)."""
    try:
        backlog = processing_backlog()
    except Exception as error:  # the database check names the cause
        return {"ok": False, "error": str(error)}
    result = {"ok": not backlog.behind, **backlog.as_dict()}
    if backlog.behind:
        result["problem"] = (
            f"{backlog.pending} SNS notification(s) wait for a worker, the oldest for "
            f"{backlog.oldest_age_seconds:.0f} s (bound: {backlog.bound_seconds} s): events and incidents lag."
        )
    return result


def overall_health(broker: Broker | None = None) -> dict:
    broker = broker or get_broker()
    checks = {"database": check_database(), "broker": check_broker(broker)}
    checks["cluster"] = check_cluster(broker) if checks["broker"]["ok"] else {"ok": False, "clusters": 0}
    healthy = all(check["ok"] for check in checks.values())
    # Reported, and enough to degrade, but never to make the portal unhealthy (see the module's doc).
    checks["audit_checkpoints"] = check_audit_checkpoints()
    checks["replication_processing"] = check_replication_processing()
    degraded = (
        not checks["audit_checkpoints"]["ok"]
        or not checks["cluster"].get("workers")
        or not checks["replication_processing"]["ok"]
    )
    status = "unhealthy" if not healthy else "degraded" if degraded else "ok"
    if status != "ok":
        logger.warning("health check failed", extra={"checks": checks})
    return {"status": status, "checks": checks}
