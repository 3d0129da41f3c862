"""Batched greedy generation equals one-at-a-time generation, in input order, stopping per row."""

from __future__ import annotations

import pytest
import torch

from fctune.generate import Generation, generate

PROMPTS = ["hi", "What's the weather in Paris today and tomorrow?", "今天北京的天气怎么样？",
           "x " * 40, "compute 2+2", "a", "帮我计算一下 25 * 4 + 10，然后告诉我现在几点了"]


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def model(qwen3_tokenizer):
    """A tiny random Qwen3 (fp32) whose greedy outputs differ from prompt to prompt
    (large init; the default init answers every prompt with the same token)."""
    from transformers import Qwen3Config, Qwen3ForCausalLM

    config = Qwen3Config(vocab_size=len(qwen3_tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, head_dim=8, tie_word_embeddings=False,
                         initializer_range=0.5, max_position_embeddings=2048)
    torch.manual_seed(0)
    return Qwen3ForCausalLM(config).eval()


class StopAt:
    """``fmt`` with extra stop tokens, so that rows of one batch finish at different steps."""

    def __init__(self, fmt, stops):
        self.tokenizer, self.decode = fmt.tokenizer, fmt.decode
        self.stop_token_ids = sorted(set(fmt.stop_token_ids) | set(stops))


def _prompts(fmt, tools=None):
    return [fmt.prompt_ids([{"role": "user", "content": p}], tools if i % 2 else None) for i, p in enumerate(PROMPTS)]


TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "weather",
                                           "parameters": {"type": "object", "properties": {"location": {"type": "string"}}}}}]


@pytest.fixture(params=["default", "batched-prefill", "transformers-cache"])
def mode(request, monkeypatch):
    """The CPU path; the GPU path (batched prompt pass); transformers' own cache (sliding-window models)."""
    import fctune.generate as gen

    if request.param == "batched-prefill":
        monkeypatch.setattr(gen, "PREFILL_ONE_BY_ONE_ON_CPU", False)
    elif request.param == "transformers-cache":
        monkeypatch.setattr(gen, "full_attention_only", lambda m: False)
    return request.param


def test_batched_equals_sequential_with_early_stops(model, fmt, mode):
    prompts = _prompts(fmt, TOOLS)
    assert len({len(p) for p in prompts}) == len(prompts)
    free = generate(model, fmt, prompts, max_new_tokens=12, batch_size=1, progress=False)
    # stop tokens seen early in some rows and never in others
    stops = {free[0].token_ids[2], free[1].token_ids[6]}
    stopper = StopAt(fmt, stops)
    one = generate(model, stopper, prompts, max_new_tokens=12, batch_size=1, progress=False)
    for bs in (3, 16):
        many = generate(model, stopper, prompts, max_new_tokens=12, batch_size=bs, progress=False)
        assert [g.token_ids for g in many] == [g.token_ids for g in one]
        assert [g.finish_reason for g in many] == [g.finish_reason for g in one]
        assert [g.text for g in many] == [g.text for g in one]
    reasons = {g.finish_reason for g in one}
    assert reasons == {"stop", "length"}
    for g, p in zip(one, prompts):
        assert isinstance(g, Generation) and g.prompt_tokens == len(p) and g.completion_tokens == len(g.token_ids)
        if g.finish_reason == "stop":
            assert g.token_ids[-1] in stops and len(g.token_ids) <= 12
        else:
            assert len(g.token_ids) == 12
    assert one.stats.generated_tokens == sum(g.completion_tokens for g in one)
    assert one.stats.tokens_per_second > 0 and one.stats.batches == len(prompts)


def test_finished_rows_leave_the_batch(model, fmt):
    prompts = _prompts(fmt)
    free = generate(model, fmt, prompts, max_new_tokens=10, batch_size=1, progress=False)
    stopper = StopAt(fmt, {free[3].token_ids[1]})
    rows: list[int] = []
    hook = model.register_forward_pre_hook(lambda m, a, kw: rows.append(kw["input_ids"].shape[0]), with_kwargs=True)
    try:
        out = generate(model, stopper, prompts, max_new_tokens=10, batch_size=len(prompts), progress=False)
    finally:
        hook.remove()
    lengths = [len(g.token_ids) for g in out]
    n = len(prompts)
    assert rows[:n] == [1] * n  # on a CPU, the prompt passes run one prompt at a time (no padding)
    # then one forward per generated position after the first, with only the rows still running
    assert rows[n:] == [sum(1 for length in lengths if length > k) for k in range(1, max(lengths))]


