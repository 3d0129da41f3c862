"""Batched generation for evaluation, chat smoke tests and serving.

Prompts are token ids made by :meth:`fctune.formats.ChatFormat.prompt_ids`, so a model is asked
exactly as it was trained. Generation is greedy by default and runs our own KV-cache loop:

* prompts are sorted by length and cut into batches of ``batch_size`` (little padding), left-padded
  with an attention mask and position ids that start at 0 on each row's first real token;
* the prompt pass computes logits for the last position only (the LM head of a 150k vocabulary
  over a whole prompt would dominate time and memory); on a CPU it runs one prompt at a time
  (one prompt already makes large matrix products; batching it would only add padding) and the
  caches are merged into the batch, on a GPU it runs batched;
* on a CPU the prompts go in token order and each prompt pass reuses the cache of the one before
  for their common prefix (:class:`PrefixReuse`): the turns of one conversation extend each other,
  and every prompt of a template starts with the same system preamble (measured on the demo's
  evaluations: 30 % of the prompt tokens of the zh/en test turns, 21 % of BFCL's, 75 % of the
  smoke test's, whose four prompts share eleven tools);
* the KV cache writes into preallocated room (no per-step concatenation of the whole cache);
* a row stops at the format's end-of-turn token or eos; finished rows are dropped from the batch and its KV cache
  at once, so no compute is spent on padding after a row ends, and the batch ends when all have;
* greedy picks use numpy's argmax on a CPU (an order of magnitude faster than torch's there);
* with ``call_threshold`` > 0 (greedy only), the first token decides between a tool call and a text
  reply by probability mass, not by the single likeliest token (:func:`decide_first_token`); it may
  be given per prompt (0: plain greedy for that one);
* results come back in the order of the input prompts.

``generate`` returns a list of :class:`Generation` with a ``stats`` attribute
(:class:`GenerationStats`: generated tokens, seconds, tokens/s).
"""

from __future__ import annotations

import sys
import time
from dataclasses import asdict, dataclass
from typing import Any, Iterator, Sequence

DEFAULT_CALL_THRESHOLD = 0.5
"""Open a greedy answer with a tool call iff the model gives that at least this probability
(:func:`decide_first_token`), as eval, chat and serve do by default; 0 is plain greedy decoding."""
PREFILL_ONE_BY_ONE_ON_CPU = True
"""Run the prompt passes one prompt at a time on a CPU (see the module docstring)."""


@dataclass
class Generation:
    """One completion."""

    text: str
    """Decoded completion without the end-of-turn token (tool-call tags kept)."""
    token_ids: list[int]
    """Generated ids, including the stop token when ``finish_reason`` is ``"stop"``."""
    prompt_tokens: int
    completion_tokens: int
    """``len(token_ids)``."""
    finish_reason: str
    """``"stop"`` (end-of-turn or eos generated), ``"length"`` (``max_new_tokens`` reached),
    ``"cancelled"`` (the ``cancel`` event of :func:`generate` was set) or ``"reply"`` (the answer
    opened with text and :func:`generate` was told to stop replies there, ``stop_replies``)."""
    call_probability: float | None = None
    """The model's probability of opening its answer with a tool call (its first token), for every
    greedy answer, with or without the call decision (what the call-decision AUC is computed from);
    ``None`` when sampling."""
    decision: str = ""
    """``"call"`` / ``"reply"`` when the call decision overrode the plain greedy first token, else ``""``."""
    greedy: "Generation | None" = None
    """With ``generate(..., greedy_too=True)``, where the decision changed the first token: the plain
    greedy answer, continued from the greedy first token on the same prompt pass; else ``None``."""


