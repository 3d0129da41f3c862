"""``fctune merge``: fold a LoRA adapter into its base model and save a plain Hugging Face model.

    fctune merge --model Qwen3-0.6B --adapter runs/qwen3 --out runs/qwen3-merged

The output loads with ``AutoModelForCausalLM.from_pretrained(OUT)`` alone (vLLM, llama.cpp's
converter, ...): safetensors weights, the tokenizer with the chat template used in training (taken
from the adapter directory when saved there), a generation config that stops at the template's
end-of-turn token, and the calibrated call threshold (``call_threshold.json``), so that chat, serve
and eval of the merged model decide calls as base + adapter did.

Tied embeddings (Qwen3-0.6B, SmolLM2 share ``lm_head`` with ``embed_tokens``) stay tied. Trained token
rows of the embedding (``trainable_token_indices``, which PEFT mirrors into a tied head) merge into the
one shared matrix. An adapter that trains either matrix otherwise (``modules_to_save``, a LoRA target,
token rows of the head alone) cannot be merged into one shared matrix; it is refused unless
``--untie`` saves separate input and output embeddings.
The merge runs in fp32 and is checked: logits of the merged model (in memory, and reloaded from disk)
must equal those of base + adapter.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fctune.errors import FctuneError, ModelLoadError
from fctune.publish import check_out_dir, publish, staging_dir
from fctune.token_rows import embedding_names, is_tied

CARRIED = ("call_threshold.json",)
"""Files of the adapter directory that serving reads, copied beside the merged weights."""
PROBE = [{"role": "user", "content": "What's the weather in Paris? 今天北京的天气怎么样？"}]
PROBE_TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "Get the weather for a city",
    "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}}]


# ---------------------------------------------------------------------------------------------


def _matching(names: set[str], entry: str) -> list[str]:
    """The module names an adapter-config entry (a full name or its last parts, as PEFT reads it) selects."""
    return [n for n in names if n == entry or n.endswith("." + entry)]


def embedding_touches(adapter_config: dict, model: Any) -> list[str]:
    """How the adapter changes the input/output embeddings (empty when it leaves them alone)."""
    ins, outs = embedding_names(model)
    full = ins | outs
    found: list[str] = []
    for entry in adapter_config.get("modules_to_save") or []:
        for name in _matching(full, entry):
            found.append(f"modules_to_save trains {name}")
    targets = adapter_config.get("target_modules")
    if isinstance(targets, str):
        found += [f"LoRA target_modules matches {n}" for n in sorted(full) if re.fullmatch(targets, n)]
    else:
        for entry in targets or []:
            found += [f"LoRA target_modules has {n}" for n in _matching(full, entry)]
    tokens = adapter_config.get("trainable_token_indices")
    if tokens:
        found.append(f"trainable_token_indices={tokens if isinstance(tokens, list) else list(tokens)}")
    return sorted(set(found))


def _rows_follow_tie(adapter_config: dict, model: Any) -> bool:
    """Whether the adapter's only embedding change is trainable token rows of the input embedding,
    which PEFT mirrors into a tied head: merged into the one shared matrix, both stay right."""
    tokens = adapter_config.get("trainable_token_indices")
    if not tokens or adapter_config.get("modules_to_save"):
        return False
    if embedding_touches({**adapter_config, "trainable_token_indices": None}, model):
        return False
    if isinstance(tokens, dict):
        ins, _outs = embedding_names(model)
        return all(_matching(ins, k) for k in tokens)
    return True


def _saved_dtype(spec: str, base_path: str) -> Any:
    """``spec``, or for ``auto`` the dtype the base checkpoint was saved in (float32 when it says none)."""
    from fctune.models import torch_dtype

    if spec != "auto":
        return torch_dtype(spec)
    try:
        config = json.loads((Path(base_path) / "config.json").read_text())
    except (OSError, json.JSONDecodeError):
        return torch_dtype("float32")
    return torch_dtype(config.get("dtype") or config.get("torch_dtype") or "float32")


def _probe_logits(model: Any, ids: list[int]) -> Any:
    import torch

    with torch.inference_mode():
        device = next(model.parameters()).device
        return model(input_ids=torch.tensor([ids], device=device), use_cache=False).logits[0].float().cpu()


def _max_diff(a: Any, b: Any) -> tuple[float, float]:
    """(max |a-b|, max |a|)."""
    return float((a - b).abs().max()), float(a.abs().max())


def _tolerance(scale: float) -> float:
    """fp32 merge error allowed on logits of magnitude ``scale``."""
    return 1e-4 * max(1.0, scale)


@dataclass
class Merged:
    """A model with its adapter folded in, in memory, and what saving or exporting it needs."""

    model: Any
    tokenizer: Any
    fmt: Any
    """The :class:`fctune.formats.ChatFormat` training used (its template is set on ``tokenizer``)."""
    tied: bool
    probe: list[int]
    """Prompt ids the logits checks run on."""
    reference: Any
    """fp32 logits of base + adapter on ``probe`` (``None`` without verification)."""
    saved_dtype: Any
    adapter_dir: Path | None
    merged_diff: float | None = None
    """Max |logits(merged) - logits(base + adapter)| on ``probe`` (``None`` without verification or adapter)."""


def merge_in_memory(model: str, adapter: str | None, *, dtype: str = "auto", untie: bool = False,
                    template: str = "auto", enable_thinking: bool = False, device: str = "cpu",
                    verify: bool = True, allow_other_base: bool = False, log: Any = print) -> Merged:
    """``model`` with ``adapter`` merged (or the model alone when ``adapter`` is ``None``), fp32, in memory,
    its logits checked against base + adapter; ``dtype``: what a saved copy should use (``auto``: the base's)."""
    import torch
    from transformers import AutoTokenizer

    from fctune.formats import ChatFormat
    from fctune.models import load_model, peft_on, resolve_device, resolve_model_path

    device = resolve_device(device)
    adir = Path(adapter) if adapter else None
    adapter_config: dict = {}
    if adir is not None:
        if not (adir / "adapter_config.json").is_file():
            raise ModelLoadError(f"{adir}: no adapter_config.json (not a LoRA adapter directory)")
        adapter_config = json.loads((adir / "adapter_config.json").read_text())
        if adapter_config.get("peft_type", "LORA") != "LORA":
            raise FctuneError(f"{adir}: a {adapter_config.get('peft_type')} adapter; only LoRA adapters can be merged")

    base_path = resolve_model_path(model)
    saved_dtype = _saved_dtype(dtype, base_path)
    base, tokenizer = load_model(model, dtype="float32", device=device)
    if adir is not None and (adir / "tokenizer_config.json").is_file():
        tokenizer = AutoTokenizer.from_pretrained(str(adir))
    fmt = ChatFormat(tokenizer, template=template, enable_thinking=enable_thinking)  # sets training's template

    config = base.config.get_text_config() if hasattr(base.config, "get_text_config") else base.config
    tied = bool(getattr(config, "tie_word_embeddings", False)) or is_tied(base)
    probe = fmt.prompt_ids(PROBE, PROBE_TOOLS)[:96]
    if adir is None:
        base.eval()
        return Merged(base, tokenizer, fmt, tied, probe, _probe_logits(base, probe) if verify else None,
                      saved_dtype, None)
    touches = embedding_touches(adapter_config, base)
    if tied and _rows_follow_tie(adapter_config, base):
        touches = []  # PEFT trains the shared rows once (the head follows the embedding): one matrix holds them
    if tied and touches:
        if not untie:
            raise FctuneError(
                f"the adapter changes tied embeddings ({'; '.join(touches)}): this model shares one matrix between "
                "lm_head and embed_tokens, so the merged model could not represent what the adapter does. Pass "
                "--untie to save separate input and output embeddings (config.tie_word_embeddings=false), or "
                "train without lm_head/embed_tokens in modules_to_save")
        out_emb, in_emb = base.get_output_embeddings(), base.get_input_embeddings()
        out_emb.weight = torch.nn.Parameter(in_emb.weight.detach().clone())
        base.config.tie_word_embeddings = False
        text_config = base.config.get_text_config() if hasattr(base.config, "get_text_config") else None
        if text_config is not None and text_config is not base.config:
            text_config.tie_word_embeddings = False
        tied = False
        log("untied lm_head from embed_tokens (the adapter trains them)")

    peft_model = peft_on(base, adir, allow_other_base)
    peft_model.eval()
    reference = _probe_logits(peft_model, probe) if verify else None
    merged = peft_model.merge_and_unload(safe_merge=True)
    merged.eval()
    if tied and not is_tied(merged):
        head, embed = merged.get_output_embeddings(), merged.get_input_embeddings()
        if head is None or not torch.equal(head.weight, embed.weight):
            raise FctuneError("the base ties lm_head to embed_tokens but the merged weights differ; "
                              "refusing to save a model that would load differently")
        head.weight = embed.weight
    diff = None
    if reference is not None:
        diff, scale = _max_diff(_probe_logits(merged, probe), reference)
        if diff > _tolerance(scale):
            raise FctuneError(f"merged logits differ from base + adapter by {diff:.3g} (logits up to {scale:.3g}); not saved")
    return Merged(merged, tokenizer, fmt, tied, probe, reference, saved_dtype, adir, diff)


def merge_adapter(model: str, adapter: str, out: str, *, dtype: str = "auto", untie: bool = False,
                  template: str = "auto", device: str = "cpu", verify: bool = True, overwrite: bool = False,
                  allow_other_base: bool = False, log: Any = print) -> dict[str, Any]:
    """Merge ``adapter`` into ``model`` and save to ``out``; returns a summary (dtype, tied, logit diffs)."""
    import torch
    from transformers import AutoModelForCausalLM

    from fctune.models import resolve_device, resolve_model_path

    device = resolve_device(device)
    adir, out_dir = Path(adapter), Path(out)
    if not (adir / "adapter_config.json").is_file():
        raise ModelLoadError(f"{adir}: no adapter_config.json (not a LoRA adapter directory)")
    check_out_dir(out_dir, [p for p in (adir, Path(resolve_model_path(model))) if p.exists()], overwrite, "merge")
    m = merge_in_memory(model, adapter, dtype=dtype, untie=untie, template=template, device=device,
                        verify=verify, allow_other_base=allow_other_base, log=log)
    merged, tokenizer, fmt, tied, saved_dtype, reference = m.model, m.tokenizer, m.fmt, m.tied, m.saved_dtype, m.reference
    probe = m.probe
    summary: dict[str, Any] = {"out": str(out_dir), "dtype": str(saved_dtype).replace("torch.", ""),
                               "tie_word_embeddings": tied}
    if m.merged_diff is not None:
        summary["max_logit_diff_merged"] = m.merged_diff

    merged.to(saved_dtype)
    merged.config.dtype = saved_dtype
    gen = getattr(merged, "generation_config", None)
    if gen is not None:
        gen.eos_token_id = list(fmt.stop_token_ids) if len(fmt.stop_token_ids) > 1 else fmt.stop_token_ids[0]
        gen.pad_token_id = tokenizer.pad_token_id
        if getattr(gen, "bos_token_id", None) is None and tokenizer.bos_token_id is not None:
            gen.bos_token_id = tokenizer.bos_token_id

    tmp = staging_dir(out_dir)
    try:
        merged.save_pretrained(str(tmp))
        tokenizer.save_pretrained(str(tmp))
        template_text = tokenizer.chat_template
        if isinstance(template_text, str) and not (tmp / "chat_template.jinja").exists():
            (tmp / "chat_template.jinja").write_text(template_text, encoding="utf-8")
        for name in CARRIED:
            if (adir / name).is_file():
                shutil.copy2(adir / name, tmp / name)
        publish(tmp, out_dir, "merge")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    del merged, m

    if verify:
        loaded = AutoModelForCausalLM.from_pretrained(str(out_dir), dtype=saved_dtype).to(device).eval()
        if tied and not is_tied(loaded):
            raise FctuneError(f"{out_dir}: reloaded model has untied embeddings although the base ties them")
        diff, scale = _max_diff(_probe_logits(loaded, probe), reference)
        summary["max_logit_diff_reloaded"] = diff
        if saved_dtype != torch.float32:
            log(f"reloaded {summary['dtype']} logits differ from the fp32 base + adapter by up to {diff:.3g} "
                f"(logits up to {scale:.3g}): the rounding of the weights")
        elif diff > _tolerance(scale):
            raise FctuneError(f"{out_dir}: reloaded logits differ from base + adapter by {diff:.3g} "
                              f"(logits up to {scale:.3g}); the saved model is not right")
    return summary


