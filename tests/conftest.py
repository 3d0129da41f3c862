"""Shared fixtures: the real Qwen3 tokenizer, a tiny random Qwen3 model that carries it, a ChatFormat
over a tokenizer, and the overfit tiny tool-calling model (builders in tests/helpers.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def qwen3_tokenizer_dir() -> Path:
    from fctune.assets import qwen3_tokenizer_dir

    return qwen3_tokenizer_dir()


@pytest.fixture(scope="session")
def qwen3_tokenizer(qwen3_tokenizer_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(qwen3_tokenizer_dir))


@pytest.fixture(scope="session")
def qwen25_dir() -> Path:
    """The real Qwen2.5-Coder-0.5B-Instruct directory (fetched and converted by `make setup`; fetched here
    when missing, never skipped)."""
    from fctune.models import resolve_model_path

    return Path(resolve_model_path("qwen2.5-0.5b"))


@pytest.fixture(scope="session")
def qwen25_tokenizer(qwen25_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(qwen25_dir))


@pytest.fixture(scope="module")
def one_thread():
    """Tiny models run fastest on one thread, and do not then fight other jobs for the cores."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def tok(qwen3_tokenizer):
    """The tokenizer ``fmt`` formats with: the real Qwen3 one, unless a module overrides ``tok``."""
    return qwen3_tokenizer


@pytest.fixture(scope="module")
def fmt(tok):
    """A ``ChatFormat`` over ``tok`` with the tokenizer's own template (one per module)."""
    from fctune.formats import ChatFormat

    return ChatFormat(tok)


@pytest.fixture(scope="session")
def tool_model(tmp_path_factory) -> Path:
    """The overfit tiny tool-calling model (tests.helpers.build_tool_model), built once per session."""
    from tests.helpers import build_tool_model

    return build_tool_model(tmp_path_factory.getbasetemp() / "tool-model")
