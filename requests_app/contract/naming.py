"""Bucket names: derivation from the request and the S3 naming rules we hold them to."""

from .patterns import full_match
from .problems import Problem, error

MIN_BUCKET_NAME = 3
MAX_BUCKET_NAME = 63
RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", "--x-s3", "--table-s3")
BUCKET_NAME_CHARACTERS_PATTERN = r"^[a-z0-9-]+$"


def derive_bucket_name(prefix: str, environment: str, application: str, purpose: str) -> str:
    """`{prefix}-{env}-{app}-{purpose}` (seed 000 §2.2, prefix configurable)."""
    return f"{prefix}-{environment}-{application}-{purpose}"


REPLICA_SUFFIX = "-replica"


def replica_bucket_name(bucket_name: str) -> str:
    """The replica of a replicated bucket: ``{bucket}-replica``, the bucket part shortened to fit 63 characters."""
    room = MAX_BUCKET_NAME - len(REPLICA_SUFFIX)
    return bucket_name[:room].rstrip("-") + REPLICA_SUFFIX


def access_log_prefix(bucket_name: str) -> str:
    """Where a bucket's access logs land in the log bucket, when the contract names no `targetPrefix`."""
    return f"s3/{bucket_name}/"


def bucket_name_problems(name: str, path: str = "spec.bucketName") -> list[Problem]:
    """Every reason `name` is not a bucket name S3 (and our stricter no-dots rule) accepts."""
    problems = _length_problems(name, path)
    if not full_match(BUCKET_NAME_CHARACTERS_PATTERN, name):
        problems.append(
            error(
                path,
                "bucket-name.characters",
                f"'{name}' may contain only lowercase letters, digits and hyphens.",
            )
        )
    if name and not (name[0].isalnum() and name[-1].isalnum()):
        problems.append(
            error(path, "bucket-name.edges", "Start and end the bucket name with a letter or digit.")
        )
    problems += [
        error(path, "bucket-name.reserved-prefix", f"Bucket names may not start with '{prefix}'.")
        for prefix in RESERVED_PREFIXES
        if name.startswith(prefix)
    ]
    problems += [
        error(path, "bucket-name.reserved-suffix", f"Bucket names may not end with '{suffix}'.")
        for suffix in RESERVED_SUFFIXES
        if name.endswith(suffix)
    ]
    return problems


def _length_problems(name: str, path: str) -> list[Problem]:
    if len(name) > MAX_BUCKET_NAME:
        excess = len(name) - MAX_BUCKET_NAME
        return [
            error(
                path,
                "bucket-name.too-long",
                f"The bucket name has {len(name)} characters; S3 allows at most {MAX_BUCKET_NAME}. "
                f"Shorten the application name by {excess} character{'s' if excess > 1 else ''}.",
            )
        ]
    if len(name) < MIN_BUCKET_NAME:
        return [
            error(
                path, "bucket-name.too-short", f"The bucket name needs at least {MIN_BUCKET_NAME} characters."
            )
        ]
    return []
