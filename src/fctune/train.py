"""``fctune train [CONFIG.yaml] [key=value ...] [--resume]``: LoRA fine-tuning for tool calling.

The loop is ours (not a Trainer), because its two speed-ups need control of the forward pass:

* micro-batches by a token budget over length-sorted buckets, padded only to the longest sample
  of the micro-batch (:mod:`fctune.batching`); the effective batch stays
  ``per_device_batch_size x gradient_accumulation_steps x processes`` samples per optimizer step;
* the LM head and the loss only on trained positions (:mod:`fctune.loss`).

Samples come from :class:`fctune.formats.ChatFormat` (one per assistant turn, its prefix the
inference prompt of that turn); with ``train.prefix_sharing`` (default) the turns of a conversation
are merged into one token tree, so their shared prefix is computed once
(:func:`fctune.batching.merge_turns`). The loss of a step is the mean over all trained tokens of
the step (weighted by ``train.decision_weight``), whatever the micro-batch cut and the number of
processes.

Several processes (``torchrun`` / ``accelerate launch``) run data-parallel: every process computes
the same seeded plan and takes its own share of each step; the LoRA gradients are summed once per
optimizer step. Only rank 0 writes files.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from fctune.config import Config, add_config_arguments, config_from_args, dump_yaml, load_config
from fctune.errors import DataError, FctuneError
from fctune.token_rows import describe as describe_token_rows

CHECKPOINT_PREFIX = "checkpoint-"
STATE_FILE = "trainer_state.pt"
CPU_BUDGET_CAP = 1024
"""Largest automatic micro-batch on CPU: 1,024 tokens already keep the GEMMs efficient; 2,048 measured
no faster and doubled the activation memory (docs/training.md)."""
GPU_BUDGET_CAP = 16384
"""Largest automatic micro-batch on GPU."""
MEMORY_FRACTION = 0.8
"""Share of the free memory (after the model is loaded) the automatic token budget may plan for."""
SMOKE_MAX_NEW_TOKENS = 128

OUTPUT_FILES = ("adapter_model.safetensors", "adapter_config.json", "fctune_config.yaml", "train_log.jsonl",
                "loss.png", "summary.json")


# ------------------------------------------------------------------------------------------ CLI


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_arguments(parser)
    parser.add_argument("--resume", action="store_true",
                        help="continue from the last checkpoint in train.output_dir (same data order and schedule); "
                             "without CONFIG.yaml the run's saved fctune_config.yaml is used")


def run(args: argparse.Namespace) -> int:
    cfg = config_from_args(args)
    if args.resume and not _has_config_file(args):
        saved = Path(cfg.train.output_dir) / "fctune_config.yaml"
        if saved.is_file():
            overrides = list(getattr(args, "overrides", []) or [])
            if getattr(args, "config", None):
                overrides.insert(0, args.config)
            cfg = load_config(saved, overrides)
    train(cfg, resume=args.resume)
    return 0


def _has_config_file(args: argparse.Namespace) -> bool:
    path = getattr(args, "config", None)
    return bool(path) and Path(path).is_file()


# ---------------------------------------------------------------------------------- processes


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


def _all_reduce_sum(values: list[float], dist_info: Dist) -> list[float]:
    if not dist_info.enabled:
        return values
    import torch
    import torch.distributed as dist

    t = torch.tensor(values, dtype=torch.float64, device=dist_info.device)
    dist.all_reduce(t)
    return t.cpu().tolist()


def _all_reduce_grads(params: Sequence[Any], dist_info: Dist) -> None:
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


def _broadcast_params(params: Sequence[Any], dist_info: Dist) -> None:
    if not dist_info.enabled:
        return
    import torch.distributed as dist

    for p in params:
        dist.broadcast(p.data, src=0)


# --------------------------------------------------------------------------------------- data


def load_training_conversations(path: str) -> tuple[list[tuple[int, dict]], str]:
    """``[(line, conversation)]`` from a canonical JSONL file, or the built-in seed set when empty."""
    if not path:
        from fctune.data.seed import seed_conversations

        return [(i + 1, c) for i, c in enumerate(seed_conversations())], "built-in seed set"
    from fctune.data.schema import load_numbered_conversations

    return load_numbered_conversations(path), str(path)


def render_samples(fmt: Any, conversations: Sequence[tuple[int, dict]], max_length: int, source: str = "",
                   share_prefixes: bool = False) -> tuple[list[Any], list[dict]]:
    """Samples and the skipped turns (``{"line", "turn", "tokens"}``), never truncated.

    One sample per assistant turn; with ``share_prefixes`` the kept turns of each conversation are
    merged into one tree-shaped sample (:func:`fctune.batching.merge_turns`)."""
    from fctune.batching import Sample, merge_turns

    samples: list[Sample] = []
    skipped: list[dict] = []
    for line, conv in conversations:
        try:
            rendered = fmt.render_training(conv)
        except FctuneError as exc:
            raise DataError(source or "data", line, str(exc)) from None
        kept = []
        for r in rendered:
            if len(r.input_ids) > max_length:
                skipped.append({"line": line, "turn": r.turn, "tokens": len(r.input_ids)})
                continue
            kept.append(Sample(r.input_ids, r.trainable, line, r.turn))
        if share_prefixes and kept:
            samples.append(merge_turns(kept))
        else:
            samples.extend(kept)
    return samples, skipped


def data_fingerprint(samples: Sequence[Any]) -> str:
    import hashlib

    h = hashlib.sha1()
    for s in samples:
        h.update(f"{s.line}:{s.turn}:{len(s)}:{sum(s.trainable)};".encode())
    return h.hexdigest()


# ------------------------------------------------------------------------------------- budget


def bytes_per_token(model_config: Any, dtype_bytes: int) -> int:
    """Activation bytes one token costs in a LoRA forward+backward (no checkpointing).

    ``dtype_bytes x layers x (48 x hidden + 6 x intermediate)``: calibrated on the Qwen3-0.6B shape
    in fp32 (micro-batches of 2,048 tokens peaked at 18.3 GB RSS, ~7.5 MB per token over the weights).
    """
    layers = int(getattr(model_config, "num_hidden_layers", 24) or 24)
    hidden = int(getattr(model_config, "hidden_size", 1024) or 1024)
    inter = int(getattr(model_config, "intermediate_size", 4 * hidden) or 4 * hidden)
    return dtype_bytes * layers * (48 * hidden + 6 * inter)


def available_memory(device: str) -> int:
    """Free bytes for activations: CUDA free memory, or MemAvailable from /proc/meminfo."""
    if device.startswith("cuda"):
        import torch

        free, _total = torch.cuda.mem_get_info(torch.device(device))
        return int(free)
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 8 << 30


def auto_token_budget(model_config: Any, device: str, dtype_bytes: int, processes_here: int = 1,
                      gradient_checkpointing: bool = False) -> int:
    """``min(cap, 0.8 x free memory / processes / bytes_per_token)``, a multiple of 64, at least 256.

    Caps: 1,024 tokens on CPU, 16,384 on GPU. Gradient checkpointing keeps ~1/4 of the activations.
    """
    per_token = bytes_per_token(model_config, dtype_bytes) // (4 if gradient_checkpointing else 1)
    free = available_memory(device) * MEMORY_FRACTION / max(1, processes_here)
    cap = GPU_BUDGET_CAP if device.startswith("cuda") else CPU_BUDGET_CAP
    budget = int(free // max(1, per_token)) // 64 * 64
    return max(256, min(cap, budget))


# ----------------------------------------------------------------------------------- schedule


def lr_lambda(kind: str, total_steps: int, warmup_steps: int) -> Callable[[int], float]:
    """Multiplier of the peak lr for step ``s`` (0-based): linear warm-up, then cosine/linear/constant.

    Warm-up reaches the peak at its last step (the first step is not wasted at lr 0).
    """

    def factor(step: int) -> float:
        if warmup_steps > 0 and step < warmup_steps:
            return (step + 1) / warmup_steps
        if kind == "constant":
            return 1.0
        progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
        if kind == "linear":
            return max(0.0, 1.0 - progress)
        return 0.5 * (1.0 + math.cos(math.pi * progress))

    return factor


# ---------------------------------------------------------------------------------- checkpoints


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


def _rng_state() -> dict[str, Any]:
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


def _set_rng_state(state: dict[str, Any]) -> None:
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
    torch.save(_rng_state(), tmp / f"rng_state_{dist_info.rank}.pt")
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


# ----------------------------------------------------------------------------------------- run


@dataclass
class _Log:
    """train_log.jsonl writer (rank 0), keeping the loss history for loss.png."""

    path: Path
    enabled: bool
    records: list[dict] = field(default_factory=list)

    def start(self, resume_step: int | None) -> None:
        if not self.enabled:
            return
        if resume_step is None or not self.path.exists():
            self.path.write_text("", encoding="utf-8")
            return
        kept = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut by the kill
            if rec.get("step", 0) <= resume_step:
                kept.append(rec)
        self.path.write_text("".join(json.dumps(r) + "\n" for r in kept), encoding="utf-8")
        self.records = kept

    def write(self, rec: dict) -> None:
        if not self.enabled:
            return
        self.records.append(rec)
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(rec) + "\n")


def _peak_memory_mb(device: str) -> float:
    if device.startswith("cuda"):
        import torch

        return torch.cuda.max_memory_allocated(torch.device(device)) / 2**20
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _fmt_time(seconds: float) -> str:
    seconds = int(max(0, seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _say(dist_info: Dist, *parts: Any) -> None:
    if dist_info.main:
        print(*parts, flush=True)


def step_loss_weight(step: Any, weights: Sequence[float]) -> float:
    """The loss divisor of an optimizer step: the summed token weights (``Sample.loss_weight``, one
    per sample, computed once) of all its samples, every process's."""
    return sum(weights[i] for share in step.micro_batches for mb in share for i in mb)


