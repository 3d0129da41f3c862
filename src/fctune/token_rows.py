"""Special tokens a chat format needs but a model never learned: find their rows, train only those.

A model can carry tokens in its vocabulary that its pre-training never used: tool tags in an
instruct model that was never taught tools, think tags in a base model. Their embedding and head
rows are left as initialised: the same vector for every such token, the mean of the matrix, or
near zero. Measured on Qwen2.5-Coder-0.5B-Instruct: its two tool-call tags share one
vector (cosine 1.0) with ten other unused special tokens, in the embedding and in the head. LoRA
on the projections cannot teach a model to write or read tokens whose rows are identical: it wrote
the turn-start token where the call tag belongs. Training those rows (and no others) fixes it.

Which tokens a format needs is the format's knowledge (:meth:`fctune.formats.ChatFormat.special_tokens`);
this module only looks at weights. Training goes through PEFT's ``trainable_token_indices`` (only the
chosen rows get a trainable delta, saved with the adapter and folded in by ``merge_and_unload``);
for a model with an untied head the head rows are trained too.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Sequence

SAME_COSINE = 0.9999
"""Two rows with at least this cosine are the same vector: no two trained tokens land there."""
MEAN_COSINE = 0.999
"""A row this close in direction to the matrix's mean row was initialised to the mean."""
TINY_NORM = 0.05
"""A row whose norm is below this share of the median row norm was initialised near zero."""


@dataclass(frozen=True)
class UntrainedRow:
    """One special token whose row in one matrix looks never trained, and why."""

    token: str
    token_id: int
    matrix: str
    """``embedding`` or ``head``."""
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def embedding_names(model: Any) -> tuple[set[str], set[str]]:
    """Full module names of the input and the output embeddings."""
    inp, out = model.get_input_embeddings(), model.get_output_embeddings()
    ins, outs = set(), set()
    for name, module in model.named_modules():
        if module is inp:
            ins.add(name)
        if out is not None and module is out:
            outs.add(name)
    return ins, outs


def is_tied(model: Any) -> bool:
    """Whether the output head shares its weight with the input embedding."""
    out = model.get_output_embeddings()
    return out is not None and out.weight.data_ptr() == model.get_input_embeddings().weight.data_ptr()


def _matrices(model: Any) -> list[tuple[str, Any]]:
    """(name, weight) of the input embedding and, when it is not tied to it, the output head."""
    out = [("embedding", model.get_input_embeddings().weight)]
    if model.get_output_embeddings() is not None and not is_tied(model):
        out.append(("head", model.get_output_embeddings().weight))
    return out


def _reason(weight: Any, norms: Any, token_id: int, median_norm: float, mean_row: Any) -> str | None:
    import torch

    row = weight[token_id]
    norm = float(norms[token_id])
    if norm < TINY_NORM * median_norm:
        return f"norm {norm:.3g}, below {TINY_NORM:.0%} of the median row norm {median_norm:.3g}"
    cosines = torch.mv(weight, row) / (norms * norm).clamp_min(1e-12)
    cosines[token_id] = -1.0
    same = int((cosines >= SAME_COSINE).sum())
    if same:
        return f"the same vector as {same} other row(s) (cosine >= {SAME_COSINE})"
    to_mean = float(torch.nn.functional.cosine_similarity(row, mean_row, dim=0))
    if to_mean >= MEAN_COSINE:
        return f"the mean of the matrix (cosine {to_mean:.4f})"
    return None


def find_untrained(model: Any, tokens: Sequence[tuple[str, int]]) -> list[UntrainedRow]:
    """The rows of ``tokens`` (``(text, id)``) that look never trained, in the embedding and the head."""
    import torch

    found: list[UntrainedRow] = []
    with torch.no_grad():
        for name, weight in _matrices(model):
            w = weight.detach().float()
            norms = w.norm(dim=1)
            median = float(norms.median())
            mean_row = w.mean(dim=0)
            for text, token_id in tokens:
                if not 0 <= token_id < w.shape[0]:
                    continue
                why = _reason(w, norms, token_id, median, mean_row)
                if why:
                    found.append(UntrainedRow(text, token_id, name, why))
    return found


def trainable_token_indices(model: Any, token_ids: Sequence[int]) -> dict[str, list[int]]:
    """PEFT's ``trainable_token_indices`` for ``token_ids``: the embedding always, and the head too
    when it is a separate matrix (tied heads follow the embedding inside PEFT)."""
    ids = sorted(set(int(i) for i in token_ids))
    if not ids:
        return {}
    ins, outs = embedding_names(model)
    out = {min(ins).rpartition(".")[2]: ids}
    if outs and not is_tied(model):
        out[min(outs).rpartition(".")[2]] = ids
    return out


def fold_token_rows(model: Any) -> int:
    """Write trained token rows into their matrices in place (PEFT's merge of those layers), so
    inference pays no per-step copy of the embedding; returns the layers folded. Exact; undone by
    PEFT when adapters are disabled."""
    from peft.tuners.trainable_tokens import TrainableTokensLayer

    folded = 0
    for module in model.modules():
        # a head tied to the embedding shares its delta: merging it too writes the same rows again
        if isinstance(module, TrainableTokensLayer) and not module.merged and module.active_adapters \
                and not module.disable_adapters:
            module.merge()
            folded += 1
    return folded


def describe(rows: Sequence[UntrainedRow]) -> str:
    """One line for logs: which tokens, which matrices."""
    if not rows:
        return "no untrained special-token rows"
    by_token: dict[str, list[str]] = {}
    for r in rows:
        by_token.setdefault(f"{r.token} ({r.token_id})", []).append(r.matrix)
    parts = [f"{tok} in {'+'.join(m)}" for tok, m in by_token.items()]
    return f"untrained special-token rows: {', '.join(parts)} — {rows[0].reason}"
