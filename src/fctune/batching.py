"""Micro-batches by a token budget: no padding to a fixed length, length-sorted buckets, a seeded plan.

A *sample* is one rendered assistant turn (:class:`fctune.formats.Rendered`): a multi-step
conversation gives one sample per assistant turn. An optimizer step consumes
``samples_per_step = per_device_batch_size x gradient_accumulation_steps x processes`` samples
(8 by default, as in the original recipe), however they are cut into micro-batches.

The plan of an epoch is a pure function of (sample lengths, seed, epoch, budget, processes), so
every process computes the same plan without talking to the others, and ``--resume`` rebuilds it
exactly:

1. shuffle the samples (seeded by ``seed`` and ``epoch``);
2. cut the shuffled list into buckets of ``BUCKET_STEPS`` steps' worth of samples and sort each
   bucket by length, then cut it into steps: a step holds samples of similar length;
3. shuffle the order of the steps (seeded);
4. split each step's samples between the processes (longest first, to the least-loaded one);
5. cut each process's share into micro-batches whose cost stays within the token budget: the
   sum of lengths when packing, ``longest x count`` when padding. A sample longer than the budget
   forms a micro-batch of its own.

Samples of one group (the rows of a contrast pair, ``"group"`` in the data) move through steps 1-3
as one unit, so they share an optimizer step.

Two layouts turn a micro-batch into tensors: :func:`collate_packed` (padding-free: one row,
``position_ids`` restart at 0 for each sample, ``attention_mask=None``; transformers builds a
block-diagonal mask from them) and :func:`collate_padded` (right padding to the longest sample of
the micro-batch). Both give the flat indices of the positions whose *next* token is trained and
the ids to predict there, which is all the loss needs (:mod:`fctune.loss`), and, when
``train.decision_weight`` is not 1, a weight per trained position (the first token of each
assistant turn weighs ``decision_weight``, the others 1).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

BUCKET_STEPS = 8
"""Steps per length-sorted bucket: larger groups lengths more tightly, smaller keeps steps more random."""


@dataclass
class Sample:
    """A rendered training sample and where it came from."""

    input_ids: list[int]
    trainable: list[int]
    line: int = 0
    """1-based line of the conversation in the data file (its index + 1 for built-in data)."""
    turn: int = 0
    """Index of the trained assistant message in the conversation (-1: all turns, merged)."""
    parents: list[int] | None = None
    """For a merged sample (:func:`merge_turns`): the index of each token's predecessor (-1 for the
    first), so the tokens form a tree; ``None``: a plain sequence (predecessor ``j - 1``)."""

    def __len__(self) -> int:
        return len(self.input_ids)

    def parent(self, j: int) -> int:
        return self.parents[j] if self.parents is not None else j - 1

    def positions(self) -> list[int]:
        """Position ids: each token's depth in the tree (0, 1, 2, ... for a plain sequence)."""
        if self.parents is None:
            return list(range(len(self.input_ids)))
        depth: list[int] = []
        for p in self.parents:
            depth.append(depth[p] + 1 if p >= 0 else 0)
        return depth

    def visible(self) -> Any:
        """Bool matrix [n, n]: token i may attend to token j (j is i or one of its predecessors)."""
        import torch

        n = len(self.input_ids)
        if self.parents is None:
            return torch.ones((n, n), dtype=torch.bool).tril_()
        rows = torch.zeros((n, n), dtype=torch.bool)
        for i, p in enumerate(self.parents):
            if p >= 0:
                rows[i] = rows[p]
            rows[i, i] = True
        return rows

    @property
    def trained_tokens(self) -> int:
        return sum(self.trainable)

    @property
    def decisions(self) -> int:
        """Trained spans: each starts at the first token of an assistant turn (call or text)."""
        return sum(1 for j, keep in enumerate(self.trainable) if keep and (j == 0 or not self.trainable[self.parent(j)]))

    def loss_weight(self, decision_weight: float = 1.0) -> float:
        """Sum of the loss weights of this sample's trained tokens (the divisor's share)."""
        return self.trained_tokens + (decision_weight - 1.0) * self.decisions


