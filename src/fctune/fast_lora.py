"""A cheaper LoRA forward for CPU training: cheap dropout bits and no full-width elementwise passes.

PEFT's LoRA ``Linear`` computes ``base(x) + lora_B(lora_A(dropout(x))) * scaling``. On a CPU every
full-width elementwise pass costs real time next to the GEMMs (profiled on the Qwen3-0.6B shape,
seven adapted projections per layer): ``nn.Dropout`` draws its Bernoulli mask at ~5 ns per element
(12 % of a step), its mask is converted to float and multiplied twice (mask, then ``1 / (1 - p)``),
and the adapter's output is multiplied by ``scaling`` and then added to the base output, each a pass
over a ``tokens x out_features`` tensor, forward and backward.

:func:`use_fast_lora` gives each plain LoRA ``Linear`` a forward that computes the same function
with fewer passes:

- dropout bits come from 64-bit random words, four 16-bit lanes each (keep probability exact to
  within 2^-16, independent per element), applied with one ``where`` (no float mask);
- ``scaling`` and the ``1 / (1 - p)`` of inverted dropout are applied to the rank-r activations
  (``tokens x r``, a few kB), not to a full-width tensor;
- the adapter's product is accumulated into the base output by the GEMM itself (``addmm_``).

Same distribution family and the same generator as torch's dropout (seeded and checkpointed like
any other torch randomness); outputs and gradients equal PEFT's up to float rounding (tested).
Layers PEFT would treat specially (several active adapters, DoRA and other variants, a LoRA bias,
merged or disabled adapters, per-row ``adapter_names``, a base layer other than ``nn.Linear``, hooks on
the wrapped modules, inputs of another dtype than the adapter's but for the bf16 case below, fp16
base weights with an fp32 adapter among them) keep PEFT's forward.

bf16 base weights with an fp32 adapter (``model.dtype=bfloat16``; on a CPU with AMX the bf16 products
are several times faster, docs/BENCHMARKS.md) take the fused path too: the input goes to the
adapter's rank-r product in fp32, and the rank-r result and ``lora_B`` (a few kB) are cast to bf16 to
be accumulated into the bf16 output (so the adapter's gradients carry bf16 rounding, ~2^-9 relative,
where PEFT's are fp32's: harmless for AdamW). PEFT instead casts the whole input to fp32, adds an fp32
full-width delta to the bf16 output and casts the sum back, in every adapted layer. Inference on a
CPU uses this forward for such models (:func:`fctune.models.load_with_adapter`).
"""

from __future__ import annotations

import types
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

LANES = 4
"""16-bit lanes read from each random word (full 64-bit words: every lane is uniform)."""


def keep_mask(shape: torch.Size | tuple[int, ...], keep: float, device: Any = "cpu") -> torch.Tensor:
    """Bool tensor of ``shape``: each element True with probability ``keep`` (within 2^-16), independently."""
    n = 1
    for d in shape:
        n *= int(d)
    threshold = int(round(keep * 65536)) - 32768  # int16 value v is uniform on [-32768, 32767]
    if threshold >= 32768:  # keep within 2^-17 of 1: keep everything (32768 does not fit an int16)
        return torch.ones(shape, dtype=torch.bool, device=device)
    words = torch.empty(-(-n // LANES), dtype=torch.int64, device=device).random_(torch.iinfo(torch.int64).min, None)
    lanes = words.view(torch.int16)[:n]  # 16 uniform bits each
    return (lanes < threshold).view(shape)


def drop(x: torch.Tensor, p: float) -> torch.Tensor:
    """``x`` with each element zeroed with probability ``p`` -- *not* rescaled (the caller folds ``1 / (1 - p)``)."""
    return torch.where(keep_mask(x.shape, 1.0 - p, x.device), x, 0.0)


def _dropout_p(module: nn.Module) -> float | None:
    """The drop probability ``module`` applies now (0 in eval mode); ``None`` for a module we do not know."""
    if isinstance(module, nn.Identity):
        return 0.0
    if isinstance(module, nn.Dropout):
        return module.p if module.training else 0.0
    return None


def _hooked(*modules: nn.Module) -> bool:
    """Whether any module has forward hooks or an accelerate hook (offloading): those need PEFT's calls."""
    return any(m._forward_hooks or m._forward_pre_hooks or hasattr(m, "_hf_hook") for m in modules)


def _fused_forward(self: Any, x: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
    """PEFT LoRA ``Linear.forward`` for the plain case, with fewer full-width passes (module docstring)."""
    active = self.active_adapters
    name = active[0] if len(active) == 1 else None
    p = None if name is None or name not in self.lora_A else _dropout_p(self.lora_dropout[name])
    if (args or kwargs or p is None or self.disable_adapters or self.merged or name in self.lora_variant
            or self.lora_B[name].bias is not None or not _dtypes_fit(x, self.base_layer, self.lora_A[name])
            or _hooked(self.base_layer, self.lora_A[name], self.lora_B[name])):
        return type(self).forward(self, x, *args, **kwargs)
    base = self.base_layer
    a, b = self.lora_A[name].weight, self.lora_B[name].weight
    flat = x.reshape(-1, x.shape[-1])
    out = F.linear(flat, base.weight, base.bias)
    h = F.linear((drop(flat, p) if p > 0 else flat).to(a.dtype), a) * (self.scaling[name] / (1.0 - p))
    out.addmm_(h.to(out.dtype), b.t().to(out.dtype))  # casts: only with bf16 base weights (rank-r and r x out)
    return out.view(*x.shape[:-1], out.shape[-1])


def _dtypes_fit(x: torch.Tensor, base: nn.Module, lora_a: nn.Module) -> bool:
    """Inputs in the adapter's dtype, or bf16 inputs and base weights with an fp32 adapter (PEFT's
    mixed precision: the adapter's rank-r product in fp32, added to the bf16 output)."""
    if x.dtype == lora_a.weight.dtype:
        return True
    return x.dtype == base.weight.dtype == torch.bfloat16 and lora_a.weight.dtype == torch.float32


def use_fast_lora(model: nn.Module) -> int:
    """Give every plain PEFT LoRA ``Linear`` of ``model`` the fused forward; returns how many.

    Meant for CPU training, and CPU inference with bf16 base weights (CUDA has fused dropout and fast
    elementwise kernels of its own). The
    swap is per instance and leaves weights, state dicts and saved adapters exactly as PEFT's.
    """
    from peft.tuners.lora.layer import Linear as LoraLinear

    replaced = 0
    for module in model.modules():
        if type(module) is LoraLinear and type(module.base_layer) is nn.Linear:
            module.forward = types.MethodType(_fused_forward, module)
            replaced += 1
    return replaced
