"""``fctune chat``: a real subprocess driven through piped stdin, with the overfit tiny tool model."""

from __future__ import annotations

import io
import json

import pytest

from fctune.errors import FctuneError
from tests.helpers import ANSWER, ASK, ASK_TWO, NO_TOOLS_ANSWER, PREFACE, RESULT, TOOLS, run_fctune

# The model is conftest's ``tool_model``: the overfit tiny Qwen3 the serve tests drive too.


def test_default_tools_are_the_original_ones():
    from fctune.commands.chat import describe_tools, load_tools
    from fctune.data.seed import original_tools

    tools = load_tools(None)
    assert tools == original_tools()
    lines = describe_tools(tools)
    assert len(lines) == len(tools) and lines[0].startswith("  get_weather(location*, date)")


def test_tools_file_is_checked(tmp_path):
    from fctune.commands.chat import load_tools

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
def test_chat_session_through_piped_stdin(tool_model, tmp_path):
    tools = tmp_path / "tools.json"
    tools.write_text(json.dumps(TOOLS))
    lines = ["/tools", ASK, RESULT, "/reset", ASK_TWO, "/skip", "/skip", "/frobnicate", "", "/exit", "never read"]
    proc = run_fctune("chat", "--model", str(tool_model), "--tools", str(tools), "--max-new-tokens", "64",
                      "--threads", "1", input="\n".join(lines) + "\n", timeout=180,
                      env={"TOKENIZERS_PARALLELISM": "false"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    expected = f"""you> /tools
1 tool(s) offered:
  get_weather(location*) - Get the weather for a city
you> {ASK}
assistant> {PREFACE}
  tool call: get_weather
    {{
      "location": "Paris"
    }}
result of get_weather> {RESULT}
assistant> {ANSWER}
you> /reset
(conversation reset)
you> {ASK_TWO}
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
def test_chat_without_tools_and_end_of_input(tool_model):
    from fctune.commands.chat import Chat
    from fctune.serving.engine import Engine, SamplingParams

    engine = Engine.load(str(tool_model))
    out = io.StringIO()
    chat = Chat(engine, [], SamplingParams(max_new_tokens=32), stdin=io.StringIO(ASK + "\n"), stdout=out,
                interactive=False)
    assert chat.loop() == 0  # end of input ends the session
    assert f"you> {ASK}\nassistant> {NO_TOOLS_ANSWER}\n" in out.getvalue()
    assert chat.messages[-1] == {"role": "assistant", "content": NO_TOOLS_ANSWER}
