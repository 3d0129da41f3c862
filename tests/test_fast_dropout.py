"""LoRA dropout with cheap random bits: the keep rate, the scaling, eval mode, and the PEFT swap."""

from __future__ import annotations

import pytest
import torch

from fctune.fast_dropout import FastDropout, keep_mask, use_fast_dropout


@pytest.mark.parametrize("p", [0.1, 0.5, 0.05])
def test_keep_rate_and_independence(p):
    torch.manual_seed(0)
    mask = keep_mask((512, 1000), 1.0 - p)
    n = mask.numel()
    rate = mask.float().mean().item()
    assert abs(rate - (1 - p)) < 4 * (p * (1 - p) / n) ** 0.5 + 2 ** -16
    # neighbouring elements (same random word, next word) are uncorrelated
    flat = mask.flatten().float()
    for lag in (1, 2, 3, 4):
        corr = torch.corrcoef(torch.stack([flat[:-lag], flat[lag:]]))[0, 1].item()
        assert abs(corr) < 0.01, lag


def test_forward_scales_kept_values_and_backward_follows_the_mask():
    torch.manual_seed(1)
    drop = FastDropout(0.25).train()
    x = torch.randn(64, 300, requires_grad=True)
    y = drop(x)
    kept = y != 0
    assert torch.allclose(y[kept], x[kept] / 0.75)
    y.sum().backward()
    assert torch.allclose(x.grad, kept.float() / 0.75)
    assert drop.eval()(x) is x


def test_seeded_like_torch_randomness():
    drop = FastDropout(0.1).train()
    x = torch.ones(10, 1000)
    torch.manual_seed(7)
    a = drop(x)
    torch.manual_seed(7)
    assert torch.equal(a, drop(x))


def test_peft_lora_dropout_is_swapped():
    from peft import LoraConfig, get_peft_model

    from fctune.models import load_model

    model = get_peft_model(load_model("tiny-qwen3")[0], LoraConfig(r=4, lora_alpha=8, lora_dropout=0.1,
                                                        target_modules=["q_proj", "down_proj"], task_type="CAUSAL_LM"))
    layers = model.base_model.model.config.num_hidden_layers
    assert use_fast_dropout(model) == 2 * layers
    assert all(isinstance(m.lora_dropout["default"], FastDropout) for m in model.modules() if hasattr(m, "lora_dropout"))
    model.train()
    out = model(input_ids=torch.tensor([[1, 2, 3, 4]]), use_cache=False)
    assert torch.isfinite(out.logits).all()
