"""``fctune train [CONFIG.yaml] [key=value ...] [--resume]``: arguments -> :class:`fctune.config.Config` -> :func:`fctune.train.train`."""

from __future__ import annotations

import argparse
from pathlib import Path

from fctune.commands.options import add_config_arguments, add_runtime_arguments, config_file_and_overrides, runtime_overrides
from fctune.config import Config, load_config
from fctune.train import train


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_arguments(parser)
    add_runtime_arguments(parser)  # --adapter DIR: where the adapter is written (train.output_dir)
    parser.add_argument("--resume", action="store_true",
                        help="continue from the last checkpoint in train.output_dir (same data order and schedule); "
                             "without CONFIG.yaml the run's saved fctune_config.yaml is used")


def run(args: argparse.Namespace) -> int:
    path, overrides = config_file_and_overrides(args)
    overrides += runtime_overrides(args)
    cfg = _with_adapter_dir(load_config(path, overrides))
    if args.resume and not path:
        saved = Path(cfg.train.output_dir) / "fctune_config.yaml"
        if saved.is_file():
            cfg = _with_adapter_dir(load_config(saved, overrides))
    train(cfg, resume=args.resume, log=lambda line: print(line, flush=True))
    return 0


def _with_adapter_dir(cfg: Config) -> Config:
    """``model.adapter`` (``--adapter``) names the directory the run writes: it is ``train.output_dir``."""
    if cfg.model.adapter:
        cfg.train.output_dir = cfg.model.adapter
    return cfg
