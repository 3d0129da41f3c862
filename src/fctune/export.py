"""``fctune export``: a tuned model as one GGUF file for llama.cpp, Ollama and LM Studio, tool calls intact.

    fctune export --model qwen2.5-0.5b --adapter runs/demo --out runs/demo-gguf --quant q8_0

What goes into the file, and why each part matters for tool calling:

* the weights of base + adapter, merged by :func:`fctune.merge.merge_in_memory` (trained token rows
  included), as f32, f16 or q8_0 (llama.cpp's own Q8_0 blocks, written by the ``gguf`` library);
* the tokenizer (byte-level BPE tokens, merges, the pre-tokenizer llama.cpp must split with, token
  types: control tokens such as the end of turn are parsed only when asked, tool tags always);
* the chat template that training rendered with, tools section and all, so that a runtime that
  applies the embedded template (``llama-server --jinja``, node-llama-cpp, LM Studio) builds the very
  prompt the model was trained under; the end-of-turn token as end of generation;
* ``fctune.call_threshold``: the calibrated call decision, which no runtime applies (noted in the
  Modelfile and docs/serving.md).

Beside it: an Ollama ``Modelfile`` (its Go template is built by :mod:`fctune.formats` from the same
renderings) and ``call_threshold.json``. The file is checked before it is published: transformers
loads it back (``gguf_file``), its logits are compared with the merged model (bounds per quantisation
in :data:`LOGIT_BOUNDS`), and its tokenizer and embedded template reproduce fctune's ids and text.
Architectures outside :data:`ARCHITECTURES` are refused before any weight is read.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fctune.errors import FctuneError

ARCHITECTURES = {"qwen2": "QWEN2", "qwen3": "QWEN3", "llama": "LLAMA"}
"""Hugging Face ``model_type`` -> ``gguf.MODEL_ARCH`` member: the families fctune trains."""
QUANTS = ("q8_0", "f16", "f32")
LOGIT_BOUNDS = {"f32": 1e-4, "f16": 0.01, "q8_0": 0.08}
"""Largest |logit difference| allowed between the GGUF (read back by transformers) and the merged
model, relative to the largest logit (at least 1): f32 is the writer's exactness; f16 and q8_0 are
the rounding of the weights, about three times what was measured (f16 0.1 %, q8_0 1.4-3.2 %:
docs/serving.md)."""
MIN_ARGMAX_AGREEMENT = 0.9
"""Share of probe positions whose most likely token must stay the same (measured 95-100 %)."""
GREEDY_TOKENS = 16
"""Tokens of greedy continuation compared between llama.cpp and the merged model."""
PRE_TOKENIZERS = {
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+": "qwen2",
}
"""Split regexes of Hugging Face tokenizers -> llama.cpp's name for the same pre-tokenizer."""
GGUF_NAME = "model-{quant}.gguf"
LLAMACPP_MODES = ("auto", "on", "off")
THRESHOLD_KEY = "fctune.call_threshold"


@dataclass
class ExportConfig:
    """What ``fctune export`` needs beyond the runtime section."""

    out: str
    quant: str = "q8_0"
    untie: bool = False
    verify: bool = True
    """Read the file back with transformers (logits, tokenizer, template) before publishing it."""
    llamacpp: str = "auto"
    """Run the file in llama.cpp (node-llama-cpp) before publishing it: ``on``, ``off``, or ``auto``
    (when the runtime is installed, as ``make setup`` does)."""
    overwrite: bool = False


# ---------------------------------------------------------------------------------------------
# Checks before anything heavy
# ---------------------------------------------------------------------------------------------


def model_config(model: str) -> Any:
    """The config of a model directory, GGUF or alias, read without its weights."""
    from transformers import AutoConfig

    from fctune.models import resolve_model_path

    try:
        return AutoConfig.from_pretrained(resolve_model_path(model))
    except (OSError, ValueError) as exc:
        raise FctuneError(f"{model}: cannot read the model's config ({str(exc).splitlines()[0]})") from exc


def after_tool_result() -> dict:
    """The probe request, a call and its result: the multi-step case every check renders."""
    from fctune.merge import PROBE, PROBE_TOOLS

    call = {"type": "function", "function": {"name": "get_weather", "arguments": {"location": "北京"}}}
    return {"tools": PROBE_TOOLS, "messages": [*PROBE, {"role": "assistant", "content": "", "tool_calls": [call]},
                                               {"role": "tool", "name": "get_weather", "content": "{\"temp\": 25}"}]}


