"""Training checkpoints: written atomically (a temporary directory renamed into place), pruned to the
last K, found again by ``--resume`` with the trainer state and every process's random state."""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path
from typing import Any

from fctune.distributed import Dist

CHECKPOINT_PREFIX = "checkpoint-"
STATE_FILE = "trainer_state.pt"


def list_checkpoints(output_dir: str | Path) -> list[Path]:
    """Complete checkpoints, oldest first (a checkpoint is complete once renamed into place)."""
    root = Path(output_dir)
    if not root.is_dir():
        return []
    found = []
    for p in root.iterdir():
        if p.is_dir() and p.name.startswith(CHECKPOINT_PREFIX) and (p / STATE_FILE).is_file():
            try:
                found.append((int(p.name[len(CHECKPOINT_PREFIX):]), p))
            except ValueError:
                continue
    return [p for _, p in sorted(found)]


def rng_state() -> dict[str, Any]:
    import torch

    state: dict[str, Any] = {"python": random.getstate(), "torch": torch.get_rng_state()}
    try:
        import numpy as np

        state["numpy"] = np.random.get_state()
    except ImportError:
        pass
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    import torch

    random.setstate(state["python"])
    torch.set_rng_state(state["torch"])
    if "numpy" in state:
        import numpy as np

        np.random.set_state(state["numpy"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(output_dir: Path, step: int, model: Any, state: dict[str, Any], dist_info: Dist,
                    keep: int) -> Path | None:
    """Write ``checkpoint-STEP`` atomically (a temporary directory renamed into place), prune old ones."""
    import torch

    final = output_dir / f"{CHECKPOINT_PREFIX}{step}"
    tmp = output_dir / f".{CHECKPOINT_PREFIX}{step}.tmp"
    if dist_info.main:
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
    dist_info.barrier()
    torch.save(rng_state(), tmp / f"rng_state_{dist_info.rank}.pt")
    dist_info.barrier()
    if not dist_info.main:
        dist_info.barrier()
        return None
    model.save_pretrained(str(tmp))
    torch.save(state, tmp / STATE_FILE)
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)
    if keep > 0:
        for old in list_checkpoints(output_dir)[:-keep]:
            shutil.rmtree(old, ignore_errors=True)
    dist_info.barrier()
    return final


def find_resume_point(output_dir: Path, resume: bool) -> tuple[Path | None, dict[str, Any] | None]:
    """(the newest complete checkpoint, its trainer state) to resume from; ``(None, None)`` when
    not resuming or when there is none."""
    import torch

    found = list_checkpoints(output_dir) if resume else []
    if not found:
        return None, None
    ckpt = found[-1]
    return ckpt, torch.load(ckpt / STATE_FILE, map_location="cpu", weights_only=False)


def restore_weights(model: Any, ckpt: Path, device: str, rank: int) -> None:
    """The adapter weights of ``ckpt`` into ``model``, and this process's random state."""
    import torch
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    from fctune.errors import FctuneError

    weights = load_file(str(ckpt / "adapter_model.safetensors"), device=str(device))
    result = set_peft_model_state_dict(model, weights)
    if getattr(result, "unexpected_keys", None):
        raise FctuneError(f"{ckpt}: adapter weights do not fit the model ({result.unexpected_keys[:3]} ...)")
    rng_file = ckpt / f"rng_state_{rank}.pt"
    if rng_file.exists():
        set_rng_state(torch.load(rng_file, map_location="cpu", weights_only=False))
