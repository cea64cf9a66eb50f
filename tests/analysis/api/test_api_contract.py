"""Contract fuzzing: schemathesis generates requests from the API's own OpenAPI description and sends
them to the app served by waitress on 127.0.0.1 (a free port): as an admin (every route reachable) with
valid and with invalid requests, and with no token. No response may be a 5xx; every status, media type,
documented header and JSON body must match the description. Bounded: a fixed number of examples per
operation, derandomised (the same cases every run).
"""
from __future__ import annotations

import pytest

from tests.analysis.api.conftest import bearer, make_tokens, wait_for_jobs
from tests.conftest import free_port

EXAMPLES = 25


@pytest.fixture(scope="module")
def served(writable):
    """The module's writable app, on a loopback port, with a generous rate limit."""
    from analysis.api import create_app
    from analysis.api.server import start_in_thread

    _, _, store = writable
    app = create_app(store, rate_limit=100_000)
    port = free_port()
    server = start_in_thread(app, "127.0.0.1", port, stop_process_on_exit=False)
    yield f"http://127.0.0.1:{port}", make_tokens(store, "fuzz")["admin"]
    server.close()


def _checks():
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    return [not_a_server_error, status_code_conformance, content_type_conformance,
            response_headers_conformance, response_schema_conformance]


def _fuzz(base: str, headers: dict, examples: int, mode: str = "positive") -> list[str]:
    """Run every operation's generated cases; `mode` "negative" generates requests that break the
    description (wrong types, missing fields): they must get a documented 4xx, never a 5xx."""
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis.errors import Unsatisfiable
    from schemathesis.generation.modes import GenerationMode

    schema = schemathesis.openapi.from_url(f"{base}/api/v1/openapi.json")
    schema.config.update(base_url=base)
    checks = _checks()
    failures, ran = [], 0
    for result in schema.get_all_operations():
        op = result.ok()
        ran += 1

        @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=op.as_strategy(GenerationMode(mode)))
        def run(case):
            case.call_and_validate(base_url=base, headers=headers, checks=checks, timeout=120)

        try:
            run()
        except Unsatisfiable:   # negative mode: an operation with no input to break (GET /health)
            continue
        except Exception as e:  # noqa: BLE001 - collect every operation's failure, report them together
            failures.append(f"{op.method.upper()} {op.path}: {str(e)[:1500]}")
    assert ran >= 15, f"only {ran} operations in the description"
    return failures


def test_fuzzing_the_openapi_description_as_admin_finds_no_5xx_and_no_schema_mismatch(served):
    from analysis.ops import jobs

    base, admin = served
    failures = _fuzz(base, bearer(admin), EXAMPLES)
    wait_for_jobs(jobs)     # POST /analyze may have started the scorer on this store
    assert not failures, "\n\n".join(failures)


def test_fuzzing_with_requests_that_break_the_description_gets_documented_4xx(served):
    from analysis.ops import jobs

    base, admin = served
    failures = _fuzz(base, bearer(admin), 10, mode="negative")
    wait_for_jobs(jobs)
    assert not failures, "\n\n".join(failures)


def test_fuzzing_without_a_token_gets_documented_answers_only(served):
    base, _ = served
    failures = _fuzz(base, {}, 5)
    assert not failures, "\n\n".join(failures)
