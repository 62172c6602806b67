"""Signals other apps listen to, so that ``requests_app`` never imports them.

``status_changed`` is sent inside the transaction that changed the status: a receiver
that writes rows (the runner creating a queued run on ``approve``) commits or rolls back
together with the change.
"""

from django.dispatch import Signal

# kwargs: request (BucketRequest, locked), transition (str), actor (user or str)
status_changed = Signal()

# kwargs: entry (CatalogEntry, just saved). Sent inside the transaction that saved it.
catalog_entry_saved = Signal()

# Sent once a request is saved (in the submitting transaction). kwargs: request, actor.
# The runner queues the plan approvers will vote on.
submitted = Signal()
