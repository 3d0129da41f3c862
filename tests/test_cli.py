"""The CLI: every command and option has help; errors exit non-zero with a message."""

from __future__ import annotations

import subprocess
import sys

import pytest

from fctune.cli import COMMANDS, build_parser
from tests.helpers import run_fctune


def test_top_level_help_lists_every_command():
    proc = run_fctune("--help")
    assert proc.returncode == 0
    for name in COMMANDS:
        assert name in proc.stdout


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_option_has_help(name):
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices[name]
    parsers = [sub]
    for action in sub._actions:
        if action.dest == "data_command":
            parsers.extend(action.choices.values())
    for p in parsers:
        for action in p._actions:
            if action.dest in ("help", "data_command"):
                continue
            assert action.help, f"{p.prog}: option {action.option_strings or action.dest} has no help"


def test_console_script_is_installed():
    import shutil
    from pathlib import Path

    exe = Path(sys.executable).with_name("fctune")
    assert exe.exists() or shutil.which("fctune")
    proc = subprocess.run([str(exe) if exe.exists() else "fctune", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and "fctune" in proc.stdout
