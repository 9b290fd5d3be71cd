"""The browser fixtures of the end-to-end tests (a tab per test, its screenshot in test-artifacts/, the login form
helper), for the deployment proof: test_worker_failover.py points them at nginx by its own `running_app` and
`chromium`."""

from tests.e2e.conftest import login, page  # noqa: F401
