"""A real llama.cpp on an exported GGUF: the prompt it builds and what the model writes there.

llama.cpp is reached through node-llama-cpp (npm, pinned in :data:`fctune.assets.LLAMA_CPP_NPM`, its
prebuilt CPU binary, no network at run time) and ``runtimes/llamacpp.mjs``, which reads a request on
stdin and answers JSON. :func:`check_gguf` compares each answer with fctune's own rendering: the
embedded template's text (whole conversation and generation prompt), node-llama-cpp's chat-wrapper
prompt, llama.cpp's token ids, and the completion parsed by fctune's parser.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Sequence

from fctune.errors import FctuneError


class LlamaCppUnavailable(FctuneError):
    """node (or the node-llama-cpp runtime) is not installed here."""


def runtime_dir(install: bool = False) -> Path:
    """The installed node-llama-cpp runtime; with ``install``, fetch it first when missing (npm)."""
    from fctune.assets import AssetError, llamacpp_install_dir, llamacpp_runtime_dir

    if shutil.which("node") is None:
        raise LlamaCppUnavailable("node is not installed (apt-get install nodejs): no llama.cpp check")
    installed = llamacpp_install_dir()
    if not install and not (installed / "node_modules" / "node-llama-cpp").is_dir():
        raise LlamaCppUnavailable(f"node-llama-cpp is not installed in {installed} (make setup installs it)")
    try:
        return llamacpp_runtime_dir()
    except AssetError as exc:
        raise LlamaCppUnavailable(str(exc)) from exc


def run_llamacpp(gguf: str | Path, conversations: Sequence[dict], *, max_tokens: int = 64,
                 timeout: float = 600, install: bool = False) -> list[dict[str, Any]]:
    """Answers of llama.cpp for ``conversations`` (canonical rows: ``messages`` and ``tools``); see the module doc."""
    script = resources.files("fctune").joinpath("runtimes/llamacpp.mjs")
    request = {"gguf": str(Path(gguf).resolve()), "max_tokens": max_tokens,
               "conversations": [{"messages": c["messages"], "tools": c.get("tools") or []} for c in conversations]}
    with resources.as_file(script) as path:
        try:
            proc = subprocess.run(["node", str(path), str(runtime_dir(install))], input=json.dumps(request),
                                  capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise FctuneError(f"llama.cpp did not answer within {timeout:.0f} s on {gguf}") from exc
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise FctuneError(f"llama.cpp failed on {gguf}: {last}")
    try:
        results = json.loads(proc.stdout)["results"]
    except (ValueError, KeyError, TypeError) as exc:
        raise FctuneError(f"llama.cpp gave no readable answer on {gguf} ({exc})") from exc
    if len(results) != len(request["conversations"]):
        raise FctuneError(f"llama.cpp answered {len(results)} of {len(request['conversations'])} conversations on {gguf}")
    return results


@dataclass
class ConversationCheck:
    """How llama.cpp treated one conversation, against fctune."""

    template_text_equal: bool
    """The embedded template, rendered by the runtime's Jinja engine, equals fctune's rendering."""
    prompt_equal: bool
    wrapper_prompt_equal: bool | None
    """node-llama-cpp's own chat wrapper builds the same prompt (``None``: history it cannot express)."""
    tokens_equal: bool
    """llama.cpp's ids for the prompt equal fctune's."""
    text: str
    tokens: list[int] = field(default_factory=list)
    """llama.cpp's greedy completion (without the end-of-turn token)."""
    calls: list[dict] = field(default_factory=list)
    """The completion's tool calls as fctune's parser reads them."""

    @property
    def ok(self) -> bool:
        return self.template_text_equal and self.prompt_equal and self.tokens_equal and self.wrapper_prompt_equal is not False


def check_gguf(gguf: str | Path, fmt: Any, conversations: Sequence[dict], *, max_tokens: int = 64,
               install: bool = False) -> list[ConversationCheck]:
    """Run ``conversations`` through llama.cpp and compare each with ``fmt`` (the format training used)."""
    answers = run_llamacpp(gguf, conversations, max_tokens=max_tokens, install=install)
    checks = []
    for conversation, answer in zip(conversations, answers, strict=True):
        messages, tools = conversation["messages"], conversation.get("tools") or None
        prompt = fmt.prompt_text(messages, tools)
        wrapper = answer["wrapper_prompt"]
        parsed = fmt.parse(answer["text"])
        checks.append(ConversationCheck(
            template_text_equal=answer["template_full"] == fmt.render_text(messages, tools),
            prompt_equal=answer["template_prompt"] == prompt,
            wrapper_prompt_equal=None if wrapper is None else wrapper == prompt,
            tokens_equal=answer["prompt_tokens"] == fmt.encode(prompt),
            text=answer["text"], tokens=answer["completion_tokens"], calls=[c.as_dict() for c in parsed.tool_calls]))
    return checks
