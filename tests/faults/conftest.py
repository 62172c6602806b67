from tests.requests_app.conftest import api, backstage, service_account, team_member, teams  # noqa: F401
from tests.runner.conftest import runner_settings  # noqa: F401
