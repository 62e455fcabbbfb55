"""The API under schemathesis: every operation of the OpenAPI schema, as several roles of the
cast and anonymously, with generated valid and invalid input, all of schemathesis' checks.

It must end with no server error and no response that disagrees with the schema. The run is
fixed (derandomized) so a failure reproduces; FUZZ_EXAMPLES raises the examples per operation,
role and mode for a longer local run."""

import base64
import contextlib
import os

import hypothesis
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup

from config.wsgi import application

ROLES = [None, "quality_officer", "software_lead", "discipline_officer", "student"]
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))


CONFIG = schemathesis.config.SchemathesisConfig.from_dict(
    {
        # The roles' credentials are sent explicitly; no generated session cookies.
        "generation": {"with-security-parameters": False},
        "checks": {
            # A schema cannot say which ids exist or that an end year follows the start year:
            # such schema-valid input is rightly refused with 400 (in the error shape).
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "400", "403", "404", "409", "429"]
            }
        },
    }
)


def _basic(user, password) -> dict:
    token = base64.b64encode(f"{user.username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


class Run:
    def __init__(self):
        self.requests = 0
        self.failures = {}  # (role, operation, code, title, status) -> the first report

    def operation(self, operation, mode, role, headers):
        @hypothesis.settings(
            max_examples=EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
        def check(case):
            self.requests += 1
            response = case.call(app=application, headers=headers)
            try:
                case.validate_response(
                    response, headers=headers, transport_kwargs={"app": application}
                )
            except FailureGroup as group:
                for failure in group.exceptions:
                    key = (
                        role or "anonymous",
                        failure.operation,
                        failure.code,
                        failure.title,
                        response.status_code,
                    )
                    self.failures.setdefault(key, f"{failure.message}\n{case.as_curl_command()}")

        # Unsatisfiable: nothing to generate in this mode (no input that could be invalid).
        with contextlib.suppress(hypothesis.errors.Unsatisfiable):
            check()


def test_the_api_holds_under_the_fuzzer(cast, settings):
    # The auth check resends the roles' requests with wrong passwords, which the login throttle
    # (tested on its own in tests/accounts/test_login_throttle.py) would answer with 429 after a
    # few tries; the fuzzer is here for the API's answers, not the throttle's.
    settings.LOGIN_FREE_FAILURES = 10**6
    # schemathesis calls the WSGI app directly: Django's request signals would close the test's
    # database connection after each request (the test client disconnects them; so do we).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        _fuzz(cast)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _fuzz(cast):
    schema = schemathesis.openapi.from_wsgi(
        "/api/v1/schema/?format=json", application, config=CONFIG
    )
    run = Run()
    for result in schema.get_all_operations():
        operation = result.ok()
        for role in ROLES:
            headers = _basic(getattr(cast, role), cast.password) if role else {}
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                run.operation(operation, mode, role, headers)
    print(f"\nfuzzer: {run.requests} requests, {len(run.failures)} failures")
    assert run.requests > 0
    report = [
        f"[{role}] {operation} {code} {title} ({status}):\n{text[:600]}"
        for (role, operation, code, title, status), text in sorted(run.failures.items())
    ]
    assert not report, "\n\n".join(report)
