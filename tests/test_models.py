"""Model sources: local directory, aliases, .gguf files, hub ids (offline: one actionable line)."""

from __future__ import annotations

import time

import pytest
import torch

from fctune.errors import ModelLoadError
from fctune.models import load_model, make_tiny_qwen3, resolve_model_path


def test_tiny_qwen3_carries_real_tokenizer_and_template(tmp_path, qwen3_tokenizer):
    out = make_tiny_qwen3(tmp_path / "tiny")
    model, tokenizer = load_model(str(out), device="cpu")
    assert type(model).__name__ == "Qwen3ForCausalLM"
    assert model.config.tie_word_embeddings
    assert tokenizer.chat_template == qwen3_tokenizer.chat_template
    ids = tokenizer("今天北京的天气怎么样？")["input_ids"]
    assert ids == qwen3_tokenizer("今天北京的天气怎么样？")["input_ids"]
    logits = model(torch.tensor([ids])).logits
    assert logits.shape == (1, len(ids), model.config.vocab_size)
    assert model.dtype == torch.float32


def test_alias_resolves_to_cached_directory():
    first = resolve_model_path("tiny-qwen3")
    assert resolve_model_path("tiny-qwen3") == first


def test_hub_id_offline_fails_fast_with_local_path_hint(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    start = time.monotonic()
    with pytest.raises(ModelLoadError) as err:
        load_model("Qwen/Qwen3-0.6B")
    assert time.monotonic() - start < 15
    message = str(err.value)
    assert "Qwen/Qwen3-0.6B" in message and "model.name_or_path=" in message
    assert "\n" not in message


@pytest.mark.parametrize("name, expect", [
    ("./no/such/dir", "model not found"),
    ("missing.gguf", "GGUF file not found"),
])
def test_bad_local_paths(name, expect):
    with pytest.raises(ModelLoadError, match=expect):
        resolve_model_path(name)


def test_directory_without_config(tmp_path):
    with pytest.raises(ModelLoadError, match="without config.json"):
        resolve_model_path(str(tmp_path))


@pytest.mark.slow
def test_smollm2_gguf_is_dequantised_once_and_cached():
    path = resolve_model_path("smollm2-135m")
    start = time.monotonic()
    model, tokenizer = load_model("smollm2-135m", device="cpu")
    assert time.monotonic() - start < 15, "second load must come from the safetensors cache"
    assert resolve_model_path("smollm2-135m") == path
    assert model.config.model_type == "llama"
    assert tokenizer.convert_tokens_to_ids("<|im_end|>") is not None
    ids = tokenizer("The capital of France is", return_tensors="pt")
    out = model.generate(**ids, max_new_tokens=3, do_sample=False)
    assert "Paris" in tokenizer.decode(out[0][ids["input_ids"].shape[1]:])