@dataclass
class GenerationStats:
    """Totals of one :func:`generate` call."""

    prompts: int = 0
    batches: int = 0
    prompt_tokens: int = 0
    generated_tokens: int = 0
    seconds: float = 0.0
    prefill_seconds: float = 0.0
    """Part of ``seconds`` spent on the prompt passes."""
    reused_prompt_tokens: int = 0
    """Prompt tokens whose keys and values came from the prompt before (:class:`PrefixReuse`), not run again."""
    forced_calls: int = 0
    """Answers the call decision opened with a call where the likeliest single token did not."""
    forced_replies: int = 0
    """Answers the call decision kept from a call the likeliest single token would have opened."""
    greedy_tokens: int = 0
    """Tokens of the plain greedy answers beside the changed ones (``greedy_too``); not in ``generated_tokens``."""

    @property
    def tokens_per_second(self) -> float:
        """Generated tokens per wall-clock second (prompt processing included in the time; the plain
        greedy answers' tokens counted, as their steps are in the time)."""
        tokens = self.generated_tokens + self.greedy_tokens
        return tokens / self.seconds if self.seconds > 0 else 0.0

    @property
    def decode_tokens_per_second(self) -> float:
        """Generated tokens per second of the token-by-token steps alone (prompt passes excluded;
        the plain greedy answers' tokens counted)."""
        decode = self.seconds - self.prefill_seconds
        return (self.generated_tokens + self.greedy_tokens) / decode if decode > 0 else 0.0

    def counts(self) -> dict[str, Any]:
        """The fields that parts of a call add up to (a batch's, a journal's earlier runs'): every
        field but the prompt counts, which are the whole call's."""
        return {name: value for name, value in asdict(self).items() if name not in ("prompts", "prompt_tokens")}

    def add(self, counts: dict[str, Any]) -> None:
        """Add another part's :meth:`counts`."""
        for name, value in counts.items():
            setattr(self, name, getattr(self, name) + value)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["seconds"] = round(self.seconds, 3)
        out["prefill_seconds"] = round(self.prefill_seconds, 3)
        out["tokens_per_second"] = round(self.tokens_per_second, 2)
        out["decode_tokens_per_second"] = round(self.decode_tokens_per_second, 2)
        return out


class Generations(list):
    """A ``list[Generation]`` in input order, with the run's :class:`GenerationStats` as ``stats``."""

    stats: GenerationStats

    def __init__(self, items: Sequence[Generation] = (), stats: GenerationStats | None = None):
        super().__init__(items)
        self.stats = stats or GenerationStats()


MIN_TEMPERATURE = 1e-3
"""Below this, sampling is argmax: ``logits / 1e-300`` overflows to infinities that softmax turns into NaN."""


def _pick(logits: Any, temperature: float, top_p: float, generator: Any) -> Any:
    """Next token per row: argmax when ``temperature`` is (nearly) 0, else nucleus sampling; rows
    whose logits are NaN or infinite decode greedily instead of failing."""
    import numpy as np
    import torch

    if temperature < MIN_TEMPERATURE:
        if logits.device.type == "cpu":
            # numpy's vectorised argmax is ~10x faster than torch's on CPU (150k-token vocabularies);
            # same result, first maximum on ties.
            scores = logits.float().numpy()
            if np.isnan(scores).any():  # NaN would win argmax: a broken row picks its best finite token
                scores = np.nan_to_num(scores, nan=-np.inf)
            return torch.from_numpy(scores.argmax(axis=-1))
        return torch.nan_to_num(logits.float(), nan=float("-inf")).argmax(dim=-1)
    clean = torch.nan_to_num(logits.float(), nan=float("-inf"), posinf=torch.finfo(torch.float32).max)
    probs = torch.softmax(clean / temperature, dim=-1)
    if top_p < 1.0:
        sorted_probs, order = probs.sort(dim=-1, descending=True)
        drop = sorted_probs.cumsum(dim=-1) - sorted_probs > top_p
        sorted_probs = sorted_probs.masked_fill(drop, 0.0)
        probs = torch.zeros_like(probs).scatter(-1, order, sorted_probs)
    broken = ~torch.isfinite(probs).all(dim=-1) | (probs.sum(dim=-1) <= 0)
    if bool(broken.any()):  # logits the model made NaN or infinite: that row decodes greedily, no crash
        probs[broken] = torch.nn.functional.one_hot(clean[broken].argmax(dim=-1), probs.shape[-1]).to(probs.dtype)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)


