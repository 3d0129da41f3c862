"""The CPU LoRA forward: dropout bits (keep rate, independence), and the same function and gradients as PEFT's."""

from __future__ import annotations

import copy

import pytest
import torch

from fctune.fast_lora import keep_mask, use_fast_lora
from tests.helpers import ALL_TARGETS, tiny_lora


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


def test_keep_near_one_keeps_everything():
    # keep within 2^-17 of 1 rounds to the int16 bound: it must keep all, never wrap to drop all
    for keep in (1.0, 1 - 1e-6, 1 - 2 ** -18):
        assert keep_mask((64, 100), keep).all()
    assert not keep_mask((64, 100), 1 - 2 ** -8).all()


def test_seeded_like_torch_randomness():
    torch.manual_seed(7)
    a = keep_mask((10, 1000), 0.9)
    torch.manual_seed(7)
    assert torch.equal(a, keep_mask((10, 1000), 0.9))


def _loss_and_grads(model, ids):
    model.zero_grad()
    out = model(input_ids=ids, use_cache=False).logits
    loss = out.float().pow(2).mean()
    loss.backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad}
    return out.detach(), grads


def test_same_outputs_and_gradients_as_peft(monkeypatch):
    from peft.tuners.lora.layer import Linear as LoraLinear

    model = tiny_lora()
    reference = copy.deepcopy(model)
    layers = model.base_model.model.config.num_hidden_layers
    assert use_fast_lora(model) == len(ALL_TARGETS) * layers
    ids = torch.randint(0, 1000, (2, 24))
    ref_out, ref_grads = _loss_and_grads(reference.train(), ids)

    def peft_forward(*args, **kwargs):
        raise AssertionError("the fused forward fell back to PEFT's")

    with monkeypatch.context() as m:  # the fused path itself must have run, on every layer
        m.setattr(LoraLinear, "forward", peft_forward)
        out, grads = _loss_and_grads(model.train(), ids)
    assert torch.allclose(out, ref_out, atol=1e-5, rtol=1e-4)
    assert grads.keys() == ref_grads.keys() and len(grads) == 2 * len(ALL_TARGETS) * layers
    for name, g in grads.items():
        assert torch.allclose(g, ref_grads[name], atol=1e-6, rtol=1e-3), name


def test_dropout_mask_scaling_and_eval_mode():
    from peft.tuners.lora.layer import Linear as LoraLinear

    p = 0.25
    layer = next(m for m in tiny_lora(p).modules() if isinstance(m, LoraLinear))
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


def test_cases_peft_handles_differently_fall_back_to_peft():
    model = tiny_lora()
    reference = copy.deepcopy(model)
    use_fast_lora(model)
    ids = torch.randint(0, 1000, (1, 12))

    def logits(m):
        with torch.no_grad():
            return m(input_ids=ids, use_cache=False).logits

    with model.disable_adapter(), reference.disable_adapter():  # disabled adapters: the base model
        assert torch.allclose(logits(model), logits(reference))
        assert not torch.allclose(logits(model), logits(tiny_lora()), atol=1e-4)
    # a forward hook on a wrapped module (profilers, offloading) must see its call
    seen = []
    layer = next(m for m in model.modules() if hasattr(m, "lora_A") and "default" in m.lora_A)
    handle = layer.lora_A["default"].register_forward_hook(lambda *_: seen.append(1))
    assert torch.allclose(logits(model), logits(reference), atol=1e-5)
    handle.remove()
    assert seen == [1]


