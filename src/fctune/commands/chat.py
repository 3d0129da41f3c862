"""``fctune chat``: talk to a (tuned) model in the terminal and play the tools yourself.

    fctune chat --model Qwen3-0.6B --adapter runs/qwen3

Each tool call the model makes is shown (name and pretty arguments); you type what the tool
returned (one line, JSON or text) or ``/skip``, and the model continues. Commands: ``/tools``
(the offered tools), ``/reset`` (new conversation), ``/exit`` (or end of input). The original
recipe's built-in tools are offered unless ``--tools FILE`` gives others. Reads piped stdin too
(the typed lines are echoed then, so the transcript reads like a session).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from typing import Any, TextIO

from fctune.errors import FctuneError

HELP = "commands: /tools  /reset  /exit   (when asked for a tool result: type it, or /skip)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from fctune.commands.options import add_call_threshold_argument, add_runtime_arguments

    add_runtime_arguments(parser)
    parser.add_argument("--tools", help="JSON file with the tools to offer: a list of OpenAI tools or "
                        "{\"tools\": [...]} (default: the original recipe's built-in tools)")
    parser.add_argument("--no-tools", action="store_true", help="offer no tools (plain chat)")
    parser.add_argument("--system", help="system message")
    parser.add_argument("--max-new-tokens", type=int, default=512, help="answer length limit (default 512)")
    parser.add_argument("--temperature", type=float, default=0.0, help="0 = greedy (default)")
    parser.add_argument("--top-p", type=float, default=1.0, help="nucleus sampling mass when --temperature > 0")
    add_call_threshold_argument(parser)


def load_tools(path: str | None) -> list[dict]:
    """Tools from a JSON file (list, or an object with ``tools``), checked; the built-in ones without a path."""
    if path is None:
        from fctune.data.seed import original_tools

        return original_tools()
    from fctune.data.io import load_tool_file

    return load_tool_file(path)


def describe_tools(tools: list[dict]) -> list[str]:
    """One line per tool: ``name(required*, optional) - description``."""
    lines = []
    for tool in tools:
        fn = tool["function"]
        params = fn.get("parameters") or {}
        required = set(params.get("required") or [])
        names = [p + ("*" if p in required else "") for p in (params.get("properties") or {})]
        desc = (fn.get("description") or "").strip().splitlines()[0] if fn.get("description") else ""
        lines.append(f"  {fn['name']}({', '.join(names)})" + (f" - {desc}" if desc else ""))
    return lines


class Chat:
    """The session: history, tools, and the read / generate / print loop (engine-agnostic I/O)."""

    def __init__(self, engine: Any, tools: list[dict], params: Any, system: str | None = None,
                 stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout, interactive: bool | None = None):
        self.engine, self.tools, self.params, self.system = engine, tools, params, system
        self.stdin, self.out = stdin, stdout
        self.interactive = stdin.isatty() if interactive is None else interactive
        self.messages: list[dict] = []
        self.reset()

    def reset(self) -> None:
        self.messages = [{"role": "system", "content": self.system}] if self.system else []

    def say(self, text: str = "", end: str = "\n") -> None:
        self.out.write(text + end)
        self.out.flush()

    def ask(self, prompt: str) -> str | None:
        """One line from the user, or None at end of input."""
        if self.interactive:
            try:
                return input(prompt)
            except EOFError:
                self.say()
                return None
        line = self.stdin.readline()
        if not line:
            return None
        line = line.rstrip("\r\n")
        self.say(prompt + line)
        return line

    # ---------------------------------------------------------------------------------------------

    def loop(self) -> int:
        self.say(HELP)
        while True:
            line = self.ask("you> ")
            if line is None:
                return 0
            text = line.strip()
            if not text:
                continue
            if text.startswith("/"):
                command = text.split()[0].lower()
                if command in ("/exit", "/quit"):
                    return 0
                if command == "/reset":
                    self.reset()
                    self.say("(conversation reset)")
                elif command == "/tools":
                    self.say(f"{len(self.tools)} tool(s) offered:" if self.tools else "no tools offered")
                    for row in describe_tools(self.tools):
                        self.say(row)
                elif command == "/skip":
                    self.say("(nothing to skip: /skip answers a tool call)")
                else:
                    self.say(f"unknown command {command}; {HELP}")
                continue
            self.messages.append({"role": "user", "content": line})
            if not self.answer():
                return 0

    def answer(self) -> bool:
        """Let the model answer, playing its tool calls, until it answers in text. False at end of input."""
        from fctune.serving.engine import PromptTooLong
        from fctune.serving.reply import CallDelta, ContentDelta

        while True:
            try:
                prompt = self.engine.prompt(self.messages, self.tools or None, "auto" if self.tools else "none")
                room = self.engine.max_new_tokens_for(prompt, None)
            except PromptTooLong as exc:
                if self.messages and self.messages[-1]["role"] == "user":
                    self.messages.pop()
                self.say(f"(too long: {exc} /reset starts over)")
                return True
            params = replace(self.params, max_new_tokens=min(self.params.max_new_tokens, room))
            state = {"open": False}

            def on_event(event: Any, state: dict = state) -> None:
                if isinstance(event, ContentDelta):
                    if not state["open"]:
                        self.say("assistant> ", end="")
                        state["open"] = True
                    self.say(event.text, end="")
                elif isinstance(event, CallDelta):
                    if state["open"]:
                        self.say()
                        state["open"] = False
                    self.show_call(event.call)

            try:
                result = self.engine.run(prompt, params, on_event)
            except KeyboardInterrupt:
                self.say("\n(interrupted; that answer is dropped)")
                return True
            if state["open"]:
                self.say()
            reply = result.reply
            if not reply.content and not reply.tool_calls:
                self.say("assistant> (empty answer)")
            if reply.errors:
                self.say(f"  (could not read a tool call: {'; '.join(reply.errors)})")
                if reply.tool_calls:
                    self.say(f"  raw answer: {reply.text!r}")
            if result.finish_reason == "length":
                self.say(f"  (cut off at {result.completion_tokens} tokens; --max-new-tokens to allow more)")
            message: dict[str, Any] = {"role": "assistant", "content": reply.content}
            if reply.tool_calls:
                message["tool_calls"] = [c.to_message() for c in reply.tool_calls]
            self.messages.append(message)
            if not reply.tool_calls:
                return True
            answered = 0
            for call in reply.tool_calls:
                line = self.ask(f"result of {call.name}> ")
                if line is None:
                    return False
                if line.strip() == "/skip":
                    continue
                self.messages.append({"role": "tool", "name": call.name, "content": line})
                answered += 1
            if not answered:
                self.say("(skipped: the calls stay unanswered)")
                return True

    def show_call(self, call: Any) -> None:
        args = json.dumps(call.arguments, ensure_ascii=False, indent=2)
        self.say(f"  tool call: {call.name}")
        for row in args.splitlines():
            self.say("    " + row)


def run(args: argparse.Namespace) -> int:
    from fctune.commands.options import after_tool_threshold, call_threshold, runtime_config_with_model
    from fctune.serving.engine import Engine, SamplingParams

    if args.max_new_tokens <= 0:
        raise FctuneError("--max-new-tokens must be > 0")
    cfg = runtime_config_with_model(args)
    rt = cfg.model
    tools = [] if args.no_tools else load_tools(args.tools)
    print(f"fctune chat: loading {rt.name_or_path}" + (f" + adapter {rt.adapter}" if rt.adapter else ""),
          file=sys.stderr, flush=True)
    engine = Engine.load(rt, default_max_new_tokens=args.max_new_tokens,
                         call_threshold=call_threshold(args, cfg), after_tool_threshold=after_tool_threshold(args, cfg))
    if sys.stdin.isatty():
        try:
            import readline  # noqa: F401 - line editing and history for input()
        except ImportError:
            pass
    params = SamplingParams(max_new_tokens=args.max_new_tokens, temperature=args.temperature, top_p=args.top_p)
    names = ", ".join(t["function"]["name"] for t in tools) or "none"
    print(f"fctune chat: {rt.name_or_path}" + (f" + {rt.adapter}" if rt.adapter else "") + f"; tools: {names}",
          flush=True)
    return Chat(engine, tools, params, system=args.system).loop()
