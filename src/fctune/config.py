"""Typed run configuration: dataclasses with a documented default per field.

A config is built from the defaults (the original recipe), then a YAML file, then dotted
``key=value`` overrides from the command line. Unknown keys are errors that name the key and
suggest the closest valid one. The resolved config is saved with every run (``dump_yaml``).
"""

from __future__ import annotations

import dataclasses
import math
import difflib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml

from fctune.errors import ConfigError
from fctune.formats import TEMPLATES

DEFAULT_TARGET_MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


@dataclass
class ModelConfig:
    """The runtime section: which model, which adapter, how prompts are built and where it runs.
    Every command reads it (train, eval, chat, serve, merge, inspect) and takes the same flags for it
    (``--model --adapter --template --dtype --device --threads --thinking``, :func:`add_runtime_arguments`)."""

    name_or_path: str = "Qwen/Qwen3-0.6B"
    """Local HF directory, a ``.gguf`` file, the alias ``smollm2-135m``, or a hub id (needs network)."""
    template: str = "auto"
    """Chat template: ``auto`` (the model's own when it knows tools, else built-in ``hermes``), ``own`` or ``hermes``."""
    enable_thinking: bool = False
    """Qwen3 thinking mode. Off: prompts end with the empty think block, as at inference."""
    dtype: str = "auto"
    """``auto`` (fp32 on CPU, bf16 on GPU), ``float32``, ``bfloat16`` or ``float16``."""
    device: str = "auto"
    """``auto`` (cuda when available, else cpu), ``cpu`` or ``cuda[:N]``."""
    adapter: str = ""
    """The LoRA adapter directory of this run: the one eval, chat, serve, merge and inspect load on top
    of the model, and the one ``fctune train`` writes (``train.output_dir``, which this overrides when set)."""
    threads: int = 0
    """CPU threads for torch (0: the number of physical cores)."""
    allow_other_base: bool = False
    """Load ``adapter`` even when its saved base fingerprint (``base_fingerprint.json``) says it was
    trained on another model (:mod:`fctune.fingerprint`)."""


@dataclass
class DataConfig:
    """Training and validation data (canonical JSONL, docs/data-format.md)."""

    train_file: str = ""
    """Training conversations (JSONL). Empty: the built-in 15-sample seed set."""
    valid_file: str = ""
    """Optional validation conversations; validation loss is logged when given."""
    max_length: int = 1024
    """Longest sample in tokens. Longer samples are skipped, counted and listed (never truncated)."""
    tool_variants: int = 0
    """Extra copies of each training conversation under a shuffled tool list widened by up to
    ``data.max_distractors`` tools of other conversations (fctune.data.augment): teaches a small data
    set to read the tools offered rather than memorise which tool a phrasing goes with. 0: none."""
    max_distractors: int = 4
    """Most distractor tools a variant adds (``data.tool_variants``)."""
    mask_names: float = 0.0
    """Share of the training conversations that offer tools whose function and parameter names are
    replaced by random strings (descriptions kept; calls renamed with them; fctune.data.augment.mask_names):
    teaches the model to choose by description, not by a name it memorised. 0: none."""
    source_languages: float = 0.0
    """Share of the training conversations that offer tools whose tools are written as Java or
    JavaScript functions the way BFCL shows them (every parameter a string of source text, the
    language named; calls rewritten as source text; fctune.data.augment.as_source_language): BFCL's
    simple_java and simple_javascript categories ask for this. 0: none."""


