"""Signals other apps listen to, so that the runner never imports them.

``apply_succeeded`` is sent after the transaction that ended an apply run as succeeded has
committed (kwargs: ``run``): the compliance app reads the bucket back to verify the run.
"""

from django.dispatch import Signal

apply_succeeded = Signal()