def llamacpp_conversations() -> list[dict]:
    """What the llama.cpp check asks: a request for a tool (Chinese and English), the answer after a
    tool result (the multi-step case), and a request without tools."""
    from fctune.merge import PROBE, PROBE_TOOLS

    return [{"tools": PROBE_TOOLS, "messages": PROBE}, after_tool_result(),
            {"messages": [{"role": "user", "content": "讲个笑话吧"}]}]


def greedy_tokens(merged: Any, conversation: dict, n: int) -> list[int]:
    """The merged model's first ``n`` greedy tokens after ``conversation``'s prompt (up to end of turn)."""
    import torch

    fmt, model = merged.fmt, merged.model
    ids = torch.tensor([fmt.prompt_ids(conversation["messages"], conversation.get("tools") or None)],
                       device=next(model.parameters()).device)
    with torch.inference_mode():
        out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=n, do_sample=False,
                             eos_token_id=list(fmt.stop_token_ids), pad_token_id=fmt.tokenizer.pad_token_id)
    tokens = out[0, ids.shape[1]:].tolist()
    return tokens[: next((i for i, t in enumerate(tokens) if t in fmt.stop_token_ids), len(tokens))]


def run_llamacpp_check(path: Path, merged: Any, quant: str, mode: str) -> dict[str, Any]:
    """The llama.cpp check of :class:`ExportConfig` (``mode``): a prompt or token ids that differ from
    fctune's stop the export, and so does (for f32, where nothing is rounded) a first greedy token
    that differs from the merged model's; how far greedy decoding agrees is reported."""
    from fctune.llamacpp import LlamaCppUnavailable, check_gguf

    if mode == "off":
        return {}
    conversations = llamacpp_conversations()
    try:
        checks = check_gguf(path, merged.fmt, conversations, max_tokens=48, install=mode == "on")
    except LlamaCppUnavailable as exc:
        if mode == "on":
            raise
        return {"llamacpp": f"skipped: {exc}"}
    bad = [i for i, c in enumerate(checks) if not c.ok]
    if bad:
        raise FctuneError(f"{path}: llama.cpp builds a different prompt than training for check conversation(s) "
                          f"{bad} (template text, wrapper prompt or token ids); not published")
    agreement = []
    for conversation, check in zip(conversations, checks, strict=True):
        ours, theirs = greedy_tokens(merged, conversation, GREEDY_TOKENS), check.tokens[:GREEDY_TOKENS]
        compared = min(len(ours), len(theirs))
        agreement.append((next((i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b), compared), compared))
        if quant == "f32" and ours[:1] != theirs[:1]:
            raise FctuneError(f"{path}: llama.cpp's first greedy token differs from the merged model's (f32 weights): "
                              "the file's metadata or tensor layout is wrong; not published")
    return {"llamacpp": "prompts and token ids identical to fctune's", "llamacpp_greedy_agreement": agreement,
            "llamacpp_answers": [{"text": c.text, "calls": c.calls} for c in checks]}


def check_supported(kind: str, quant: str) -> None:
    if kind not in ARCHITECTURES:
        raise FctuneError(f"cannot export a {kind!r} model to GGUF: fctune exports {', '.join(ARCHITECTURES)} "
                          "(convert others with llama.cpp's convert_hf_to_gguf.py from `fctune merge` output)")
    if quant not in QUANTS:
        raise FctuneError(f"unknown --quant {quant!r}: use {', '.join(QUANTS)}")


def preflight(rt: Any, quant: str) -> None:
    """Every refusal that needs no weights: the architecture, the quantisation, rope scaling, the
    tokenizer (a ChatML end of turn, a pre-tokenizer llama.cpp can name), before anything is merged."""
    from fctune.formats import ChatFormat
    from fctune.models import load_tokenizer

    config = model_config(rt.name_or_path)
    check_supported(config.model_type, quant)
    _rope_theta(config)
    saved = Path(rt.adapter) if rt.adapter and (Path(rt.adapter) / "tokenizer_config.json").is_file() else None
    tokenizer = load_tokenizer(str(saved) if saved else rt.name_or_path)
    ChatFormat(tokenizer, template=rt.template, enable_thinking=rt.enable_thinking)
    pre_tokenizer(tokenizer)


