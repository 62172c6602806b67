"""One line of JSON per log event, for log shippers and `jq`, carrying the request id.

No Django imports here: logging is configured before the app registry is ready.
"""

import contextlib
import contextvars
import json
import logging
from datetime import UTC, datetime

_current_request_id = contextvars.ContextVar("request_id", default="-")


@contextlib.contextmanager
def bind_request_id(request_id: str):
    """Every log line written inside the block carries ``request_id``."""
    token = _current_request_id.set(request_id)
    try:
        yield
    finally:
        _current_request_id.reset(token)


class RequestIdLogFilter(logging.Filter):
    def filter(self, record):
        record.request_id = _current_request_id.get()
        return True


_STANDARD_ATTRIBUTES = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        event = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        if record.name == "django.server":
            event.update(_access_fields(record))
        # Structured context passed as logger.info("...", extra={...}).
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES and key not in event:
                event[key] = value
        if record.exc_info:
            event["exception"] = self.formatException(record.exc_info)
        return json.dumps(event, default=str)


def _access_fields(record: logging.LogRecord) -> dict:
    """What an access-log line of the development server is about: method, path and status.

    Django's server passes its socket as ``request`` (useless in a log); the request line is the
    message's first argument ("GET /path HTTP/1.1").
    """
    request_line = str(record.args[0]) if isinstance(record.args, tuple) and record.args else ""
    method, _, rest = request_line.partition(" ")
    path = rest.rpartition(" ")[0] or rest
    return {
        "request": request_line or "-",
        "method": method or "-",
        "path": path or "-",
        "status": getattr(record, "status_code", None),
    }
