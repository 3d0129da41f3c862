"""Rendering for training: the parity invariant against the real chat templates, and the loss mask.

Parity: for every trained assistant turn, the ids before its first trained token equal
``apply_chat_template(history, tools, add_generation_prompt=True, enable_thinking=False)``, token for
token; the trained ids decode to the turn itself and parse back to its calls.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

import pytest

from fctune.formats import IM_END, ChatFormat, ToolCall, parse

GOLDEN = Path(__file__).parent / "golden"


from tests.conversations import MULTI_STEP, MULTI_TURN, NO_TOOLS_CHAT, PARALLEL, SINGLE, TOOLS, call  # noqa: F401

CONVERSATIONS = {"single": SINGLE, "parallel": PARALLEL, "multi_step": MULTI_STEP, "multi_turn": MULTI_TURN,
                 "no_tools": NO_TOOLS_CHAT}


def reference_prompt(tokenizer, history, tools):
    out = tokenizer.apply_chat_template(copy.deepcopy(history), tools=copy.deepcopy(tools) if tools else None,
                                        add_generation_prompt=True, enable_thinking=False, tokenize=True)
    return list(out["input_ids"] if not isinstance(out, list) else out)


def check_invariants(fmt, conv, reference_tokenizer):
    """Every invariant of one conversation; ``reference_tokenizer`` renders with the same template."""
    tok = fmt.tokenizer
    messages, tools = conv["messages"], conv.get("tools")
    samples = fmt.render_training(conv)
    assistant_turns = [i for i, m in enumerate(messages) if m["role"] == "assistant"]
    assert [s.turn for s in samples] == assistant_turns  # one sample per assistant turn, every one trained
    im_end = tok.convert_tokens_to_ids(IM_END)
    for s in samples:
        assert len(s.input_ids) == len(s.trainable)
        p = s.prompt_length
        # parity: the untrained prefix is the inference prompt of this turn, token for token
        assert s.input_ids[:p] == reference_prompt(reference_tokenizer, messages[: s.turn], tools), f"turn {s.turn}"
        # trained tokens form one block that ends the sample with <|im_end|> (no newline after it)
        assert s.trainable == [0] * p + [1] * (len(s.input_ids) - p)
        assert s.input_ids[-1] == im_end
        assert s.labels()[:p] == [-100] * p and s.labels()[p:] == s.input_ids[p:]
        trained_text = tok.decode(s.input_ids[p:], skip_special_tokens=False)
        assert trained_text.endswith(IM_END) and trained_text.count(IM_END) == 1
        for marker in ("<|im_start|>", "<tool_response>", "<think>", "</think>", "<tools>", "system", "user\n"):
            assert marker not in trained_text, f"{marker!r} trained in turn {s.turn}"
        for m in messages[: s.turn]:
            if m["role"] in ("user", "system", "tool") and len(m["content"]) > 3:
                assert m["content"] not in trained_text
        # the trained text parses back to the turn: same calls, same text
        message = messages[s.turn]
        parsed = parse(trained_text)
        assert parsed.ok, parsed.errors
        assert parsed.tool_calls == [ToolCall.from_message(c) for c in message.get("tool_calls") or []]
        assert parsed.content == (message.get("content") or "").strip()
        assert parsed.reasoning == ""
    return samples


@pytest.mark.parametrize("name", list(CONVERSATIONS))
def test_parity_and_mask_qwen3_template(qwen3_tokenizer, name):
    fmt = ChatFormat(qwen3_tokenizer)
    assert fmt.template_name == "own"
    samples = check_invariants(fmt, CONVERSATIONS[name], qwen3_tokenizer)
    for s in samples:  # Qwen3 non-thinking: the empty think block is in the (untrained) prompt
        prompt_text = qwen3_tokenizer.decode(s.input_ids[: s.prompt_length])
        assert prompt_text.endswith("<|im_start|>assistant\n<think>\n\n</think>\n\n")


def test_single_render_of_multi_step_breaks_parity(qwen3_tokenizer):
    """Why one sample per turn: the history form of an earlier call turn lacks the think block."""
    fmt = ChatFormat(qwen3_tokenizer)
    full = fmt.encode(fmt.render_text(MULTI_STEP["messages"], TOOLS))
    first = fmt.render_training(MULTI_STEP)[0]
    assert full[: first.prompt_length] != first.input_ids[: first.prompt_length]


@pytest.fixture()
def fresh_qwen3_tokenizer(qwen3_tokenizer_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(qwen3_tokenizer_dir))


def _smollm2_tokenizer():
    """SmolLM2's real tokenizer (converted by `make setup`; converted here when missing, never skipped)."""
    from transformers import AutoTokenizer

    from fctune.models import resolve_model_path

    return AutoTokenizer.from_pretrained(resolve_model_path("smollm2-135m"))


@pytest.mark.parametrize("name", list(CONVERSATIONS))
def test_parity_and_mask_hermes_template(fresh_qwen3_tokenizer, name):
    fmt = ChatFormat(fresh_qwen3_tokenizer, template="hermes")  # sets the hermes template on the tokenizer
    assert fmt.template_name == "hermes"
    samples = check_invariants(fmt, CONVERSATIONS[name], fresh_qwen3_tokenizer)
    for s in samples:
        assert fresh_qwen3_tokenizer.decode(s.input_ids[: s.prompt_length]).endswith("<|im_start|>assistant\n")


@pytest.mark.parametrize("name", ["single", "parallel", "multi_step"])
def test_parity_and_mask_smollm2_tokenizer(name):
    tok = _smollm2_tokenizer()
    fmt = ChatFormat(tok)
    assert fmt.template_name == "hermes"  # SmolLM2's own template knows no tools
    check_invariants(fmt, CONVERSATIONS[name], tok)


def test_hermes_template_leaves_shared_tokenizer_alone(qwen3_tokenizer):
    """The session tokenizer keeps Qwen3's own template (the hermes tests use a fresh copy)."""
    assert ChatFormat(qwen3_tokenizer).template_name == "own"


def test_enable_thinking_prompt_has_no_empty_think_block(fresh_qwen3_tokenizer):
    fmt = ChatFormat(fresh_qwen3_tokenizer, enable_thinking=True)
    s = fmt.render_training(SINGLE)[0]
    assert fresh_qwen3_tokenizer.decode(s.input_ids[: s.prompt_length]).endswith("<|im_start|>assistant\n")


def test_golden_multi_step_qwen3(qwen3_tokenizer):
    """Pins the full rendering of a multi-step conversation, trained spans in [[...]].

    Regenerate after an intended change: FCTUNE_UPDATE_GOLDEN=1 pytest tests/test_formats_render.py
    """
    from fctune.inspect import format_plain

    text = format_plain(ChatFormat(qwen3_tokenizer), [(1, MULTI_STEP)])
    path = GOLDEN / "multi_step_qwen3.txt"
    if os.environ.get("FCTUNE_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), "golden file missing: run with FCTUNE_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")
