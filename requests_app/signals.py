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

# kwargs: entry (CatalogEntry, locked), actor. Sent by catalog.remove_entry inside its transaction, just
# before the entry is deleted. Each receiver returns {model label: [row, ...]}: the rows of its app that go
# with the entry (the deletion's cascade, or deleted by the receiver), each as the fields that identify it.
catalog_entry_removing = Signal()

# Sent once a request is saved (in the submitting transaction). kwargs: request, actor.
# The runner queues the plan approvers will vote on.
submitted = Signal()
