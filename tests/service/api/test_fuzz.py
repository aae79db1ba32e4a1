"""Property-based API test: schemathesis draws requests from the app's own OpenAPI document."""
from __future__ import annotations

import collections
import time

import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from service.api import create_app
from service.config import Settings
from tests.helpers.api import AUTH

schema = schemathesis.openapi.from_dict(create_app(Settings(), start_workers=False).openapi())
STATS = collections.Counter()


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck),
          phases=[Phase.explicit, Phase.generate])
def test_no_request_gets_a_server_error_or_an_undeclared_answer(case, server, indexed):
    t = time.perf_counter()
    r = case.call_and_validate(headers=AUTH, base_url=server[1], excluded_checks=[positive_data_acceptance])
    STATS[r.status_code] += 1
    STATS["time"] += time.perf_counter() - t
    print(STATS)
