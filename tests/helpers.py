"""Helpers shared by the tests (this module holds no tests): the CLI in a subprocess, LoRA builders,
and the tiny tool-calling model that the serve and chat tests drive.

Test files import from here (``from tests.helpers import ...``) and from ``tests.conversations``,
never from one another; fixtures built on these helpers live in ``tests/conftest.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TINY_YAML = ROOT / "configs" / "tiny-test.yaml"

# ---------------------------------------------------------------------------------------------
# The CLI in a subprocess
# ---------------------------------------------------------------------------------------------


def fctune_argv(*args: str) -> list[str]:
    """The command line of ``python -m fctune ARGS`` with this interpreter (for ``subprocess.Popen``)."""
    return [sys.executable, "-m", "fctune", *args]


def run_fctune(*args: str, cwd: str | Path | None = None, timeout: float | None = 120,
               env: dict[str, str] | None = None, input: str | None = None,
               check: bool = False) -> subprocess.CompletedProcess:
    """Run ``python -m fctune ARGS`` and wait; stdout and stderr are captured as text.

    ``env``: variables set on top of this process's environment (``None``: the environment as is).
    ``timeout``: seconds (``None``: no limit). ``input``: text piped to stdin. ``check``: raise
    ``CalledProcessError`` on a non-zero exit, as ``subprocess.run`` does.
    """
    return subprocess.run(fctune_argv(*args), cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env=None if env is None else {**os.environ, **env}, input=input, check=check)


# ---------------------------------------------------------------------------------------------
# LoRA builders
# ---------------------------------------------------------------------------------------------

ALL_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def lora_model(model, *, seed: int | None = None, random_b: float = 0.0, shift_modules_to_save: float = 0.0,
               shift_token_rows: float = 0.0, **config):
    """``model`` wrapped by PEFT in a LoRA adapter (``config``: ``LoraConfig`` fields).

    ``seed``: ``torch.manual_seed`` just before the adapter is made. Then, so that the adapter is part
    of the function being checked, in one pass over the parameters: ``random_b`` draws every
    ``lora_B`` from N(0, random_b) (PEFT starts B at zero); ``shift_modules_to_save`` and
    ``shift_token_rows`` add N(0, s²) noise to the ``modules_to_save`` copies and to the trainable
    token rows. A value of 0 leaves those parameters as PEFT made them.
    """
    import torch
    from peft import LoraConfig, get_peft_model

    if seed is not None:
        torch.manual_seed(seed)
    peft_model = get_peft_model(model, LoraConfig(**config))
    with torch.no_grad():
        for name, param in peft_model.named_parameters():
            if random_b and "lora_B" in name:
                param.normal_(0, random_b)
            if shift_modules_to_save and "modules_to_save" in name:
                param.add_(torch.randn_like(param) * shift_modules_to_save)
            if shift_token_rows and "trainable_tokens_delta" in name:
                param.add_(torch.randn_like(param) * shift_token_rows)
    return peft_model


def all_projections_lora(model, *, r: int = 4, alpha: int = 8, dropout: float = 0.0):
    """A causal-LM LoRA on all seven projections of ``model``, seeded with 0, every ``lora_B`` drawn
    from N(0, 0.05) (PEFT starts B at zero: this gives every factor a gradient to compare)."""
    return lora_model(model, seed=0, random_b=0.05, r=r, lora_alpha=alpha, lora_dropout=dropout,
                      target_modules=ALL_TARGETS, task_type="CAUSAL_LM")


def tiny_lora(dropout: float = 0.0):
    """The tiny Qwen3 (``tiny-qwen3``, freshly loaded) with ``all_projections_lora`` r 4, alpha 8."""
    from fctune.models import load_model

    return all_projections_lora(load_model("tiny-qwen3")[0], r=4, alpha=8, dropout=dropout)


def make_adapter(model, out: Path, **kwargs) -> Path:
    """``lora_model(model, **kwargs)`` saved as an adapter directory ``out``; every ``lora_B`` must be
    non-zero (``init_lora_weights=False`` or ``random_b``), so that the adapter changes the model."""
    peft_model = lora_model(model, **kwargs)
    for name, param in peft_model.named_parameters():
        if "lora_B" in name:
            assert param.abs().sum() > 0, name
    peft_model.save_pretrained(str(out))
    return out


# ---------------------------------------------------------------------------------------------
# The tool model: a tiny Qwen3 overfit on a few (prompt -> answer) pairs, so that greedy decoding
# really writes <tool_call> blocks for these prompts and a text answer after a tool result.
# ---------------------------------------------------------------------------------------------

WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Get the weather for a city",
    "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}}
TOOLS = [WEATHER]
ASK = "What is the weather in Paris?"
ASK_TWO = "Weather in Paris and Tokyo?"
PREFACE = "Let me check."
RESULT = '{"temp_c": 18, "sky": "sunny"}'
ANSWER = "It is 18 °C and sunny in Paris."
NO_TOOLS_ANSWER = "I cannot look up the weather."


def weather_call(location: str) -> dict:
    """A canonical message call of ``get_weather``."""
    return {"type": "function", "function": {"name": "get_weather", "arguments": {"location": location}}}


TRAINING = [
    {"tools": TOOLS, "messages": [
        {"role": "user", "content": ASK},
        {"role": "assistant", "content": PREFACE, "tool_calls": [weather_call("Paris")]},
        {"role": "tool", "name": "get_weather", "content": RESULT},
        {"role": "assistant", "content": ANSWER}]},
    {"tools": TOOLS, "messages": [
        {"role": "user", "content": ASK_TWO},
        {"role": "assistant", "content": "", "tool_calls": [weather_call("Paris"), weather_call("Tokyo")]}]},
    {"messages": [{"role": "user", "content": ASK}, {"role": "assistant", "content": NO_TOOLS_ANSWER}]},
]


def build_tool_model(out: Path, max_steps: int = 600) -> Path:
    """Overfit a tiny Qwen3 (hidden 64) on ``TRAINING`` and save it (with the Qwen3 tokenizer) to ``out``.

    The tied embedding is set to unit scale and frozen, so logits are decisive from the start and
    only the small transformer trains (AdamW, full batch, one thread: small ops on several threads
    of a busy machine are many times slower). The loss runs over a candidate vocabulary: the gold
    tokens plus the strongest rivals of each trained position, refreshed from full-vocabulary logits
    every few steps; training stops once every trained token beats the whole vocabulary by a clear
    margin, so greedy decoding reproduces the answers exactly. A few seconds. A directory already
    built (it holds ``.built``) is returned as it is.
    """
    done = out / ".built"
    if done.exists():
        return out
    import torch
    from transformers import AutoTokenizer, Qwen3ForCausalLM

    from fctune.formats import ChatFormat
    from fctune.models import make_tiny_qwen3

    make_tiny_qwen3(out, hidden_size=64)
    tokenizer = AutoTokenizer.from_pretrained(str(out))
    fmt = ChatFormat(tokenizer)
    model = Qwen3ForCausalLM.from_pretrained(str(out), dtype=torch.float32)
    samples = [s for conv in TRAINING for s in fmt.render_training(conv)]
    width = max(len(s.input_ids) for s in samples)
    ids = torch.full((len(samples), width), tokenizer.pad_token_id)
    mask = torch.zeros_like(ids)
    labels = torch.full_like(ids, -100)
    for i, s in enumerate(samples):
        n = len(s.input_ids)
        ids[i, :n], mask[i, :n], labels[i, :n] = torch.tensor(s.input_ids), 1, torch.tensor(s.labels())
    targets = labels[:, 1:]
    trained = targets != -100
    gold = targets[trained]
    embed = model.get_input_embeddings().weight
    embed.data.normal_(0.0, 1.0, generator=torch.Generator().manual_seed(1))
    embed.requires_grad_(False)
    vocab = embed.detach()
    candidates = gold.unique()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=2e-2, weight_decay=0.0)
    model.train()
    margin = float("-inf")
    try:
        for step in range(max_steps):
            hidden = model.model(input_ids=ids, attention_mask=mask, use_cache=False).last_hidden_state[:, :-1][trained]
            if step % 8 == 0:
                with torch.no_grad():
                    logits = model.lm_head(hidden)
                    best = logits.gather(1, gold[:, None]).squeeze(1)
                    rivals = logits.scatter(1, gold[:, None], float("-inf"))
                    margin = float((best - rivals.max(dim=1).values).min())
                    if margin > 3.0:
                        break
                    candidates = torch.cat([candidates, rivals.topk(16, dim=1).indices.flatten()]).unique()
            loss = torch.nn.functional.cross_entropy(hidden @ vocab[candidates].T, torch.searchsorted(candidates, gold))
            opt.zero_grad()
            loss.backward()
            opt.step()
        else:
            raise AssertionError(f"the test model did not learn its answers in {max_steps} steps (margin {margin:.3g})")
    finally:
        torch.set_num_threads(threads)
    embed.requires_grad_(True)
    model.eval()
    model.save_pretrained(str(out))
    done.write_text(str(step))
    return out

# Answers in BFCL v4 (bfcl-eval 2026.3.23) that contradict their own function schemas: a required
# parameter that the answer marks optional or omits, or a parameter the schema does not have.
# BFCL's own checker fails these gold answers too (tests/test_bfcl_checker.py checks it).
# Two Java answers expect ints and booleans inside an ArrayList whose elements the schema types as
# `any`, which bfcl-eval's java_type_converter reads as strings: no output can match them.
BFCL_DATA_QUIRKS = {"live_simple_106-63-0", "live_simple_112-68-0", "live_multiple_507-149-4",
                    "live_multiple_862-181-3", "live_multiple_964-207-0", "simple_java_36", "simple_java_65"}
