"""Keep a run's log within a size limit while it grows: the beginning and the latest output.

The beginning says what was run (init, the plan); the end says how it ended (the error).
When the log outgrows ``limit`` characters, the middle is dropped and :data:`OMISSION_MARKER`
stands in its place; later output keeps replacing the oldest part of the tail.
"""

OMISSION_MARKER = "\n[… earlier output omitted to keep this log within its size limit …]\n"


def append_bounded(log: str, addition: str, limit: int) -> str:
    """``log + addition`` if that fits in ``limit`` characters, else its head and newest tail."""
    combined = log + addition
    if len(combined) <= limit:
        return combined
    head_size = limit // 2
    tail_size = max(limit - head_size - len(OMISSION_MARKER), 0)
    head = combined[:head_size]
    rest = combined[head_size:]
    if rest.startswith(OMISSION_MARKER):
        rest = rest[len(OMISSION_MARKER) :]
    return head + OMISSION_MARKER + rest[len(rest) - tail_size :]
