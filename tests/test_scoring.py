"""BFCL AST semantics, hand-made cases for every error type and rule."""

from __future__ import annotations

import pytest

from fctune.formats import Parsed, ToolCall, parse
from fctune.scoring import (ERROR_TYPES, EvalItem, check_call, check_calls, reference_answer, score,
                            standardize_string)

# A BFCL-style function (BFCL's own type names) and its answer.
AREA = {"type": "dict", "properties": {
    "base": {"type": "integer"}, "height": {"type": "integer"}, "unit": {"type": "string"}},
    "required": ["base", "height"]}
AREA_ANSWER = {"calculate_triangle_area": {"base": [10], "height": [5], "unit": ["units", ""]}}

SPEED = {"type": "dict", "properties": {"distance": {"type": "float"}, "time": {"type": "float"},
                                        "point": {"type": "tuple", "items": {"type": "float"}},
                                        "city": {"type": "string"}, "flags": {"type": "array", "items": {"type": "string"}},
                                        "opts": {"type": "dict", "properties": {}}, "precise": {"type": "boolean"}},
         "required": ["distance", "time"]}


def item(expected, schemas, category="simple_python", mode="bfcl"):
    return EvalItem(id="x", category=category, messages=[], tools=[], expected=expected, schemas=schemas, mode=mode)


def result(calls, expected, schemas, mode="bfcl"):
    return score(Parsed("", list(calls), []), item(expected, schemas, mode=mode))


def area_call(**args):
    return ToolCall("calculate_triangle_area", args)


SCHEMAS = {"calculate_triangle_area": AREA}


def test_correct_and_optional_parameter_may_be_left_out():
    assert result([area_call(base=10, height=5)], [AREA_ANSWER], SCHEMAS).correct
    assert result([area_call(base=10, height=5, unit="units")], [AREA_ANSWER], SCHEMAS).correct


@pytest.mark.parametrize("calls, error", [
    ([], "no_call"),
    ([area_call(base=10, height=5), area_call(base=10, height=5)], "wrong_count"),
    ([ToolCall("calculate_circle_area", {"base": 10, "height": 5})], "wrong_name"),
    ([area_call(base=10)], "missing_required"),
    ([area_call(base=10, height=5, color="red")], "unexpected_param"),
    ([area_call(base="10", height=5)], "type_error"),
    ([area_call(base=10.0, height=5)], "type_error"),   # float is not accepted for integer
    ([area_call(base=True, height=5)], "type_error"),   # nor bool
    ([area_call(base=11, height=5)], "value_error"),
    ([area_call(base=10, height=5, unit="cm")], "value_error"),
])
def test_error_types(calls, error):
    res = result(calls, [AREA_ANSWER], SCHEMAS)
    assert not res.correct and res.error == error, res
    assert res.error in ERROR_TYPES


def test_parse_error_and_irrelevance():
    it = item([AREA_ANSWER], SCHEMAS)
    bad = parse('<tool_call>{"name": "calculate_triangle_area", "arguments": {"base": 10,}}</tool_call>')
    assert score(bad, it).error == "parse_error"
    untagged = parse('{"name": "calculate_triangle_area", "arguments": {"base": 10, "height": 5}}')
    assert score(untagged, it).error == "parse_error"
    irrelevant = item(None, SCHEMAS, category="irrelevance")
    assert score(parse("I cannot do that with the tools I have."), irrelevant).correct
    assert score(bad, irrelevant).correct  # no decodable call: correct (BFCL)
    assert score(untagged, irrelevant).correct
    called = score(parse('<tool_call>{"name": "calculate_triangle_area", "arguments": {}}</tool_call>'), irrelevant)
    assert called.error == "called_when_irrelevant"


def test_answer_parameter_without_optional_marker_is_needed():
    answer = {"calculate_triangle_area": {"base": [10], "height": [5], "unit": ["units"]}}
    res = result([area_call(base=10, height=5)], [answer], SCHEMAS)
    assert res.error == "missing_required"