def merge_turns(samples: Sequence[Sample]) -> Sample:
    """One tree-shaped sample holding all turns of a conversation, each prefix computed once.

    The samples of one conversation (one per assistant turn, each the exact inference prompt of
    its turn plus the turn) share long prefixes: system prompt, tools, earlier turns. They are
    merged into a token trie: shared prefixes are stored once, each sample's remainder hangs off
    the point where it diverges (with Qwen3's template: the empty think block of the turn being
    trained, which history turns do not carry). Attention follows the tree (:meth:`Sample.visible`)
    and positions are depths, so every token sees exactly its own sample's prefix at its own
    positions: the loss and gradients equal those of the separate samples (a token trained in one
    sample and context in another is trained once), at the cost of the tree's tokens only.
    """
    assert samples, "merge_turns needs at least one sample"
    return samples[0] if len(samples) == 1 else _trie(samples, len)


def _leading_context(s: Sample) -> int:
    """Length of the untrained chain a sample opens with (its prompt up to the first trained token or
    the first branch of its tree): the part another sample may share."""
    n = 0
    while n < len(s.input_ids) and not s.trainable[n] and s.parent(n) == n - 1:
        n += 1
    return n


def share_prefixes(samples: Sequence[Sample]) -> Sample:
    """One tree holding the samples of a micro-batch, the prompt prefix they have in common computed once.

    The samples of a micro-batch are different conversations, but those with no system prompt (or
    the same one) open with the same tokens up to their tools (the template's system prompt and
    tools preamble: ~120 tokens of a ~330-token demo sample with Qwen2.5's template), and rows
    offering the same tools share far more. Only the untrained chains they open with are merged
    (:func:`_leading_context`), so each trained token stays in its own sample and is counted as
    often as before; everything after the shared part hangs off it as in :func:`merge_turns`.
    Attention follows the tree and positions are depths, so the loss and gradients equal those of
    the separate samples, at the cost of the tree's tokens only, and no padding.
    """
    assert samples, "share_prefixes needs at least one sample"
    return samples[0] if len(samples) == 1 else _trie(samples, _leading_context)


def _trie(samples: Sequence[Sample], shareable: Callable[[Sample], int]) -> Sample:
    """The samples as one token tree: the first ``shareable(s)`` tokens of each sample join a node
    of an earlier sample with the same parent and token, every other token gets a node of its own.
    A node is trained where any sample trains its token. Samples may be trees themselves."""
    ids: list[int] = []
    trainable: list[int] = []
    parents: list[int] = []
    shared: dict[tuple[int, int], int] = {}
    for s in samples:
        limit = shareable(s)
        node_of: list[int] = []
        for j, (tok, keep) in enumerate(zip(s.input_ids, s.trainable)):
            p = s.parent(j)
            parent = node_of[p] if p >= 0 else -1
            node = shared.get((parent, tok)) if j < limit else None
            if node is None:
                node = len(ids)
                ids.append(tok)
                trainable.append(0)
                parents.append(parent)
                if j < limit:
                    shared[(parent, tok)] = node
            trainable[node] |= keep
            node_of.append(node)
    return Sample(ids, trainable, samples[0].line, -1, parents)


@dataclass
class Step:
    """One optimizer step: for each process, its micro-batches (lists of sample indices)."""

    micro_batches: list[list[list[int]]]
    trained_tokens: int
    """Trained tokens of the whole step over all processes (the loss divisor)."""
    samples: int = 0

    def for_rank(self, rank: int) -> list[list[int]]:
        return self.micro_batches[rank]


@dataclass
class EpochPlan:
    epoch: int
    steps: list[Step] = field(default_factory=list)

    def to_state(self) -> dict[str, Any]:
        return {"epoch": self.epoch, "steps": [[s.micro_batches, s.trained_tokens, s.samples] for s in self.steps]}

    @staticmethod
    def from_state(state: dict[str, Any]) -> "EpochPlan":
        return EpochPlan(state["epoch"], [Step(mb, tt, n) for mb, tt, n in state["steps"]])


def micro_batch_cost(lengths: Sequence[int], packing: bool) -> int:
    """Tokens a micro-batch occupies: the sum when packed, longest x count when padded."""
    if not lengths:
        return 0
    return sum(lengths) if packing else max(lengths) * len(lengths)


