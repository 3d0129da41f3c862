"""Fuzzing that keeps the hardening so (bounded example counts, so CI runs it every time):

* rows: arbitrary JSON values and the hostile shapes (deep nesting, huge numbers, lone surrogates,
  wrong types) through ``data validate``'s reader and checks: errors name their line, nothing raises;
* configs: random ``key=value`` overrides: a :class:`ConfigError` or a valid config, nothing else;
* requests: random histories and tool lists: a 400, or a conversation data validate's shared rules
  accept and the chat template renders;
* HTTP requests from those histories with sampling settings near their edges, the model
  generating: never a 5xx, and a streamed answer ends properly;
* the server: schemathesis generates requests from the OpenAPI schema of the real app (the tiny
  tool-calling model behind it) and every answer must be below 500.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from tests.fuzzing import (
    OVERRIDES,
    REQ_BODIES,
    REQ_MESSAGES,
    REQ_TOOLS,
    ROWS,
    app_schema,
    case_outcome,
    fuzz_app,
    http_outcome,
    overrides_outcome,
    request_outcome,
    rows_outcome,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=ROWS)
def test_any_rows_give_line_numbered_errors_and_never_raise(tmp_path_factory, rows):
    rows_outcome(tmp_path_factory.mktemp("rows") / "d.jsonl", rows)


@settings(max_examples=150, deadline=None)
@given(overrides=OVERRIDES)
def test_any_overrides_give_a_config_error_or_a_valid_config(overrides):
    overrides_outcome(overrides)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(messages=REQ_MESSAGES, tools=REQ_TOOLS)
def test_any_request_is_a_400_or_a_prompt_training_would_accept(fmt, messages, tools):
    """The server's validator is data validate's, and what it accepts renders."""
    request_outcome(fmt, messages, tools)


# ---------------------------------------------------------------------------------------------
# The server, from its OpenAPI schema
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app(tool_model):
    return fuzz_app(tool_model)


@pytest.fixture(scope="module")
def api_schema(app):
    return app_schema(app)


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(body=REQ_BODIES)
def test_any_request_over_http_is_answered_without_a_server_error(app, body):
    """Histories, tools and sampling settings near the edges, the model generating (streamed or
    not, forced calls, stop strings, extreme temperatures and seeds): a 4xx or an answer."""
    from starlette.testclient import TestClient

    http_outcome(TestClient(app), body)


@pytest.mark.slow
def test_no_request_gets_a_server_error(api_schema):
    """Every operation of the OpenAPI schema, with requests schemathesis generates (valid and invalid
    bodies, odd types and values): never a 5xx. (schemathesis' pytest plugin does not run on this
    pytest; its Python API drives hypothesis here.)"""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert any(op.path == "/v1/chat/completions" for op in operations)
    for operation in operations:
        @settings(max_examples=40 if operation.method.upper() == "POST" else 10, deadline=None,
                  suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy())
        def check(case):
            case_outcome(case)

        check()