def test_parameter_in_schema_but_not_in_answer_is_unexpected():
    answer = {"calculate_triangle_area": {"base": [10], "height": [5]}}
    assert result([area_call(base=10, height=5, unit="units")], [answer], SCHEMAS).error == "unexpected_param"


def speed(**args):
    return ToolCall("speed", args)


SPEED_ANSWER = {"speed": {"distance": [100.0], "time": [9.5, ""], "point": [[1.0, 2.0]], "city": ["New York, NY"],
                          "flags": [["Fast lane", "b"]], "opts": [{"mode": ["eco", "sport"], "level": ["", 2]}],
                          "precise": [True, ""]}}
SPEED_SCHEMAS = {"speed": SPEED}


def test_int_accepted_for_float_tuple_as_list_and_string_normalisation():
    call = speed(distance=100, time=9.5, point=[1, 2.0], city="new york ny", flags=["FAST-LANE", "b"],
                 opts={"mode": "Sport"}, precise=True)
    assert result([call], [SPEED_ANSWER], SPEED_SCHEMAS).correct


@pytest.mark.parametrize("args, error", [
    ({"point": [1.0, 3.0]}, "value_error"),          # lists compared element-wise
    ({"point": [2.0, 1.0]}, "value_error"),          # in order
    ({"point": ["1", "2"]}, "type_error"),           # element types checked
    ({"point": "1, 2"}, "type_error"),
    ({"flags": ["fast lane"]}, "value_error"),
    ({"city": "Boston"}, "value_error"),
    ({"opts": {"mode": "eco", "color": "red"}}, "value_error"),  # dict key outside the answer
    ({"opts": {"level": 2}}, "value_error"),                     # required dict key missing
    ({"precise": 1}, "type_error"),
])
def test_value_and_type_checks(args, error):
    base = {"distance": 100.0, "time": 9.5, "point": [1.0, 2.0], "city": "New York, NY",
            "flags": ["Fast lane", "b"], "opts": {"mode": "eco"}}
    res = result([speed(**{**base, **args})], [SPEED_ANSWER], SPEED_SCHEMAS)
    assert res.error == error, res


def test_standardize_string():
    assert standardize_string("New York, NY.") == standardize_string("newyorkny")
    assert standardize_string("a-b_c*d^e/f") == "abcdef"
    assert standardize_string("It's") == 'it"s'


# --------------------------------------------------------------------------- parallel

WEATHER = {"type": "dict", "properties": {"location": {"type": "string"}, "unit": {"type": "string"}},
           "required": ["location"]}
PAR_SCHEMAS = {"get_weather": WEATHER, "get_time": {"type": "dict", "properties": {"tz": {"type": "string"}}, "required": []}}


def w(loc, **kw):
    return ToolCall("get_weather", {"location": loc, **kw})


def test_parallel_calls_match_in_any_order():
    expected = [{"get_weather": {"location": ["Paris"], "unit": ["", "celsius"]}},
                {"get_time": {"tz": ["UTC"]}},
                {"get_weather": {"location": ["Berlin"]}}]
    calls = [ToolCall("get_time", {"tz": "utc"}), w("Berlin"), w("Paris", unit="celsius")]
    assert result(calls, expected, PAR_SCHEMAS, ).correct


def test_parallel_matching_is_not_greedy():
    # The first prediction fits both expected entries; a greedy first-fit would give it to the
    # first one and leave the second prediction without a partner.
    expected = [{"get_weather": {"location": ["Paris", "Berlin"]}}, {"get_weather": {"location": ["Paris"]}}]
    assert result([w("Paris"), w("Berlin")], expected, PAR_SCHEMAS).correct
    assert check_calls([w("Paris"), w("Berlin")], expected, PAR_SCHEMAS).correct


def test_parallel_errors():
    expected = [{"get_weather": {"location": ["Paris"]}}, {"get_weather": {"location": ["Berlin"]}}]
    assert result([w("Paris")], expected, PAR_SCHEMAS).error == "wrong_count"
    assert result([w("Paris"), w("Rome")], expected, PAR_SCHEMAS).error == "value_error"
    assert result([w("Paris"), ToolCall("get_time", {})], expected, PAR_SCHEMAS).error == "wrong_name"