def cut_micro_batches(indices: Sequence[int], lengths: Sequence[int], budget: int, packing: bool) -> list[list[int]]:
    """Greedy: longest first, start a new micro-batch when the next sample would exceed ``budget``."""
    order = sorted(indices, key=lambda i: (-lengths[i], i))
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        trial = [lengths[j] for j in current] + [lengths[i]]
        if current and micro_batch_cost(trial, packing) > budget:
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


def split_between(indices: Sequence[int], lengths: Sequence[int], parts: int) -> list[list[int]]:
    """Share ``indices`` among ``parts`` processes with balanced token counts (longest first)."""
    shares: list[list[int]] = [[] for _ in range(parts)]
    loads = [0] * parts
    for i in sorted(indices, key=lambda i: (-lengths[i], i)):
        k = min(range(parts), key=lambda p: (loads[p], len(shares[p]), p))
        shares[k].append(i)
        loads[k] += lengths[i]
    return shares


def plan_epoch(lengths: Sequence[int], trained: Sequence[int], samples_per_step: int, token_budget: int,
               seed: int, epoch: int, world_size: int = 1, packing: bool = True,
               groups: Sequence[Any] | None = None) -> EpochPlan:
    """The seeded plan of one epoch (see the module docstring).

    ``groups``: a key per sample (``None``: a group of its own); samples sharing a key are shuffled,
    bucketed and placed as one unit, so they train in the same optimizer step (a group larger than
    ``samples_per_step`` is a step of its own). Without groups every unit is one sample and the plan
    is the plain one above."""
    rng = random.Random(f"fctune-plan:{seed}:{epoch}")
    units = _units(len(lengths), groups)
    rng.shuffle(units)
    bucket = samples_per_step * BUCKET_STEPS
    steps_idx: list[list[int]] = []
    for chunk in _chunks(units, bucket):
        chunk.sort(key=lambda u: (-max(lengths[i] for i in u), u[0]))
        steps_idx.extend(_fill_steps(chunk, samples_per_step))
    rng.shuffle(steps_idx)
    plan = EpochPlan(epoch)
    for idx in steps_idx:
        shares = split_between(idx, lengths, world_size)
        micro = [cut_micro_batches(share, lengths, token_budget, packing) for share in shares]
        plan.steps.append(Step(micro, sum(trained[i] for i in idx), len(idx)))
    return plan


def _units(n: int, groups: Sequence[Any] | None) -> list[list[int]]:
    """Sample indices by group, in order of first appearance; a sample without a group is a unit alone."""
    if groups is None:
        return [[i] for i in range(n)]
    assert len(groups) == n, (len(groups), n)
    units: list[list[int]] = []
    by_key: dict[Any, list[int]] = {}
    for i, key in enumerate(groups):
        if key is None:
            units.append([i])
        elif key in by_key:
            by_key[key].append(i)
        else:
            by_key[key] = [i]
            units.append(by_key[key])
    return units


def _chunks(units: list[list[int]], size: int) -> list[list[list[int]]]:
    """Consecutive runs of units holding ``size`` samples each (a run ends at the unit that reaches it)."""
    chunks: list[list[list[int]]] = [[]]
    count = 0
    for u in units:
        if count >= size:
            chunks.append([])
            count = 0
        chunks[-1].append(u)
        count += len(u)
    return [c for c in chunks if c]


def _fill_steps(units: list[list[int]], samples_per_step: int) -> list[list[int]]:
    """Units in order into steps of at most ``samples_per_step`` samples, never splitting a unit."""
    steps: list[list[int]] = []
    current: list[int] = []
    for u in units:
        if current and len(current) + len(u) > samples_per_step:
            steps.append(current)
            current = []
        current = current + u
    if current:
        steps.append(current)
    return steps


# ------------------------------------------------------------------------------------- collation


def _trained_positions(s: Sample, offset: int, decision_weight: float, select: list[int], targets: list[int],
                       weights: list[float]) -> None:
    """Append the flat index of each position whose next token is trained, that token, and its weight."""
    for j in range(1, len(s.input_ids)):
        if s.trainable[j]:
            p = s.parent(j)
            select.append(offset + p)
            targets.append(s.input_ids[j])
            weights.append(decision_weight if not s.trainable[p] else 1.0)


