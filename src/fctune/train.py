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
optimizer step (:mod:`fctune.distributed`). Only rank 0 writes files.

A run reads top to bottom: :func:`setup` (threads, resume point, model and format, data, LoRA,
batching, optimizer: one :class:`Run`), :func:`restore` (a checkpoint's state, :mod:`fctune.checkpoints`,
or a fresh :class:`Progress`), :func:`prepare_outputs`, :func:`fit` (the optimizer steps, validation,
checkpoints) and :func:`finish` (adapter, call decision, summary, smoke test, :mod:`fctune.smoke`).
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import sys
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from fctune.checkpoints import find_resume_point, list_checkpoints, restore_weights, save_checkpoint
from fctune.config import Config, dump_yaml
from fctune.data.io import load_training_conversations
from fctune.distributed import Dist, all_reduce_grads, all_reduce_sum, broadcast_params, init_distributed
from fctune.errors import DataError, FctuneError
from fctune.smoke import right_plain_greedy, smoke_test, smoke_text, write_smoke_report
from fctune.token_rows import describe as describe_token_rows

CPU_BUDGET_CAP = 1024
"""Largest automatic micro-batch on CPU: 1,024 tokens already keep the GEMMs efficient; 2,048 measured
no faster and doubled the activation memory (docs/training.md)."""
GPU_BUDGET_CAP = 16384
"""Largest automatic micro-batch on GPU."""
MEMORY_FRACTION = 0.8
"""Share of the free memory (after the model is loaded) the automatic token budget may plan for."""

OUTPUT_FILES = ("adapter_model.safetensors", "adapter_config.json", "fctune_config.yaml", "train_log.jsonl",
                "loss.png", "summary.json")


# ------------------------------------------------------------------------------------------ CLI


# --------------------------------------------------------------------------------------- data


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


MAX_NONFINITE_IN_A_ROW = 10
"""Optimizer steps in a row with a non-finite loss or gradient norm after which the run stops with
an error (it has diverged); a lone one is skipped, the weights left as they were."""

TIME_FIT_STEPS = (2, 12)
"""``train.max_minutes``: the rate is measured between these steps of a process's loop (the first
steps warm caches and kernels, so they are left out of the rate but counted in the time)."""