def test_dotted_names_kept():
    schemas = {"math.factorial": {"type": "dict", "properties": {"number": {"type": "integer"}}, "required": ["number"]}}
    expected = [{"math.factorial": {"number": [5]}}]
    assert result([ToolCall("math.factorial", {"number": 5})], expected, schemas).correct
    assert result([ToolCall("math_factorial", {"number": 5})], expected, schemas).error == "wrong_name"


def test_bfcl_variable_rule_and_any():
    schema = {"type": "dict", "properties": {"x": {"type": "any"}, "n": {"type": "integer"}}, "required": []}
    # The answer lists an int for an "any" (str) parameter: a value of the answer's type is fine.
    assert check_call(ToolCall("f", {"x": 3}), "f", {"x": [3]}, schema).correct
    assert check_call(ToolCall("f", {"x": "abc"}), "f", {"x": ["ABC"]}, schema).correct
    assert check_call(ToolCall("f", {"n": "n_var"}), "f", {"n": ["n_var"]}, schema).correct


# --------------------------------------------------------------------------- our data (reference mode)

TOOLS_JS = {"get_weather": {"type": "object", "properties": {
    "location": {"type": "string"}, "date": {"type": "string", "default": "today"},
    "days": {"type": "integer", "default": 1}, "lang": {"type": ["string", "null"]},
    "opts": {"type": "object"}}, "required": ["location"]}}


def ref(calls, reference, category="single"):
    expected = reference_answer(reference, TOOLS_JS)
    return score(Parsed("", list(calls), []), item(expected, TOOLS_JS, category=category, mode="reference"))


def test_reference_rules():
    gold = [ToolCall("get_weather", {"location": "北京", "date": "today"})]
    assert ref([ToolCall("get_weather", {"location": "北京", "date": "today"})], gold).correct
    # A reference argument equal to the schema default may be left out ...
    assert ref([ToolCall("get_weather", {"location": "北京"})], gold).correct
    # ... a parameter the reference does not give is tolerated only with its default value ...
    assert ref([ToolCall("get_weather", {"location": "北京", "date": "today", "days": 1})], gold).correct
    assert ref([ToolCall("get_weather", {"location": "北京", "days": 3})], gold).error == "unexpected_param"
    assert ref([ToolCall("get_weather", {"location": "北京", "lang": "zh"})], gold).error == "unexpected_param"
    # ... and one outside the schema never.
    assert ref([ToolCall("get_weather", {"location": "北京", "city": "x"})], gold).error == "unexpected_param"
    assert ref([ToolCall("get_weather", {"location": "上海"})], gold).error == "value_error"
    assert ref([ToolCall("get_weather", {"location": 1})], gold).error == "type_error"
    other = [ToolCall("get_weather", {"location": "北京", "date": "2024-05-01"})]
    assert ref([ToolCall("get_weather", {"location": "北京"})], other).error == "missing_required"


def test_reference_nested_values_and_type_unions():
    gold = [ToolCall("get_weather", {"location": "Paris", "lang": None, "opts": {"a": ["X Y", 1], "b": True}})]
    assert ref([ToolCall("get_weather", {"location": "paris", "lang": None, "opts": {"a": ["x-y", 1.0], "b": True}})],
               gold).correct
    assert ref([ToolCall("get_weather", {"location": "Paris", "lang": None, "opts": {"a": ["x-y", 1], "b": 1}})],
               gold).error == "value_error"  # True is not 1
    assert ref([ToolCall("get_weather", {"location": "Paris", "lang": 3, "opts": {"a": ["X Y", 1], "b": True}})],
               gold).error == "type_error"


def test_reference_parallel_any_order():
    gold = [ToolCall("get_weather", {"location": "北京"}), ToolCall("get_weather", {"location": "上海"})]
    assert ref([ToolCall("get_weather", {"location": "上海"}), ToolCall("get_weather", {"location": "北京"})],
               gold, "parallel").correct
