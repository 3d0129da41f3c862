"""The ``fctune`` command line: a thin dispatcher with no logic of its own.

Each subcommand is a module of :mod:`fctune.commands` with ``add_arguments(parser)`` (cheap: no
torch import) and ``run(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

# name -> (module, one-line help). The module owns the arguments and the work.
COMMANDS: dict[str, tuple[str, str]] = {
    "data": ("fctune.commands.data", "build, validate and convert tool-calling data"),
    "inspect": ("fctune.commands.inspect", "show how samples are rendered and which tokens are trained"),
    "train": ("fctune.commands.train", "LoRA fine-tuning (PEFT) on tool-calling data"),
    "eval": ("fctune.commands.eval", "BFCL-style AST scoring of tool calls, base vs tuned"),
    "calibrate": ("fctune.commands.calibrate", "fit the call threshold again on items like those the model will meet"),
    "chat": ("fctune.commands.chat", "interactive terminal chat with tool calls"),
    "serve": ("fctune.commands.serve", "OpenAI-compatible server with tool_calls"),
    "merge": ("fctune.commands.merge", "merge a LoRA adapter into a full model"),
    "export": ("fctune.commands.export", "GGUF for llama.cpp / Ollama / LM Studio, checked in a real llama.cpp"),
}


def _load(module_name: str):
    """Import a command module; None when that command is not built yet."""
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return None
        raise


def add_commands(sub: argparse._SubParsersAction, commands: dict[str, tuple[str, str]], key: str) -> None:
    """One sub-parser per command; its module adds the arguments and sets ``key`` to its ``run``."""
    for name, (module_name, help_text) in commands.items():
        module = _load(module_name)
        p = sub.add_parser(name, help=help_text, description=help_text)
        if module is None or not hasattr(module, "run"):
            p.set_defaults(**{key: _not_built(p.prog)})
            continue
        module.add_arguments(p)
        p.set_defaults(**{key: module.run})


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fctune",
        description="Fine-tune small chat LLMs with LoRA so that they call tools correctly.",
    )
    from fctune import __version__

    parser.add_argument("--version", action="version", version=f"fctune {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    add_commands(sub, COMMANDS, "_run")
    return parser


def _not_built(prog: str):
    def run(_args: argparse.Namespace) -> int:
        print(f"{prog}: not built yet", file=sys.stderr)
        return 2

    return run


def main(argv: Sequence[str] | None = None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    from fctune.errors import FctuneError

    try:
        code = args._run(args)
    except FctuneError as exc:
        print(f"fctune {args.command}: error: {exc}", file=sys.stderr)
        code = exc.exit_code
    except KeyboardInterrupt:
        code = 130
    sys.exit(code or 0)


if __name__ == "__main__":
    main()
