"""Output directories that appear whole or not at all, and that only their own command replaces.

``merge`` and ``export`` write into a staging directory beside ``--out`` and rename it into place
once everything is written and checked. ``--overwrite`` replaces only a directory that the same
command wrote before (it holds the marker file :data:`MARKER` naming that command), never one that
is, holds or lies inside an input; the old directory is moved aside first and deleted only after the
new one is in place, so a failure at any point leaves one of the two intact.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterable

from fctune.errors import FctuneError

MARKER = ".fctune-output"
"""File in every published directory; its text is the command that wrote it."""


def check_out_dir(out_dir: Path, inputs: Iterable[Path], overwrite: bool, command: str) -> None:
    """Refuse ``out_dir`` when replacing it could destroy something: it is, holds or lies inside an
    input; or it exists with content and ``overwrite`` is off, or it was not written by ``command``."""
    target = out_dir.resolve()
    for path in inputs:
        source = Path(path).resolve()
        if target == source or target in source.parents or source in target.parents:
            raise FctuneError(f"--out {out_dir} must be apart from the input {path} (neither inside the other)")
    if not out_dir.exists() and not out_dir.is_symlink():
        return
    if not out_dir.is_dir():
        raise FctuneError(f"--out {out_dir} is a file, not a directory")
    if not any(out_dir.iterdir()):
        return
    if not overwrite:
        raise FctuneError(f"--out {out_dir} exists and is not empty (pass --overwrite to replace it)")
    marker = out_dir / MARKER
    if not marker.is_file() or marker.read_text(encoding="utf-8").strip() != command:
        raise FctuneError(f"--out {out_dir} was not written by fctune {command} (no {MARKER} naming it); "
                          "--overwrite replaces only such a directory: remove it yourself or choose another --out")


def staging_dir(out_dir: Path) -> Path:
    """A new empty directory beside ``out_dir`` (same file system, so the final rename is atomic),
    with the permissions a plain ``mkdir`` would give (``mkdtemp`` makes it private)."""
    parent = out_dir.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=parent, prefix=f".{out_dir.name}-"))
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)
    return tmp


def publish(tmp: Path, out_dir: Path, command: str) -> None:
    """Rename the finished ``tmp`` to ``out_dir``; an old ``out_dir`` (already checked by
    :func:`check_out_dir`) is moved aside first and removed only once the new one is in place."""
    (tmp / MARKER).write_text(command + "\n", encoding="utf-8")
    old = None
    if out_dir.exists():
        old = Path(tempfile.mkdtemp(dir=tmp.parent, prefix=f".{out_dir.name}-old-"))
        os.replace(out_dir, old / out_dir.name)
    try:
        os.replace(tmp, out_dir)
    except BaseException:
        if old is not None:
            os.replace(old / out_dir.name, out_dir)
            shutil.rmtree(old, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def check_output_dir(path: str | Path, what: str) -> Path:
    """Refuse an output directory that could not be written, before a run loads a model or generates
    for minutes (``what``: the flag or key, for the error). Nothing is created: a run that fails later
    leaves no empty directory behind."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise FctuneError(f"{what} {path} is a file, not a directory")
    existing = path
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise FctuneError(f"{what} {path}: {existing} is a file, not a directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise FctuneError(f"{what} {path}: {existing} is not writable")
    return path
