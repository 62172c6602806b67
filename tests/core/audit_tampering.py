"""What an attacker with write access to the database (but not the chain key) can do to the trail.

Everything goes through raw SQL, past the model's append-only guard, exactly as someone holding
the database's credentials would.
"""

import hashlib

from django.db import connection

from core.audit import canonical_entry, entry_content
from core.models import AuditEntry

TABLE = AuditEntry._meta.db_table


def sql(statement: str, parameters=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, parameters)


def edit_actor(entry_id: int, actor: str) -> None:
    sql(f"UPDATE {TABLE} SET actor = %s WHERE id = %s", [actor, entry_id])


def delete_entries(*entry_ids: int) -> None:
    sql(f"DELETE FROM {TABLE} WHERE id IN ({', '.join(['%s'] * len(entry_ids))})", entry_ids)


def recompute_without_key(*, drop_key_id: bool = False) -> None:
    """Re-link the whole chain with plain SHA-256 (the best anyone without the key can do), so every
    previous_hash matches again; with ``drop_key_id``, disguise the entries as legacy (unkeyed) ones."""
    previous = "0" * 64
    for entry in AuditEntry.objects.order_by("id"):
        key_id = "" if drop_key_id else entry.key_id
        new_hash = hashlib.sha256(
            canonical_entry(previous, key_id=key_id, **entry_content(entry))
        ).hexdigest()
        if (entry.previous_hash, entry.entry_hash, entry.key_id) != (previous, new_hash, key_id):
            sql(
                f"UPDATE {TABLE} SET previous_hash = %s, entry_hash = %s, key_id = %s WHERE id = %s",
                [previous, new_hash, key_id, entry.id],
            )
        previous = new_hash
