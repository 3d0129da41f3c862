"""The one place that knows the chat format: render conversations to token ids + trainable mask,
build inference prompts, and parse tool calls back out of generated text (the inverse pair).

Training, evaluation, chat and serving all go through :class:`ChatFormat`, so the prompt a model
is trained under is, token for token, the prompt it is asked under later.

Layout (Qwen3's native hermes style, ChatML turns)::

    <|im_start|>assistant
    <think>\n\n</think>\n\n            <- only in Qwen3's non-thinking generation prompt
    preface text
    <tool_call>
    {"name": "get_weather", "arguments": {"location": "北京"}}
    </tool_call><|im_end|>

Parity invariant (../shared/NOTES.md §2): for every trained assistant turn, the ids before its first
trained token equal ``apply_chat_template(history, tools, add_generation_prompt=True,
enable_thinking=False)``. A single rendering of a multi-step conversation cannot hold this for every
turn (Qwen3 writes the empty think block only on the last assistant turn), so each trained assistant
turn becomes its own sample whose prefix is exactly its inference prompt.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Iterable, Sequence

from fctune.errors import FctuneError

IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
TOOL_CALL_OPEN = "<tool_call>"
TOOL_CALL_CLOSE = "</tool_call>"
THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"
END_OF_TEXT = "<|endoftext|>"
END_MARKERS = (IM_END, END_OF_TEXT)
"""Where :func:`parse` cuts generated text; generation stops when one is written."""
TEMPLATES = ("auto", "own", "hermes")
"""``auto``: the model's own chat template when it knows tools, else the built-in hermes one; ``own``:
insist on the model's; ``hermes``: the built-in one (``templates/hermes.jinja``)."""
IGNORE_INDEX = -100
"""Label value for positions without loss (the PyTorch cross-entropy convention)."""

THINK_RE = re.compile(r"^\s*<think>(.*?)</think>\s*", re.S)
"""A leading (possibly empty) think block, as :func:`parse` reads it."""
_PY_CALL_RE = re.compile(r"^([A-Za-z_][\w.\-]*)\s*\((.*)\)\s*;?\s*$", re.S)


def builtin_template(name: str = "hermes") -> str:
    """A built-in Jinja chat template (ChatML turns, hermes tool layout) for models without one."""
    return resources.files("fctune").joinpath(f"templates/{name}.jinja").read_text(encoding="utf-8")


