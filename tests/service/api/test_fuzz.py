"""Property-based test of the whole API: schemathesis draws requests (valid and invalid) for every operation from
the app's own OpenAPI document and sends them to the real server. No answer may be a 5xx, and every answer must
match what the document declares for its operation: status code, content type, headers (Allow on 405) and body
schema; invalid requests must be refused. The example count is bounded (the run costs seconds, not minutes).

Left out: the check that every schema-valid request is accepted, as the API refuses schema-valid requests on
purpose (an event for a video that is not stored, an id that names nothing: 422, 404)."""
from __future__ import annotations

import collections

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from service.api import create_app
from service.config import Settings
from tests.helpers.api import AUTH

EXAMPLES = 25  # per operation, besides the document's own examples
# The document does not depend on settings or state: generate it from an app that is never started.
schema = schemathesis.openapi.from_dict(create_app(Settings(), start_workers=False).openapi())
ANSWERS: collections.Counter[int] = collections.Counter()


@pytest.fixture(scope="module", autouse=True)
def tally():
    """Print how many requests were sent and how they were answered (run with -s to see it)."""
    yield
    print(f"\nschemathesis: {sum(ANSWERS.values())} requests, "
          f"{sum(n for status, n in ANSWERS.items() if status >= 500)} answered 5xx; by status {dict(ANSWERS)}")


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck),
          phases=[Phase.explicit, Phase.generate])
def test_no_request_gets_a_server_error_or_an_undeclared_answer(case, server, indexed):
    response = case.call_and_validate(headers=AUTH, base_url=server[1], excluded_checks=[positive_data_acceptance])
    ANSWERS[response.status_code] += 1
