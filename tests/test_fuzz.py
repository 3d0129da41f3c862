"""Fuzzing that keeps the hardening so (bounded example counts, so CI runs it every time):

* rows: arbitrary JSON values and the hostile shapes (deep nesting, huge numbers, lone surrogates,
  wrong types) through ``data validate``'s reader and checks: errors name their line, nothing raises;
* configs: random ``key=value`` overrides: a :class:`ConfigError` or a valid config, nothing else;
* the server: schemathesis generates requests from the OpenAPI schema of the real app (the tiny
  tool-calling model behind it) and every answer must be below 500.
"""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                    max_leaves=20)
ROLE = st.sampled_from(["system", "user", "assistant", "tool", "function", "", "USER", 3])
MESSAGE = st.fixed_dictionaries({"role": ROLE}, optional={
    "content": st.none() | st.text(max_size=30) | st.integers() | st.lists(JSON, max_size=2),
    "tool_calls": JSON, "name": st.text(max_size=8) | st.integers()})
ROW = st.fixed_dictionaries({}, optional={"messages": st.lists(MESSAGE, max_size=5) | JSON, "tools": JSON})
HOSTILE = st.sampled_from([
    "[" * 3000 + "]" * 3000, '{"messages": ' + "[" * 200 + "]" * 200 + "}",
    '{"messages": [], "n": ' + "7" * 5000 + "}", '{"messages": [{"role": "user", "content": "\\udc80"}]}',
    "\ufeff{}", "null", "[]", '"text"', "{", "NaN", '{"messages": [{"role": "user", "content": "\\u0000"}]}'])


def _line(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(ROW | HOSTILE, min_size=1, max_size=6))
def test_any_rows_give_line_numbered_errors_and_never_raise(tmp_path_factory, rows):
    from fctune.data.validate import validate_file

    path = tmp_path_factory.mktemp("rows") / "d.jsonl"
    path.write_text("".join(_line(r).replace("\n", " ") + "\n" for r in rows), encoding="utf-8", errors="surrogatepass")
    report = validate_file(path)
    assert report.stats["rows"] == len(rows)
    assert all(1 <= e.line <= len(rows) and str(path) == e.path for e in report.errors)
    assert report.stats["samples"] + report.stats["invalid_rows"] == len(rows)


KEYS = ["train.learning_rate", "train.num_epochs", "train.max_steps", "train.save_total_limit", "train.output_dir",
        "data.max_length", "lora.r", "lora.dropout", "lora.target_modules", "model.threads", "model.dtype",
        "eval.call_threshold", "train.warmup_ratio", "lora.trainable_tokens", "train.lr_scheduler", "no.such_key",
        "train", "lora.alpha"]
VALUES = st.one_of(st.sampled_from(["inf", "-inf", "nan", "-5", "0", "1e400", "", "[]", "[q_proj]", "true", "off",
                                    "null", "2**70", "1" * 30, "cosine", "runs/x"]),
                   st.text(max_size=12), st.integers().map(str), st.floats().map(str))


@settings(max_examples=150, deadline=None)
@given(overrides=st.lists(st.tuples(st.sampled_from(KEYS), VALUES), min_size=1, max_size=4))
def test_any_overrides_give_a_config_error_or_a_valid_config(overrides):
    from fctune.config import _float_settings, load_config
    from fctune.errors import ConfigError

    try:
        cfg = load_config(None, [f"{k}={v}" for k, v in overrides])
    except ConfigError as exc:
        assert "\n" not in str(exc).strip()
        return
    assert all(math.isfinite(v) for _, v in _float_settings(cfg))
    assert cfg.train.output_dir.strip() and cfg.data.max_length > 0 and cfg.train.save_total_limit >= 0


# ---------------------------------------------------------------------------------------------
# The server, from its OpenAPI schema
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def api_schema(tool_model):
    import schemathesis

    from fctune.serving.app import create_app
    from fctune.serving.engine import Engine

    engine = Engine.load(str(tool_model), max_model_len=512, default_max_new_tokens=8)
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(engine, "tiny"))


@pytest.mark.slow
def test_no_request_gets_a_server_error(api_schema):
    """Every operation of the OpenAPI schema, with requests schemathesis generates (valid and invalid
    bodies, odd types and values): never a 5xx. (schemathesis' pytest plugin does not run on this
    pytest; its Python API drives hypothesis here.)"""
    from schemathesis.checks import not_a_server_error

    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert any(op.path == "/v1/chat/completions" for op in operations)
    for operation in operations:
        @settings(max_examples=40 if operation.method.upper() == "POST" else 10, deadline=None,
                  suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy())
        def check(case):
            case.call_and_validate(checks=[not_a_server_error])

        check()