@dataclass
class LoraConfig:
    """LoRA adapter (HF PEFT)."""

    r: int = 16
    """Rank of the update matrices."""
    alpha: int = 32
    """Scaling numerator: the update is scaled by alpha / r."""
    dropout: float = 0.1
    """Dropout on the LoRA input."""
    target_modules: list[str] = field(default_factory=lambda: list(DEFAULT_TARGET_MODULES))
    """Linear layers that get adapters."""
    modules_to_save: list[str] = field(default_factory=list)
    """Extra modules trained in full. Empty by default: Qwen3-0.6B ties lm_head to embed_tokens."""
    trainable_tokens: str = "auto"
    """Embedding (and untied head) rows trained beside LoRA, through PEFT's ``trainable_token_indices``:
    ``auto`` trains the rows of the format's special tokens that the model never learned (detected at
    load: rows equal to each other, to the mean, or near zero; e.g. the tool-call tags of
    Qwen2.5-Coder-0.5B-Instruct), ``off`` trains none, or a comma list of the tokens to train
    (as ``fctune inspect --check-tokens`` names them). Only those rows change; they are saved with the adapter."""


@dataclass
class TrainConfig:
    """Optimisation, batching and run outputs."""

    output_dir: str = "runs/fctune"
    """Where the adapter, logs, checkpoints and reports go."""
    num_epochs: float = 5.0
    """Passes over the training data."""
    max_steps: int = -1
    """Stop after this many optimizer steps (-1: use num_epochs)."""
    max_minutes: float = 0.0
    """A time budget for the optimizer steps (0: none), for a machine whose speed is not known ahead:
    the rate measured over a process's first steps sets how many steps fit, and the schedule (warm-up
    and decay) is re-fitted to that count, so the run ends its schedule in time instead of being cut
    mid-decay. Never more steps than num_epochs / max_steps give; a run of 12 steps or fewer is left
    as planned. Loading, calibration and the smoke tests come on top (a validation or checkpoint
    within the measured steps counts in the rate). A run resumed from a checkpoint written after the
    fit keeps the fitted count and schedule; one resumed before it measures its own first steps."""
    per_device_batch_size: int = 1
    """Samples per micro-batch in the original recipe; with token_budget > 0 micro-batches are built by tokens instead."""
    gradient_accumulation_steps: int = 8
    """Effective batch = per_device_batch_size x this x processes: samples per optimizer step (conversations
    with prefix_sharing, else assistant turns)."""
    token_budget: int = 0
    """Max padded tokens per micro-batch (0: auto from the memory there is). Micro-batches fill to it from length-sorted buckets."""
    packing: bool = False
    """Padding-free packing (position ids restart per sample). Off by default: on CPU attention over a pack costs its full length squared, and length-grouped padding measured faster; on GPU with FlashAttention varlen packing wins."""
    prefix_sharing: bool = True
    """Merge the per-turn samples of a conversation into one token tree, so the shared prefix (system
    prompt, tools, earlier turns) is computed once, not once per assistant turn. Same loss and
    gradients; the unit of a batch becomes the conversation, as in the original recipe."""
    share_prefixes: bool = False
    """Also merge the samples of each micro-batch into one tree, their common prompt prefix (the
    template's system prompt and tools preamble; a whole tool list where rows offer the same one)
    computed once and no padding (:func:`fctune.batching.share_prefixes`). Same loss and gradients
    (to float rounding). Measured on the demo's first 6 steps on the 2-core CPU
    (bench/shared_prefixes.py): 7.6 % fewer tokens computed, ~15 % less time; over the whole demo run
    only -2.0 % tokens and -0.6 % loop time (most later micro-batches hold one sample), same answers,
    so off by default (docs/training.md)."""
    learning_rate: float = 1e-4
    """Peak learning rate."""
    optimizer: str = "adamw"
    """Optimizer: ``adamw``."""
    weight_decay: float = 0.0
    """AdamW weight decay."""
    adam_beta1: float = 0.9
    """AdamW beta1."""
    adam_beta2: float = 0.999
    """AdamW beta2."""
    max_grad_norm: float = 1.0
    """Gradient clipping (0: off)."""
    decision_weight: float = 1.0
    """Loss weight of the first trained token of each assistant turn: the token that decides between
    a tool call and a text reply (1: plain token mean). A call is ~40 trained tokens and the decision
    one of them, so a short run learns the format long before it learns when not to call; a weight
    of ~10 makes the decision count (docs/training.md). The loss is the weighted mean."""
    min_silence: float = 0.85
    """Calibration floor (with ``data.valid_file``): the saved call threshold keeps at least this share
    of the validation turns that need no call free of calls; among such thresholds, the best balanced
    accuracy (0: no floor). Binds only for models that separate the two kinds poorly (docs/evaluation.md)."""
    lr_scheduler: str = "cosine"
    """Schedule after warm-up: ``cosine``, ``linear`` or ``constant``."""
    warmup_ratio: float = 0.03
    """Share of the steps spent warming up linearly."""
    seed: int = 42
    """Seed for data order, dropout and LoRA init."""
    logging_steps: int = 1
    """Log every N optimizer steps."""
    eval_steps: int = 0
    """Validation loss every N steps (0: at the end of each epoch; -1: never, e.g. to save the time in
    a short run; the call threshold is still calibrated on ``data.valid_file``)."""
    save_steps: int = 0
    """Checkpoint every N optimizer steps (0: only at the end)."""
    save_total_limit: int = 2
    """Keep the last K checkpoints."""
    gradient_checkpointing: bool = False
    """Recompute activations in backward: less memory, ~36 % more compute. Off unless memory demands it."""
    smoke_test: bool = True
    """Write smoke_test.md: the four prompts of the original spec answered by the tuned model."""


