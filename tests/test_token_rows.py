"""Special-token rows a model never learned: detected on the real Qwen2.5 model, trained through PEFT
(only those rows), saved with the adapter, and carried by merge."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from fctune.token_rows import find_untrained, trainable_token_indices
from tests.helpers import lora_model


def test_detects_the_untrained_tool_tags_of_qwen25(qwen25_dir):
    from fctune.formats import ChatFormat
    from fctune.models import load_model

    model, tok = load_model(str(qwen25_dir), device="cpu")
    fmt = ChatFormat(tok)
    rows = find_untrained(model, fmt.special_tokens())
    found = {(r.token, r.matrix) for r in rows}
    # <tool_call> and </tool_call> share one vector with the other unused special tokens, in both matrices;
    # the ChatML tokens the model was trained on are not flagged
    assert found == {("<tool_call>", "embedding"), ("</tool_call>", "embedding"),
                     ("<tool_call>", "head"), ("</tool_call>", "head")}
    assert all("same vector" in r.reason for r in rows)
    assert trainable_token_indices(model, [r.token_id for r in rows]) == {
        "embed_tokens": [151657, 151658], "lm_head": [151657, 151658]}


def test_random_rows_are_not_flagged_and_crafted_ones_are():
    from transformers import Qwen3Config, Qwen3ForCausalLM

    torch.manual_seed(0)
    model = Qwen3ForCausalLM(Qwen3Config(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                                         num_attention_heads=2, num_key_value_heads=1, head_dim=16,
                                         tie_word_embeddings=True))
    tokens = [("a", 3), ("b", 4), ("c", 5), ("d", 6)]
    assert find_untrained(model, tokens) == []
    w = model.get_input_embeddings().weight
    with torch.no_grad():
        w[4] = w[5]                      # two tokens share a vector
        w[3] = w[3] * 1e-4               # near zero
        others = torch.cat([w[:6], w[7:]])
        w[6] = others.sum(dim=0) / others.shape[0]  # the mean of the whole matrix, itself included
    got = {r.token: r.reason for r in find_untrained(model, tokens)}
    assert set(got) == {"a", "b", "c", "d"}
    assert "norm" in got["a"] and "same vector" in got["b"] and "same vector" in got["c"] and "mean" in got["d"]
    # tied: one matrix checked, and PEFT gets the embedding only (the head follows it)
    assert all(r.matrix == "embedding" for r in find_untrained(model, tokens))
    assert trainable_token_indices(model, [4, 4, 3]) == {"embed_tokens": [3, 4]}


def test_head_loss_with_trained_rows_equals_full_logits(one_thread):
    """The head patch (logit columns of the trained rows) gives PEFT's loss and gradients exactly."""
    from transformers import Qwen3Config, Qwen3ForCausalLM

    from fctune.loss import head_loss, head_parts

    torch.manual_seed(0)
    base = Qwen3ForCausalLM(Qwen3Config(vocab_size=96, hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                                        num_attention_heads=2, num_key_value_heads=1, head_dim=16,
                                        tie_word_embeddings=False))
    model = lora_model(base, shift_token_rows=1.0, r=4, target_modules=["q_proj"], trainable_token_indices={
        "embed_tokens": [7, 9], "lm_head": [7, 9]})
    head = model.get_output_embeddings()
    weight, _bias, rows = head_parts(head)
    assert rows is not None and rows[0].tolist() == [7, 9]
    hidden = torch.randn(5, 32)
    targets = torch.tensor([7, 9, 1, 7, 50])
    ours = head_loss(hidden, head, targets)
    (delta,) = [p for n, p in model.named_parameters() if "lm_head" in n and "trainable_tokens_delta" in n]
    g_ours = torch.autograd.grad(ours, delta)[0]
    reference = torch.nn.functional.cross_entropy(head(hidden).float(), targets, reduction="sum")
    g_ref = torch.autograd.grad(reference, delta)[0]
    assert torch.allclose(ours, reference, atol=1e-5)
    assert torch.allclose(g_ours, g_ref, atol=1e-5)
    assert g_ours.abs().sum() > 0


@pytest.mark.slow
def test_trained_rows_change_are_saved_and_survive_merge(qwen25_dir, tmp_path):
    """Two steps on the real model: the tool-tag rows move (and only they, of the two matrices), the
    adapter holds them, and the merged model carries them."""
    from safetensors import safe_open
    from safetensors.torch import load_file

    from fctune.config import load_config
    from fctune.merge import merge_adapter
    from fctune.train import train

    data = tmp_path / "d.jsonl"
    from fctune.data.seed import seed_conversations

    data.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in seed_conversations()[:2]), encoding="utf-8")
    out = tmp_path / "run"
    cfg = load_config(None, [f"model.name_or_path={qwen25_dir}", f"data.train_file={data}", f"train.output_dir={out}",
                             "train.max_steps=2", "train.gradient_accumulation_steps=1", "train.learning_rate=1e-2",
                             "train.smoke_test=false", "lora.r=2", "lora.target_modules=q_proj", "train.num_threads=2"])
    summary = train(cfg)
    assert summary["trained_token_rows"] == [151657, 151658]
    assert {(r["token"], r["matrix"]) for r in summary["untrained_token_rows"]} >= {("<tool_call>", "embedding"),
                                                                                   ("<tool_call>", "head")}
    saved = load_file(str(out / "adapter_model.safetensors"))
    deltas = {k: v for k, v in saved.items() if "trainable_tokens_delta" in k}
    assert len(deltas) == 2 and all(v.shape == (2, 896) for v in deltas.values()), list(deltas)

    with safe_open(str(Path(qwen25_dir) / "model.safetensors"), "pt") as f:
        base_embed = f.get_tensor("model.embed_tokens.weight")
        base_head = f.get_tensor("lm_head.weight")
    for key, delta in deltas.items():
        base_rows = (base_head if "lm_head" in key else base_embed)[[151657, 151658]]
        assert not torch.allclose(delta, base_rows), key                      # the rows moved
        assert torch.nn.functional.cosine_similarity(delta[0], delta[1], dim=0) < 0.9999  # and came apart

    merged = tmp_path / "merged"
    merge_adapter(str(qwen25_dir), str(out), str(merged), log=lambda m: None)
    with safe_open(str(merged / "model.safetensors"), "pt") as f:
        m_embed = f.get_tensor("model.embed_tokens.weight")
        m_head = f.get_tensor("lm_head.weight")
    for key, delta in deltas.items():
        rows = (m_head if "lm_head" in key else m_embed)[[151657, 151658]]
        assert torch.allclose(rows, delta.to(rows.dtype), atol=1e-6), key
    # every other row is the base's
    keep = torch.ones(m_embed.shape[0], dtype=torch.bool)
    keep[[151657, 151658]] = False
    assert torch.equal(m_embed[keep], base_embed[keep]) and torch.equal(m_head[keep], base_head[keep])
