"""Data-parallel training over several processes (``torchrun`` / ``accelerate launch``): the process
group, and the three collectives the loop needs (a step's loss sums, the LoRA gradients, the initial
weights). With one process every function is a no-op, so the loop reads the same either way."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Sequence


@dataclass
class Dist:
    """Process group facts; ``world_size == 1`` when not launched by torchrun / accelerate."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    local_world_size: int = 1
    device: str = "cpu"
    """Where collective tensors live (NCCL needs them on the GPU)."""

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def main(self) -> bool:
        return self.rank == 0

    def barrier(self) -> None:
        if self.enabled:
            import torch.distributed as dist

            dist.barrier()


def init_distributed(device_spec: str) -> tuple[Dist, str]:
    """Join the process group from RANK / WORLD_SIZE / LOCAL_RANK (gloo on CPU, nccl on GPU)."""
    from fctune.models import resolve_device

    world = int(os.environ.get("WORLD_SIZE", "1"))
    device = resolve_device(device_spec)
    if world <= 1:
        return Dist(), device
    import datetime

    import torch
    import torch.distributed as dist

    rank = int(os.environ["RANK"])
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    local_world = int(os.environ.get("LOCAL_WORLD_SIZE", str(world)))
    if device.startswith("cuda"):
        device = f"cuda:{local_rank}"
        torch.cuda.set_device(local_rank)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.startswith("cuda") else "gloo",
                                timeout=datetime.timedelta(minutes=60))
    return Dist(rank, world, local_rank, local_world, device), device


def all_reduce_sum(values: list[float], dist_info: Dist) -> list[float]:
    if not dist_info.enabled:
        return values
    import torch
    import torch.distributed as dist

    t = torch.tensor(values, dtype=torch.float64, device=dist_info.device)
    dist.all_reduce(t)
    return t.cpu().tolist()


def all_reduce_grads(params: Sequence[Any], dist_info: Dist) -> None:
    """Sum the gradients of the trainable parameters over processes (one flat all-reduce per step)."""
    if not dist_info.enabled:
        return
    import torch
    import torch.distributed as dist
    from torch._utils import _flatten_dense_tensors, _unflatten_dense_tensors

    for p in params:
        if p.grad is None:
            p.grad = torch.zeros_like(p)
    grads = [p.grad for p in params]
    flat = _flatten_dense_tensors(grads)
    dist.all_reduce(flat)
    for g, synced in zip(grads, _unflatten_dense_tensors(flat, grads)):
        g.copy_(synced)


def broadcast_params(params: Sequence[Any], dist_info: Dist) -> None:
    if not dist_info.enabled:
        return
    import torch.distributed as dist

    for p in params:
        dist.broadcast(p.data, src=0)