# --------------------------------------------------------------------------------------------
# Tool calls and parsing
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ToolCall:
    """One function call: a name and a JSON object of arguments."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)

    def to_message(self) -> dict[str, Any]:
        """Canonical ``tool_calls`` entry (arguments as an object)."""
        return {"type": "function", "function": {"name": self.name, "arguments": self.arguments}}

    def to_openai(self, call_id: str) -> dict[str, Any]:
        """OpenAI response shape: ``function.arguments`` as a JSON string."""
        return {"id": call_id, "type": "function",
                "function": {"name": self.name, "arguments": json.dumps(self.arguments, ensure_ascii=False)}}

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "arguments": self.arguments}

    @staticmethod
    def from_message(call: dict[str, Any]) -> "ToolCall":
        """From a canonical / OpenAI ``tool_calls`` entry (arguments as object or JSON string)."""
        fn = call.get("function", call)
        args = fn.get("arguments", {})
        if isinstance(args, str):
            args = json.loads(args) if args.strip() else {}
        return ToolCall(fn["name"], args)


@dataclass
class Parsed:
    """What a generated assistant turn says: text, tool calls, and why parts failed to parse."""

    content: str
    tool_calls: list[ToolCall]
    errors: list[str]
    reasoning: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors


def _call_from_obj(obj: Any) -> ToolCall:
    """A :class:`ToolCall` from a decoded ``{"name", "arguments"}`` object (``parameters`` also read;
    ``arguments`` may be a JSON string). Raises ``ValueError`` with the reason when it is not a call."""
    if not isinstance(obj, dict):
        raise ValueError(f"tool call must be a JSON object, got {type(obj).__name__}")
    name = obj.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValueError("tool call has no 'name' string")
    args = obj.get("arguments", obj.get("parameters", {}))
    if isinstance(args, str):
        try:
            args = json.loads(args) if args.strip() else {}
        except json.JSONDecodeError as exc:
            raise ValueError(f"arguments of '{name}' are a string that is not JSON: {exc.msg}") from None
        except RecursionError:
            raise ValueError(f"arguments of '{name}' are a string nested too deeply to read") from None
    if args is None:
        args = {}
    if not isinstance(args, dict):
        raise ValueError(f"arguments of '{name}' must be a JSON object, got {type(args).__name__}")
    return ToolCall(name.strip(), args)


def _decode_json_calls(text: str, pos: int) -> tuple[list[ToolCall], int]:
    """JSON call objects (or one JSON list of them) from ``text[pos:]``, separated by whitespace or
    commas. Returns the calls and the index after the last one; raises ``ValueError``."""
    decoder = json.JSONDecoder()
    calls: list[ToolCall] = []
    try:
        while pos < len(text) and text[pos] in "{[":
            obj, pos = decoder.raw_decode(text, pos)
            for item in obj if isinstance(obj, list) else [obj]:
                calls.append(_call_from_obj(item))
            while pos < len(text) and text[pos] in " \t\r\n,":
                pos += 1
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON in <tool_call>: {exc.msg} at char {exc.pos}") from None
    except RecursionError:  # json's decoder recurses once per nesting level: a hostile answer ends here
        raise ValueError("JSON in <tool_call> nested too deeply to read") from None
    if not calls:
        raise ValueError("a JSON list in <tool_call> holds no call")
    return calls, pos


def _dotted_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = _dotted_name(node.value)
        return f"{head}.{node.attr}" if head else None
    return None


def _python_call(text: str) -> ToolCall | None:
    """``name(key=value, ...)`` with literal values (BFCL's prompt style), or ``None`` when ``text``
    is no Python call at all. Raises ``ValueError`` when it is one but cannot be read as a call."""
    try:
        node = ast.parse(text.rstrip().rstrip(";"), mode="eval").body
    except SyntaxError:
        return None
    if not isinstance(node, ast.Call):
        return None
    name = _dotted_name(node.func)
    if name is None:
        raise ValueError("the called function is not a (dotted) name")
    if node.args:
        raise ValueError(f"{name}(...) has positional arguments; use key=value or one JSON object")
    args: dict[str, Any] = {}
    for kw in node.keywords:
        if kw.arg is None:
            raise ValueError(f"{name}(**...) cannot be read as arguments")
        try:
            args[kw.arg] = ast.literal_eval(kw.value)
        except (ValueError, SyntaxError, TypeError):
            raise ValueError(f"argument {kw.arg!r} of {name}(...) is not a literal value") from None
    return ToolCall(name, args)


def parse_call_body(body: str) -> list[ToolCall]:
    """The inside of one ``<tool_call>`` block: JSON object(s) or a JSON list of them, the original
    spec's ``name({...})`` form, or ``name(key=value, ...)``. Raises ``ValueError`` with the reason."""
    text = body.strip()
    if not text:
        raise ValueError("empty <tool_call> block")
    if text[0] in "{[":
        calls, end = _decode_json_calls(text, 0)
        if end < len(text):
            raise ValueError(f"unexpected text after the JSON call in <tool_call>: {text[end:end + 40]!r}")
        return calls
    match = _PY_CALL_RE.match(text)
    if match and match.group(2).strip().startswith("{"):
        name, inner = match.group(1), match.group(2).strip()
        try:
            args = json.loads(inner)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{name}(...): arguments are not valid JSON ({exc.msg})") from None
        except RecursionError:
            raise ValueError(f"{name}(...): arguments nested too deeply to read") from None
        return [_call_from_obj({"name": name, "arguments": args})]
    call = _python_call(text)
    if call is not None:
        return [call]
    if match:
        raise ValueError(f"cannot read the arguments of {match.group(1)}(...): {text[:60]!r}")
    raise ValueError(f"<tool_call> holds neither JSON nor name({{...}}): {text[:60]!r}")


def _untagged_calls(text: str) -> list[str]:
    """Names of JSON call objects (``{"name": ..., "arguments": ...}``) written outside the tags:
    they look like calls but are not decodable as calls, so they are parse failures."""
    names: list[str] = []
    decoder = json.JSONDecoder()
    pos = text.find("{")
    while pos >= 0:
        try:
            obj, end = decoder.raw_decode(text, pos)
        except (json.JSONDecodeError, RecursionError):
            pos = text.find("{", pos + 1)
            continue
        if isinstance(obj, dict) and isinstance(obj.get("name"), str) and ("arguments" in obj or "parameters" in obj):
            names.append(obj["name"])
        pos = text.find("{", end)
    return names


_BFCL_QWEN_FC_RE = re.compile(re.escape(TOOL_CALL_OPEN) + r"\n(.*?)\n" + re.escape(TOOL_CALL_CLOSE), re.S)


def bfcl_qwen_fc_calls(text: str) -> list[Any]:
    """The call objects the BFCL leaderboard's Qwen function-calling handler reads from an answer
    (bfcl-eval 2026.3.23, ``model_handler/local_inference/qwen_fc.py``, ``_extract_tool_calls``): every
    block written exactly ``<tool_call>\n...\n</tool_call>`` after the last ``</think>``, its JSON
    loaded; a block that does not load is skipped, text around blocks is ignored. Stricter on layout and looser on errors than
    :func:`parse`: scoring with it reproduces the leaderboard's reading of an answer, not ours."""
    if THINK_CLOSE in text:  # the handler scores what follows the thinking (_parse_query_response_prompting)
        text = text.split(THINK_CLOSE)[-1].lstrip("\n")
    out = []
    for body in _BFCL_QWEN_FC_RE.findall(text):
        try:
            out.append(json.loads(body))
        except (ValueError, RecursionError):  # the handler skips whatever does not load
            pass
    return out


def forced_call_prefix(function: str | None = None) -> str:
    """The start of an answer that must be a tool call (``tool_choice="required"``), or a call to
    ``function`` (a named ``tool_choice``): what the model writes first when it calls."""
    if function is None:
        return TOOL_CALL_OPEN + "\n"
    return TOOL_CALL_OPEN + '\n{"name": ' + json.dumps(function, ensure_ascii=False)[:-1]


def parse(text: str) -> Parsed:
    """Read tool calls out of generated assistant text.

    Tolerates text around calls, a (possibly empty) leading think block, a trailing ``<|im_end|>``
    and ``<|endoftext|>``. A ``<tool_call>`` block that does not parse (or is never closed) is reported
    in ``errors`` with the reason; the calls that do parse are still returned. A call object written
    without the tags is reported as an error too (it looks like a call but is none).
    """
    reasoning = ""
    match = THINK_RE.match(text)
    if match:
        reasoning = match.group(1).strip()
        text = text[match.end():]
    for stop in END_MARKERS:
        cut = text.find(stop)
        if cut >= 0:
            text = text[:cut]
    calls: list[ToolCall] = []
    errors: list[str] = []
    pieces: list[str] = []
    pos = 0
    while True:
        start = text.find(TOOL_CALL_OPEN, pos)
        if start < 0:
            pieces.append(text[pos:])
            break
        pieces.append(text[pos:start])
        body_start = start + len(TOOL_CALL_OPEN)
        # JSON first, so that a string argument holding "</tool_call>" does not end the block.
        first = body_start
        while first < len(text) and text[first].isspace():
            first += 1
        if first < len(text) and text[first] in "{[":
            try:
                found, after = _decode_json_calls(text, first)
            except ValueError:
                found = None
            if found is not None and text.startswith(TOOL_CALL_CLOSE, after):
                calls.extend(found)
                pos = after + len(TOOL_CALL_CLOSE)
                continue
        end = text.find(TOOL_CALL_CLOSE, body_start)
        body = text[body_start:] if end < 0 else text[body_start:end]
        try:
            calls.extend(parse_call_body(body))
            if end < 0:
                errors.append("unclosed <tool_call> (generation cut off?)")
        except ValueError as exc:
            errors.append(str(exc) + ("" if end >= 0 else " (unclosed <tool_call>)"))
        if end < 0:
            break
        pos = end + len(TOOL_CALL_CLOSE)
    if TOOL_CALL_CLOSE in "".join(pieces):
        errors.append("</tool_call> without an opening <tool_call>")
    content = "\n".join(p.strip() for p in pieces if p.strip())
    for name in _untagged_calls(content):
        errors.append(f"call to {name!r} written as JSON without <tool_call> tags")
    return Parsed(content=content, tool_calls=calls, errors=errors, reasoning=reasoning)


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------


@dataclass
class Rendered:
    """One training sample: the ids of one assistant turn and the context it was generated under."""

    input_ids: list[int]
    trainable: list[int]
    """1 where the token carries loss (the assistant's text, calls and ``<|im_end|>``), else 0."""
    turn: int
    """Index in ``messages`` of the assistant turn this sample trains."""

    @property
    def prompt_length(self) -> int:
        """Tokens before the first trained one (the inference prompt of this turn)."""
        return self.trainable.index(1) if 1 in self.trainable else len(self.trainable)

    def labels(self) -> list[int]:
        """Labels for causal-LM loss: the token where trained, ``IGNORE_INDEX`` elsewhere.

        The only place labels are made; the model shifts them by one internally.
        """
        return [tok if keep else IGNORE_INDEX for tok, keep in zip(self.input_ids, self.trainable)]


class ChatFormat:
    """Renders conversations for one tokenizer and parses its model's output.

    ``template``: ``auto`` uses the tokenizer's own chat template when it knows tools (Qwen3) and
    the built-in hermes template otherwise (SmolLM2 and other ChatML models); ``own`` insists on
    the tokenizer's; ``hermes`` forces the built-in one. The chosen template is set on the
    tokenizer, so saving the tokenizer saves the template that was actually used.
    """

    def __init__(self, tokenizer: Any, template: str = "auto", enable_thinking: bool = False):
        self.tokenizer = tokenizer
        self.enable_thinking = enable_thinking
        own = getattr(tokenizer, "chat_template", None)
        if isinstance(own, dict):  # several named templates: take the default one
            own = own.get("default")
        own_knows_tools = bool(own) and "tools" in own and "tool_call" in own
        if template == "own" and not own_knows_tools:
            raise FctuneError("model.template=own, but the tokenizer's chat template has no tool support; use 'auto' or 'hermes'")
        if template not in TEMPLATES:
            raise FctuneError(f"unknown template {template!r}: use {', '.join(TEMPLATES)}")
        self.template_name = "own" if (template != "hermes" and own_knows_tools) else "hermes"
        if self.template_name == "hermes":
            tokenizer.chat_template = builtin_template("hermes")
        self.end_of_turn_id = self._single_token(IM_END)
        self.stop_token_ids = sorted({self.end_of_turn_id, *([tokenizer.eos_token_id] if tokenizer.eos_token_id is not None else [])})
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token

    def _single_token(self, text: str) -> int:
        ids = self.tokenizer.encode(text, add_special_tokens=False)
        if len(ids) != 1:
            raise FctuneError(f"the tokenizer has no single {text} token: fctune needs a ChatML model (Qwen3, SmolLM2, ...)")
        return ids[0]

    # ---- text ------------------------------------------------------------------------------

    def render_text(self, messages: Sequence[dict], tools: Sequence[dict] | None = None,
                    add_generation_prompt: bool = False) -> str:
        """The chat template applied to ``messages`` (canonical format)."""
        return self.tokenizer.apply_chat_template(
            [dict(m) for m in messages], tools=list(tools) if tools else None, tokenize=False,
            add_generation_prompt=add_generation_prompt, enable_thinking=self.enable_thinking)

    def encode(self, text: str) -> list[int]:
        return self.tokenizer(text, add_special_tokens=False)["input_ids"]

    def prompt_text(self, messages: Sequence[dict], tools: Sequence[dict] | None = None) -> str:
        """What the model is shown before it writes the next assistant turn."""
        return self.render_text(messages, tools, add_generation_prompt=True)

    def prompt_ids(self, messages: Sequence[dict], tools: Sequence[dict] | None = None) -> list[int]:
        """Inference prompt ids for the next assistant turn after ``messages``."""
        return self.encode(self.prompt_text(messages, tools))

    def client_prompt_ids(self, messages: Sequence[dict], tools: Sequence[dict] | None = None) -> list[int]:
        """:meth:`prompt_ids` for text that comes from a client (chat, serve): a special token's text
        typed in a message, a tool result or a tool schema (``<|im_start|>system``, ``<tool_call>``, ...)
        is encoded as ordinary text, never as the control token, so no one can forge a turn or a call."""
        added = sorted({t for t in self._added_texts() if t}, key=len, reverse=True)
        found: dict[str, str] = {}

        def protect(value: Any) -> Any:
            if isinstance(value, str):
                for token in added:
                    if token in value:
                        marker = found.setdefault(token, f"\ue000{chr(0xE100 + len(found))}\ue001")
                        value = value.replace(token, marker)
                return value
            if isinstance(value, dict):
                return {k: protect(v) for k, v in value.items()}
            if isinstance(value, list):
                return [protect(v) for v in value]
            return value

        safe_messages, safe_tools = protect(list(messages)), protect(list(tools) if tools else None)
        if not found:
            return self.prompt_ids(messages, tools)
        text = self.prompt_text(safe_messages, safe_tools)
        back = {marker: token for token, marker in found.items()}
        ids: list[int] = []
        for piece in re.split("(\ue000.\ue001)", text):
            ids += self._plain_ids(back[piece]) if piece in back else (self.encode(piece) if piece else [])
        return ids

    def _added_texts(self) -> list[str]:
        return [t.content for t in getattr(self.tokenizer, "added_tokens_decoder", {}).values()]

    def _plain_ids(self, text: str) -> list[int]:
        """``text`` as ordinary tokens: split before any added token it would otherwise become."""
        if not any(t and t in text for t in self._added_texts()):
            return self.encode(text)
        return self.encode(text[:1]) + self._plain_ids(text[1:])

    def completion_text(self, history: Sequence[dict], message: dict, tools: Sequence[dict] | None = None) -> str:
        """The trained text of assistant ``message`` after ``history``: its content, calls and ``<|im_end|>``.

        Derived from the template itself (full rendering minus the generation prompt), so what is
        trained is exactly what the template would show, and what inference would produce.
        """
        prompt = self.prompt_text(history, tools)
        full = self.render_text([*history, message], tools, add_generation_prompt=False)
        if not full.startswith(prompt):
            raise FctuneError(
                "chat template breaks train/inference parity: the rendered assistant turn does not "
                f"start with the generation prompt (prompt ends {prompt[-40:]!r}, turn reads {full[len(prompt) - 40:len(prompt) + 20]!r})")
        completion = full[len(prompt):]
        end = completion.rfind(IM_END)
        assert end >= 0, "assistant turn without <|im_end|>"
        return completion[: end + len(IM_END)]

    def assistant_text(self, content: str, calls: Iterable[ToolCall]) -> str:
        """How an assistant turn with ``content`` and ``calls`` reads in this format (no ``<|im_end|>``)."""
        history = [{"role": "user", "content": "x"}]
        message = {"role": "assistant", "content": content, "tool_calls": [c.to_message() for c in calls] or None}
        if message["tool_calls"] is None:
            del message["tool_calls"]
        return self.completion_text(history, message)[: -len(IM_END)]

    # ---- training --------------------------------------------------------------------------

    def render_turn(self, messages: Sequence[dict], turn: int, tools: Sequence[dict] | None = None) -> Rendered:
        """Sample for assistant turn ``turn``: its inference prompt (untrained) + its completion (trained)."""
        message = messages[turn]
        assert message["role"] == "assistant", f"messages[{turn}] is not an assistant turn"
        prompt_ids = self.prompt_ids(messages[:turn], tools)
        completion_ids = self.encode(self.completion_text(messages[:turn], message, tools))
        assert completion_ids and completion_ids[-1] == self.end_of_turn_id
        return Rendered(input_ids=prompt_ids + completion_ids,
                        trainable=[0] * len(prompt_ids) + [1] * len(completion_ids), turn=turn)

    def render_training(self, conversation: dict) -> list[Rendered]:
        """One sample per assistant turn of a canonical conversation (see the module docstring)."""
        messages = conversation["messages"]
        tools = conversation.get("tools") or None
        return [self.render_turn(messages, i, tools) for i, m in enumerate(messages) if m["role"] == "assistant"]

    # ---- generation ------------------------------------------------------------------------

    @property
    def call_start_id(self) -> int:
        """The token an assistant turn starts with when it opens with a tool call (Qwen3: the special
        ``<tool_call>``; hermes on other tokenizers: the first piece of ``<tool_call>``). Read off a
        rendered call turn, so it is the token training teaches for that decision."""
        if getattr(self, "_call_start_id", None) is None:
            tool = {"type": "function", "function": {"name": "f", "description": "d",
                                                     "parameters": {"type": "object", "properties": {}}}}
            call = {"type": "function", "function": {"name": "f", "arguments": {}}}
            turn = self.render_training({"tools": [tool], "messages": [
                {"role": "user", "content": "x"}, {"role": "assistant", "content": "", "tool_calls": [call]}]})[0]
            self._call_start_id = turn.input_ids[turn.prompt_length]
        return self._call_start_id

    def special_tokens(self) -> list[tuple[str, int]]:
        """``(text, id)`` of every added (special) token this format writes: read off the rendering of
        a conversation with a call, a tool result, a final answer and a generation prompt, so it is
        the template's own set (ChatML turns, tool tags, Qwen3's think and tool-response tags)."""
        tool = {"type": "function", "function": {"name": "f", "description": "d",
                                                 "parameters": {"type": "object", "properties": {}}}}
        call = {"type": "function", "function": {"name": "f", "arguments": {}}}
        messages = [{"role": "system", "content": "s"}, {"role": "user", "content": "x"},
                    {"role": "assistant", "content": "", "tool_calls": [call]},
                    {"role": "tool", "name": "f", "content": "{}"}, {"role": "assistant", "content": "y"}]
        ids = self.encode(self.render_text(messages, [tool])) + self.prompt_ids(messages, [tool])
        added = {int(i): t.content for i, t in getattr(self.tokenizer, "added_tokens_decoder", {}).items()}
        seen = dict.fromkeys(i for i in ids if i in added)
        return [(added[i], i) for i in seen]

    def parse(self, text: str) -> Parsed:
        """Parse generated text (see :func:`parse`)."""
        return parse(text)

    def runtime_template(self) -> str:
        """The chat template for runtimes that render it without fctune's arguments (llama.cpp,
        LM Studio): Qwen3's template thinks unless told ``enable_thinking=false``, so for a format
        trained without thinking it gets that as its default (an explicit argument still wins)."""
        template = self.tokenizer.chat_template
        if "enable_thinking" not in template:
            return template
        default = "true" if self.enable_thinking else "false"
        return ("{%- if enable_thinking is not defined %}{%- set enable_thinking = " + default
                + " %}{%- endif %}\n" + template)

    def ollama_modelfile(self, gguf_path: str, call_threshold: float | None = None) -> str:
        """An Ollama Modelfile that prompts as this format does (see :func:`ollama_modelfile`)."""
        return ollama_modelfile(self, gguf_path, call_threshold)

    def decode(self, ids: Sequence[int]) -> str:
        """Generated ids to text, keeping the tool-call tags and dropping the end-of-turn token."""
        ids = list(ids)
        for i, tok in enumerate(ids):
            if tok in self.stop_token_ids:
                ids = ids[:i]
                break
        return self.tokenizer.decode(ids, skip_special_tokens=False)


# --------------------------------------------------------------------------------------------
# Ollama: the same layout as a Go template
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LayoutPieces:
    """The fixed texts of a ChatML tool layout, read off the format's own renderings (so they are the
    template's, default system prompt and think block included) for runtimes without Jinja."""

    default_system: str
    """What the template writes as system text when the conversation has none ('' for none)."""
    tools_header: str
    """Between the system text and the first tool's JSON (the system text's separator excluded)."""
    separator: str
    """Between a system text and the tools header."""
    tools_footer: str
    """After the last tool's JSON, up to the end of the system turn."""
    response_prefix: str
    response_suffix: str
    """Around one tool result."""
    generation_prompt: str
    """What follows a user turn or tool result when the assistant is to answer."""


def layout_pieces(fmt: "ChatFormat") -> LayoutPieces:
    """Split renderings with sentinel texts into the template's fixed pieces."""
    sys_text, user_text, result = "\x01S\x01", "\x01U\x01", "\x01R\x01"
    tool = {"type": "function", "function": {"name": "f", "description": "d",
                                             "parameters": {"type": "object", "properties": {}}}}
    tool_json = json.dumps(tool, ensure_ascii=False)
    system_head = f"{IM_START}system\n"
    with_tools = fmt.render_text([{"role": "system", "content": sys_text}, {"role": "user", "content": user_text}], [tool])
    after_system = with_tools[with_tools.index(sys_text) + len(sys_text):]
    header, rest = after_system.split(tool_json, 1)
    footer = rest[: rest.index(IM_END)]
    bare = fmt.render_text([{"role": "user", "content": user_text}])
    default = bare[len(system_head): bare.index(IM_END)] if bare.startswith(system_head) else ""
    no_system = fmt.render_text([{"role": "user", "content": user_text}], [tool])
    plain_header = no_system[len(system_head) + len(default): no_system.index(tool_json)]
    separator = header[: len(header) - len(plain_header)]
    if not header.endswith(plain_header) or not no_system.startswith(system_head):
        raise FctuneError("this chat template's tools section cannot be written as an Ollama template")
    call = {"type": "function", "function": {"name": "f", "arguments": {}}}
    history = [{"role": "user", "content": user_text}, {"role": "assistant", "content": "", "tool_calls": [call]},
               {"role": "tool", "name": "f", "content": result}]
    with_result = fmt.render_text(history, [tool])
    at = with_result.index(result)
    prefix = with_result[with_result.rindex(IM_START, 0, at): at]
    suffix = with_result[at + len(result):]
    user_only = fmt.render_text([{"role": "user", "content": user_text}])
    generation = fmt.prompt_text([{"role": "user", "content": user_text}])[len(user_only):]
    return LayoutPieces(default, header[len(separator):], separator, footer, prefix, suffix, generation)


def _go(text: str) -> str:
    """``text`` as literal Go-template output (no action delimiters inside)."""
    if "{{" in text or "}}" in text:
        raise FctuneError(f"the chat template's text {text[:60]!r} holds Go-template delimiters; no Modelfile written")
    return text


def ollama_template(fmt: "ChatFormat") -> str:
    """A Go template (Ollama's TEMPLATE) that writes prompts in this format's layout: system text and
    tools section, user turns, assistant turns with their ``<tool_call>`` blocks, tool results, and the
    generation prompt. No ``{{-``: every newline of the layout is literal text. The calls sit in the
    one ``{{ if .ToolCalls }}`` whose first text is ``<tool_call>``: that is where Ollama reads the
    tag it parses calls by (``tools/template.go``). Ollama writes tool schemas and call arguments
    itself (compact JSON, its own key order): the differences from training that remain."""
    p = layout_pieces(fmt)
    call = (_go(f'{TOOL_CALL_OPEN}\n{{"name": "') + '{{ .Function.Name }}", "arguments": {{ .Function.Arguments }}'
            + _go(f"}}\n{TOOL_CALL_CLOSE}"))
    return (
        "{{ if or .System .Tools }}" + _go(f"{IM_START}system\n") + "{{ if .System }}{{ .System }}"
        "{{ if .Tools }}" + _go(p.separator) + "{{ end }}{{ end }}"
        "{{ if .Tools }}" + _go(p.tools_header) + "{{ range $i, $t := .Tools }}{{ if $i }}\n{{ end }}"
        '{"type": "function", "function": {{ $t.Function }}}{{ end }}' + _go(p.tools_footer) + "{{ end }}"
        + _go(f"{IM_END}\n") + "{{ end }}"
        "{{ range $i, $m := .Messages }}{{ $last := eq (len (slice $.Messages $i)) 1 }}"
        '{{ if eq .Role "user" }}' + _go(f"{IM_START}user\n") + "{{ .Content }}" + _go(f"{IM_END}\n")
        + '{{ else if eq .Role "assistant" }}' + _go(f"{IM_START}assistant\n") + "{{ .Content }}"
        "{{ if and .Content $m.ToolCalls }}\n{{ end }}"
        "{{ if .ToolCalls }}{{ range $j, $c := .ToolCalls }}" + call
        + "{{ if gt (len (slice $m.ToolCalls $j)) 1 }}\n{{ end }}{{ end }}{{ end }}"
        "{{ if not $last }}" + _go(f"{IM_END}\n") + "{{ end }}"
        '{{ else if eq .Role "tool" }}' + _go(p.response_prefix) + "{{ .Content }}" + _go(p.response_suffix)
        + "{{ end }}"
        '{{ if and (ne .Role "assistant") $last }}' + _go(p.generation_prompt) + "{{ end }}"
        "{{ end }}"
    )


def ollama_modelfile(fmt: "ChatFormat", gguf_path: str, call_threshold: float | None = None) -> str:
    """An Ollama Modelfile for a GGUF exported from a model in this format."""
    p = layout_pieces(fmt)
    stops = [IM_END] + [t for t in (END_OF_TEXT,) if t in fmt.tokenizer.get_vocab()]
    lines = ["# Ollama Modelfile written by fctune: ollama create NAME -f Modelfile", f"FROM {gguf_path}",
             'TEMPLATE """' + ollama_template(fmt).replace('"""', '\\"\\"\\"') + '"""']
    if p.default_system:
        lines.append('SYSTEM """' + p.default_system + '"""')
    lines += [f'PARAMETER stop "{s}"' for s in stops]
    lines.append("PARAMETER temperature 0")
    if call_threshold is not None:
        lines.append(f"# fctune calibrated a call threshold of {call_threshold:.4f} (first-token probability of "
                     f"{TOOL_CALL_OPEN} needed to call a tool); Ollama cannot apply it, fctune serve does.")
    return "\n".join(lines) + "\n"