@dataclass
class EvalConfig:
    """Generation and scoring for ``fctune eval``."""

    max_new_tokens: int = 256
    """Longest generated answer."""
    batch_size: int = 64
    """Prompts generated together (length-sorted; finished rows leave the batch). Larger is faster on CPU too."""
    limit: int = 0
    """Items per category/file (0: all)."""
    sample: int = 0
    """BFCL items per category drawn at random (a seed fixed per category, so the sample is the same
    for everyone; all of a smaller category) instead of the first ``limit``; 0: none. For a stratified
    estimate with 95 % intervals where the whole set does not fit (docs/evaluation.md)."""
    sample_round: int = 1
    """With ``sample``: 2, 3, ... draws a further sample of that many per category that holds none of
    the earlier rounds' items, to confirm on untouched items a choice made after seeing round 1
    (docs/evaluation.md, "Protocol")."""
    split: str = "all"
    """BFCL items: ``dev`` (every fifth of each category, the only ones design decisions may look
    at), ``test`` (the rest, what reports quote) or ``all`` (docs/evaluation.md, "Protocol")."""
    call_threshold: float = -1.0
    """Greedy answers open with a tool call iff the model gives that at least this probability, rather
    than whenever the call's one opening token beats every single text token (0: plain greedy;
    negative: the threshold training calibrated on the validation data, saved with the adapter as
    call_threshold.json, else 0.5). Chat and serve use the same rule (``--call-threshold``);
    docs/evaluation.md."""
    replies: str = "auto"
    """``stop``: an answer whose first token does not open a call is scored as a reply there, and its
    generation stops (an answer that opens with text is a non-call under this rule; what it would
    have said is not generated); ``full``: every answer is generated to its end and scored as a
    whole, so a call after text counts; ``auto``: ``stop`` when the adapter was trained on data whose
    calls open their turns (its call_threshold.json holds a calibrated first-token decision), else
    ``full``. The rule is one for both runs of ``--compare`` (docs/evaluation.md, "Replies")."""


@dataclass
class Config:
    """Everything a run needs; saved resolved as ``fctune_config.yaml``."""

    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    lora: LoraConfig = field(default_factory=LoraConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)


# Names users bring from other tools, mapped to ours (checked before fuzzy matching).
ALIASES = {
    "rank": "r", "lora_r": "r", "lora_alpha": "alpha", "lora_dropout": "dropout",
    "epochs": "num_epochs", "num_train_epochs": "num_epochs", "lr": "learning_rate",
    "batch_size": "per_device_batch_size", "grad_accum": "gradient_accumulation_steps",
    "cutoff_len": "max_length", "max_seq_length": "max_length", "model": "name_or_path",
    "lr_scheduler_type": "lr_scheduler", "output": "output_dir",
}