def steps_in_budget(planned: int, done: int, elapsed_s: float, seconds_per_step: float, budget_s: float) -> int:
    """Optimizer steps that fit ``budget_s``: the ``done`` ones (``elapsed_s`` so far) and as many more
    as the rest of the budget holds at ``seconds_per_step``; never fewer than ``done`` nor more than ``planned``."""
    left = max(0.0, budget_s - elapsed_s)
    return max(done, min(planned, done + int(left // max(seconds_per_step, 1e-9))))


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
    total, count_f = all_reduce_sum([total, float(count)], dist_info)
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


def train(cfg: Config, resume: bool = False, packing: bool | None = None,
          log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run one training job; returns the summary (also written to ``summary.json`` by rank 0).

    ``packing``: ``None`` uses ``cfg.train.packing``; ``True`` packs samples padding-free. ``log``
    receives the progress lines (rank 0 only; ``None``: silent).
    """
    wall_start = time.time()
    packing = cfg.train.packing if packing is None else packing
    dist_info, device = init_distributed(cfg.model.device)
    say = log if (log is not None and dist_info.main) else (lambda _line: None)
    try:
        run = setup(cfg, resume, packing, dist_info, device, say)
        progress = restore(run)
        prepare_outputs(run, progress)
        fit(run, progress)
        return finish(run, progress, wall_start)
    finally:
        if dist_info.enabled:
            import torch.distributed as dist

            if dist.is_initialized():
                dist.destroy_process_group()


# ------------------------------------------------------------------------------------- setup


@dataclass
class TrainData:
    """The rendered training and validation data of a run."""

    convs: list[tuple[int, dict]]
    source: str
    samples: list[Any]
    skipped: list[dict]
    valid_convs: list[tuple[int, dict]] = field(default_factory=list)
    valid_samples: list[Any] = field(default_factory=list)
    groups: list[str | None] | None = None
    """Each sample's ``"group"`` (its conversation's; ``None``: no row has one): the samples of a group
    train in the same optimizer step (:func:`fctune.batching.plan_epoch`)."""


@dataclass
class Run:
    """Everything the loop needs, made once by :func:`setup`."""

    cfg: Config
    dist: Dist
    device: str
    threads: int
    out_dir: Path
    model: Any
    tokenizer: Any
    fmt: Any
    data: TrainData
    params: list[Any]
    optimizer: Any
    scheduler: Any
    budget: int
    packing: bool
    samples_per_step: int
    steps_per_epoch: int
    total_steps: int
    ckpt: Path | None = None
    state: dict[str, Any] | None = None
    """The trainer state of the checkpoint resumed from (``None``: a fresh run)."""
    untrained: list[Any] = field(default_factory=list)
    token_ids: list[int] = field(default_factory=list)
    trainable_params: int = 0
    total_params: int = 0
    smoke_before: list[dict] | None = None
    say: Callable[[str], None] = print
    """Progress lines (rank 0; a no-op elsewhere)."""
    log: Any = None
    """The train_log.jsonl writer (:class:`_Log`)."""
    time_fit: dict[str, Any] | None = None
    """``train.max_minutes``: the measured rate and the steps it let in (:func:`fit_to_time`)."""
    base_fingerprint: dict[str, Any] = field(default_factory=dict)
    """:func:`fctune.fingerprint.fingerprint` of the base, saved beside the adapter."""


def setup(cfg: Config, resume: bool, packing: bool, dist_info: Dist, device: str, say: Callable[[str], None]) -> Run:
    """Threads, resume point, model and format, data, the before-training smoke test, LoRA (with the
    untrained token rows), batching and the optimizer: what :func:`fit` runs on."""
    import torch

    from fctune.models import load_model

    tc, out_dir = cfg.train, Path(cfg.train.output_dir)
    if dist_info.main:
        from fctune.publish import check_output_dir

        check_output_dir(out_dir, "train.output_dir")
    threads = setup_threads(cfg, device, dist_info)
    ckpt, state = find_resume_point(out_dir, resume, log=say)
    if resume:
        say(f"resuming from {ckpt} (step {state['step']})" if state else
            f"--resume: no checkpoint in {out_dir}; starting from the beginning")
    model, tokenizer = load_model(cfg.model.name_or_path, cfg.model.dtype, device)
    from fctune.formats import ChatFormat

    fmt = ChatFormat(tokenizer, template=cfg.model.template, enable_thinking=cfg.model.enable_thinking)
    model.config.use_cache = False
    from fctune.fingerprint import fingerprint

    base_print = fingerprint(model)  # before LoRA and trained token rows touch it
    data = setup_data(cfg, fmt, say)
    smoke_before = None
    if tc.smoke_test and dist_info.main and state is None:
        smoke_before = _smoke_before(model, fmt, data)
        say(smoke_text(smoke_before, "before training", markdown=False))
    model, untrained, token_ids = setup_lora(cfg, model, fmt, device, say)
    params = [p for p in model.parameters() if p.requires_grad]
    broadcast_params(params, dist_info)
    run = Run(cfg=cfg, dist=dist_info, device=device, threads=threads, out_dir=out_dir, model=model,
              tokenizer=tokenizer, fmt=fmt, data=data, params=params, optimizer=None, scheduler=None, budget=0,
              packing=packing, samples_per_step=tc.per_device_batch_size * tc.gradient_accumulation_steps * dist_info.world_size,
              steps_per_epoch=0, total_steps=0, ckpt=ckpt, state=state, untrained=untrained, token_ids=token_ids,
              trainable_params=sum(p.numel() for p in params), total_params=sum(p.numel() for p in model.parameters()),
              smoke_before=smoke_before, say=say, base_fingerprint=base_print)
    run.say(f"model {cfg.model.name_or_path} on {device} ({next(model.parameters()).dtype}), template "
            f"{fmt.template_name}; trainable params: {run.trainable_params:,} / {run.total_params:,} "
            f"({100 * run.trainable_params / run.total_params:.3f} %)")
    setup_batching(run)
    run.optimizer = torch.optim.AdamW(params, lr=tc.learning_rate, betas=(tc.adam_beta1, tc.adam_beta2),
                                      weight_decay=tc.weight_decay)
    run.scheduler = torch.optim.lr_scheduler.LambdaLR(run.optimizer, schedule(tc, run.total_steps)[0])
    return run


def schedule(tc: Any, steps: int) -> tuple[Callable[[int], float], int]:
    """The lr multiplier of ``train.lr_scheduler`` over ``steps`` steps, and its warm-up steps."""
    warmup = math.ceil(tc.warmup_ratio * steps)
    return lr_lambda(tc.lr_scheduler, steps, warmup), warmup


def setup_threads(cfg: Config, device: str, dist_info: Dist) -> int:
    """torch's CPU threads: ``model.threads``, or the physical cores shared by this machine's processes."""
    import torch

    from fctune.models import set_cpu_threads

    if device != "cpu":
        return torch.get_num_threads()
    threads = cfg.model.threads
    if threads <= 0:
        threads = max(1, set_cpu_threads(0) // dist_info.local_world_size)
    set_cpu_threads(threads)
    return threads


def _changed(before: list, after: list) -> int:
    """How many conversations a transform of ``data.*`` rewrote (same order, same line numbers)."""
    return sum(a is not b for (_, a), (_, b) in zip(before, after))


def setup_data(cfg: Config, fmt: Any, say: Callable[[str], None]) -> TrainData:
    """Training (with tool-list variants) and validation samples; samples over ``data.max_length``
    are skipped and reported, never truncated."""
    convs, source = load_training_conversations(cfg.data.train_file)
    if cfg.data.tool_variants:
        from fctune.data.augment import tool_variants

        convs = tool_variants(convs, cfg.data.tool_variants, cfg.data.max_distractors, cfg.train.seed)
    if cfg.data.mask_names:
        from fctune.data.augment import masked

        before = convs
        convs = masked(convs, cfg.data.mask_names, cfg.train.seed)
        say(f"{_changed(before, convs)} conversation(s) with masked names (data.mask_names)")
    if cfg.data.source_languages:
        from fctune.data.augment import source_languages

        before = convs
        convs = source_languages(convs, cfg.data.source_languages, cfg.train.seed + 1)
        say(f"{_changed(before, convs)} conversation(s) with tools written as Java / JavaScript functions "
            "(data.source_languages)")
    share = cfg.train.prefix_sharing
    samples, skipped = render_samples(fmt, convs, cfg.data.max_length, source, share)
    data = TrainData(convs, source, samples, skipped)
    by_line = {line: conv.get("group") for line, conv in convs}
    if any(by_line.values()):
        data.groups = [by_line[s.line] for s in samples]
    if cfg.data.valid_file:
        data.valid_convs, vsource = load_training_conversations(cfg.data.valid_file)
        data.valid_samples, valid_skipped = render_samples(fmt, data.valid_convs, cfg.data.max_length, vsource, share)
        if valid_skipped:
            say(f"skipped {len(valid_skipped)} validation sample(s) over data.max_length")
    if not samples:
        raise DataError(source, 1, f"every sample is longer than data.max_length={cfg.data.max_length} tokens")
    if skipped:
        lines = ", ".join(f"{s['line']}(turn {s['turn']}, {s['tokens']} tok)" for s in skipped[:50])
        more = f" and {len(skipped) - 50} more" if len(skipped) > 50 else ""
        say(f"skipped {len(skipped)} sample(s) over data.max_length={cfg.data.max_length} "
            f"(never truncated) at line(s): {lines}{more}")
    return data


def _smoke_before(model: Any, fmt: Any, data: TrainData) -> list[dict]:
    """The smoke test on the base model, under the call rule the tuned model will have: off for data
    with text before calls (:func:`fctune.calibrate.prefaces_turn_decision_off`)."""
    from fctune.calibrate import preface_counts, prefaces_turn_decision_off
    from fctune.generate import DEFAULT_CALL_THRESHOLD

    off = prefaces_turn_decision_off(*preface_counts([c for _, c in data.convs]))
    return smoke_test(model, fmt, call_threshold=0.0 if off else DEFAULT_CALL_THRESHOLD)


def setup_lora(cfg: Config, model: Any, fmt: Any, device: str, say: Callable[[str], None]) -> tuple[Any, list[Any], list[int]]:
    """The PEFT model: LoRA on ``lora.target_modules`` plus the rows of special tokens the model never
    learned (:mod:`fctune.token_rows`); the fused CPU forward; gradient checkpointing when asked."""
    import torch
    from peft import LoraConfig as PeftLoraConfig
    from peft import get_peft_model

    untrained, token_ids = token_rows_to_train(model, fmt, cfg.lora.trainable_tokens)
    if untrained or token_ids:
        say(describe_token_rows(untrained) + (f"; training rows {token_ids} (lora.trainable_tokens="
                                              f"{cfg.lora.trainable_tokens})" if token_ids else
                                              "; not trained (lora.trainable_tokens=off)"))
    torch.manual_seed(cfg.train.seed)
    random.seed(cfg.train.seed)
    lora = PeftLoraConfig(r=cfg.lora.r, lora_alpha=cfg.lora.alpha, lora_dropout=cfg.lora.dropout,
                          target_modules=list(cfg.lora.target_modules),
                          modules_to_save=list(cfg.lora.modules_to_save) or None, task_type="CAUSAL_LM",
                          trainable_token_indices=_token_layers(model, token_ids, cfg.lora.modules_to_save) or None)
    model = get_peft_model(model, lora)
    if device == "cpu":
        from fctune.fast_lora import use_fast_lora
        from fctune.models import unstride_head_input

        say(f"fused CPU LoRA forward on {use_fast_lora(model)} layer(s) (fctune.fast_lora)")
        if next(model.parameters()).dtype == torch.bfloat16:
            unstride_head_input(model)  # the smoke test's and calibration's prompt passes
    if cfg.train.gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    return model, untrained, token_ids


def setup_batching(run: Run) -> None:
    """The token budget of a micro-batch (the checkpoint's when resuming: same plan), steps per epoch
    and in all; a resumed run must have the same batch settings and samples."""
    tc, state = run.cfg.train, run.state
    samples = run.data.samples
    if state is not None:
        run.budget, run.packing = int(state["token_budget"]), bool(state["packing"])
        if state["samples_per_step"] != run.samples_per_step or len(state["plan"]["steps"][0][0]) != run.dist.world_size:
            raise FctuneError(f"--resume: {run.ckpt} was made with {state['samples_per_step']} samples per step over "
                              f"{len(state['plan']['steps'][0][0])} process(es); resume with the same batch settings "
                              "and number of processes")
        if state["data_fingerprint"] != data_fingerprint(samples):
            raise FctuneError(f"--resume: the training samples differ from those of {run.ckpt} "
                              "(data, model, template or max_length changed); start a new run instead")
    elif tc.token_budget > 0:
        run.budget = tc.token_budget
    else:
        run.budget = auto_token_budget(run.model.config, run.device, next(run.model.parameters()).element_size(),
                                       run.dist.local_world_size, tc.gradient_checkpointing)
    from fctune.batching import plan_epoch

    groups = run.data.groups
    if groups is None:
        run.steps_per_epoch = math.ceil(len(samples) / run.samples_per_step)
    else:  # whole groups per step: the first epoch's plan says how many steps
        run.steps_per_epoch = len(plan_epoch([len(s) for s in samples], [s.trained_tokens for s in samples],
                                             run.samples_per_step, run.budget, tc.seed, 0, run.dist.world_size,
                                             run.packing, groups).steps)
    run.total_steps = tc.max_steps if tc.max_steps > 0 else math.ceil(tc.num_epochs * run.steps_per_epoch)
    unit = "one per conversation, turns sharing prefixes" if tc.prefix_sharing else "one per assistant turn"
    variants = run.cfg.data.tool_variants
    together = ""
    if groups is not None:
        sizes = Counter(g for g in groups if g is not None)
        together = f"; {sum(sizes.values())} of them in {len(sizes)} groups, each group in one step (\"group\")"
    run.say(f"{len(samples)} samples ({unit}) from {len(run.data.convs)} conversations of {run.data.source}"
            f"{f' (with {variants} tool-list variant(s) of each)' if variants else ''}{together}; "
            f"{run.samples_per_step} samples per optimizer step, {run.steps_per_epoch} steps per epoch, "
            f"{run.total_steps} steps; micro-batches up to {run.budget} tokens "
            f"({_layout(tc.share_prefixes, run.packing)}); "
            f"{run.dist.world_size} process(es), {run.threads} thread(s) each")


def _layout(share_prefixes: bool, packing: bool) -> str:
    """How the training log describes a micro-batch's rows."""
    if share_prefixes:
        return "one token tree each, shared prompt prefixes computed once, no padding"
    return "packed" if packing else "padded to the longest of each"


# ----------------------------------------------------------------------------------- restore


@dataclass
class Progress:
    """Where the loop is, what it has counted, and the last validation."""

    step: int = 0
    epoch: int = 0
    step_in_epoch: int = 0
    elapsed_before: float = 0.0
    """Training seconds of the run before a resume."""
    tokens: int = 0
    trained_tokens: int = 0
    plan: Any = None
    loss: float = float("nan")
    valid_loss: float | None = None
    last_valid_step: int = -1
    started: float = field(default_factory=time.time)
    """When this process's loop started (wall clock)."""
    skipped: list[int] = field(default_factory=list)
    """Steps whose loss or gradients were not finite: not applied (:func:`optimizer_step`)."""

    def epoch_progress(self) -> float:
        return self.epoch + (self.step_in_epoch / max(1, len(self.plan.steps)) if self.plan is not None else 0.0)

    def elapsed(self) -> float:
        return self.elapsed_before + time.time() - self.started


def restore(run: Run) -> Progress:
    """The loop's starting point: the checkpoint's weights, optimizer, schedule, plan and random
    state when resuming; else a fresh start (dropout seeded per process)."""
    import torch

    from fctune.batching import EpochPlan

    state = run.state
    if state is None:
        torch.manual_seed(run.cfg.train.seed + run.dist.rank)  # dropout differs between processes
        return Progress()
    assert run.ckpt is not None
    restore_weights(run.model, run.ckpt, run.device, run.dist.rank)
    run.optimizer.load_state_dict(state["optimizer"])
    run.scheduler.load_state_dict(state["scheduler"])
    fit = state.get("time_fit")
    if fit is not None:  # a schedule fitted to train.max_minutes before the checkpoint: kept
        run.time_fit = fit
        if fit["steps"] < run.total_steps:
            refit_schedule(run, fit["steps"])
    return Progress(step=state["step"], epoch=state["epoch"], step_in_epoch=state["step_in_epoch"],
                    elapsed_before=state["elapsed"], tokens=state["tokens"], trained_tokens=state["trained_tokens"],
                    plan=EpochPlan.from_state(state["plan"]), skipped=list(state.get("skipped", [])))


def prepare_outputs(run: Run, progress: Progress) -> None:
    """The output directory (rank 0): a fresh run drops old checkpoints and any stale call threshold;
    the resolved config is saved; the training log is started (or cut back to the resumed step)."""
    if run.dist.main:
        run.out_dir.mkdir(parents=True, exist_ok=True)
        if run.state is None:
            for old in list_checkpoints(run.out_dir):
                shutil.rmtree(old, ignore_errors=True)
            from fctune.calibrate import FILE as THRESHOLD_FILE

            (run.out_dir / THRESHOLD_FILE).unlink(missing_ok=True)  # a new run's threshold, or none, never a stale one
        import copy

        resolved = copy.deepcopy(run.cfg)
        resolved.train.token_budget = run.budget
        dump_yaml(resolved, run.out_dir / "fctune_config.yaml")
    run.log = _Log(run.out_dir / "train_log.jsonl", run.dist.main)
    run.log.start(progress.step if run.state is not None else None)


# --------------------------------------------------------------------------------------- fit


def fit(run: Run, progress: Progress) -> None:
    """The optimizer steps: epochs of seeded plans, each step's micro-batches, logging, validation
    and checkpoints."""
    from fctune.batching import plan_epoch

    tc = run.cfg.train
    lengths = [len(s) for s in run.data.samples]
    trained = [s.trained_tokens for s in run.data.samples]
    loss_weights = [s.loss_weight(tc.decision_weight) for s in run.data.samples]
    run.model.train()
    bar = _progress_bar(run, progress.step)
    progress.started = time.time()
    interval = {"loss": 0.0, "weight": 0.0, "tokens": 0, "t": time.time()}
    first, marks = progress.step, {}
    while progress.step < run.total_steps:
        if progress.plan is None or progress.plan.epoch != progress.epoch:
            progress.plan = plan_epoch(lengths, trained, run.samples_per_step, run.budget, tc.seed, progress.epoch,
                                       run.dist.world_size, run.packing, run.data.groups)
        while progress.step_in_epoch < len(progress.plan.steps) and progress.step < run.total_steps:
            current = progress.plan.steps[progress.step_in_epoch]
            divisor = step_loss_weight(current, loss_weights)
            lr = run.scheduler.get_last_lr()[0]
            loss_sum, step_tokens, applied = optimizer_step(run, current, divisor)
            progress.step += 1
            progress.step_in_epoch += 1
            progress.tokens += int(step_tokens)
            interval["tokens"] += int(step_tokens)
            if applied:
                progress.trained_tokens += current.trained_tokens
                progress.loss = loss_sum / divisor
                interval["loss"] += loss_sum
                interval["weight"] += divisor
            else:
                _skip(run, progress, loss_sum / divisor)
            if tc.max_minutes > 0 and run.time_fit is None and progress.step - first in TIME_FIT_STEPS:
                marks[progress.step - first] = time.time()
                if len(marks) == len(TIME_FIT_STEPS):
                    fit_to_time(run, progress, marks, bar)
            if progress.step % max(1, tc.logging_steps) == 0 or progress.step == run.total_steps:
                _log_step(run, progress, interval, lr, bar)
                interval = {"loss": 0.0, "weight": 0.0, "tokens": 0, "t": time.time()}
            if bar is not None:
                bar.update(1)
            if tc.eval_steps > 0 and progress.step % tc.eval_steps == 0:
                validate(run, progress, bar)
            if tc.save_steps > 0 and progress.step % tc.save_steps == 0 and progress.step < run.total_steps:
                _checkpoint(run, progress)
        if progress.step_in_epoch >= len(progress.plan.steps):
            if tc.eval_steps == 0:
                validate(run, progress, bar)
            progress.epoch += 1
            progress.step_in_epoch = 0
    if bar is not None:
        bar.close()
    validate(run, progress, None)


def _skip(run: Run, progress: Progress, loss: float) -> None:
    """A step whose loss or gradients were not finite was not applied: say so, and stop the run
    once :data:`MAX_NONFINITE_IN_A_ROW` came in a row."""
    progress.skipped.append(progress.step)
    run.say(f"step {progress.step}: non-finite loss or gradients (loss {loss:.4g}): step skipped, weights unchanged")
    recent = progress.skipped[-MAX_NONFINITE_IN_A_ROW:]
    if len(recent) == MAX_NONFINITE_IN_A_ROW and recent[-1] - recent[0] == MAX_NONFINITE_IN_A_ROW - 1:
        raise FctuneError(f"training diverged: steps {recent[0]}-{recent[-1]} all had a non-finite loss or "
                          f"gradients; try a lower train.learning_rate, or model.dtype=float32 if it runs in "
                          f"{str(next(run.model.parameters()).dtype).replace('torch.', '')}")


def fit_to_time(run: Run, progress: Progress, marks: dict[int, float], bar: Any) -> None:
    """``train.max_minutes``: from the rate between the :data:`TIME_FIT_STEPS` marks, the steps that
    fit the budget; when fewer than planned, the run's step count and its schedule are re-fitted to
    them (every process the same: rates and times are averaged over processes)."""
    from fctune.distributed import all_reduce_sum

    tc = run.cfg.train
    lo, hi = TIME_FIT_STEPS
    world = max(1, run.dist.world_size)
    rate, elapsed = (v / world for v in all_reduce_sum(
        [(marks[hi] - marks[lo]) / (hi - lo), marks[hi] - progress.started], run.dist))
    planned = run.total_steps
    fitted = steps_in_budget(planned, progress.step, elapsed, rate, tc.max_minutes * 60)
    run.time_fit = {"max_minutes": tc.max_minutes, "seconds_per_step": round(rate, 4), "planned_steps": planned,
                    "steps": fitted}
    if fitted >= planned:
        run.say(f"max_minutes {tc.max_minutes:g}: {rate:.2f} s/step, the {planned} planned steps fit")
        return
    warmup = refit_schedule(run, fitted)
    if bar is not None:
        bar.total = fitted
        bar.refresh()
    run.say(f"max_minutes {tc.max_minutes:g}: {rate:.2f} s/step, {fitted} of the {planned} planned steps fit; "
            f"schedule re-fitted to {fitted} steps ({warmup} warm-up)")


def refit_schedule(run: Run, steps: int) -> int:
    """The run's step count and its schedule fitted to ``steps`` (``train.max_minutes``), the lr of
    the coming step included (the scheduler computed it from the old schedule); returns the warm-up steps."""
    run.total_steps = steps
    factor, warmup = schedule(run.cfg.train, steps)
    sched = run.scheduler
    sched.lr_lambdas = [factor for _ in sched.lr_lambdas]
    for group, base in zip(run.optimizer.param_groups, sched.base_lrs):
        group["lr"] = base * factor(sched.last_epoch)
    sched._last_lr = [group["lr"] for group in run.optimizer.param_groups]
    return warmup


def optimizer_step(run: Run, current: Any, divisor: float) -> tuple[float, float, bool]:
    """One optimizer step over this process's micro-batches of ``current`` (gradients summed over
    processes, clipped); returns the step's summed loss and its tokens (all processes'), and whether
    it was applied: a non-finite loss or gradient norm (a bf16 overflow, say) would turn every
    weight into NaN, so such a step is dropped (the schedule still advances). Every process sees the
    same summed loss and gradients, so all drop the same steps."""
    import torch

    from fctune.batching import collate
    from fctune.loss import trained_token_loss

    tc = run.cfg.train
    loss_acc, my_tokens = torch.zeros((), dtype=torch.float32, device=run.device), 0
    for mb in current.for_rank(run.dist.rank):
        batch = collate([run.data.samples[i] for i in mb], run.packing, run.tokenizer.pad_token_id, run.device,
                        tc.decision_weight, share=tc.share_prefixes)
        loss, _n = trained_token_loss(run.model, batch)
        (loss / divisor).backward()
        loss_acc += loss.detach()
        my_tokens += batch["tokens"]
    all_reduce_grads(run.params, run.dist)
    loss_sum, step_tokens = all_reduce_sum([float(loss_acc), float(my_tokens)], run.dist)
    norm = torch.nn.utils.clip_grad_norm_(run.params, tc.max_grad_norm if tc.max_grad_norm > 0 else math.inf)
    applied = math.isfinite(loss_sum) and bool(torch.isfinite(norm))
    if applied:
        run.optimizer.step()
        run.scheduler.step()
    else:
        with warnings.catch_warnings():  # a skipped first step: torch warns that the optimizer has not stepped yet
            warnings.filterwarnings("ignore", message=r"Detected call of `lr_scheduler\.step\(\)` before")
            run.scheduler.step()
    run.optimizer.zero_grad(set_to_none=True)
    return loss_sum, step_tokens, applied


def _progress_bar(run: Run, initial: int) -> Any:
    """A tqdm bar on a terminal (rank 0), else ``None`` (one log line per logged step)."""
    if not (run.dist.main and sys.stderr.isatty()):
        return None
    from tqdm.auto import tqdm

    return tqdm(total=run.total_steps, initial=initial, unit="step", dynamic_ncols=True, desc="train")


def _log_step(run: Run, progress: Progress, interval: dict[str, float], lr: float, bar: Any) -> None:
    now = time.time()
    rate = interval["tokens"] / max(1e-9, now - interval["t"])
    rec = {"step": progress.step, "epoch": round(progress.epoch_progress(), 4),
           "loss": interval["loss"] / interval["weight"] if interval["weight"] > 0 else math.nan, "lr": lr,
           "tokens": progress.tokens, "trained_tokens": progress.trained_tokens,
           "tokens_per_s": round(rate, 1), "elapsed": round(progress.elapsed(), 3)}
    run.log.write(rec)
    done_here = progress.step - (run.state["step"] if run.state else 0)
    eta = (now - progress.started) / max(1, done_here) * (run.total_steps - progress.step)
    if bar is not None:
        bar.set_postfix(loss=f"{rec['loss']:.4f}", lr=f"{lr:.2e}", tok_s=f"{rate:.0f}", refresh=False)
    else:
        run.say(f"step {progress.step}/{run.total_steps} epoch {rec['epoch']:.2f} loss {rec['loss']:.4f} "
                f"lr {lr:.2e} {rate:.0f} tok/s eta {_fmt_time(eta)}")


def validate(run: Run, progress: Progress, bar: Any) -> None:
    """Validation loss (once per step at most; ``train.eval_steps=-1``: never)."""
    if not run.data.valid_samples or progress.last_valid_step == progress.step or run.cfg.train.eval_steps < 0:
        return
    progress.valid_loss, vcount = evaluate_loss(run.model, run.data.valid_samples, run.budget, run.packing,
                                                run.tokenizer.pad_token_id, run.device, run.dist)
    progress.last_valid_step = progress.step
    run.log.write({"step": progress.step, "epoch": round(progress.epoch_progress(), 4),
                   "valid_loss": progress.valid_loss, "valid_tokens": vcount, "elapsed": round(progress.elapsed(), 3)})
    msg = f"step {progress.step}: validation loss {progress.valid_loss:.4f} over {vcount} trained tokens"
    if bar is not None:
        bar.write(msg)
    else:
        run.say(msg)


def _checkpoint(run: Run, progress: Progress) -> None:
    state = {
        "step": progress.step, "epoch": progress.epoch, "step_in_epoch": progress.step_in_epoch,
        "optimizer": run.optimizer.state_dict(), "scheduler": run.scheduler.state_dict(),
        "plan": progress.plan.to_state(), "token_budget": run.budget, "packing": run.packing,
        "data_fingerprint": data_fingerprint(run.data.samples), "samples_per_step": run.samples_per_step,
        "elapsed": progress.elapsed(), "tokens": progress.tokens, "trained_tokens": progress.trained_tokens,
        "skipped": progress.skipped, "time_fit": run.time_fit,
    }
    save_checkpoint(run.out_dir, progress.step, run.model, state, run.dist, run.cfg.train.save_total_limit)


# ------------------------------------------------------------------------------------ finish


def finish(run: Run, progress: Progress, wall_start: float) -> dict[str, Any]:
    """Rank 0: the adapter and tokenizer, the loss plot, the call decision, the summary and the
    after-training smoke test. Returns the summary (empty on other ranks)."""
    summary: dict[str, Any] = {}
    if run.dist.main:
        train_time = progress.elapsed()
        save_adapter(run)
        plot_loss(run.log.records, run.out_dir / "loss.png")
        from fctune.token_rows import fold_token_rows

        fold_token_rows(run.model)  # calibration and the smoke test then skip PEFT's per-call matrix copy
        calibration = decide_calls(run)
        summary = _summary(run, progress, train_time, wall_start, calibration)
        if run.cfg.train.smoke_test:
            summary["smoke_test"] = _smoke_after(run)
        summary["wall_time_s"] = round(time.time() - wall_start, 2)
        partial = run.out_dir / "summary.json.tmp"
        partial.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(partial, run.out_dir / "summary.json")
        run.say(f"done: {progress.step} steps, loss {progress.loss:.4f}"
                + (f", validation loss {progress.valid_loss:.4f}" if progress.valid_loss is not None else "")
                + f", {summary['tokens_per_s']:.0f} tok/s, {train_time:.1f}s training; wrote {run.out_dir}")
    run.dist.barrier()
    return summary


FINAL_STAGING = ".final.tmp"
"""Where the adapter is written before its files are moved into the output directory."""


def save_adapter(run: Run) -> None:
    """The adapter, its tokenizer and base fingerprint, written whole: into a staging directory first,
    then each file renamed into place (the weights last), so a run killed while saving leaves no
    truncated file that looks like a finished adapter (``--resume`` then saves again)."""
    from fctune.fingerprint import save as save_fingerprint

    staging = run.out_dir / FINAL_STAGING
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    run.model.save_pretrained(str(staging))
    run.tokenizer.save_pretrained(str(staging))
    save_fingerprint(run.base_fingerprint, staging)
    weights = [p for p in staging.iterdir() if p.suffix in (".safetensors", ".bin")]
    for path in sorted(set(staging.iterdir()) - set(weights)) + weights:
        os.replace(path, run.out_dir / path.name)
    staging.rmdir()


def decide_calls(run: Run) -> dict | None:
    """The call decision saved beside the adapter: off for data with text before calls, else the
    threshold calibrated on the validation conversations (:mod:`fctune.calibrate`)."""
    from fctune.calibrate import calibrate, decision_off_for_prefaces, preface_counts

    calibration = decision_off_for_prefaces([c for _, c in run.data.convs], run.out_dir)
    if calibration is not None:
        run.say(f"call decision off (call_threshold.json: 0, plain greedy): {calibration['reason']}")
        return calibration
    if not run.cfg.data.valid_file:
        return None
    c = calibrate(run.model, run.fmt, [conv for _, conv in run.data.valid_convs], run.cfg.data.max_length, run.out_dir,
                  run.cfg.train.min_silence, preface_counts([conv for _, conv in run.data.convs]))
    if c:
        floor = (f"; the silence floor {c['min_silence']} moved it from {c['threshold_without_floor']:.4g} "
                 f"(balanced accuracy {c['balanced_accuracy_without_floor']:.3f})") if c["floor_binds"] else ""
        if not c["floor_met"]:
            floor += f"; warning: no threshold keeps {c['min_silence']:.0%} of the no-call turns silent"
        if c["call_recall"] < 0.2:
            floor += (f"; warning: only {c['call_recall']:.0%} of the validation calls are made at this threshold "
                      "(the model separates calls from replies poorly: train longer, or lower train.min_silence)")
        run.say(f"call threshold {c['call_threshold']:.4g} on the validation turns: calls {c['call_recall']:.0%}, "
                f"silence {c['silence']:.0%}, balanced accuracy {c['balanced_accuracy']:.3f} "
                f"(at 0.5: {c['balanced_accuracy_at_0.5']:.3f}){floor}; saved to call_threshold.json")
        run.say(_after_tool_line(c["after_tool"]))
    return c


def _after_tool_line(rule: dict) -> str:
    """The training log's line on the after-tool rule (:func:`fctune.calibrate.after_tool_rule`)."""
    head = f"after a tool result ({rule['turns']} validation turns, {rule['call_turns']} needing a call): "
    if "balanced_accuracy_threshold" not in rule:
        return head + f"plain greedy ({rule.get('reason', 'no threshold fitted')})"
    chosen = f"threshold {rule['threshold']:.4g}" if rule["rule"] == "threshold" else "plain greedy"
    return head + (f"{chosen} (balanced accuracy greedy {rule['balanced_accuracy_greedy']:.3f}, fitted threshold "
                   f"{rule['fitted_threshold']:.4g} {rule['balanced_accuracy_threshold']:.3f})")


def _summary(run: Run, progress: Progress, train_time: float, wall_start: float, calibration: dict | None) -> dict:
    tc, skipped = run.cfg.train, run.data.skipped
    return {
        "model": run.cfg.model.name_or_path, "device": run.device,
        "dtype": str(next(run.model.parameters()).dtype).replace("torch.", ""),
        "template": run.fmt.template_name, "processes": run.dist.world_size, "threads": run.threads,
        "steps": progress.step, "epochs": round(progress.step / max(1, run.steps_per_epoch), 4),
        "conversations": len(run.data.convs), "samples": len(run.data.samples), "samples_per_step": run.samples_per_step,
        "skipped": {"count": len(skipped), "lines": sorted({s["line"] for s in skipped}), "samples": skipped},
        "token_budget": run.budget, "packing": run.packing, "prefix_sharing": tc.prefix_sharing,
        "share_prefixes": tc.share_prefixes,
        "decision_weight": tc.decision_weight,
        "tokens": progress.tokens, "trained_tokens": progress.trained_tokens,
        "tokens_per_s": round(progress.tokens / max(1e-9, train_time), 1),
        "trained_tokens_per_s": round(progress.trained_tokens / max(1e-9, train_time), 1),
        "train_time_s": round(train_time, 2),
        "wall_time_s": round(time.time() - wall_start, 2),
        "peak_memory_mb": round(_peak_memory_mb(run.device), 1),
        "peak_memory_kind": "cuda max_memory_allocated" if run.device.startswith("cuda") else "process peak RSS",
        "trainable_params": run.trainable_params, "total_params": run.total_params,
        "untrained_token_rows": [r.as_dict() for r in run.untrained], "trained_token_rows": run.token_ids,
        "final_loss": progress.loss, "valid_loss": progress.valid_loss,
        "resumed_from_step": run.state["step"] if run.state else None,
        "time_fit": run.time_fit,
        "skipped_steps": progress.skipped,
        "call_threshold": calibration,
    }


def _smoke_after(run: Run) -> dict:
    """The smoke test on the tuned model under its saved call decision; writes smoke_test.md."""
    from fctune.calibrate import resolve_threshold

    t0 = time.time()
    threshold = resolve_threshold(run.cfg.eval.call_threshold, run.out_dir)  # negative: the calibrated one
    results = smoke_test(run.model, run.fmt, call_threshold=threshold)
    write_smoke_report(run.out_dir / "smoke_test.md", run.smoke_before, results)
    run.say(smoke_text(results, "after training", markdown=False))
    before = run.smoke_before
    return {"prompts": len(results), "with_calls": sum(bool(r["calls"]) for r in results),
            "right": sum(r["right"] for r in results),
            "right_before": None if before is None else sum(r["right"] for r in before),
            "right_plain_greedy": right_plain_greedy(results),
            "call_threshold": threshold, "seconds": round(time.time() - t0, 2)}
