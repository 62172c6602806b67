"""A rule's refusal: an exception with a ``code`` naming the rule (the API maps codes to statuses) and a
``message`` a person reads. Each set of rules (approvals, withdrawals) subclasses it with its codes."""


class Refused(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message