MOVED = {"train.num_threads": "model.threads"}
"""Keys that moved to another section: still accepted under their old name."""

DTYPES = ("auto", "float32", "bfloat16", "float16")


def all_keys(cfg: Any = None, prefix: str = "") -> list[str]:
    """Every dotted key of the config, e.g. ``lora.r``."""
    cfg = cfg if cfg is not None else Config()
    keys = []
    for f in dataclasses.fields(cfg):
        value = getattr(cfg, f.name)
        if dataclasses.is_dataclass(value):
            keys.extend(all_keys(value, f"{prefix}{f.name}."))
        else:
            keys.append(f"{prefix}{f.name}")
    return keys


def field_docs() -> dict[str, str]:
    """Dotted key -> its docstring (the string literal under each field), for help and docs."""
    import ast
    import inspect

    docs: dict[str, str] = {}
    for section in dataclasses.fields(Config):
        cls = section.default_factory  # type: ignore[misc]
        tree = ast.parse(inspect.getsource(cls))
        body = tree.body[0].body  # type: ignore[attr-defined]
        for node, nxt in zip(body, body[1:]):
            if isinstance(node, ast.AnnAssign) and isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant):
                docs[f"{section.name}.{node.target.id}"] = str(nxt.value.value)  # type: ignore[attr-defined]
    return docs


def suggest(key: str) -> str | None:
    """The valid key closest to an unknown one."""
    keys = all_keys()
    section, _, leaf = key.rpartition(".")
    alias = ALIASES.get(leaf)
    if alias:
        for k in keys:
            if k.endswith("." + alias) and (not section or k.startswith(section + ".")):
                return k
    match = difflib.get_close_matches(key, keys, n=1, cutoff=0.5)
    if match:
        return match[0]
    leaves = {k.rpartition(".")[2]: k for k in keys}
    match = difflib.get_close_matches(leaf, list(leaves), n=1, cutoff=0.5)
    return leaves[match[0]] if match else None


def _unknown(key: str, where: str) -> ConfigError:
    hint = suggest(key)
    tail = f"; did you mean '{hint}'?" if hint else f"; valid keys: {', '.join(all_keys())}"
    return ConfigError(f"unknown config key '{key}'{where}{tail}")


def _coerce(value: Any, tp: Any, key: str) -> Any:
    """Convert a YAML value or a command-line string to the field's type."""
    origin = typing.get_origin(tp)
    if origin is list:
        (inner,) = typing.get_args(tp)
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()] if value.strip() not in ("", "[]") else []
        if not isinstance(value, list):
            raise ConfigError(f"config key '{key}' needs a list, got {value!r}")
        return [_coerce(v, inner, key) for v in value]
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None or (isinstance(value, str) and value.lower() in ("none", "null")):
            return None
        return _coerce(value, args[0], key)
    try:
        if tp is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError(value)
        if tp is int:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError(value)
            return int(float(value)) if isinstance(value, str) and "e" in value.lower() else int(value)
        if tp is float:
            if isinstance(value, bool):
                raise ValueError(value)
            return float(value)
        if tp is str:
            if isinstance(value, (dict, list)):
                raise ValueError(value)
            return str(value)
    except (TypeError, ValueError, OverflowError):
        raise ConfigError(f"config key '{key}' needs {getattr(tp, '__name__', tp)}, got {value!r}") from None
    return value