def evaluate_loss(model: Any, samples: Sequence[Any], budget: int, packing: bool, pad_id: int, device: str,
                  dist_info: Dist) -> tuple[float, int]:
    """Token-mean loss over ``samples`` (no grad, dropout off); processes share the work."""
    import torch

    from fctune.batching import collate, cut_micro_batches
    from fctune.loss import trained_token_loss

    lengths = [len(s) for s in samples]
    mine = list(range(dist_info.rank, len(samples), dist_info.world_size))
    total, count = 0.0, 0
    was_training = model.training
    model.eval()
    with torch.no_grad():
        for mb in cut_micro_batches(mine, lengths, budget, packing):
            loss, n = trained_token_loss(model, collate([samples[i] for i in mb], packing, pad_id, device))
            total += float(loss)
            count += n
    if was_training:
        model.train()
    total, count_f = _all_reduce_sum([total, float(count)], dist_info)
    return (total / count_f if count_f else float("nan")), int(count_f)


def plot_loss(records: Sequence[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    train = [(r["step"], r["loss"]) for r in records if "loss" in r]
    valid = [(r["step"], r["valid_loss"]) for r in records if "valid_loss" in r]
    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    if train:
        ax.plot(*zip(*train), label="train loss", lw=1.5)
    if valid:
        ax.plot(*zip(*valid), "o-", label="validation loss", lw=1.5)
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss (mean over trained tokens)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _token_layers(model: Any, token_ids: Sequence[int], modules_to_save: Sequence[str]) -> dict[str, list[int]]:
    """PEFT's ``trainable_token_indices`` for ``token_ids``, without the matrices ``lora.modules_to_save``
    already trains in full (PEFT refuses both on one layer; the full copy holds those rows anyway)."""
    from fctune.token_rows import trainable_token_indices

    full = set(modules_to_save)
    return {layer: ids for layer, ids in trainable_token_indices(model, token_ids).items() if layer not in full}


def token_rows_to_train(model: Any, fmt: Any, setting: str) -> tuple[list[Any], list[int]]:
    """(the format's special-token rows that look untrained, the token ids whose rows to train) for
    ``lora.trainable_tokens`` = ``auto`` / ``off`` / a comma list of tokens."""
    from fctune.token_rows import find_untrained

    untrained = find_untrained(model, fmt.special_tokens())
    mode = setting.strip()
    if mode == "auto":
        return untrained, sorted({r.token_id for r in untrained})
    if mode == "off":
        return untrained, []
    ids = []
    for text in (t.strip() for t in mode.split(",")):
        if not text:
            continue
        enc = fmt.encode(text)
        if len(enc) != 1:
            raise FctuneError(f"lora.trainable_tokens: {text!r} is not one token of this tokenizer ({len(enc)} tokens)")
        ids.append(enc[0])
    return untrained, sorted(set(ids))


def smoke_test(model: Any, fmt: Any, max_new_tokens: int = SMOKE_MAX_NEW_TOKENS,
               call_threshold: float = 0.5) -> list[dict]:
    """The four prompts of the original spec, answered greedily with the original tools offered
    (the call decision as in eval, chat and serve: ``call_threshold``), each judged right or not
    (:func:`fctune.data.seed.smoke_answer_is_right`)."""
    from fctune.data.seed import SMOKE_PROMPTS, original_tools, smoke_answer_is_right
    from fctune.generate import generate

    tools = original_tools()
    was_training = model.training
    model.eval()
    prompts = [fmt.prompt_ids([{"role": "user", "content": p}], tools) for p in SMOKE_PROMPTS]
    gens = generate(model, fmt, prompts, max_new_tokens=max_new_tokens, batch_size=len(prompts), progress=False,
                    call_threshold=call_threshold)
    if was_training:
        model.train()
    results = []
    for i, (prompt, g) in enumerate(zip(SMOKE_PROMPTS, gens)):
        parsed = fmt.parse(g.text)
        calls = [c.as_dict() for c in parsed.tool_calls]
        results.append({"prompt": prompt, "output": g.text, "new_tokens": len(g.token_ids),
                        "stopped": g.finish_reason == "stop", "calls": calls, "errors": parsed.errors,
                        "right": smoke_answer_is_right(i, calls) and not parsed.errors})
    return results


def smoke_text(results: Sequence[dict], title: str, markdown: bool = True) -> str:
    """The smoke answers as a report section (markdown) or as plain lines for the training log."""
    from fctune.data.seed import SMOKE_EXPECTED

    right = sum(r["right"] for r in results)
    lines = [f"## {title}: {right} of {len(results)} right" if markdown else f"smoke test, {title}: {right} of {len(results)} right"]
    for i, r in enumerate(results):
        calls = "; ".join(f"{c['name']}({json.dumps(c['arguments'], ensure_ascii=False)})" for c in r["calls"]) or "none"
        verdict = "right" if r["right"] else f"wrong (expected {SMOKE_EXPECTED[i]})"
        if markdown:
            lines += ["", f"### {i + 1}. {r['prompt']}", "", "```text", r["output"], "```", "",
                      f"Parsed calls: {calls} — **{verdict}**"]
            lines += [f"- parse error: {e}" for e in r["errors"]]
            if not r["stopped"]:
                lines.append(f"(no end of turn within {SMOKE_MAX_NEW_TOKENS} tokens)")
        else:
            lines.append(f"  {i + 1}. {r['prompt']} -> {r['output']!r}")
            lines.append(f"     calls: {calls} — {verdict}" + "".join(f"; parse error: {e}" for e in r["errors"]))
    return "\n".join(lines)


def write_smoke_report(path: Path, before: Sequence[dict] | None, after: Sequence[dict]) -> None:
    from fctune.data.seed import original_tools

    tools = original_tools()
    head = ["# Smoke test", "",
            f"The four prompts of the original spec, greedy, at most {SMOKE_MAX_NEW_TOKENS} new tokens, with the "
            f"{len(tools)} original tools offered ({', '.join(t['function']['name'] for t in tools)}).", ""]
    parts = ([smoke_text(before, "Before training (base model)"), ""] if before is not None else [])
    parts.append(smoke_text(after, "After training"))
    path.write_text("\n".join(head + parts) + "\n", encoding="utf-8")


def train(cfg: Config, resume: bool = False, packing: bool | None = None) -> dict[str, Any]:
    """Run one training job; returns the summary (also written to ``summary.json`` by rank 0).

    ``packing``: ``None`` uses ``cfg.train.packing``; ``True`` packs samples padding-free.
    """
    wall_start = time.time()
    packing = cfg.train.packing if packing is None else packing
    dist_info, device = init_distributed(cfg.model.device)
    try:
        return _train(cfg, resume, packing, dist_info, device, wall_start)
    finally:
        if dist_info.enabled:
            import torch.distributed as dist

            if dist.is_initialized():
                dist.destroy_process_group()


def _train(cfg: Config, resume: bool, packing: bool, dist_info: Dist, device: str, wall_start: float) -> dict[str, Any]:
    import torch

    from fctune.batching import EpochPlan, collate, plan_epoch
    from fctune.formats import ChatFormat
    from fctune.loss import trained_token_loss
    from fctune.models import load_model, set_cpu_threads

    tc = cfg.train
    out_dir = Path(tc.output_dir)
    if device == "cpu":
        threads = tc.num_threads
        if threads <= 0:
            threads = max(1, set_cpu_threads(0) // dist_info.local_world_size)
        set_cpu_threads(threads)
    else:
        threads = torch.get_num_threads()

    # ---- resume point
    ckpt: Path | None = None
    state: dict[str, Any] | None = None
    if resume:
        found = list_checkpoints(out_dir)
        if found:
            ckpt = found[-1]
            state = torch.load(ckpt / STATE_FILE, map_location="cpu", weights_only=False)
            _say(dist_info, f"resuming from {ckpt} (step {state['step']})")
        else:
            _say(dist_info, f"--resume: no checkpoint in {out_dir}; starting from the beginning")

    # ---- model, format, data
    model, tokenizer = load_model(cfg.model.name_or_path, cfg.model.dtype, device)
    fmt = ChatFormat(tokenizer, template=cfg.model.template, enable_thinking=cfg.model.enable_thinking)
    model.config.use_cache = False
    convs, source = load_training_conversations(cfg.data.train_file)
    if cfg.data.tool_variants:
        from fctune.data.augment import tool_variants

        convs = tool_variants(convs, cfg.data.tool_variants, cfg.data.max_distractors, tc.seed)
    share = cfg.train.prefix_sharing
    samples, skipped = render_samples(fmt, convs, cfg.data.max_length, source, share)
    valid_samples: list[Any] = []
    valid_skipped: list[dict] = []
    if cfg.data.valid_file:
        vconvs, vsource = load_training_conversations(cfg.data.valid_file)
        valid_samples, valid_skipped = render_samples(fmt, vconvs, cfg.data.max_length, vsource, share)
    if not samples:
        raise DataError(source, 1, f"every sample is longer than data.max_length={cfg.data.max_length} tokens")
    if skipped:
        lines = ", ".join(f"{s['line']}(turn {s['turn']}, {s['tokens']} tok)" for s in skipped[:50])
        more = f" and {len(skipped) - 50} more" if len(skipped) > 50 else ""
        _say(dist_info, f"skipped {len(skipped)} sample(s) over data.max_length={cfg.data.max_length} "
                        f"(never truncated) at line(s): {lines}{more}")
    if valid_skipped:
        _say(dist_info, f"skipped {len(valid_skipped)} validation sample(s) over data.max_length")

    smoke_before = None
    if tc.smoke_test and dist_info.main and state is None:
        from fctune.calibrate import preface_counts, prefaces_turn_decision_off
        from fctune.generate import DEFAULT_CALL_THRESHOLD

        # the base is asked under the rule the tuned model will be: off for data with text before calls
        off = prefaces_turn_decision_off(*preface_counts([c for _, c in convs]))
        before_threshold = 0.0 if off else DEFAULT_CALL_THRESHOLD
        smoke_before = smoke_test(model, fmt, call_threshold=before_threshold)
        _say(dist_info, smoke_text(smoke_before, "before training", markdown=False))

    # ---- special-token rows the model never learned (fctune.token_rows)
    untrained, token_ids = token_rows_to_train(model, fmt, cfg.lora.trainable_tokens)
    if untrained or token_ids:
        _say(dist_info, describe_token_rows(untrained) + (f"; training rows {token_ids} (lora.trainable_tokens="
                                                          f"{cfg.lora.trainable_tokens})" if token_ids else
                                                          "; not trained (lora.trainable_tokens=off)"))

    # ---- LoRA
    from peft import LoraConfig as PeftLoraConfig
    from peft import get_peft_model, set_peft_model_state_dict

    torch.manual_seed(tc.seed)
    random.seed(tc.seed)
    lora = PeftLoraConfig(r=cfg.lora.r, lora_alpha=cfg.lora.alpha, lora_dropout=cfg.lora.dropout,
                          target_modules=list(cfg.lora.target_modules),
                          modules_to_save=list(cfg.lora.modules_to_save) or None, task_type="CAUSAL_LM",
                          trainable_token_indices=_token_layers(model, token_ids, cfg.lora.modules_to_save) or None)
    model = get_peft_model(model, lora)
    if device == "cpu":
        from fctune.fast_lora import use_fast_lora

        fused = use_fast_lora(model)
        _say(dist_info, f"fused CPU LoRA forward on {fused} layer(s) (fctune.fast_lora)")
    if tc.gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    params = [p for p in model.parameters() if p.requires_grad]
    trainable = sum(p.numel() for p in params)
    total_params = sum(p.numel() for p in model.parameters())
    _broadcast_params(params, dist_info)
    _say(dist_info, f"model {cfg.model.name_or_path} on {device} ({next(model.parameters()).dtype}), "
                    f"template {fmt.template_name}; trainable params: {trainable:,} / {total_params:,} "
                    f"({100 * trainable / total_params:.3f} %)")

    # ---- batching
    lengths = [len(s) for s in samples]
    trained = [s.trained_tokens for s in samples]
    loss_weights = [s.loss_weight(tc.decision_weight) for s in samples]
    samples_per_step = tc.per_device_batch_size * tc.gradient_accumulation_steps * dist_info.world_size
    dtype_bytes = next(model.parameters()).element_size()
    if state is not None:
        budget = int(state["token_budget"])
        packing = bool(state["packing"])
        if state["samples_per_step"] != samples_per_step or len(state["plan"]["steps"][0][0]) != dist_info.world_size:
            raise FctuneError(f"--resume: {ckpt} was made with {state['samples_per_step']} samples per step over "
                              f"{len(state['plan']['steps'][0][0])} process(es); resume with the same batch settings "
                              "and number of processes")
        if state["data_fingerprint"] != data_fingerprint(samples):
            raise FctuneError(f"--resume: the training samples differ from those of {ckpt} "
                              "(data, model, template or max_length changed); start a new run instead")
    elif tc.token_budget > 0:
        budget = tc.token_budget
    else:
        budget = auto_token_budget(model.config, device, dtype_bytes, dist_info.local_world_size,
                                   tc.gradient_checkpointing)
    steps_per_epoch = math.ceil(len(samples) / samples_per_step)
    total_steps = tc.max_steps if tc.max_steps > 0 else math.ceil(tc.num_epochs * steps_per_epoch)
    warmup_steps = math.ceil(tc.warmup_ratio * total_steps)
    unit = "one per conversation, turns sharing prefixes" if share else "one per assistant turn"
    _say(dist_info, f"{len(samples)} samples ({unit}) from {len(convs)} conversations of {source}"
                    f"{f' (with {cfg.data.tool_variants} tool-list variant(s) of each)' if cfg.data.tool_variants else ''}; "
                    f"{samples_per_step} samples per optimizer step, {steps_per_epoch} steps per epoch, "
                    f"{total_steps} steps; micro-batches up to {budget} tokens "
                    f"({'packed' if packing else 'padded to the longest of each'}); "
                    f"{dist_info.world_size} process(es), {threads} thread(s) each")

    # ---- optimizer, schedule
    optimizer = torch.optim.AdamW(params, lr=tc.learning_rate, betas=(tc.adam_beta1, tc.adam_beta2),
                                  weight_decay=tc.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda(tc.lr_scheduler, total_steps, warmup_steps))

    step = 0
    epoch = 0
    step_in_epoch = 0
    elapsed_before = 0.0
    tokens_total = 0
    trained_total = 0
    plan: EpochPlan | None = None
    if state is not None:
        assert ckpt is not None
        from safetensors.torch import load_file

        weights = load_file(str(ckpt / "adapter_model.safetensors"), device=str(device))
        result = set_peft_model_state_dict(model, weights)
        if getattr(result, "unexpected_keys", None):
            raise FctuneError(f"{ckpt}: adapter weights do not fit the model ({result.unexpected_keys[:3]} ...)")
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        step, epoch, step_in_epoch = state["step"], state["epoch"], state["step_in_epoch"]
        elapsed_before = state["elapsed"]
        tokens_total, trained_total = state["tokens"], state["trained_tokens"]
        plan = EpochPlan.from_state(state["plan"])
        rng_file = ckpt / f"rng_state_{dist_info.rank}.pt"
        if rng_file.exists():
            _set_rng_state(torch.load(rng_file, map_location="cpu", weights_only=False))
    else:
        torch.manual_seed(tc.seed + dist_info.rank)  # dropout differs between processes

    # ---- outputs
    if dist_info.main:
        out_dir.mkdir(parents=True, exist_ok=True)
        if state is None:
            for old in list_checkpoints(out_dir):
                shutil.rmtree(old, ignore_errors=True)
            from fctune.calibrate import FILE as THRESHOLD_FILE

            (out_dir / THRESHOLD_FILE).unlink(missing_ok=True)  # a new run's threshold, or none, never a stale one
        import copy

        resolved = copy.deepcopy(cfg)
        resolved.train.token_budget = budget
        dump_yaml(resolved, out_dir / "fctune_config.yaml")
    log = _Log(out_dir / "train_log.jsonl", dist_info.main)
    log.start(step if state is not None else None)

    # ---- loop
    model.train()
    pad_id = tokenizer.pad_token_id
    tty = dist_info.main and sys.stderr.isatty()
    bar = None
    if tty:
        from tqdm.auto import tqdm

        bar = tqdm(total=total_steps, initial=step, unit="step", dynamic_ncols=True, desc="train")
    loop_start = time.time()
    interval = {"loss": 0.0, "weight": 0.0, "tokens": 0, "t": time.time()}
    last_valid_step = -1
    valid_loss = None
    loss_value = float("nan")
    done = step >= total_steps

    def run_validation() -> None:
        nonlocal valid_loss, last_valid_step
        if not valid_samples or last_valid_step == step or tc.eval_steps < 0:
            return
        valid_loss, vcount = evaluate_loss(model, valid_samples, budget, packing, pad_id, device, dist_info)
        last_valid_step = step
        rec = {"step": step, "epoch": round(epoch_progress(), 4), "valid_loss": valid_loss, "valid_tokens": vcount,
               "elapsed": round(elapsed_before + time.time() - loop_start, 3)}
        log.write(rec)
        msg = f"step {step}: validation loss {valid_loss:.4f} over {vcount} trained tokens"
        if bar is not None:
            bar.write(msg)
        else:
            _say(dist_info, msg)

    def epoch_progress() -> float:
        return epoch + (step_in_epoch / max(1, len(plan.steps)) if plan is not None else 0.0)

    while not done:
        if plan is None or plan.epoch != epoch:
            plan = plan_epoch(lengths, trained, samples_per_step, budget, tc.seed, epoch, dist_info.world_size, packing)
        while step_in_epoch < len(plan.steps) and step < total_steps:
            current = plan.steps[step_in_epoch]
            divisor = step_loss_weight(current, loss_weights)
            lr = scheduler.get_last_lr()[0]
            loss_acc, my_tokens = torch.zeros((), dtype=torch.float32, device=device), 0
            for mb in current.for_rank(dist_info.rank):
                batch = collate([samples[i] for i in mb], packing, pad_id, device, tc.decision_weight)
                loss, _n = trained_token_loss(model, batch)
                (loss / divisor).backward()
                loss_acc += loss.detach()
                my_tokens += batch["tokens"]
            _all_reduce_grads(params, dist_info)
            loss_sum, step_tokens = _all_reduce_sum([float(loss_acc), float(my_tokens)], dist_info)
            if tc.max_grad_norm > 0:
                torch.nn.utils.clip_grad_norm_(params, tc.max_grad_norm)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            step_in_epoch += 1
            loss_value = loss_sum / divisor
            tokens_total += int(step_tokens)
            trained_total += current.trained_tokens
            interval["loss"] += loss_sum
            interval["weight"] += divisor
            interval["tokens"] += int(step_tokens)
            if step % max(1, tc.logging_steps) == 0 or step == total_steps:
                now = time.time()
                rate = interval["tokens"] / max(1e-9, now - interval["t"])
                elapsed = elapsed_before + now - loop_start
                rec = {"step": step, "epoch": round(epoch_progress(), 4),
                       "loss": interval["loss"] / max(1e-9, interval["weight"]), "lr": lr,
                       "tokens": tokens_total, "trained_tokens": trained_total,
                       "tokens_per_s": round(rate, 1), "elapsed": round(elapsed, 3)}
                log.write(rec)
                eta = (now - loop_start) / max(1, step - (state["step"] if state else 0)) * (total_steps - step)
                if bar is not None:
                    bar.set_postfix(loss=f"{rec['loss']:.4f}", lr=f"{lr:.2e}", tok_s=f"{rate:.0f}", refresh=False)
                else:
                    _say(dist_info, f"step {step}/{total_steps} epoch {rec['epoch']:.2f} loss {rec['loss']:.4f} "
                                    f"lr {lr:.2e} {rate:.0f} tok/s eta {_fmt_time(eta)}")
                interval = {"loss": 0.0, "weight": 0.0, "tokens": 0, "t": now}
            if bar is not None:
                bar.update(1)
            if tc.eval_steps > 0 and step % tc.eval_steps == 0:
                run_validation()
            if tc.save_steps > 0 and step % tc.save_steps == 0 and step < total_steps:
                ckpt_state = {
                    "step": step, "epoch": epoch, "step_in_epoch": step_in_epoch,
                    "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                    "plan": plan.to_state(), "token_budget": budget, "packing": packing,
                    "data_fingerprint": data_fingerprint(samples), "samples_per_step": samples_per_step,
                    "elapsed": elapsed_before + time.time() - loop_start,
                    "tokens": tokens_total, "trained_tokens": trained_total,
                }
                save_checkpoint(out_dir, step, model, ckpt_state, dist_info, tc.save_total_limit)
        if step_in_epoch >= len(plan.steps):
            if tc.eval_steps == 0:
                run_validation()
            epoch += 1
            step_in_epoch = 0
        done = step >= total_steps
    if bar is not None:
        bar.close()
    run_validation()
    train_time = elapsed_before + time.time() - loop_start

    # ---- outputs (rank 0)
    summary: dict[str, Any] = {}
    if dist_info.main:
        model.save_pretrained(str(out_dir))
        tokenizer.save_pretrained(str(out_dir))
        plot_loss(log.records, out_dir / "loss.png")
        from fctune.token_rows import fold_token_rows

        fold_token_rows(model)  # calibration and the smoke test then skip PEFT's per-call matrix copy
        from fctune.calibrate import calibrate, decision_off_for_prefaces

        calibration = decision_off_for_prefaces([c for _, c in convs], out_dir)
        if calibration is not None:
            _say(dist_info, f"call decision off (call_threshold.json: 0, plain greedy): {calibration['reason']}")
        elif cfg.data.valid_file:
            calibration = calibrate(model, fmt, [c for _, c in vconvs], cfg.data.max_length, out_dir, tc.min_silence)
            if calibration:
                c = calibration
                floor = (f"; the silence floor {c['min_silence']} moved it from {c['threshold_without_floor']:.4g} "
                         f"(balanced accuracy {c['balanced_accuracy_without_floor']:.3f})") if c["floor_binds"] else ""
                if not c["floor_met"]:
                    floor += f"; warning: no threshold keeps {c['min_silence']:.0%} of the no-call turns silent"
                if c["call_recall"] < 0.2:
                    floor += (f"; warning: only {c['call_recall']:.0%} of the validation calls are made at this threshold "
                              "(the model separates calls from replies poorly: train longer, or lower train.min_silence)")
                _say(dist_info, f"call threshold {c['call_threshold']:.4g} on the validation turns: calls {c['call_recall']:.0%}, "
                                f"silence {c['silence']:.0%}, balanced accuracy {c['balanced_accuracy']:.3f} "
                                f"(at 0.5: {c['balanced_accuracy_at_0.5']:.3f}){floor}; saved to call_threshold.json")
        skipped_lines = sorted({s["line"] for s in skipped})
        summary = {
            "model": cfg.model.name_or_path, "device": device, "dtype": str(next(model.parameters()).dtype).replace("torch.", ""),
            "template": fmt.template_name, "processes": dist_info.world_size, "threads": threads,
            "steps": step, "epochs": round(step / max(1, steps_per_epoch), 4),
            "conversations": len(convs), "samples": len(samples), "samples_per_step": samples_per_step,
            "skipped": {"count": len(skipped), "lines": skipped_lines, "samples": skipped},
            "token_budget": budget, "packing": packing, "prefix_sharing": share,
            "decision_weight": tc.decision_weight,
            "tokens": tokens_total, "trained_tokens": trained_total,
            "tokens_per_s": round(tokens_total / max(1e-9, train_time), 1),
            "trained_tokens_per_s": round(trained_total / max(1e-9, train_time), 1),
            "train_time_s": round(train_time, 2),
            "wall_time_s": round(time.time() - wall_start, 2),
            "peak_memory_mb": round(_peak_memory_mb(device), 1),
            "peak_memory_kind": "cuda max_memory_allocated" if device.startswith("cuda") else "process peak RSS",
            "trainable_params": trainable, "total_params": total_params,
            "untrained_token_rows": [r.as_dict() for r in untrained], "trained_token_rows": token_ids,
            "final_loss": loss_value, "valid_loss": valid_loss,
            "resumed_from_step": state["step"] if state else None,
            "call_threshold": calibration,
        }
        if tc.smoke_test:
            t0 = time.time()
            from fctune.calibrate import resolve_threshold

            threshold = resolve_threshold(cfg.eval.call_threshold, out_dir)  # negative: the calibrated one
            results = smoke_test(model, fmt, call_threshold=threshold)
            write_smoke_report(out_dir / "smoke_test.md", smoke_before, results)
            _say(dist_info, smoke_text(results, "after training", markdown=False))
            summary["smoke_test"] = {"prompts": len(results), "with_calls": sum(bool(r["calls"]) for r in results),
                                     "right": sum(r["right"] for r in results),
                                     "right_before": None if smoke_before is None else sum(r["right"] for r in smoke_before),
                                     "call_threshold": threshold, "seconds": round(time.time() - t0, 2)}
        summary["wall_time_s"] = round(time.time() - wall_start, 2)
        (out_dir / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        _say(dist_info, f"done: {step} steps, loss {loss_value:.4f}"
                        + (f", validation loss {valid_loss:.4f}" if valid_loss is not None else "")
                        + f", {summary['tokens_per_s']:.0f} tok/s, {train_time:.1f}s training; wrote {out_dir}")
    dist_info.barrier()
    return summary
