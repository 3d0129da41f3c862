"""``fctune data`` subcommands, one module each with ``add_arguments`` and ``run``."""

from __future__ import annotations

import argparse

SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "seed": ("fctune.commands.data.seed", "write the original 15-sample Chinese data set"),
    "validate": ("fctune.commands.data.validate", "check a data file and print statistics"),
    "convert": ("fctune.commands.data.convert", "convert OpenAI / xLAM / Glaive / sharegpt / seed-text rows to the canonical format"),
    "synth": ("fctune.commands.data.synth", "generate synthetic tool-calling conversations"),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from fctune.cli import add_commands

    sub = parser.add_subparsers(dest="data_command", metavar="SUBCOMMAND", required=True)
    add_commands(sub, SUBCOMMANDS, "_data_run")


def run(args: argparse.Namespace) -> int:
    return args._data_run(args)