def test_all_rows_stop_ends_the_batch(model, fmt):
    prompts = _prompts(fmt)[:3]
    first = generate(model, fmt, prompts, max_new_tokens=1, batch_size=1, progress=False)
    stopper = StopAt(fmt, {g.token_ids[0] for g in first})
    out = generate(model, stopper, prompts, max_new_tokens=50, batch_size=3, progress=False)
    assert all(g.finish_reason == "stop" and len(g.token_ids) == 1 for g in out)
    assert all(g.text == "" for g in out)  # the stop token is not in the text


class SetAfter:
    """A cancel event that becomes set after ``n`` looks at it (a client leaving mid-answer)."""

    def __init__(self, n: int):
        self.n = n

    def is_set(self) -> bool:
        self.n -= 1
        return self.n < 0


def test_a_cancel_ends_the_rows_still_generating(model, fmt):
    prompts = _prompts(fmt)[:4]
    free = generate(model, fmt, prompts, max_new_tokens=12, batch_size=2, progress=False)
    assert all(g.finish_reason == "length" for g in free)
    # looked at before the first batch and before each of its steps: 4 steps, and no second batch
    out = generate(model, fmt, prompts, max_new_tokens=12, batch_size=2, progress=False, cancel=SetAfter(5))
    done = [(f, g) for f, g in zip(free, out) if g.token_ids]
    assert len(done) == 2 and all(g.finish_reason == "cancelled" for g in out)
    for f, g in done:
        assert g.token_ids == f.token_ids[:4] and g.text == fmt.decode(f.token_ids[:4]) and g.completion_tokens == 4


def test_matches_transformers_generate(model, fmt):
    prompt = _prompts(fmt, TOOLS)[1]
    ours = generate(model, fmt, [prompt], max_new_tokens=8, progress=False)[0]
    with torch.inference_mode():
        ref = model.generate(torch.tensor([prompt]), max_new_tokens=8, do_sample=False,
                             eos_token_id=fmt.stop_token_ids, pad_token_id=fmt.tokenizer.pad_token_id)
    assert ours.token_ids == ref[0, len(prompt):].tolist()


def test_sampling_is_seeded_and_empty_input(model, fmt):
    prompts = _prompts(fmt)[:2]
    a = generate(model, fmt, prompts, max_new_tokens=6, temperature=1.0, top_p=0.9, progress=False, seed=1)
    b = generate(model, fmt, prompts, max_new_tokens=6, temperature=1.0, top_p=0.9, progress=False, seed=1)
    assert [g.token_ids for g in a] == [g.token_ids for g in b]
    assert generate(model, fmt, [], progress=False) == []
    with pytest.raises(ValueError):
        generate(model, fmt, prompts, max_new_tokens=0)
    with pytest.raises(ValueError, match="greedy generation only"):  # a sampled run could not resume as it ran
        generate(model, fmt, prompts, temperature=1.0, progress=False, journal=object())


def test_first_token_decision_follows_probability_mass():
    import torch

    from fctune.generate import decide_first_token

    call = 3
    logits = torch.log(torch.tensor([
        [0.10, 0.10, 0.10, 0.30, 0.10, 0.10, 0.10, 0.10],  # call is the likeliest token, P 0.3: reply
        [0.05, 0.05, 0.05, 0.60, 0.05, 0.05, 0.10, 0.05],  # P 0.6: call (greedy agrees)
        [0.50, 0.05, 0.05, 0.20, 0.05, 0.05, 0.05, 0.05],  # P 0.2, greedy replies anyway
    ]))
    greedy = logits.argmax(-1)
    picked, p_call, changes = decide_first_token(logits, greedy, call, 0.5)
    assert picked.tolist() == [0, call, 0]
    assert [round(p, 2) for p in p_call] == [0.3, 0.6, 0.2]
    assert changes == ["reply", "", ""]
    picked, _, changes = decide_first_token(logits, greedy, call, 0.15)
    assert picked.tolist() == [call, call, call] and changes == ["", "", "call"]


def test_decision_per_row_and_off_where_the_threshold_is_zero():
    import torch

    from fctune.generate import decide_first_token

    call = 3
    logits = torch.log(torch.tensor([
        [0.10, 0.10, 0.10, 0.30, 0.10, 0.10, 0.10, 0.10],  # call likeliest at P 0.3
        [0.10, 0.10, 0.10, 0.30, 0.10, 0.10, 0.10, 0.10],
        [0.50, 0.05, 0.05, 0.20, 0.05, 0.05, 0.05, 0.05],
    ]))
    greedy = logits.argmax(-1)
    picked, p_call, changes = decide_first_token(logits, greedy, call, [0.5, 0.0, 0.1])
    assert picked.tolist() == [0, call, call]  # row 1: threshold 0 keeps greedy's call
    assert [round(p, 2) for p in p_call] == [0.3, 0.3, 0.2]  # P(call) for every row, the rule only where > 0
    assert changes == ["reply", "", "call"]


