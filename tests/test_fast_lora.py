"""The CPU LoRA forward: dropout bits (keep rate, independence), and the same function and gradients as PEFT's."""

from __future__ import annotations

import copy

import pytest
import torch

from fctune.fast_lora import keep_mask, use_fast_lora

TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


@pytest.mark.parametrize("p", [0.1, 0.5, 0.05])
def test_keep_rate_and_independence(p):
    torch.manual_seed(0)
    mask = keep_mask((512, 1000), 1.0 - p)
    n = mask.numel()
    rate = mask.float().mean().item()
    assert abs(rate - (1 - p)) < 4 * (p * (1 - p) / n) ** 0.5 + 2 ** -16
    # neighbouring elements (lanes of the same random word, the next word) are uncorrelated
    flat = mask.flatten().float()
    for lag in (1, 2, 3, 4, 5):
        corr = torch.corrcoef(torch.stack([flat[:-lag], flat[lag:]]))[0, 1].item()
        assert abs(corr) < 0.01, lag
    # every lane of a word keeps at the same rate (no lane with a fixed top bit)
    lanes = mask.flatten()[: n - n % 4].view(-1, 4).float().mean(0)
    assert (lanes - (1 - p)).abs().max().item() < 4 * (p * (1 - p) / (n / 4)) ** 0.5 + 2 ** -16


def test_seeded_like_torch_randomness():
    torch.manual_seed(7)
    a = keep_mask((10, 1000), 0.9)
    torch.manual_seed(7)
    assert torch.equal(a, keep_mask((10, 1000), 0.9))


def _lora_model(dropout: float):
    from peft import LoraConfig, get_peft_model

    from fctune.models import load_model

    torch.manual_seed(0)
    model = get_peft_model(load_model("tiny-qwen3")[0], LoraConfig(r=4, lora_alpha=8, lora_dropout=dropout,
                                                                   target_modules=TARGETS, task_type="CAUSAL_LM"))
    with torch.no_grad():  # PEFT starts lora_B at zero: give every factor a gradient to compare
        for name, param in model.named_parameters():
            if "lora_B" in name:
                param.normal_(0, 0.05)
    return model


def _loss_and_grads(model, ids):
    model.zero_grad()
    out = model(input_ids=ids, use_cache=False).logits
    loss = out.float().pow(2).mean()
    loss.backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad}
    return out.detach(), grads


def test_same_outputs_and_gradients_as_peft():
    model = _lora_model(0.0)
    reference = copy.deepcopy(model)
    layers = model.base_model.model.config.num_hidden_layers
    assert use_fast_lora(model) == len(TARGETS) * layers
    ids = torch.randint(0, 1000, (2, 24))
    out, grads = _loss_and_grads(model.train(), ids)
    ref_out, ref_grads = _loss_and_grads(reference.train(), ids)
    assert torch.allclose(out, ref_out, atol=1e-5, rtol=1e-4)
    assert grads.keys() == ref_grads.keys() and len(grads) == 2 * len(TARGETS) * layers
    for name, g in grads.items():
        assert torch.allclose(g, ref_grads[name], atol=1e-6, rtol=1e-3), name


def test_dropout_mask_scaling_and_eval_mode():
    from peft.tuners.lora.layer import Linear as LoraLinear

    p = 0.25
    layer = next(m for m in _lora_model(p).modules() if isinstance(m, LoraLinear))
    use_fast_lora(layer)
    x = torch.randn(3, 5, layer.in_features, requires_grad=True)
    a, b = layer.lora_A["default"].weight, layer.lora_B["default"].weight
    s = layer.scaling["default"]
    layer.train()
    torch.manual_seed(3)
    y = layer(x)
    torch.manual_seed(3)
    mask = keep_mask((15, layer.in_features), 1 - p).view(x.shape)
    dropped = torch.where(mask, x, 0.0) / (1 - p)
    expected = x @ layer.base_layer.weight.t() + (dropped @ a.t() @ b.t()) * s
    assert torch.allclose(y, expected, atol=1e-5)
    y.sum().backward()
    grad = torch.ones(3, 5, layer.out_features) @ layer.base_layer.weight + (torch.ones(3, 5, layer.out_features) @ b @ a) * s * mask / (1 - p)
    assert torch.allclose(x.grad, grad, atol=1e-4)
    layer.eval()  # no dropout in eval mode: the plain LoRA function
    with torch.no_grad():
        assert torch.allclose(layer(x), x @ layer.base_layer.weight.t() + (x @ a.t() @ b.t()) * s, atol=1e-5)


def test_disabled_adapter_falls_back_to_peft():
    model = _lora_model(0.0)
    use_fast_lora(model)
    ids = torch.randint(0, 1000, (1, 12))
    with torch.no_grad():
        tuned = model(input_ids=ids, use_cache=False).logits
        with model.disable_adapter():
            base = model(input_ids=ids, use_cache=False).logits
        plain = model.get_base_model()
    assert not torch.allclose(tuned, base, atol=1e-4)
    use_fast_lora(plain)  # also fine on the unwrapped model: the LoRA layers are the same modules
    with torch.no_grad(), model.disable_adapter():
        assert torch.allclose(model(input_ids=ids, use_cache=False).logits, base)
