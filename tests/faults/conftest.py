from tests.requests_app.conftest import api, backstage, service_account, team_member, teams  # noqa: F401