def test_bf16_base_with_an_fp32_adapter_takes_the_fused_path(monkeypatch):
    """``model.dtype=bfloat16``: bf16 base weights, fp32 LoRA (PEFT's mixed precision). The fused
    forward runs on every layer and gives PEFT's outputs and gradients to bf16 rounding; the loaded
    runtime (inference on a CPU) uses it too."""
    from peft.tuners.lora.layer import Linear as LoraLinear

    torch.manual_seed(0)
    model = tiny_lora()
    for name, param in model.named_parameters():
        if "lora_B" in name:  # non-zero, so that the adapter's product shows in outputs and A's gradients
            param.data.normal_(0, 0.05)
    model.base_model.model.to(torch.bfloat16)
    for name, param in model.named_parameters():
        if "lora_" in name:
            param.data = param.data.float()
    reference = copy.deepcopy(model)
    layers = model.base_model.model.config.num_hidden_layers
    assert use_fast_lora(model) == len(ALL_TARGETS) * layers
    ids = torch.randint(0, 1000, (2, 24))
    ref_out, ref_grads = _loss_and_grads(reference.train(), ids)
    with torch.no_grad(), reference.disable_adapter():
        base_out = reference(input_ids=ids, use_cache=False).logits
    with monkeypatch.context() as m:
        m.setattr(LoraLinear, "forward", lambda *a, **k: (_ for _ in ()).throw(AssertionError("fell back to PEFT's")))
        out, grads = _loss_and_grads(model.train(), ids)
    assert out.dtype == torch.bfloat16 and grads and all(g.dtype == torch.float32 for g in grads.values())
    scale = ref_out.float().abs().max()
    assert (out.float() - ref_out.float()).abs().max() <= 0.02 * scale
    assert (ref_out.float() - base_out.float()).abs().max() > 0.2 * scale  # the adapter's term is far above that
    assert grads.keys() == ref_grads.keys()
    for name, g in grads.items():
        ref = ref_grads[name]
        # bf16 rounding in the layers above leaves ~1 % noise in the smallest gradients (0.992 at worst here)
        assert torch.nn.functional.cosine_similarity(g.flatten(), ref.flatten(), dim=0) > 0.98, name
        assert 0.95 < (g.norm() / ref.norm()).item() < 1.05, name


def test_a_bf16_runtime_on_cpu_uses_the_fused_forward(tmp_path):
    from fctune.models import load_with_adapter, load_model
    from tests.helpers import make_adapter

    adapter = make_adapter(load_model("tiny-qwen3")[0], tmp_path / "a", seed=0, r=4, lora_alpha=8,
                           target_modules=["q_proj", "down_proj"], init_lora_weights=False)
    ids, head_hooks = torch.randint(0, 1000, (1, 20)), []
    for dtype, fused in (("bfloat16", True), ("float32", False)):
        model, _ = load_with_adapter("tiny-qwen3", str(adapter), dtype=dtype, device="cpu")
        layers = [m for m in model.modules() if hasattr(m, "lora_A") and "default" in m.lora_A]
        assert layers and all(("forward" in vars(m)) == fused for m in layers), dtype
        hooks = list(model.get_output_embeddings()._forward_pre_hooks.values())
        assert len(hooks) == fused, dtype
        head_hooks = hooks or head_hooks
        seen: list = []  # what the head itself receives in a prompt pass (a pre-hook after ours)
        model.get_output_embeddings().register_forward_pre_hook(lambda _m, args: seen.append(args[0].stride()))
        with torch.no_grad():  # the last position's logits, with the head's input a slice or not (products of
            last, full = model(input_ids=ids, logits_to_keep=1).logits[:, -1], model(input_ids=ids).logits[:, -1]
        assert torch.allclose(last.float(), full.float(), atol=1e-5 if dtype == "float32" else 2e-2), dtype  # other shapes)
        assert seen[0] == ((64, 64, 1) if fused else (20 * 64, 64, 1)), (dtype, seen)
    # the head is given a copy of a sliced input in the standard layout (torch 2.13's slow path needs
    # the sliced one's batch stride), and everything else as it is
    hidden = torch.randn(1, 20, 64, dtype=torch.bfloat16)
    (sliced,) = head_hooks[0](None, (hidden[:, -1:, :],))
    assert sliced.stride() == (64, 64, 1) and torch.equal(sliced, hidden[:, -1:, :])
    assert head_hooks[0](None, (hidden,))[0] is hidden
