"""AWS Lambda functions that validate cross-region replication (stdlib + boto3 only, no Django)."""
