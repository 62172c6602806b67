"""The three roles of the portal as Django groups, with their permissions in one table.

This table is what the groups hold *now*. Each app's data migration grants its own
permissions from a copy of its rows frozen inside the migration (a migration must mean
the same thing whatever this table becomes later); ``tests/portal/test_foundation.py``
checks that the migrated groups equal this table. A new permission for a role therefore
goes in two places: a row here and a new data migration of the app that owns it
(docs/decisions/core-platform-app.md). Staff and superusers administer; platform
approvers also need ``is_staff`` to sign in to the admin, where they decide.
"""

REQUESTERS = "requesters"
PLATFORM_APPROVERS = "platform-approvers"
AUDITORS = "auditors"

# role -> permission codenames as "app_label.codename"
ROLE_PERMISSIONS = {
    REQUESTERS: [
        "requests_app.submit_bucketrequest",
        "requests_app.view_bucketrequest",
        "requests_app.view_catalogentry",
        "core.view_team",
        "replication.view_bucketpair",
        "replication.view_incident",
        "replication.view_replicationevent",
        "runner.view_run",
        "compliance.view_bucketcompliance",
        "compliance.view_finding",
    ],
    PLATFORM_APPROVERS: [
        "requests_app.decide_bucketrequest",
        "requests_app.view_all_bucketrequests",
        "requests_app.view_bucketrequest",
        "requests_app.view_approval",
        "requests_app.view_catalogentry",
        "core.view_team",
        "core.view_auditentry",
        "replication.view_bucketpair",
        "replication.view_incident",
        "replication.view_replicationevent",
        "replication.manage_incident",
        "replication.view_snsmessage",
        "replication.view_refusalcount",
        "runner.view_run",
        "runner.cancel_run",
        "runner.retry_run",
        "compliance.view_bucketcompliance",
        "compliance.view_finding",
        "compliance.remediate_bucket",
    ],
    AUDITORS: [
        "requests_app.view_all_bucketrequests",
        "requests_app.view_bucketrequest",
        "requests_app.view_approval",
        "requests_app.view_catalogentry",
        "core.view_team",
        "core.view_auditentry",
        "core.export_auditentry",
        "replication.view_bucketpair",
        "replication.view_incident",
        "replication.view_replicationevent",
        "replication.view_snsmessage",
        "replication.view_refusalcount",
        "runner.view_run",
        "compliance.view_bucketcompliance",
        "compliance.view_finding",
    ],
}
