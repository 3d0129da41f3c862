"""``fctune inspect``: the marked rendering, the counts, and ``--json`` ids checked independently."""

from __future__ import annotations

import copy
import json

import pytest

from fctune.cli import build_parser
from fctune.errors import FctuneError
from fctune.formats import ToolCall, parse

from tests.conversations import MULTI_STEP, MULTI_TURN, PARALLEL, SINGLE


@pytest.fixture()
def data_file(tmp_path):
    from fctune.data.schema import write_jsonl

    path = tmp_path / "conv.jsonl"
    write_jsonl(path, [SINGLE, MULTI_STEP, PARALLEL, MULTI_TURN])
    return path


def inspect(*argv):
    args = build_parser().parse_args(["inspect", *argv])
    return args._run(args)


def test_json_output_meets_parity_checked_independently(data_file, capsys, qwen3_tokenizer):
    assert inspect(str(data_file), "--json") == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    convs = {1: SINGLE, 2: MULTI_STEP, 3: PARALLEL, 4: MULTI_TURN}
    expected = [(line, i) for line, c in convs.items() for i, m in enumerate(c["messages"]) if m["role"] == "assistant"]
    assert [(r["line"], r["turn"]) for r in rows] == expected
    for r in rows:
        conv = convs[r["line"]]
        ids, mask = r["input_ids"], r["trainable"]
        first = mask.index(1)
        ref = qwen3_tokenizer.apply_chat_template(copy.deepcopy(conv["messages"][: r["turn"]]), tools=copy.deepcopy(conv["tools"]),
                                                  add_generation_prompt=True, enable_thinking=False, tokenize=True)["input_ids"]
        assert ids[:first] == list(ref)
        assert all(mask[first:]) and ids[-1] == qwen3_tokenizer.convert_tokens_to_ids("<|im_end|>")
        parsed = parse(qwen3_tokenizer.decode(ids[first:]))
        message = conv["messages"][r["turn"]]
        assert parsed.tool_calls == [ToolCall.from_message(c) for c in message.get("tool_calls") or []]


def test_plain_output_marks_trained_spans_and_counts(data_file, capsys):
    assert inspect(str(data_file), "--index", "1") == 0
    out = capsys.readouterr().out
    assert out.count("=== line 2, assistant turn") == 3
    assert "[[<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"location\": \"Paris\"}}\n</tool_call><|im_end|>]]" in out
    assert "<think>\n\n</think>\n\n[[" in out  # the empty think block stays outside the trained span
    assert "[[<tool_response>" not in out
    assert "3 samples (one per assistant turn) from 1 conversations" in out and "trained /" in out


def test_hermes_template_and_max_length_flag(data_file, capsys):
    assert inspect(str(data_file), "--index", "0", "--template", "hermes", "--max-length", "10") == 0
    out = capsys.readouterr().out
    assert "template hermes" in out and "training skips it" in out and "<think>" not in out


def test_index_out_of_range(data_file):
    with pytest.raises(FctuneError, match="out of range"):
        inspect(str(data_file), "--index", "9")


def test_reports_the_special_token_rows_a_model_never_learned(data_file, capsys, qwen25_dir):
    assert inspect(str(data_file), "--index", "0", "--check-tokens") == 0
    out = capsys.readouterr().out
    assert "special tokens the format writes: <|im_start|>, <tool_call>, </tool_call>, <|im_end|>" in out
    assert "no untrained special-token rows" in out  # tiny-qwen3: random rows, all distinct
    assert inspect(str(data_file), "--index", "0", "--model", str(qwen25_dir), "--check-tokens") == 0
    out = capsys.readouterr().out
    assert "<tool_call> (151657) in embedding+head, </tool_call> (151658) in embedding+head" in out
    assert "lora.trainable_tokens=auto" in out and "<|im_end|> (" not in out
    assert inspect(str(data_file), "--index", "0") == 0  # the tokenizer alone, by default
    assert "special tokens the format writes" not in capsys.readouterr().out