def pre_tokenizer(tokenizer: Any) -> str:
    """llama.cpp's name for the tokenizer's pre-tokenizer; refuse one it would split differently."""
    spec = json.loads(tokenizer.backend_tokenizer.to_str()).get("pre_tokenizer") or {}
    if spec.get("type") == "ByteLevel" and spec.get("use_regex", True) and not spec.get("add_prefix_space"):
        return "gpt-2"  # GPT-2's own split regex (SmolLM2 as transformers reads its GGUF)
    for step in spec.get("pretokenizers", []):
        regex = (step.get("pattern") or {}).get("Regex")
        if step.get("type") == "Split" and regex in PRE_TOKENIZERS:
            return PRE_TOKENIZERS[regex]
    raise FctuneError(f"the tokenizer's pre-tokenizer ({json.dumps(spec)[:120]}) is not one fctune can name "
                      "for llama.cpp; its prompts would be split differently there")


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------


def _permute(weights: Any, n_head: int) -> Any:
    """llama.cpp's rotary layout for Llama q/k rows (the inverse of what transformers undoes on load)."""
    return (weights.reshape(n_head, 2, weights.shape[0] // n_head // 2, *weights.shape[1:])
            .swapaxes(1, 2).reshape(weights.shape))


def _encode(data: Any, quant: str) -> tuple[Any, Any]:
    """(array, ggml type) for one tensor: vectors stay f32 (llama.cpp computes norms and biases in f32)."""
    import gguf
    import numpy as np

    types = gguf.GGMLQuantizationType
    if data.ndim == 1 or quant == "f32":
        return data.astype(np.float32), types.F32
    if quant == "q8_0" and data.shape[-1] % 32 == 0:
        return gguf.quants.quantize(data.astype(np.float32), types.Q8_0), types.Q8_0
    return data.astype(np.float16), types.F16


def _vocabulary(tokenizer: Any, size: int) -> tuple[list[str], list[int]]:
    """Token strings by id and their llama.cpp types, padded to the embedding's ``size`` rows."""
    import gguf

    kinds = gguf.TokenType
    by_id = {i: t for t, i in tokenizer.get_vocab().items()}
    added = {int(i): t for i, t in getattr(tokenizer, "added_tokens_decoder", {}).items()}
    if max(by_id) >= size:
        raise FctuneError(f"the tokenizer has ids up to {max(by_id)} but the model only {size} embedding rows")
    tokens, types = [], []
    for i in range(size):
        if i not in by_id:
            tokens.append(f"[PAD{i}]")
            types.append(kinds.UNUSED)
        elif i in added:  # as llama.cpp's converter: special, or shaped like <|...|>, is a control token
            text = added[i].content
            tokens.append(text)
            control = added[i].special or (text.startswith("<|") and text.endswith("|>"))
            types.append(kinds.CONTROL if control else kinds.USER_DEFINED)
        else:
            tokens.append(by_id[i])
            types.append(kinds.NORMAL)
    return tokens, [int(t) for t in types]


def _merges(tokenizer: Any) -> list[str]:
    merges = json.loads(tokenizer.backend_tokenizer.to_str())["model"].get("merges") or []
    return [m if isinstance(m, str) else " ".join(m) for m in merges]


def _rope_theta(config: Any) -> float:
    params = getattr(config, "rope_parameters", None) or getattr(config, "rope_scaling", None) or {}
    kind = params.get("rope_type", params.get("type", "default"))
    if kind != "default":
        raise FctuneError(f"rope scaling {kind!r} is not exported by fctune; convert with llama.cpp's converter")
    return float(params.get("rope_theta", getattr(config, "rope_theta", 10000.0)))


def _write_metadata(writer: Any, config: Any, kind: str, quant: str) -> None:
    import gguf

    head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    writer.add_name(str(getattr(config, "_name_or_path", "") or "fctune export").rsplit("/", 1)[-1])
    writer.add_context_length(int(config.max_position_embeddings))
    writer.add_embedding_length(int(config.hidden_size))
    writer.add_block_count(int(config.num_hidden_layers))
    writer.add_feed_forward_length(int(config.intermediate_size))
    writer.add_head_count(int(config.num_attention_heads))
    writer.add_head_count_kv(int(config.num_key_value_heads or config.num_attention_heads))
    writer.add_key_length(int(head_dim))
    writer.add_value_length(int(head_dim))
    writer.add_rope_dimension_count(int(head_dim))
    writer.add_rope_freq_base(_rope_theta(config))
    writer.add_layer_norm_rms_eps(float(config.rms_norm_eps))
    writer.add_vocab_size(int(config.vocab_size))
    file_types = {"f32": gguf.LlamaFileType.ALL_F32, "f16": gguf.LlamaFileType.MOSTLY_F16,
                  "q8_0": gguf.LlamaFileType.MOSTLY_Q8_0}
    writer.add_file_type(int(file_types[quant]))
    writer.add_quantization_version(gguf.GGML_QUANT_VERSION)


def _bos_id(tokenizer: Any, config: Any) -> int | None:
    """The tokenizer's or config's BOS, else the end-of-text token (what llama.cpp's converter writes
    for Qwen); never added to prompts (``add_bos_token`` is the tokenizer's), but a runtime needs one."""
    from fctune.formats import END_OF_TEXT

    for value in (tokenizer.bos_token_id, getattr(config, "bos_token_id", None),
                  tokenizer.get_vocab().get(END_OF_TEXT)):
        if isinstance(value, int):
            return value
    return None


def _write_tokenizer(writer: Any, fmt: Any, config: Any) -> None:
    tokenizer, size = fmt.tokenizer, int(config.vocab_size)
    tokens, types = _vocabulary(tokenizer, size)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre(pre_tokenizer(tokenizer))
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(_merges(tokenizer))
    writer.add_eos_token_id(fmt.end_of_turn_id)  # what training taught to end a turn with
    writer.add_eot_token_id(fmt.end_of_turn_id)
    bos = _bos_id(tokenizer, config)
    if bos is not None:
        writer.add_bos_token_id(bos)
    if tokenizer.pad_token_id is not None:
        writer.add_pad_token_id(int(tokenizer.pad_token_id))
    if tokenizer.unk_token_id is not None:
        writer.add_unk_token_id(int(tokenizer.unk_token_id))
    writer.add_add_bos_token(bool(getattr(tokenizer, "add_bos_token", False)))
    writer.add_chat_template(fmt.runtime_template())


def _write_tensors(writer: Any, model: Any, kind: str, quant: str, tied: bool) -> int:
    import gguf

    config = model.config
    names = gguf.get_tensor_name_map(getattr(gguf.MODEL_ARCH, ARCHITECTURES[kind]), config.num_hidden_layers)
    count = 0
    for name, tensor in model.state_dict().items():
        if tied and name == "lm_head.weight":
            continue  # llama.cpp reads the head from token_embd when output.weight is absent
        gguf_name = names.get_name(name, try_suffixes=(".weight", ".bias"))
        if gguf_name is None:
            raise FctuneError(f"no GGUF name for tensor {name} of this {kind} model; not exported")
        data = tensor.detach().float().cpu().numpy()
        if kind == "llama" and name.endswith(("q_proj.weight", "k_proj.weight", "q_proj.bias", "k_proj.bias")):
            heads = config.num_attention_heads if "q_proj" in name else config.num_key_value_heads
            data = _permute(data, heads)
        array, ggml_type = _encode(data, quant)
        writer.add_tensor(gguf_name, array, raw_dtype=ggml_type)
        count += 1
    return count


def write_gguf(path: Path, model: Any, fmt: Any, *, quant: str, tied: bool, threshold: float | None) -> int:
    """Write ``model`` (merged, fp32) with ``fmt``'s tokenizer and template to ``path``; returns the tensor count."""
    import gguf

    kind = model.config.model_type
    check_supported(kind, quant)
    writer = gguf.GGUFWriter(str(path), gguf.MODEL_ARCH_NAMES[getattr(gguf.MODEL_ARCH, ARCHITECTURES[kind])])
    _write_metadata(writer, model.config, kind, quant)
    _write_tokenizer(writer, fmt, model.config)
    if threshold is not None:
        writer.add_float32(THRESHOLD_KEY, float(threshold))
    count = _write_tensors(writer, model, kind, quant, tied)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return count


# ---------------------------------------------------------------------------------------------
# Checking what was written
# ---------------------------------------------------------------------------------------------


def verify_gguf(path: Path, merged: Any, quant: str, device: str = "cpu") -> dict[str, Any]:
    """Load ``path`` back with transformers and compare it with the merged model: logits on the probe
    (bounded by :data:`LOGIT_BOUNDS`), the tokenizer's ids and the embedded template's text."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from fctune.formats import ChatFormat
    from fctune.merge import _max_diff, _probe_logits

    source = merged.model.config
    kwargs: dict[str, Any] = {}
    if source.model_type == "qwen3":  # transformers reads no head_dim for qwen3 GGUFs: give it the config
        kwargs["config"] = source
    loaded = AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name, dtype=torch.float32,
                                                  **kwargs).to(device).eval()
    logits = _probe_logits(loaded, merged.probe)
    diff, scale = _max_diff(logits, merged.reference)
    agree = float((logits.argmax(-1) == merged.reference.argmax(-1)).float().mean())
    bound = LOGIT_BOUNDS[quant] * max(1.0, scale)
    if diff > bound or agree < MIN_ARGMAX_AGREEMENT:
        raise FctuneError(f"{path}: logits read back differ from the merged model by {diff:.3g} (bound {bound:.3g} "
                          f"for {quant}), the most likely token agrees at {agree:.0%} of positions (at least "
                          f"{MIN_ARGMAX_AGREEMENT:.0%} needed); not published")
    tokenizer = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
    probe = after_tool_result()
    expected = merged.fmt.prompt_text(probe["messages"], probe["tools"])
    rendered = ChatFormat(tokenizer, template="own" if merged.fmt.template_name == "own" else "auto",
                          enable_thinking=merged.fmt.enable_thinking).prompt_text(probe["messages"], probe["tools"])
    if tokenizer.chat_template != merged.fmt.runtime_template() or rendered != expected:
        raise FctuneError(f"{path}: the embedded chat template renders differently from training; not published")
    if merged.fmt.encode(expected) != tokenizer(expected, add_special_tokens=False)["input_ids"]:
        raise FctuneError(f"{path}: the embedded tokenizer splits the prompt differently from training; not published")
    return {"max_logit_diff": diff, "max_logit": scale, "argmax_agreement": agree}


# ---------------------------------------------------------------------------------------------
# The command's library call
# ---------------------------------------------------------------------------------------------


def export_model(rt: Any, cfg: ExportConfig, log: Any = print) -> dict[str, Any]:
    """Merge ``rt.adapter`` (if any) into ``rt.name_or_path`` and publish GGUF + Modelfile in ``cfg.out``.

    Written into a staging directory beside ``cfg.out`` and renamed once checked (:mod:`fctune.publish`),
    so a failed export leaves nothing half-written, and ``overwrite`` replaces only an earlier export.
    """
    import dataclasses

    from fctune.calibrate import saved_calibration
    from fctune.merge import merge_in_memory
    from fctune.models import resolve_device, resolve_model_path
    from fctune.publish import check_out_dir, publish, staging_dir

    if cfg.llamacpp not in LLAMACPP_MODES:
        raise FctuneError(f"unknown llama.cpp check mode {cfg.llamacpp!r}: use {', '.join(LLAMACPP_MODES)}")
    rt = dataclasses.replace(rt, device=resolve_device(rt.device))
    out_dir = Path(cfg.out)
    inputs = [Path(resolve_model_path(rt.name_or_path))] + ([Path(rt.adapter)] if rt.adapter else [])
    check_out_dir(out_dir, [p for p in inputs if p.exists()], cfg.overwrite, "export")
    preflight(rt, cfg.quant)
    merged = merge_in_memory(rt.name_or_path, rt.adapter or None, untie=cfg.untie, template=rt.template,
                             enable_thinking=rt.enable_thinking, device=rt.device, verify=True,
                             allow_other_base=rt.allow_other_base, log=log)
    calibration = saved_calibration(merged.adapter_dir, resolve_model_path(rt.name_or_path))
    threshold = calibration[1] if calibration else None
    tmp = staging_dir(out_dir)
    gguf_path = tmp / GGUF_NAME.format(quant=cfg.quant)
    try:
        count = write_gguf(gguf_path, merged.model, merged.fmt, quant=cfg.quant, tied=merged.tied, threshold=threshold)
        log(f"wrote {gguf_path.name}: {count} tensors, {gguf_path.stat().st_size / 1e6:.1f} MB")
        checks = verify_gguf(gguf_path, merged, cfg.quant, rt.device) if cfg.verify else {}
        checks.update(run_llamacpp_check(gguf_path, merged, cfg.quant, cfg.llamacpp))
        (tmp / "Modelfile").write_text(merged.fmt.ollama_modelfile(f"./{gguf_path.name}", threshold), encoding="utf-8")
        if calibration is not None:
            shutil.copy2(calibration[0], tmp / calibration[0].name)
        publish(tmp, out_dir, "export")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return {"out": str(out_dir), "gguf": str(out_dir / gguf_path.name), "quant": cfg.quant,
            "architecture": merged.model.config.model_type, "tensors": count,
            "bytes": (out_dir / gguf_path.name).stat().st_size, "call_threshold": threshold, "tied": merged.tied,
            **checks}