def _set(cfg: Config, key: str, value: Any, where: str = "") -> None:
    key = MOVED.get(key, key)
    parts = key.split(".")
    obj: Any = cfg
    for i, part in enumerate(parts):
        names = {f.name: f for f in dataclasses.fields(obj)}
        if part not in names:
            raise _unknown(key, where)
        if i == len(parts) - 1:
            if dataclasses.is_dataclass(getattr(obj, part)):
                raise ConfigError(f"config key '{key}' is a section; set one of its keys, e.g. '{key}.{dataclasses.fields(getattr(obj, part))[0].name}'")
            hints = typing.get_type_hints(type(obj))
            setattr(obj, part, _coerce(value, hints[part], key))
        else:
            obj = getattr(obj, part)
            if not dataclasses.is_dataclass(obj):
                raise _unknown(key, where)


def _flatten(tree: Any, prefix: str = "") -> Iterable[tuple[str, Any]]:
    if isinstance(tree, dict):
        for k, v in tree.items():
            if isinstance(v, dict):
                yield from _flatten(v, f"{prefix}{k}.")
            else:
                yield f"{prefix}{k}", v
    else:
        raise ConfigError(f"config must be a mapping of sections, got {type(tree).__name__}")


def parse_override(text: str) -> tuple[str, str]:
    """``key=value`` -> (key, value)."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"override '{text}' is not of the form key=value (e.g. lora.r=8)")
    return key.strip(), value.strip()


def _yaml_problem(exc: Exception) -> str:
    """A YAML error on one line: its problem and where (``line L, column C``)."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    return f"{problem}{where}"


def load_config(path: str | Path | None = None, overrides: Iterable[str] = ()) -> Config:
    """Defaults, then the YAML file, then ``key=value`` overrides."""
    cfg = Config()
    if path:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"config file not found: {path}")
        try:
            tree = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: invalid YAML: {_yaml_problem(exc)}") from None
        for key, value in _flatten(tree):
            _set(cfg, key, value, where=f" in {path}")
    for text in overrides:
        key, value = parse_override(text)
        if value.startswith("["):
            try:
                value = yaml.safe_load(value)
            except yaml.YAMLError as exc:
                raise ConfigError(f"override {key}={value}: not a YAML list ({_yaml_problem(exc)})") from None
        _set(cfg, key, value)
    validate(cfg)
    return cfg


def _normalise(cfg: Config) -> None:
    """Spellings YAML turns into other types: an unquoted ``off``/``no`` reads as false, ``on``/``yes``
    as true; for ``lora.trainable_tokens`` those mean ``off`` and ``auto``, never a token list."""
    setting = cfg.lora.trainable_tokens.strip()
    mapped = {"false": "off", "no": "off", "0": "off", "true": "auto", "yes": "auto", "on": "auto"}.get(setting.lower())
    if mapped:
        cfg.lora.trainable_tokens = mapped
    elif setting.lower() in ("", "none", "null"):
        raise ConfigError("lora.trainable_tokens must be auto, off or a comma list of tokens (tokens as `fctune inspect --check-tokens` names them)")


