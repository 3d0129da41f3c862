"""Adapters know their base: a fingerprint of the base model saved beside the adapter, checked at load.

A LoRA adapter is a correction to one particular set of weights. Loaded on another model of the same
shape (another fine-tune, another size of the family with the same width), PEFT raises nothing and
the answers are quietly wrong; on a model of another shape it fails with a state-dict traceback. The
fingerprint (``base_fingerprint.json``) holds the architecture, the shapes that LoRA matrices depend
on, and a few values sampled from fixed places of the embedding and of the first and last layers,
compared with a tolerance that dtype rounding (bf16 on a GPU, fp32 on a CPU, a GGUF dequantised)
stays within while another set of weights does not.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fctune.errors import ModelLoadError

FILE = "base_fingerprint.json"
SHAPE_KEYS = ("model_type", "vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
              "num_key_value_heads", "intermediate_size", "head_dim")
TOLERANCE = 0.02
"""Relative difference of the sampled values (to their largest magnitude) still taken as the same base."""


def _samples(model: Any) -> list[float]:
    """Eight values from each of: embedding rows 0-3, the first and the last linear weight of the stack."""
    import torch

    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    values: list[float] = []
    embed = base.get_input_embeddings().weight
    with torch.no_grad():
        for row in range(min(4, embed.shape[0])):
            values += embed[row, :2].float().cpu().tolist()
        linears = [m.weight for n, m in base.named_modules() if isinstance(m, torch.nn.Linear) and "lm_head" not in n]
        for weight in (linears[0], linears[-1]) if linears else ():
            values += weight.reshape(-1)[:: max(1, weight.numel() // 8)][:8].float().cpu().tolist()
    return values


def fingerprint(model: Any) -> dict[str, Any]:
    """The fingerprint of a base model (before any adapter wraps it)."""
    config = model.config.get_text_config() if hasattr(model.config, "get_text_config") else model.config
    shapes = {key: getattr(config, key, None) for key in SHAPE_KEYS}
    return {"shapes": shapes, "samples": _samples(model)}


def save(print_: dict[str, Any], adapter_dir: str | Path) -> None:
    Path(adapter_dir, FILE).write_text(json.dumps(print_, indent=1) + "\n", encoding="utf-8")


def mismatch(saved: dict[str, Any], current: dict[str, Any]) -> str | None:
    """Why ``current`` is not the base ``saved`` was made on, or ``None``."""
    for key, value in saved.get("shapes", {}).items():
        if value is not None and current["shapes"].get(key) != value:
            return f"{key} is {current['shapes'].get(key)}, the adapter was trained on {value}"
    a, b = saved.get("samples", []), current["samples"]
    if a and len(a) == len(b):
        scale = max(1e-6, max(abs(x) for x in a))
        if max(abs(x - y) for x, y in zip(a, b)) > TOLERANCE * scale:
            return "its weights differ from the ones the adapter was trained on (same shapes, other values)"
    return None


def check(model: Any, adapter_dir: str | Path, allow_other_base: bool = False) -> None:
    """Raise a one-line :class:`ModelLoadError` when ``adapter_dir`` was trained on another base than
    ``model``. Adapters saved without a fingerprint (before fctune wrote one, or by other tools) and
    ``allow_other_base`` are let through."""
    path = Path(adapter_dir, FILE)
    if allow_other_base or not path.is_file():
        return
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"{path}: unreadable ({exc})") from exc
    reason = mismatch(saved, fingerprint(model))
    if reason:
        raise ModelLoadError(f"{adapter_dir} was trained on another base model: {reason} "
                             "(--allow-other-base loads it anyway)")
