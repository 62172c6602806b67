"""The three roles of the portal as Django groups, with their permissions in one table.

Each app's data migration calls :func:`grant_role_permissions` for its own app label, so
the groups receive the permissions of apps that are added later, in their own migration.
Staff and superusers administer; platform approvers also need ``is_staff`` to sign in to
the admin, where they decide.
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
        "requests_app.view_team",
        "replication.view_bucketpair",
        "replication.view_incident",
        "replication.view_replicationevent",
        "runner.view_run",
    ],
    PLATFORM_APPROVERS: [
        "requests_app.decide_bucketrequest",
        "requests_app.view_all_bucketrequests",
        "requests_app.view_bucketrequest",
        "requests_app.view_approval",
        "requests_app.view_catalogentry",
        "requests_app.view_team",
        "requests_app.view_auditentry",
        "replication.view_bucketpair",
        "replication.view_incident",
        "replication.view_replicationevent",
        "replication.manage_incident",
        "replication.view_snsmessage",
        "replication.view_refusalcount",
        "runner.view_run",
        "runner.cancel_run",
        "runner.retry_run",
    ],
    AUDITORS: [
        "requests_app.view_all_bucketrequests",
        "requests_app.view_bucketrequest",
        "requests_app.view_approval",
        "requests_app.view_catalogentry",
        "requests_app.view_team",
        "requests_app.view_auditentry",
        "requests_app.export_auditentry",
        "replication.view_bucketpair",
        "replication.view_incident",
        "replication.view_replicationevent",
        "replication.view_snsmessage",
        "replication.view_refusalcount",
        "runner.view_run",
    ],
}


def grant_role_permissions(apps, app_label: str) -> None:
    """Create the groups if needed and give them the listed permissions of ``app_label``.

    Meant for data migrations (``apps`` is the migration's app registry). Django creates
    permissions only after all migrations ran, so they are created here first.
    """
    from django.apps import apps as installed_apps
    from django.contrib.auth.management import create_permissions

    # The real app config lists the models (the migration state's stub cannot); the
    # permission and content type rows are written through the migration's registry.
    create_permissions(installed_apps.get_app_config(app_label), verbosity=0, apps=apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, permissions in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        codenames = [name.split(".", 1)[1] for name in permissions if name.startswith(f"{app_label}.")]
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        )