def test_prefix_reuse_gives_the_logits_and_cache_of_a_whole_pass(model, fmt):
    """Prompts that share prefixes (a conversation's turns, one system preamble) run only past the
    shared part, with the same last logits and keys/values as whole passes."""
    from fctune.generate import PrefixReuse

    base = [{"role": "user", "content": "今天北京的天气怎么样？"}]
    longer = base + [{"role": "assistant", "content": "晴，25 度。"}, {"role": "user", "content": "明天呢？"}]
    prompts = sorted([fmt.prompt_ids(base, TOOLS), fmt.prompt_ids(longer, TOOLS),
                      fmt.prompt_ids([{"role": "user", "content": "hi"}], TOOLS), fmt.prompt_ids(base, TOOLS)])
    reuse, whole = PrefixReuse(), PrefixReuse(enabled=False)
    with torch.inference_mode():
        for p in prompts:
            logits, keys, values = reuse.run(model, p, "cpu")
            ref = model(input_ids=torch.tensor([p]), use_cache=True)
            torch.testing.assert_close(logits, ref.logits[:, -1, :], rtol=1e-4, atol=1e-4)
            torch.testing.assert_close(whole.run(model, p, "cpu")[0], ref.logits[:, -1, :], rtol=1e-4, atol=1e-4)
            assert len(keys) == len(ref.past_key_values.layers)
            for k, layer in zip(keys, ref.past_key_values.layers):
                assert k.shape == layer.keys.shape
                torch.testing.assert_close(k, layer.keys, rtol=1e-4, atol=1e-4)
    shared = len(prompts[0]) - 1  # at least the system preamble and the tools are shared by all four
    assert reuse.reused_tokens >= 3 * min(shared, 20) and whole.reused_tokens == 0
    # the identical prompt ran one token only
    assert reuse.reused_tokens >= len(fmt.prompt_ids(base, TOOLS)) - 1


def test_generation_reuses_prefixes_and_matches_without(model, fmt, monkeypatch):
    import fctune.generate as gen

    prompts = _prompts(fmt, TOOLS)
    with_reuse = generate(model, fmt, prompts, max_new_tokens=8, batch_size=3, progress=False)
    assert with_reuse.stats.reused_prompt_tokens > 0
    monkeypatch.setattr(gen, "PREFILL_ONE_BY_ONE_ON_CPU", False)
    without = generate(model, fmt, prompts, max_new_tokens=8, batch_size=3, progress=False)
    assert without.stats.reused_prompt_tokens == 0
    assert [g.token_ids for g in with_reuse] == [g.token_ids for g in without]


def test_call_start_id_is_the_first_trained_token_of_a_call(qwen3_tokenizer_dir):
    from transformers import AutoTokenizer

    from fctune.formats import ChatFormat

    for template in ("auto", "hermes"):  # a fresh tokenizer each: ChatFormat sets its template on it
        f = ChatFormat(AutoTokenizer.from_pretrained(str(qwen3_tokenizer_dir)), template=template)
        assert f.tokenizer.decode([f.call_start_id]).startswith("<tool_call>"[:1])
        assert f.encode("<tool_call>")[0] == f.call_start_id


class CallAt:
    """``fmt`` whose call token is ``call_id`` (a token the random model opens some answers with)."""

    def __init__(self, fmt, call_id):
        self.tokenizer, self.decode, self.stop_token_ids = fmt.tokenizer, fmt.decode, fmt.stop_token_ids
        self.call_start_id = call_id


def test_stop_replies_ends_answers_that_open_with_text(model, fmt):
    prompts = _prompts(fmt, TOOLS)
    free = generate(model, fmt, prompts, max_new_tokens=10, batch_size=1, progress=False)
    firsts = [g.token_ids[0] for g in free]
    call = CallAt(fmt, firsts[1])
    opens = [t == firsts[1] for t in firsts]
    assert 0 < sum(opens) < len(prompts)
    for bs in (1, 4):
        out = generate(model, call, prompts, max_new_tokens=10, batch_size=bs, progress=False, stop_replies=True)
        for f, g, is_call in zip(free, out, opens):
            if is_call:  # a call: generated in full
                assert g.token_ids == f.token_ids and g.finish_reason == f.finish_reason
            else:  # a reply: its first token, then nothing
                assert g.token_ids == f.token_ids[:1] and g.finish_reason == "reply" and g.text == fmt.decode(g.token_ids)
        assert out.stats.generated_tokens == sum(len(g.token_ids) for g in out)
    # off: the same answers as without a call token
    assert [g.token_ids for g in generate(model, call, prompts, max_new_tokens=10, progress=False)] == \
        [f.token_ids for f in free]


