"""Training checkpoints: written atomically (a temporary directory renamed into place) with a checksum
of every file, pruned to the last K, found again by ``--resume`` with the trainer state and every
process's random state. A checkpoint whose files no longer match their checksums, or do not load, is
reported by name and the newest intact one is used instead. States are read with
``torch.load(weights_only=True)``: a checkpoint from elsewhere cannot run code."""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path
from typing import Any

from fctune.distributed import Dist

CHECKPOINT_PREFIX = "checkpoint-"
STATE_FILE = "trainer_state.pt"
CHECKSUMS = "checksums.json"


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

        kind, keys, pos, has_gauss, gauss = np.random.get_state()
        state["numpy"] = [kind, torch.from_numpy(keys.astype("int64")), pos, has_gauss, gauss]  # loadable weights-only
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

        kind, keys, pos, has_gauss, gauss = state["numpy"]
        keys = keys.numpy() if hasattr(keys, "numpy") else np.asarray(keys)
        np.random.set_state((kind, keys.astype(np.uint32), int(pos), int(has_gauss), float(gauss)))
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
    write_checksums(tmp)
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)
    if keep > 0:
        for old in list_checkpoints(output_dir)[:-keep]:
            shutil.rmtree(old, ignore_errors=True)
    dist_info.barrier()
    return final


def _sha256(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_checksums(ckpt: Path) -> None:
    """``checksums.json``: the sha256 of every file of ``ckpt`` (written last, before the rename)."""
    import json

    sums = {p.name: _sha256(p) for p in sorted(ckpt.iterdir()) if p.is_file() and p.name != CHECKSUMS}
    (ckpt / CHECKSUMS).write_text(json.dumps(sums, indent=1) + "\n", encoding="utf-8")


def damage(ckpt: Path) -> str | None:
    """Why ``ckpt`` cannot be resumed from (a file missing, changed or truncated), or ``None``.
    Checkpoints written before checksums existed are taken as they are."""
    import json

    listing = ckpt / CHECKSUMS
    if not listing.is_file():
        return None
    try:
        sums = json.loads(listing.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return f"{CHECKSUMS} unreadable ({exc})"
    for name, expected in sums.items():
        path = ckpt / name
        if not path.is_file():
            return f"{name} is missing"
        if _sha256(path) != expected:
            return f"{name} does not match its checksum (truncated or changed)"
    return None


def load_state(path: Path) -> Any:
    """A ``.pt`` state written by fctune, read without unpickling code."""
    import torch

    return torch.load(path, map_location="cpu", weights_only=True)


def find_resume_point(output_dir: Path, resume: bool,
                      log: Any = None) -> tuple[Path | None, dict[str, Any] | None]:
    """(the newest intact checkpoint, its trainer state) to resume from; ``(None, None)`` when not
    resuming or when there is none. Damaged ones are named through ``log`` and skipped; if every
    checkpoint is damaged that is an error (starting over silently would discard the run)."""
    from fctune.errors import FctuneError

    found = list_checkpoints(output_dir) if resume else []
    damaged = []
    for ckpt in reversed(found):
        reason = damage(ckpt)
        state = None
        if reason is None:
            try:
                state = load_state(ckpt / STATE_FILE)
            except Exception as exc:  # noqa: BLE001 - any failure to read it means the same: damaged
                reason = f"{STATE_FILE} does not load ({str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__})"
        if reason is None:
            return ckpt, state
        damaged.append(f"{ckpt.name}: {reason}")
        if log is not None:
            log(f"{ckpt} is damaged ({reason}); trying the checkpoint before it")
    if damaged:
        raise FctuneError(f"--resume: every checkpoint in {output_dir} is damaged ({'; '.join(damaged)})")
    return None, None


def restore_weights(model: Any, ckpt: Path, device: str, rank: int) -> None:
    """The adapter weights of ``ckpt`` into ``model``, and this process's random state."""
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    from fctune.errors import FctuneError

    weights = load_file(str(ckpt / "adapter_model.safetensors"), device=str(device))
    result = set_peft_model_state_dict(model, weights)
    if getattr(result, "unexpected_keys", None):
        raise FctuneError(f"{ckpt}: adapter weights do not fit the model ({result.unexpected_keys[:3]} ...)")
    rng_file = ckpt / f"rng_state_{rank}.pt"
    if rng_file.exists():
        set_rng_state(load_state(rng_file))