def validate(cfg: Config) -> None:
    """Range checks that types alone cannot express."""
    _normalise(cfg)
    checks = [
        (cfg.lora.r > 0, "lora.r must be > 0"),
        (cfg.lora.alpha > 0, "lora.alpha must be > 0"),
        (0.0 <= cfg.lora.dropout < 1.0, "lora.dropout must be in [0, 1)"),
        (bool(cfg.lora.target_modules), "lora.target_modules must not be empty"),
        (cfg.data.max_length > 0, "data.max_length must be > 0"),
        (cfg.data.tool_variants >= 0, "data.tool_variants must be >= 0"),
        (0.0 <= cfg.data.mask_names <= 1.0, "data.mask_names must be within [0, 1]"),
        (0.0 <= cfg.data.source_languages <= 1.0, "data.source_languages must be within [0, 1]"),
        (cfg.data.max_distractors >= 0, "data.max_distractors must be >= 0"),
        (cfg.train.num_epochs > 0 or cfg.train.max_steps > 0, "train.num_epochs or train.max_steps must be > 0"),
        (cfg.train.max_minutes >= 0, "train.max_minutes must be >= 0 (0: no time budget)"),
        (cfg.train.per_device_batch_size > 0, "train.per_device_batch_size must be > 0"),
        (cfg.train.gradient_accumulation_steps > 0, "train.gradient_accumulation_steps must be > 0"),
        (cfg.train.token_budget >= 0, "train.token_budget must be >= 0"),
        (cfg.train.learning_rate > 0, "train.learning_rate must be > 0"),
        (cfg.train.decision_weight > 0, "train.decision_weight must be > 0"),
        (0.0 <= cfg.train.min_silence <= 1.0, "train.min_silence must be within [0, 1]"),
        (cfg.eval.call_threshold <= 1.0, "eval.call_threshold must be at most 1 (negative: calibrated)"),
        (cfg.train.optimizer in ("adamw",), "train.optimizer must be 'adamw'"),
        (cfg.train.lr_scheduler in ("cosine", "linear", "constant"), "train.lr_scheduler must be cosine, linear or constant"),
        (0.0 <= cfg.train.warmup_ratio < 1.0, "train.warmup_ratio must be in [0, 1)"),
        (cfg.model.template in TEMPLATES, f"model.template must be one of {', '.join(TEMPLATES)}"),
        (cfg.model.dtype in DTYPES, f"model.dtype must be one of {', '.join(DTYPES)}"),
        (cfg.model.threads >= 0, "model.threads must be >= 0 (0: physical cores)"),
        (cfg.eval.batch_size > 0, "eval.batch_size must be > 0"),
        (cfg.eval.max_new_tokens > 0, "eval.max_new_tokens must be > 0"),
        (cfg.eval.split in ("all", "dev", "test"), "eval.split must be all, dev or test"),
        (cfg.eval.replies in ("auto", "stop", "full"), "eval.replies must be auto, stop or full"),
        (cfg.eval.limit >= 0, "eval.limit must be >= 0 (0: all)"),
        (cfg.eval.sample >= 0, "eval.sample must be >= 0"),
        (cfg.eval.sample_round >= 1, "eval.sample_round must be >= 1"),
        (bool(cfg.train.output_dir.strip()), "train.output_dir must not be empty (it would write into the working directory)"),
        (cfg.train.save_total_limit >= 0, "train.save_total_limit must be >= 0 (0: keep every checkpoint)"),
        (cfg.train.save_steps >= 0, "train.save_steps must be >= 0"),
        (cfg.train.logging_steps >= 0, "train.logging_steps must be >= 0"),
        (cfg.train.weight_decay >= 0, "train.weight_decay must be >= 0"),
        (cfg.train.max_grad_norm >= 0, "train.max_grad_norm must be >= 0 (0: no clipping)"),
    ]
    for key, value in _float_settings(cfg):
        if not math.isfinite(value):
            raise ConfigError(f"config key '{key}' must be a finite number, got {value!r}")
    for ok, message in checks:
        if not ok:
            raise ConfigError(message)


def _float_settings(cfg: Config) -> Iterable[tuple[str, float]]:
    """``(section.key, value)`` of every float setting: inf or nan anywhere trains to NaN or never stops."""
    for section in dataclasses.fields(cfg):
        part = getattr(cfg, section.name)
        for f in dataclasses.fields(part):
            value = getattr(part, f.name)
            if isinstance(value, float):
                yield f"{section.name}.{f.name}", value


def to_dict(cfg: Config) -> dict[str, Any]:
    return dataclasses.asdict(cfg)


def dump_yaml(cfg: Config, path: str | Path | None = None) -> str:
    """The resolved config as YAML (written to ``path`` when given)."""
    text = yaml.safe_dump(to_dict(cfg), sort_keys=False, allow_unicode=True)
    if path:
        Path(path).write_text(text, encoding="utf-8")
    return text


def from_dict(tree: dict[str, Any]) -> Config:
    """Rebuild a config saved by ``dump_yaml`` (e.g. to resume a run)."""
    cfg = Config()
    for key, value in _flatten(tree):
        _set(cfg, key, value)
    return cfg