class CallAndStops(CallAt):
    """``fmt`` with a call token and extra stop tokens."""

    def __init__(self, fmt, call_id, stops):
        super().__init__(fmt, call_id)
        self.stop_token_ids = sorted(set(fmt.stop_token_ids) | set(stops))


@pytest.mark.parametrize("stop_replies", [False, True])
def test_greedy_too_gives_the_plain_greedy_answer_where_the_decision_changed_it(model, fmt, mode, stop_replies):
    """Per-row thresholds that force a call on some prompts, keep others from the call their greedy
    answer opens with, and leave the rest alone: each changed answer carries its plain greedy one,
    token for token what ``call_threshold=0`` gives (rows stopping early, batches of 1 and 4), and
    the answers themselves are those of a run without ``greedy_too``."""
    prompts = _prompts(fmt, TOOLS)
    free = generate(model, fmt, prompts, max_new_tokens=10, batch_size=1, progress=False)
    firsts = [g.token_ids[0] for g in free]
    opens = [t == firsts[1] for t in firsts]
    assert 0 < sum(opens) < len(prompts)
    f = CallAndStops(fmt, firsts[1], {free[0].token_ids[3], free[2].token_ids[1]})
    # greedy opens with the call: keep it from it (reply); greedy does not: force one, or leave it (0)
    limits = [0.999999 if o else (1e-12 if i % 3 else 0.0) for i, o in enumerate(opens)]
    kw = dict(progress=False, stop_replies=stop_replies)
    plain = generate(model, f, prompts, 10, 1, **kw)
    for bs in (1, 4):
        out = generate(model, f, prompts, 10, bs, call_threshold=limits, greedy_too=True, **kw)
        changed = [i for i, g in enumerate(out) if g.decision]
        assert {out[i].decision for i in changed} == {"call", "reply"} and len(changed) < len(prompts)
        for p, g in zip(plain, out):
            if not g.decision:
                assert g.greedy is None and g.token_ids == p.token_ids
                continue
            assert (g.greedy.token_ids, g.greedy.finish_reason, g.greedy.text) == (p.token_ids, p.finish_reason, p.text)
            assert g.greedy.decision == "" and g.greedy.call_probability == pytest.approx(p.call_probability, abs=1e-6)
        assert out.stats.greedy_tokens == sum(len(plain[i].token_ids) for i in changed)
        assert out.stats.generated_tokens == sum(len(g.token_ids) for g in out)
        without = generate(model, f, prompts, 10, bs, call_threshold=limits, **kw)
        assert [g.token_ids for g in without] == [g.token_ids for g in out] and all(g.greedy is None for g in without)
    if stop_replies:  # a fork that opens with text ends there, as the plain greedy run does
        assert any(out[i].greedy.finish_reason == "reply" for i in changed)


def test_smoke_test_shows_plain_greedy_where_the_call_decision_changed_the_answer(model, fmt):
    """The seed prompts under a call decision that forces a call (this random model never opens with
    one): each answer then opens with the call token, and beside it stands the plain greedy answer,
    the one a run without the decision gives."""
    from fctune.smoke import right_plain_greedy, smoke_test, smoke_text

    plain = smoke_test(model, fmt, max_new_tokens=6, call_threshold=0.0)
    assert not any("greedy" in r for r in plain) and all(r["p_call"] < 0.5 for r in plain)
    forced = smoke_test(model, fmt, max_new_tokens=6, call_threshold=1e-12)
    call_tag = fmt.tokenizer.decode([fmt.call_start_id])
    for p, f in zip(plain, forced):
        assert f["output"].startswith(call_tag) and not p["output"].startswith(call_tag)
        g = f["greedy"]
        assert {k: g[k] for k in g if k != "p_call"} == {k: p[k] for k in p if k != "p_call"}
        assert abs(g["p_call"] - p["p_call"]) < 1e-5
    assert right_plain_greedy(forced) == right_plain_greedy(plain) == sum(r["right"] for r in plain)
    text = smoke_text(forced, "after training", markdown=False)
    assert text.count("plain greedy (the call decision changed its first token, P(call) ") == len(forced)
    right = sum(r["right"] for r in forced)
    assert f"## After: {right} of 4 right (plain greedy: {right_plain_greedy(forced)} of 4)" in smoke_text(forced, "After")
