"""``python -m fctune.commands.prefetch`` (run by ``make setup``): fetch every asset and convert the built-in
models once, so that nothing waits for a download or a dequantisation later (tests included)."""

from __future__ import annotations

from fctune.assets import AssetError, bfcl_data_dir, llamacpp_runtime_dir, qwen3_tokenizer_dir, qwen25_gguf, smollm2_gguf
from fctune.models import GGUF_ALIASES, resolve_model_path


def main() -> None:
    for fetch in (qwen3_tokenizer_dir, smollm2_gguf, qwen25_gguf, bfcl_data_dir):
        print(f"{fetch.__name__}: {fetch()}", flush=True)
    try:  # only export's llama.cpp check needs it; without node those tests skip and say why
        print(f"llamacpp_runtime_dir: {llamacpp_runtime_dir()}", flush=True)
    except AssetError as exc:
        print(f"llamacpp_runtime_dir: not installed ({exc})", flush=True)
    for alias in GGUF_ALIASES:  # dequantised once here, so no test waits for it
        print(f"{alias}: {resolve_model_path(alias)}", flush=True)


if __name__ == "__main__":
    main()