def _weights(weights: list[float], decision_weight: float, device: Any) -> Any:
    import torch

    return None if decision_weight == 1.0 else torch.tensor(weights, dtype=torch.float32, device=device)


def collate_packed(samples: Sequence[Sample], device: Any = "cpu", decision_weight: float = 1.0) -> dict[str, Any]:
    """One row without padding; ``position_ids`` restart per sample (use with ``use_cache=False``)."""
    import torch

    ids: list[int] = []
    pos: list[int] = []
    select: list[int] = []
    targets: list[int] = []
    weights: list[float] = []
    for s in samples:
        _trained_positions(s, len(ids), decision_weight, select, targets, weights)
        ids.extend(s.input_ids)
        pos.extend(s.positions())
    mask = None
    if any(s.parents is not None for s in samples):  # trees: an explicit block-diagonal mask
        mask = torch.zeros((1, 1, len(ids), len(ids)), dtype=torch.bool)
        offset = 0
        for s in samples:
            mask[0, 0, offset:offset + len(s), offset:offset + len(s)] = s.visible()
            offset += len(s)
        mask = mask.to(device)
    return {
        "input_ids": torch.tensor([ids], dtype=torch.long, device=device),
        "position_ids": torch.tensor([pos], dtype=torch.long, device=device),
        "attention_mask": mask,
        "select": torch.tensor(select, dtype=torch.long, device=device),
        "targets": torch.tensor(targets, dtype=torch.long, device=device),
        "weights": _weights(weights, decision_weight, device),
        "tokens": len(ids),
    }


def collate_padded(samples: Sequence[Sample], pad_id: int, device: Any = "cpu",
                   decision_weight: float = 1.0) -> dict[str, Any]:
    """Right padding to the longest sample of the micro-batch, with an attention mask."""
    import torch

    width = max(len(s) for s in samples)
    ids = torch.full((len(samples), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(samples), width), dtype=torch.long)
    select: list[int] = []
    targets: list[int] = []
    weights: list[float] = []
    for row, s in enumerate(samples):
        ids[row, : len(s)] = torch.tensor(s.input_ids, dtype=torch.long)
        mask[row, : len(s)] = 1
        _trained_positions(s, row * width, decision_weight, select, targets, weights)
    position_ids = None
    if any(s.parents is not None for s in samples):  # trees: 4-D mask and depth positions
        position_ids = torch.zeros((len(samples), width), dtype=torch.long)
        # padding attends to itself only: no query row is empty (an all-masked row gives NaN)
        full = torch.eye(width, dtype=torch.bool).expand(len(samples), 1, width, width).clone()
        for row, s in enumerate(samples):
            position_ids[row, : len(s)] = torch.tensor(s.positions(), dtype=torch.long)
            full[row, 0, : len(s), : len(s)] = s.visible()
        mask, uniform = full, False
        position_ids = position_ids.to(device)
    else:
        uniform = all(len(s) == width for s in samples)  # no padding: the plain causal path is faster
    return {
        "input_ids": ids.to(device),
        "attention_mask": None if uniform else mask.to(device),
        "position_ids": position_ids,
        "select": torch.tensor(select, dtype=torch.long, device=device),
        "targets": torch.tensor(targets, dtype=torch.long, device=device),
        "weights": _weights(weights, decision_weight, device),
        "tokens": sum(len(s) for s in samples),
    }


def collate(samples: Sequence[Sample], packing: bool, pad_id: int, device: Any = "cpu",
            decision_weight: float = 1.0, share: bool = False) -> dict[str, Any]:
    """Tensors of one micro-batch; ``weights`` is ``None`` unless ``decision_weight`` != 1.
    ``share``: the samples become one tree with their common prompt prefix once (:func:`share_prefixes`)."""
    if share and len(samples) > 1:
        samples = [share_prefixes(samples)]
    if packing:
        return collate_packed(samples, device, decision_weight)
    return collate_padded(samples, pad_id, device, decision_weight)
