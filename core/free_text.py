"""What free text a person writes (a vote's comment, a withdraw or abandon reason) must be to be stored.

PostgreSQL stores no NUL character in text or JSON, and a lone surrogate (JSON's "\\ud800" decodes to
one) cannot be encoded as UTF-8, so the audit entry's hash would fail on it: both are refused at the
door with a plain message instead of a 500 at the end.
"""


def unstorable(text: str) -> str | None:
    """Why ``text`` cannot be stored, as the end of a sentence ("may not contain …"), or None."""
    if "\x00" in text:
        return "may not contain NUL characters"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "may not contain unpaired surrogate characters (not valid Unicode text)"
    return None
