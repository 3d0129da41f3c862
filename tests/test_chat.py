"""``fctune chat``: a real subprocess driven through piped stdin, with the overfit tiny tool model."""

from __future__ import annotations

import importlib.util
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fctune.errors import FctuneError


def _serve_tests():
    """The tool model recipe lives in test_serve.py (one definition for both files)."""
    spec = importlib.util.spec_from_file_location("_fctune_test_serve", Path(__file__).with_name("test_serve.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


S = _serve_tests()


@pytest.fixture(scope="session")
def chat_model(tmp_path_factory) -> Path:
    return S.build_tool_model(tmp_path_factory.getbasetemp() / "tool-model")


def test_default_tools_are_the_original_ones():
    from fctune.chat import describe_tools, load_tools
    from fctune.data.seed import original_tools

    tools = load_tools(None)
    assert tools == original_tools()
    lines = describe_tools(tools)
    assert len(lines) == len(tools) and lines[0].startswith("  get_weather(location*, date)")


def test_tools_file_is_checked(tmp_path):
    from fctune.chat import load_tools

    good = tmp_path / "tools.json"
    good.write_text(json.dumps({"tools": [{"name": "f", "description": "d"}]}))
    assert load_tools(str(good)) == [{"type": "function", "function": {
        "name": "f", "description": "d", "parameters": {"type": "object", "properties": {}}}}]
    for text, reason in [("{nope", "not valid JSON"), ('{"a": 1}', "expected a JSON list"), ("[3]", "must be an object")]:
        bad = tmp_path / "bad.json"
        bad.write_text(text)
        with pytest.raises(FctuneError, match=reason):
            load_tools(str(bad))
    with pytest.raises(FctuneError, match="missing.json"):
        load_tools(str(tmp_path / "missing.json"))


@pytest.mark.slow
def test_chat_session_through_piped_stdin(chat_model, tmp_path):
    tools = tmp_path / "tools.json"
    tools.write_text(json.dumps(S.TOOLS))
    lines = ["/tools", S.ASK, S.RESULT, "/reset", S.ASK_TWO, "/skip", "/skip", "/frobnicate", "", "/exit", "never read"]
    env = {**os.environ, "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.run([sys.executable, "-m", "fctune", "chat", "--model", str(chat_model), "--tools", str(tools),
                           "--max-new-tokens", "64", "--threads", "1"], input="\n".join(lines) + "\n",
                          capture_output=True, text=True, timeout=180, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    expected = f"""you> /tools
1 tool(s) offered:
  get_weather(location*) - Get the weather for a city
you> {S.ASK}
assistant> {S.PREFACE}
  tool call: get_weather
    {{
      "location": "Paris"
    }}
result of get_weather> {S.RESULT}
assistant> {S.ANSWER}
you> /reset
(conversation reset)
you> {S.ASK_TWO}
  tool call: get_weather
    {{
      "location": "Paris"
    }}
  tool call: get_weather
    {{
      "location": "Tokyo"
    }}
result of get_weather> /skip
result of get_weather> /skip
(skipped: the calls stay unanswered)
you> /frobnicate
unknown command /frobnicate;"""
    assert expected in out, out
    assert "tools: get_weather" in out.splitlines()[0]
    assert out.rstrip().endswith("you> /exit") and "never read" not in out


@pytest.mark.slow
def test_chat_without_tools_and_end_of_input(chat_model):
    from fctune.chat import Chat
    from fctune.serving.engine import Engine, SamplingParams

    engine = Engine.load(str(chat_model))
    out = io.StringIO()
    chat = Chat(engine, [], SamplingParams(max_new_tokens=32), stdin=io.StringIO(S.ASK + "\n"), stdout=out,
                interactive=False)
    assert chat.loop() == 0  # end of input ends the session
    assert f"you> {S.ASK}\nassistant> {S.NO_TOOLS_ANSWER}\n" in out.getvalue()
    assert chat.messages[-1] == {"role": "assistant", "content": S.NO_TOOLS_ANSWER}
