"""Functions that data migrations call. Every migration passes its own frozen data.

A migration must do the same thing on every database, whenever it runs; so these
functions take everything they act on as arguments (no table is read from the code
base), and what they do must not change: a different behaviour is a new function.
"""


def grant_permissions(apps, app_label: str, table: dict[str, list[str]]) -> None:
    """Create the role groups if needed and give them the ``app_label.codename`` rows of ``table``
    (role -> permissions) that belong to ``app_label``.

    ``apps`` is the migration's app registry. Django creates permissions only after all
    migrations ran, so the app's content types and permissions are created here first,
    from the migration state's models.
    """
    from django.apps import apps as installed_apps
    from django.contrib.auth.management import create_permissions

    # create_permissions reads the models from ``apps`` (the migration state); the installed
    # config is passed only because it checks that the app has a models module.
    create_permissions(installed_apps.get_app_config(app_label), verbosity=0, apps=apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, permissions in table.items():
        group, _ = Group.objects.get_or_create(name=role)
        codenames = [name.split(".", 1)[1] for name in permissions if name.startswith(f"{app_label}.")]
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        )


def move_content_types(apps, from_label: str, to_label: str, models: list[str]) -> None:
    """Re-label the content types of ``models`` (lower-case model names) that moved from app
    ``from_label`` to ``to_label``, so their permissions, and every group and user holding
    them, follow the model (``app.codename`` becomes ``to_label.codename``).

    If the target content type exists already (created by a ``migrate`` that ran before the
    move), the grants of the old permissions are carried over to the new ones with the
    same codename, and the old content type and its permissions are deleted.
    """
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    for model in models:
        old = ContentType.objects.filter(app_label=from_label, model=model).first()
        if old is None:
            continue
        new = ContentType.objects.filter(app_label=to_label, model=model).first()
        if new is None:
            old.app_label = to_label
            old.save(update_fields=["app_label"])
            continue
        for permission in Permission.objects.filter(content_type=old):
            target, _ = Permission.objects.get_or_create(
                content_type=new, codename=permission.codename, defaults={"name": permission.name}
            )
            target.group_set.add(*permission.group_set.all())
            target.user_set.add(*permission.user_set.all())
        Permission.objects.filter(content_type=old).delete()
        old.delete()