def per_row(threshold: float | Sequence[float], rows: int) -> list[float]:
    """A call threshold given once for all rows, or one per row, as one number per row."""
    limits = [float(threshold)] * rows if isinstance(threshold, (int, float)) else [float(t) for t in threshold]
    if len(limits) != rows:
        raise ValueError(f"{len(limits)} call thresholds for {rows} prompts")
    return limits


def _pad_id(fmt: Any) -> int:
    """The id that left-pads a batch: the tokenizer's pad token, else the first stop token."""
    pad_id = fmt.tokenizer.pad_token_id
    return pad_id if pad_id is not None else fmt.stop_token_ids[0]


def _generator(device: Any, temperature: float, seed: int) -> Any:
    """A seeded torch generator for sampling; ``None`` for greedy decoding."""
    import torch

    return torch.Generator(device=device).manual_seed(seed) if temperature > 0 else None


def _call_id(fmt: Any) -> int | None:
    """The format's call-opening token (:attr:`fctune.formats.ChatFormat.call_start_id`), ``None`` for
    a format without one (a stand-in in tests)."""
    try:
        return fmt.call_start_id
    except AttributeError:
        return None


def decide_first_token(logits: Any, picked: Any, call_id: int, threshold: Any) -> tuple[Any, list[float], list[str]]:
    """The call/no-call decision on the first token of greedy answers.

    A call opens with one token (``call_id``); a text reply with any of thousands. Greedy decoding
    takes the likeliest single token, so a call wins as soon as its one token beats every other
    token, even when the model gives text replies most of its probability (measured on a short-tuned
    SmolLM2-135M: P(call) 0.3 on irrelevant prompts, yet a call on half of them). Here a row opens
    with the call token iff its probability is at least ``threshold`` (0.5: whichever kind of answer
    the model believes in more), otherwise with the likeliest other token. ``threshold`` is one
    number or one per row; a row whose threshold is 0 keeps its greedy pick.
    Returns (the first tokens, P(call) per row, per row ``"call"``/``"reply"`` where it changed
    the greedy pick, else ``""``).
    """
    import torch

    limits = per_row(threshold, logits.shape[0])
    p_call = torch.softmax(logits.float(), dim=-1)[:, call_id]
    out = picked.clone()
    if not any(limit > 0 for limit in limits):  # P(call) recorded only: greedy picks stand
        return out, [float(p) for p in p_call], [""] * len(limits)
    masked = logits.clone()
    masked[:, call_id] = float("-inf")
    other = _pick(masked, 0.0, 1.0, None).to(picked.device)
    for r, limit in enumerate(limits):
        if limit > 0:
            out[r] = call_id if float(p_call[r]) >= limit else other[r]
    changes = ["" if int(a) == int(b) else ("call" if int(a) == call_id else "reply") for a, b in zip(out, picked)]
    return out, [float(p) for p in p_call], changes


def full_attention_only(model: Any) -> bool:
    config = getattr(model, "config", None)
    if config is None:
        return False
    if hasattr(config, "get_text_config"):
        config = config.get_text_config(decoder=True)
    types = getattr(config, "layer_types", None)
    if types:
        return all(t == "full_attention" for t in types)
    return not (getattr(config, "sliding_window", None) and getattr(config, "use_sliding_window", True))


