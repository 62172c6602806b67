"""Demo teams and one user per role, for trying the portal locally.

Refused unless DEBUG is on and the database is the embedded SQLite (never in production).
Passwords are random, chosen once and kept in ``var/demo-logins.json`` (mode 0600) so that
every `make run` can print them again.
"""

import json
import secrets

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from core import roles
from core.models import Team

DEMO_TEAMS = [
    ("app-team", "Application team"),
    ("payments-team", "Payments"),
    ("data-platform", "Data platform"),
]
# username, role group, staff, superuser, teams
DEMO_USERS = [
    ("rita", roles.REQUESTERS, False, False, ["app-team", "payments-team"]),
    ("alex", roles.PLATFORM_APPROVERS, True, False, []),
    ("blake", roles.PLATFORM_APPROVERS, True, False, []),
    ("ada", roles.AUDITORS, False, False, []),
    ("admin", None, True, True, []),
]


def demo_logins_path():
    return settings.VAR_DIR / "demo-logins.json"


def _load_or_choose_passwords() -> dict:
    path = demo_logins_path()
    if path.exists():
        return json.loads(path.read_text())
    passwords = {username: secrets.token_urlsafe(9) for username, *_ in DEMO_USERS}
    path.write_text(json.dumps(passwords, indent=2))
    path.chmod(0o600)
    return passwords


class Command(BaseCommand):
    help = "Create demo teams and one user per role (development only) and print the logins."

    def handle(self, *args, **options):
        if not settings.DEMO_USERS_ALLOWED:
            raise CommandError("Demo users exist only in the embedded default with DEBUG on.")
        passwords = _load_or_choose_passwords()
        with transaction.atomic():
            for slug, name in DEMO_TEAMS:
                Team.objects.get_or_create(slug=slug, defaults={"name": name})
            for username, role, is_staff, is_superuser, teams in DEMO_USERS:
                user, _ = User.objects.get_or_create(username=username)
                user.is_staff, user.is_superuser = is_staff, is_superuser
                user.set_password(passwords[username])
                user.save()
                if role:
                    user.groups.add(Group.objects.get(name=role))
                for team in Team.objects.filter(slug__in=teams):
                    team.members.add(user)
        self.stdout.write("Demo logins (username / password / role):")
        for username, role, _, is_superuser, _ in DEMO_USERS:
            label = role or ("superuser" if is_superuser else "")
            self.stdout.write(f"  {username:<6} {passwords[username]:<14} {label}")
