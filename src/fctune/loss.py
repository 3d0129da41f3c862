"""Loss on trained positions only: run the decoder body, apply the LM head just where a label is.

For tool-calling data most tokens are prompt (system, tools, user, tool results); only the
assistant's text, calls and end-of-turn token carry loss. Computing the head (151,936 x 1,024 on
Qwen3-0.6B, tied to the embedding) and its fp32 logits on every position wastes ~20 % of the
FLOPs and most of the activation memory. Here the hidden states of the positions whose next token
is trained are gathered first (``batch["select"]``, made by :mod:`fctune.batching`) and the head
runs on those rows only. The result equals the usual shifted cross-entropy over ``labels``
(``Rendered.labels()``) on the full logits.
"""

from __future__ import annotations

from typing import Any

CHUNK_ROWS = 4096
"""Rows of the head computed at once; beyond this, chunks are recomputed in backward (bounded memory)."""


def unwrap_causal_lm(model: Any) -> Any:
    """The ``...ForCausalLM`` inside DDP / PEFT wrappers (LoRA layers stay injected in it)."""
    while True:
        if hasattr(model, "module") and not hasattr(model, "get_output_embeddings"):
            model = model.module  # DistributedDataParallel
        elif hasattr(model, "get_base_model"):
            model = model.get_base_model()  # PeftModel -> the wrapped model with LoRA layers
        else:
            return model


def body_and_head(model: Any) -> tuple[Any, Any]:
    """(decoder body returning hidden states, output projection). Tied weights are shared as-is."""
    lm = unwrap_causal_lm(model)
    head = lm.get_output_embeddings()
    body = lm.get_decoder() if hasattr(lm, "get_decoder") else None
    if body is None or body is lm:
        body = getattr(lm, getattr(lm, "base_model_prefix", "model"), None)
    if body is None or head is None:
        raise TypeError(f"{type(lm).__name__}: cannot find the decoder body and LM head")
    return body, head


def head_parts(head: Any) -> tuple[Any, Any, Any]:
    """(weight, bias, rows) of the output projection. ``rows`` is ``(indices, delta)`` when PEFT trains
    some of its rows (``trainable_token_indices``, see :mod:`fctune.token_rows`), else ``None``: the
    logits of those columns are then ``hidden @ delta.T``, with no copy of the whole matrix (PEFT's
    own ``head.weight`` builds a merged copy of all 151,936 rows at every call)."""
    import torch

    adapter = getattr(head, "token_adapter", None)
    if adapter is None:
        return head.weight, getattr(head, "bias", None), None
    base = adapter.base_layer
    if adapter.merged or adapter.disable_adapters or not adapter.active_adapters:
        return base.weight, getattr(base, "bias", None), None
    if len(adapter.active_adapters) > 1:
        return head.weight, getattr(base, "bias", None), None  # PEFT's merged copy handles several
    name = adapter.active_adapters[0]
    index = torch.as_tensor(adapter.token_indices[name], device=base.weight.device)
    return base.weight, getattr(base, "bias", None), (index, adapter.trainable_tokens_delta[name])


def _head_nll(hidden: Any, weight: Any, bias: Any, targets: Any, softcap: float | None, row_weights: Any = None,
              rows: Any = None) -> Any:
    import torch
    import torch.nn.functional as F

    logits = F.linear(hidden, weight, bias)
    if rows is not None:
        index, delta = rows
        cols = F.linear(hidden, delta.to(hidden.dtype), None if bias is None else bias[index])
        logits = logits.index_copy(1, index, cols)
    logits = logits.float()
    if softcap:
        logits = torch.tanh(logits / softcap) * softcap
    if row_weights is None:
        return F.cross_entropy(logits, targets, reduction="sum")
    return (F.cross_entropy(logits, targets, reduction="none") * row_weights).sum()


def head_loss(hidden: Any, head: Any, targets: Any, softcap: float | None = None, chunk_rows: int = CHUNK_ROWS,
              row_weights: Any = None) -> Any:
    """Summed (optionally row-weighted) cross-entropy of ``head(hidden)`` against ``targets``
    (rows x hidden -> scalar), fp32 logits."""
    import torch
    from torch.utils.checkpoint import checkpoint

    weight, bias, rows = head_parts(head)
    if hidden.shape[0] <= chunk_rows:
        return _head_nll(hidden, weight, bias, targets, softcap, row_weights, rows)
    total = hidden.new_zeros((), dtype=torch.float32)
    for start in range(0, hidden.shape[0], chunk_rows):
        part = slice(start, start + chunk_rows)
        w = None if row_weights is None else row_weights[part]
        total = total + checkpoint(_head_nll, hidden[part], weight, bias, targets[part], softcap, w, rows,
                                   use_reentrant=False)
    return total


def trained_token_loss(model: Any, batch: dict[str, Any]) -> tuple[Any, int]:
    """(summed loss over the trained tokens of ``batch``, their count).

    ``batch`` comes from :func:`fctune.batching.collate`: ``input_ids``, ``attention_mask`` or
    ``None`` (packed), ``position_ids`` or ``None``, ``select`` (flat indices of positions whose next
    token is trained), ``targets`` (those next tokens) and ``weights`` (``None``: all 1). Divide by
    the summed weights of the whole optimizer step to get the (weighted) token-mean loss.
    """
    body, head = body_and_head(model)
    out = body(input_ids=batch["input_ids"], attention_mask=batch.get("attention_mask"),
               position_ids=batch.get("position_ids"), use_cache=False)
    hidden = out.last_hidden_state if hasattr(out, "last_hidden_state") else out[0]
    rows = hidden.reshape(-1, hidden.shape[-1]).index_select(0, batch["select"])
    config = getattr(unwrap_causal_lm(model), "config", None)
    softcap = getattr(config, "final_logit_softcapping", None)
    return head_loss(rows, head, batch["targets"], softcap, row_weights=batch.get("weights")), int(batch["targets"].numel())