def _growing_cache(reserve: int, rows: list[tuple[list[Any], list[Any]]] | None = None, width: int = 0) -> Any:
    """A KV cache that writes each step into preallocated room instead of concatenating.

    transformers' ``DynamicLayer`` grows with ``torch.cat``, copying the whole cache of every layer
    at every step; here a layer keeps ``reserve`` free positions and hands out views. Only for
    models whose layers all use full attention (others get transformers' own cache).

    With ``rows`` (per prompt: keys and values of every layer, each ``[1, heads, length, dim]``)
    the cache starts filled: each row left-padded with zeros to ``width`` (the attention mask
    hides the padding), as if the prompts had been run as one left-padded batch.
    """
    from transformers.cache_utils import Cache, DynamicLayer

    class GrowingLayer(DynamicLayer):
        def lazy_initialization(self, key_states: Any, value_states: Any) -> None:
            super().lazy_initialization(key_states, value_states)
            self.length = 0
            self._keys = self._values = None

        def _expose(self) -> None:
            self.keys, self.values = self._keys[..., :self.length, :], self._values[..., :self.length, :]

        def update(self, key_states: Any, value_states: Any, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
            if not self.is_initialized:
                self.lazy_initialization(key_states, value_states)
            need = self.length + key_states.shape[-2]
            if self._keys is None or need > self._keys.shape[-2]:
                keys = key_states.new_empty((*key_states.shape[:-2], need + reserve, key_states.shape[-1]))
                values = value_states.new_empty((*value_states.shape[:-2], need + reserve, value_states.shape[-1]))
                if self.length:
                    keys[..., :self.length, :] = self._keys[..., :self.length, :]
                    values[..., :self.length, :] = self._values[..., :self.length, :]
                self._keys, self._values = keys, values
            self._keys[..., self.length:need, :] = key_states
            self._values[..., self.length:need, :] = value_states
            self.length = need
            self._expose()
            return self.keys, self.values

        def get_seq_length(self) -> int:
            return self.length if self.is_initialized else 0

        def batch_select_indices(self, indices: Any) -> None:
            if self.is_initialized and self._keys is not None:
                self._keys, self._values = self._keys[indices], self._values[indices]
                self._expose()

    if rows is None:
        return Cache(layer_class_to_replicate=GrowingLayer)
    layers = []
    for idx in range(len(rows[0][0])):
        k0, v0 = rows[0][0][idx], rows[0][1][idx]
        keys = k0.new_zeros((len(rows), k0.shape[1], width + reserve, k0.shape[-1]))
        values = v0.new_zeros((len(rows), v0.shape[1], width + reserve, v0.shape[-1]))
        for r, (row_keys, row_values) in enumerate(rows):
            n = row_keys[idx].shape[-2]
            keys[r, :, width - n:width] = row_keys[idx][0]
            values[r, :, width - n:width] = row_values[idx][0]
        layer = GrowingLayer()
        layer.lazy_initialization(keys, values)
        layer._keys, layer._values, layer.length = keys, values, width
        layer._expose()
        layers.append(layer)
    return Cache(layers=layers)


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """Length of the longest common prefix of two id lists."""
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def prefix_cost(prompts: Sequence[Sequence[int]]) -> int:
    """Prompt tokens :class:`PrefixReuse` runs for ``prompts`` in this order: each past its common
    prefix with the one before, and at least its last token."""
    total, before = 0, []
    for ids in prompts:
        total += len(ids) - min(common_prefix(before, ids), len(ids) - 1)
        before = list(ids)
    return total


class PrefixReuse:
    """The KV cache of the last prompt pass, so that the next one runs only past their common prefix.

    A causal model's keys and values at a position depend on the tokens up to it and nothing after,
    so the cache of a shared prefix is the same whichever prompt it came from; the prompt pass of
    the next prompt starts from it (at least its last token is run again, for its logits). Full
    attention only (a sliding window would make the kept cache depend on the length).
    """

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        """False: every prompt runs whole, without a cache (models with sliding-window layers)."""
        self.ids: list[int] = []
        self.keys: list[Any] = []
        self.values: list[Any] = []
        self.reused_tokens = 0

    def run(self, model: Any, ids: Sequence[int], device: Any) -> tuple[Any, list[Any], list[Any]]:
        """Last-position logits ``[1, vocab]`` of ``ids`` and its keys and values per layer
        (``[1, heads, len(ids), dim]``); the cache is kept for the next call."""
        import torch

        assert ids, "empty prompt"
        if not self.enabled:
            out = model(input_ids=torch.tensor([list(ids)], dtype=torch.long, device=device), use_cache=False,
                        logits_to_keep=1)
            return out.logits[:, -1, :], [], []
        keep = min(common_prefix(self.ids, ids), len(ids) - 1)
        if keep > 0:
            cache = _growing_cache(0, [([k[..., :keep, :] for k in self.keys], [v[..., :keep, :] for v in self.values])],
                                   keep)
        else:
            cache = _growing_cache(0)
        out = model(input_ids=torch.tensor([list(ids[keep:])], dtype=torch.long, device=device), use_cache=True,
                    logits_to_keep=1, cache=cache)
        self.ids = list(ids)
        self.keys = [layer.keys for layer in cache.layers]
        self.values = [layer.values for layer in cache.layers]
        self.reused_tokens += keep
        return out.logits[:, -1, :], self.keys, self.values


def _prefill_one_by_one(model: Any, prompts: list[list[int]], width: int, reserve: int, device: Any,
                        reuse: PrefixReuse | None = None) -> tuple[Any, Any]:
    """Prompt passes one prompt at a time, merged into one left-padded batch cache.

    On a CPU a single prompt already makes large matrix products, so batching the prompt pass
    gains nothing and pays for the padding (a third more work with typical length spreads).
    ``reuse`` carries the cache of common prefixes from prompt to prompt (and from batch to batch).
    Returns the last-position logits ``[rows, vocab]`` and the merged cache.
    """
    import torch

    reuse = reuse or PrefixReuse()
    logits, rows = [], []
    for p in prompts:
        last, keys, values = reuse.run(model, p, device)
        logits.append(last)
        rows.append((keys, values))
    return torch.cat(logits, dim=0), _growing_cache(reserve, rows, width)


def _one_by_one(model: Any, device: Any) -> bool:
    """Whether prompt passes run one prompt at a time, with prefix reuse (a CPU, full attention)."""
    return full_attention_only(model) and device.type == "cpu" and PREFILL_ONE_BY_ONE_ON_CPU


def _cache_of(out: Any) -> Any:
    cache = getattr(out, "cache", None)
    return cache if cache is not None else getattr(out, "past_key_values", None)


@dataclass
class _Batch:
    """The state of a batch between decode steps: last logits, KV cache, the growing attention mask."""

    logits: Any
    cache: Any
    full_mask: Any
    """``[rows, width + max_new_tokens]``: allocated once, sliced per step."""
    width: int
    next_pos: Any
    """``[rows]``: the position id of each row's next token."""


def _prompt_pass(model: Any, prompts: list[list[int]], max_new_tokens: int, pad_id: int,
                 reuse: PrefixReuse | None) -> _Batch:
    """The prompt pass of a left-padded batch: one prompt at a time on a CPU (with ``reuse``), else batched."""
    import torch

    device = next(model.parameters()).device
    rows = len(prompts)
    width = max(len(p) for p in prompts)
    ids = torch.full((rows, width), pad_id, dtype=torch.long)
    mask = torch.zeros((rows, width), dtype=torch.long)
    for i, p in enumerate(prompts):
        ids[i, width - len(p):] = torch.tensor(p, dtype=torch.long)
        mask[i, width - len(p):] = 1
    ids = ids.to(device)
    full_mask = torch.cat([mask, mask.new_ones((rows, max_new_tokens))], dim=1).to(device)
    mask = full_mask[:, :width]
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    if _one_by_one(model, device):
        logits, cache = _prefill_one_by_one(model, prompts, width, max_new_tokens, device, reuse)
    else:
        extra = {"cache": _growing_cache(max_new_tokens)} if full_attention_only(model) else {}
        out = model(input_ids=ids, attention_mask=mask, position_ids=positions, use_cache=True, logits_to_keep=1,
                    **extra)
        logits, cache = out.logits[:, -1, :], _cache_of(out)
    return _Batch(logits, cache, full_mask, width, positions[:, -1] + 1)


def _decode_step(model: Any, batch: _Batch, picked: Any, step: int) -> None:
    """Feed the tokens picked at ``step`` (one per row still in ``batch``); ``batch.logits`` becomes the next ones."""
    out = model(input_ids=picked[:, None], attention_mask=batch.full_mask[:, :batch.width + step + 1],
                position_ids=batch.next_pos[:, None], cache=batch.cache, use_cache=True)
    batch.logits = out.logits[:, -1, :]
    batch.next_pos = batch.next_pos + 1


def _first_pick(logits: Any, step: int, temperature: float, top_p: float, generator: Any,
                decide: tuple[int, Any] | None) -> tuple[Any, Any]:
    """The next token per row, with the call decision on the first (``decide``: call id, thresholds);
    returns (tokens, (P(call) per row, changes, the plain greedy tokens) or ``None``)."""
    picked = _pick(logits, temperature, top_p, generator)
    if step == 0 and decide is not None:
        decided, p_call, changes = decide_first_token(logits, picked, decide[0], decide[1])
        return decided, (p_call, changes, picked)
    return picked, None


def stream_tokens(model: Any, fmt: Any, prompt: Sequence[int], max_new_tokens: int, temperature: float = 0.0,
                  top_p: float = 1.0, seed: int = 0, call_threshold: float = 0.0) -> Iterator[int]:
    """The tokens of one answer as they are generated (the stop token included, when one comes):
    the same prompt pass, picks, call decision and decode step as :func:`generate`, so a streamed
    answer equals the batched one. Run it under ``torch.inference_mode()`` with the model in eval mode."""
    if max_new_tokens <= 0:
        raise ValueError("max_new_tokens must be > 0")
    device = next(model.parameters()).device
    generator = _generator(device, temperature, seed)
    decide = (fmt.call_start_id, call_threshold) if call_threshold > 0 and temperature <= 0 else None
    stop_ids = set(fmt.stop_token_ids)
    batch = _prompt_pass(model, [list(prompt)], max_new_tokens, _pad_id(fmt),
                         PrefixReuse() if _one_by_one(model, device) else None)
    for step in range(max_new_tokens):
        picked, _ = _first_pick(batch.logits, step, temperature, top_p, generator, decide)
        token = int(picked[0])
        yield token
        if token in stop_ids or step + 1 >= max_new_tokens:
            return
        _decode_step(model, batch, picked, step)


def _run_batch(model: Any, prompts: list[list[int]], max_new_tokens: int, stop_ids: set[int], pad_id: int,
               temperature: float, top_p: float, generator: Any, on_finish: Any,
               stats: GenerationStats, decide: tuple[int, list[float]] | None = None,
               reuse: PrefixReuse | None = None, cancel: Any = None,
               reply_stop: int | None = None, greedy_too: bool = False) -> list[tuple[list[int], str, Any, Any]]:
    """Generate for one batch; returns ``(token_ids, finish_reason, (P(call), decision) or None,
    plain greedy (token_ids, finish_reason) or None)`` per prompt, in batch order. ``decide``:
    ``(call token id, threshold per prompt)`` for :func:`decide_first_token` (greedy batches only).
    ``reuse``: prefix reuse of the prompt passes on a CPU (:class:`PrefixReuse`). ``cancel``: an
    event that ends every row (``cancelled``) at the next step once set. ``reply_stop``: the call
    token id; a row whose first token is another one ends there (``reply``). ``greedy_too``: a row
    whose first token the decision changed forks: a second row, on a copy of its prompt's cache,
    goes on from the greedy first token under the same rules (no second prompt pass)."""
    import torch

    device = next(model.parameters()).device
    rows = len(prompts)
    started = time.perf_counter()
    batch = _prompt_pass(model, prompts, max_new_tokens, pad_id, reuse)
    batch.logits[0, 0].item()  # wait for the device before reading the clock
    stats.prefill_seconds += time.perf_counter() - started
    active = list(range(rows))  # batch row -> slot: a prompt (< rows) or a plain greedy fork of one
    tokens: list[list[int]] = [[] for _ in range(rows)]
    finish: list[str] = [""] * rows
    decided: list[Any] = [None] * rows
    fork_of: dict[int, int] = {}  # prompt -> the slot of its plain greedy fork

    def done(slot: int) -> None:
        if slot < rows:
            on_finish(len(tokens[slot]))
        else:
            stats.greedy_tokens += len(tokens[slot])

    for step in range(max_new_tokens):
        if cancel is not None and cancel.is_set():
            for r in active:
                finish[r] = "cancelled"
                done(r)
            break
        nxt, decision = _first_pick(batch.logits, step, temperature, top_p, generator, decide)
        picks = [(k, active[k], tok) for k, tok in enumerate(nxt.tolist())]  # (batch row, slot, token)
        if decision is not None:
            p_call, changes, plain = decision
            decided = list(zip(p_call, changes))
            stats.forced_calls += changes.count("call")
            stats.forced_replies += changes.count("reply")
            if greedy_too:  # each changed row forks, from what its first token would have been
                for k, (change, tok) in enumerate(zip(changes, plain.tolist())):
                    if change:
                        fork_of[k] = len(tokens)
                        tokens.append([])
                        finish.append("")
                        picks.append((k, fork_of[k], tok))
        keep: list[tuple[int, int, int]] = []
        for k, r, tok in picks:
            tokens[r].append(tok)
            if tok in stop_ids:
                finish[r] = "stop"
            elif step == 0 and reply_stop is not None and tok != reply_stop:
                finish[r] = "reply"
            elif len(tokens[r]) >= max_new_tokens:
                finish[r] = "length"
            else:
                keep.append((k, r, tok))
                continue
            done(r)
        if not keep:
            break
        if len(keep) < len(active) or len(picks) > len(active):  # drop finished rows; forks copy theirs
            index = torch.tensor([k for k, _, _ in keep], device=device)
            batch.cache.batch_select_indices(index)
            batch.full_mask, batch.next_pos = batch.full_mask[index], batch.next_pos[index]
            nxt = torch.tensor([tok for _, _, tok in keep], dtype=nxt.dtype, device=nxt.device)
            active = [r for _, r, _ in keep]
        _decode_step(model, batch, nxt, step)
    greedy = [(tokens[fork_of[r]], finish[fork_of[r]]) if r in fork_of else None for r in range(rows)]
    return list(zip(tokens[:rows], finish[:rows], decided, greedy))


def generate(model: Any, fmt: Any, prompts: list[list[int]], max_new_tokens: int = 256, batch_size: int = 16,
             temperature: float = 0.0, top_p: float = 1.0, progress: bool = True, seed: int = 0,
             desc: str = "generate", call_threshold: float | Sequence[float] = 0.0,
             cancel: Any = None, stop_replies: bool = False, greedy_too: bool = False,
             journal: Any = None) -> Generations:
    """Complete every prompt (token ids from ``fmt.prompt_ids``); results in input order.

    Greedy when ``temperature`` is 0. ``batch_size`` prompts of similar length are generated
    together; ``batch_size=1`` runs them one at a time. A tqdm bar (stderr) shows progress and
    tokens/s unless ``progress`` is False. ``call_threshold`` > 0 (greedy only): the first token
    is the call/no-call decision by probability mass (:func:`decide_first_token`); one number for
    all prompts or one per prompt (0: plain greedy for that one); give it only to prompts that end
    where the model's own answer starts (not after a forced prefix). ``cancel`` (a
    ``threading.Event``): once set, the prompts still generating end at the next step with
    ``finish_reason`` ``cancelled`` (what they had so far), and the rest are not started.
    ``stop_replies``: an answer whose first token is not the call token ends after that token
    (``finish_reason`` ``reply``): an evaluation that scores such an answer as a reply needs no more
    of it (``fctune eval``'s ``eval.replies``, docs/evaluation.md); a format without a call token
    cannot tell, and generates in full. ``greedy_too``: where the decision changed an answer's first
    token, its plain greedy answer too (:attr:`Generation.greedy`), continued on the same prompt pass:
    what ``call_threshold=0`` would give, without processing those prompts again. ``journal`` (a
    :class:`fctune.journal.Journal` for these prompts and settings): its answers are taken as they are,
    only the other prompts are generated, and each finished batch is written to it; the stats count
    the earlier runs too.
    """
    import torch
    from tqdm.auto import tqdm

    if max_new_tokens <= 0:
        raise ValueError("max_new_tokens must be > 0")
    if batch_size <= 0:
        raise ValueError("batch_size must be > 0")
    if journal is not None and temperature > 0:
        raise ValueError("a journal resumes greedy generation only (a sampled run's random state is not kept)")
    stats = GenerationStats(prompts=len(prompts), prompt_tokens=sum(len(p) for p in prompts))
    if not prompts:
        return Generations([], stats)
    if any(len(p) == 0 for p in prompts):
        raise ValueError("empty prompt")
    pad_id = _pad_id(fmt)
    stop_ids = set(fmt.stop_token_ids)
    device = next(model.parameters()).device
    generator = _generator(device, temperature, seed)
    limits = per_row(call_threshold, len(prompts))
    call_id = _call_id(fmt) if temperature <= 0 else None
    decide = call_id is not None  # P(call) for every greedy row; the rule only where its threshold > 0
    reply_stop = _call_id(fmt) if stop_replies else None
    reuse = PrefixReuse() if _one_by_one(model, device) else None
    # one prompt pass at a time: token order, so that neighbours share prefixes; batched prompt
    # passes: length order, so that a batch pads little
    order = sorted(range(len(prompts)), key=(lambda i: prompts[i]) if reuse else (lambda i: -len(prompts[i])))
    results: list[tuple[list[int], str, Any, Any] | None] = [None] * len(prompts)
    known = journal.results if journal is not None else {}
    for i, res in known.items():
        assert 0 <= i < len(prompts), f"journal answer {i} for {len(prompts)} prompts"
        results[i] = res
    order = [i for i in order if i not in known]
    bar = tqdm(total=len(prompts), initial=len(known), desc=desc, unit="prompt", disable=not progress,
               file=sys.stderr, dynamic_ncols=True, leave=False)
    was_training = model.training
    model.eval()
    start = time.perf_counter()

    def on_finish(n_tokens: int) -> None:
        stats.generated_tokens += n_tokens
        bar.update(1)
        elapsed = time.perf_counter() - start
        if elapsed > 0:
            bar.set_postfix_str(f"{stats.generated_tokens / elapsed:.1f} tok/s", refresh=False)

    try:
        with torch.inference_mode():
            for b in range(0, len(order), batch_size):
                chunk = order[b:b + batch_size]
                if cancel is not None and cancel.is_set():
                    for i in chunk:
                        results[i] = ([], "cancelled", None, None)
                    continue
                rule = (call_id, [limits[i] for i in chunk]) if decide else None
                before, began, reused = stats.counts(), time.perf_counter(), reuse.reused_tokens if reuse else 0
                outs = _run_batch(model, [list(prompts[i]) for i in chunk], max_new_tokens, stop_ids, pad_id,
                                  temperature, top_p, generator, on_finish, stats, rule, reuse, cancel,
                                  reply_stop, greedy_too)
                stats.batches += 1
                for i, res in zip(chunk, outs):
                    results[i] = res
                if journal is not None:
                    share = {k: v - before[k] for k, v in stats.counts().items()}
                    share["seconds"] = time.perf_counter() - began
                    share["reused_prompt_tokens"] = (reuse.reused_tokens if reuse else 0) - reused
                    journal.record(chunk, outs, share)
    finally:
        stats.seconds = time.perf_counter() - start
        stats.reused_prompt_tokens = reuse.reused_tokens if reuse else 0
        if journal is not None:
            stats.add(journal.stats.counts())  # the earlier runs' share
        bar.close()
        if was_training:
            model.train()
    gens = []
    for prompt, res in zip(prompts, results):
        assert res is not None
        token_ids, reason, decided, plain = res
        p_call, decision = decided if decided is not None else (None, "")
        gen = _generation(fmt, len(prompt), token_ids, reason, p_call, decision)
        if plain is not None:
            gen.greedy = _generation(fmt, len(prompt), *plain, p_call, "")
        gens.append(gen)
    return Generations(gens, stats)


def _generation(fmt: Any, prompt_tokens: int, token_ids: list[int], reason: str, p_call: float | None,
                decision: str) -> Generation:
    body = token_ids[:-1] if reason == "stop" else token_ids
    return Generation(text=fmt.decode(body), token_ids=token_ids, prompt_tokens=prompt_tokens,
                      completion_tokens=len(token_ids), finish_reason=reason, call_probability=p_call,
                      decision=decision)
