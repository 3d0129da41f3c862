"""Command-line options shared by the commands: the positional ``[CONFIG.yaml] [key=value ...]``,
and the runtime flags every command takes with one meaning (``--model --adapter --template --dtype
--device --threads --thinking`` and ``--config FILE``), all mapped onto :class:`fctune.config.Config`
keys, so that a flag, a YAML file and a ``key=value`` override are three spellings of one setting."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from fctune.config import DTYPES, TEMPLATES, Config, load_config
from fctune.errors import ConfigError


RUNTIME_FLAGS: dict[str, tuple[str, dict[str, Any]]] = {
    "--model": ("model.name_or_path", {"metavar": "MODEL", "help": "model: local HF directory, .gguf file, alias (qwen2.5-0.5b, smollm2-135m, "
                                               "tiny-qwen3) or hub id (model.name_or_path)"}),
    "--adapter": ("model.adapter", {"metavar": "DIR", "help": "LoRA adapter directory (model.adapter)"}),
    "--template": ("model.template", {"choices": TEMPLATES, "help": "chat template, as in training (model.template)"}),
    "--dtype": ("model.dtype", {"choices": DTYPES, "help": "weights dtype (auto: fp32 on CPU, bf16 on GPU; in merge, the dtype saved, auto: the base checkpoint's)"}),
    "--device": ("model.device", {"metavar": "DEVICE", "help": "auto, cpu, cuda, cuda:1, ... (model.device)"}),
    "--threads": ("model.threads", {"type": int, "metavar": "N", "help": "CPU threads (default: physical cores; model.threads)"}),
    "--thinking": ("model.enable_thinking", {"action": "store_const", "const": "true",
                                             "help": "Qwen3 thinking mode, as in a thinking-mode training run"}),
    "--allow-other-base": ("model.allow_other_base", {"action": "store_const", "const": "true",
                                                      "help": "load an adapter on a base other than the one it was "
                                                              "trained on (model.allow_other_base)"}),
}
"""The runtime flags every command takes: flag -> (config key, argparse options). A flag that is given
overrides the config file; one that is not leaves it (or the default) alone."""


def add_runtime_arguments(parser: Any) -> None:
    """``--model --adapter --template --dtype --device --threads --thinking`` and ``--config FILE``:
    the same names and meaning in every command, all mapped onto the config's ``model`` section."""
    parser.add_argument("--config", dest="config_file", default=None, metavar="FILE",
                        help="YAML config whose model section (and others) the flags override")
    for flag, (key, options) in RUNTIME_FLAGS.items():
        parser.add_argument(flag, dest=_dest(key), default=None, **options)


def add_call_threshold_argument(parser: Any) -> None:
    """``--call-threshold P`` (``eval.call_threshold``) for the commands that generate answers."""
    parser.add_argument("--call-threshold", type=float, default=None, metavar="P",
                        help="greedy answers to a user open with a tool call iff the model gives it at least this "
                        "probability, and answers after a tool result are plain greedy (eval.call_threshold; "
                        "default: the calibrated call_threshold.json of the adapter or merged model, both rules, "
                        "else 0.5; 0: plain greedy, the likeliest single token)")


def call_threshold(args: Any, cfg: Config) -> float:
    """The call threshold a generating command runs with: ``--call-threshold``, else ``eval.call_threshold``
    of the config; a negative one is the calibrated threshold of the adapter or merged model
    (:func:`fctune.calibrate.resolve_threshold`)."""
    from fctune.calibrate import resolve_threshold

    return resolve_threshold(_requested(args, cfg), cfg.model.adapter, cfg.model.name_or_path)


def after_tool_threshold(args: Any, cfg: Config) -> float:
    """The threshold after tool results that goes with :func:`call_threshold`
    (:func:`fctune.calibrate.resolve_after_tool_threshold`)."""
    from fctune.calibrate import resolve_after_tool_threshold

    return resolve_after_tool_threshold(_requested(args, cfg), cfg.model.adapter, cfg.model.name_or_path)


def _requested(args: Any, cfg: Config) -> float | None:
    return args.call_threshold if args.call_threshold is not None else cfg.eval.call_threshold


def _dest(key: str) -> str:
    return "rt_" + key.replace(".", "_")


def runtime_overrides(args: Any) -> list[str]:
    """``key=value`` overrides for the runtime flags given on the command line."""
    out = []
    for _flag, (key, _options) in RUNTIME_FLAGS.items():
        value = getattr(args, _dest(key), None)
        if value is not None:
            out.append(f"{key}={value}")
    return out


def runtime_config(args: Any, overrides: Iterable[str] = ()) -> "Config":
    """The config of a command that took :func:`add_runtime_arguments`: defaults, ``--config FILE``,
    then ``overrides``, then the runtime flags that were given."""
    return load_config(getattr(args, "config_file", None), [*overrides, *runtime_overrides(args)])


def names_a_model(args: Any, cfg: Config) -> bool:
    """Whether ``--model`` or the ``--config`` file named the model (rather than the default)."""
    from fctune.config import ModelConfig

    return getattr(args, _dest("model.name_or_path"), None) is not None or \
        cfg.model.name_or_path != ModelConfig().name_or_path


def runtime_config_with_model(args: Any, overrides: Iterable[str] = ()) -> "Config":
    """:func:`runtime_config` for commands that cannot run without a model named by ``--model`` or
    by the ``--config`` file (the default hub id is no choice a command should make silently)."""
    cfg = runtime_config(args, overrides)
    if not names_a_model(args, cfg):
        raise ConfigError("--model is required (a directory, .gguf file, alias or hub id), or --config FILE "
                          "with model.name_or_path")
    return cfg


def add_config_arguments(parser: Any, with_file: bool = True) -> None:
    """Positional ``[CONFIG.yaml] [key=value ...]`` shared by train, eval and the rest."""
    if with_file:
        parser.add_argument("config", nargs="?", default=None, metavar="CONFIG.yaml",
                            help="YAML config (sections model, data, lora, train, eval); defaults are the original recipe")
    parser.add_argument("overrides", nargs="*", default=[], metavar="key=value",
                        help="dotted overrides applied after the file, e.g. lora.r=8 train.num_epochs=1")


def config_file_and_overrides(args: Any) -> tuple[str | None, list[str]]:
    """(the config file: positional ``CONFIG.yaml`` or ``--config FILE``, the ``key=value`` overrides)."""
    path = getattr(args, "config", None)
    overrides = list(getattr(args, "overrides", []) or [])
    if path and "=" in path and not Path(path).is_file():
        overrides.insert(0, path)
        path = None
    flag = getattr(args, "config_file", None)
    if path and flag:
        raise ConfigError(f"two config files ({path} and --config {flag}): give one")
    return path or flag, overrides
