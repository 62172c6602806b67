"""Replication events and incidents ingested from SNS."""
