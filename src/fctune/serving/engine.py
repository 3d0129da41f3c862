"""One loaded model (base + optional LoRA adapter) and the two ways it answers one prompt.

* ``Engine.run(prompt, params)`` without ``on_event``: :func:`fctune.generate.generate` (the same
  loop evaluation uses), then :func:`~fctune.serving.reply.read_reply` on the text (with ``stop``
  strings, the token loop below, which stops at them).
* ``Engine.run(prompt, params, on_event=...)``: :func:`fctune.generate.stream_tokens` (the same
  prompt pass, picks and decode step as ``generate``), decoded as it goes, pushing content /
  tool-call events from a :class:`~fctune.serving.reply.ReplyStream`.

Both are greedy-identical (same prompt ids, same argmax), and both read the reply with the same
rule, so a streamed answer concatenates to the non-streamed one. ``run`` holds the engine's lock:
one generation at a time, whatever thread calls it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from fctune.calibrate import after_tool, decides
from fctune.errors import FctuneError
from fctune.formats import ChatFormat, forced_call_prefix
from fctune.generate import DEFAULT_CALL_THRESHOLD
from fctune.serving.reply import Event, Reply, ReplyStream, read_reply


class PromptTooLong(FctuneError):
    """The prompt (plus the tokens asked for) does not fit the model's context."""

    def __init__(self, prompt_tokens: int, limit: int, requested: int | None = None):
        self.prompt_tokens, self.limit, self.requested = prompt_tokens, limit, requested
        if requested is None:
            msg = (f"This model's maximum context length is {limit} tokens. However, your messages "
                   f"resulted in {prompt_tokens} tokens. Please reduce the length of the messages.")
        else:
            msg = (f"This model's maximum context length is {limit} tokens. However, you requested "
                   f"{prompt_tokens + requested} tokens ({prompt_tokens} in the messages, {requested} in the "
                   f"completion). Please reduce the length of the messages or completion.")
        super().__init__(msg)


@dataclass
class Prompt:
    """What the model is shown: ids of the inference prompt, plus a forced start of its answer."""

    ids: list[int]
    prefill: str = ""
    """Text already written for the assistant (``tool_choice`` required / named function); part of
    ``ids`` and of the reply text, not of the completion tokens."""
    parse_calls: bool = True
    """False for ``tool_choice="none"``: the reply is all content."""
    decides: bool = True
    """Whether the call decision applies (:func:`fctune.calibrate.decides`: an answer to a user message)."""
    after_tool: bool = False
    """Whether the answer follows a tool result (the after-tool rule applies, :func:`fctune.calibrate.after_tool`)."""


@dataclass
class SamplingParams:
    max_new_tokens: int = 512
    temperature: float = 0.0
    top_p: float = 1.0
    stop: Sequence[str] = ()
    seed: int | None = None


@dataclass
class Result:
    """One finished turn: the reply, why it ended and what it cost."""

    reply: Reply
    finish_reason: str
    """``stop`` (end of turn, stop string, or cancelled) or ``length``."""
    prompt_tokens: int
    completion_tokens: int
    events: list[Event] = field(default_factory=list)


class StopStrings:
    """Cuts generated text at the first of the ``stop`` strings, holding back a tail that may be the
    start of one (OpenAI semantics: the stop string itself is not returned)."""

    def __init__(self, stop: Sequence[str]):
        self.stop = [s for s in stop if s]
        self.sent = 0
        self.hit = False

    def cut(self, text: str) -> int | None:
        found = [i for i in (text.find(s) for s in self.stop) if i >= 0]
        return min(found) if found else None

    def push(self, text: str) -> str:
        """``text`` is everything generated so far; returns the new part that is safe to pass on."""
        if self.hit:
            return ""
        cut = self.cut(text)
        if cut is not None:
            self.hit = True
            out, self.sent = text[self.sent:cut], max(self.sent, cut)
            return out
        hold = 0
        for s in self.stop:
            for n in range(min(len(s) - 1, len(text)), hold, -1):
                if text.endswith(s[:n]):
                    hold = n
                    break
        safe = max(self.sent, len(text) - hold)
        out, self.sent = text[self.sent:safe], safe
        return out


class Engine:
    """A model, its :class:`ChatFormat` and a lock. Build with :meth:`load` or from parts."""

    def __init__(self, model: Any, fmt: ChatFormat, *, max_model_len: int | None = None,
                 default_max_new_tokens: int = 512, name: str = "fctune", call_threshold: float = DEFAULT_CALL_THRESHOLD,
                 after_tool_threshold: float = 0.0):
        self.model = model
        self.fmt = fmt
        if not 0.0 <= call_threshold <= 1.0:
            raise FctuneError(f"--call-threshold must be between 0 and 1, got {call_threshold}")
        assert 0.0 <= after_tool_threshold <= 1.0, after_tool_threshold
        self.call_threshold = call_threshold
        """Greedy answers to a user with ``tool_choice="auto"``: open with a call iff P(call) >= this (0: plain greedy)."""
        self.after_tool_threshold = after_tool_threshold
        """The same after a tool result (:func:`fctune.calibrate.after_tool_rule`; 0: plain greedy)."""
        self.tokenizer = fmt.tokenizer
        self.name = name
        self.default_max_new_tokens = default_max_new_tokens
        config = getattr(model, "config", None)
        context = getattr(config, "max_position_embeddings", None)
        if max_model_len is not None and context is not None and max_model_len > context:
            raise FctuneError(f"--max-model-len {max_model_len} is more than the model's context ({context} tokens)")
        self.max_model_len: int | None = max_model_len or context
        self.device = next(model.parameters()).device
        self._lock = threading.Lock()

    @classmethod
    def load(cls, runtime: Any, *, max_model_len: int | None = None, default_max_new_tokens: int = 512,
             call_threshold: float = DEFAULT_CALL_THRESHOLD, after_tool_threshold: float = 0.0) -> "Engine":
        """An engine for ``runtime`` (:class:`fctune.config.ModelConfig`, or a model name/path alone),
        loaded by :func:`fctune.models.load_runtime`."""
        from fctune.config import ModelConfig
        from fctune.models import load_runtime

        rt = ModelConfig(name_or_path=runtime) if isinstance(runtime, str) else runtime
        model, fmt = load_runtime(rt)
        return cls(model, fmt, max_model_len=max_model_len, default_max_new_tokens=default_max_new_tokens,
                   name=rt.name_or_path, call_threshold=call_threshold, after_tool_threshold=after_tool_threshold)

    def _threshold(self, prompt: Prompt) -> float:
        """The call decision applies where the model starts its own answer with tools to call: to a
        user message, or after a tool result with the rule calibrated there."""
        if not prompt.parse_calls or prompt.prefill:
            return 0.0
        return self.call_threshold if prompt.decides else self.after_tool_threshold if prompt.after_tool else 0.0

    # ---- prompts ---------------------------------------------------------------------------------

    def prompt(self, messages: Sequence[dict], tools: Sequence[dict] | None = None, tool_choice: str = "auto",
               function: str | None = None) -> Prompt:
        """The inference prompt for canonical ``messages``.

        ``tool_choice``: ``auto`` (tools offered, the model decides), ``none`` (rendered without
        tools; the reply is text only), ``required`` (the answer is started as a call),
        ``function`` (started with a call to ``function``). Forced starts are appended as ids of
        their own, as the completion is tokenised on its own in training.
        """
        if not messages:
            raise ValueError("messages must not be empty")
        offered = list(tools) if tools and tool_choice != "none" else None
        ids = self.fmt.client_prompt_ids(messages, offered)  # typed special tokens stay text
        prefill = ""
        if tool_choice == "required":
            prefill = forced_call_prefix()
        elif tool_choice == "function":
            if not function:
                raise ValueError("tool_choice 'function' needs a function name")
            prefill = forced_call_prefix(function)
        elif tool_choice not in ("auto", "none"):
            raise ValueError(f"unknown tool_choice {tool_choice!r}")
        if prefill:
            ids = ids + self.fmt.encode(prefill)
        if self.max_model_len is not None and len(ids) >= self.max_model_len:
            raise PromptTooLong(len(ids), self.max_model_len)
        return Prompt(ids=ids, prefill=prefill, parse_calls=tool_choice != "none", decides=decides(messages),
                      after_tool=after_tool(messages))

    def max_new_tokens_for(self, prompt: Prompt, requested: int | None) -> int:
        """Tokens one answer may use: ``requested`` (an error when it does not fit) or the default,
        cut to what the context leaves."""
        room = None if self.max_model_len is None else self.max_model_len - len(prompt.ids)
        if requested is not None:
            if room is not None and requested > room:
                raise PromptTooLong(len(prompt.ids), self.max_model_len, requested)  # type: ignore[arg-type]
            return requested
        return self.default_max_new_tokens if room is None else max(1, min(self.default_max_new_tokens, room))

    # ---- generation ------------------------------------------------------------------------------

    def run(self, prompt: Prompt, params: SamplingParams, on_event: Callable[[Event], None] | None = None,
            cancel: threading.Event | None = None) -> Result:
        """Answer ``prompt``. With ``on_event``, events are pushed as the text is generated."""
        with self._lock:
            if cancel is not None and cancel.is_set():
                return Result(read_reply(prompt.prefill, prompt.parse_calls), "stop", len(prompt.ids), 0)
            if on_event is None and not any(params.stop):
                return self._run_batch(prompt, params, cancel)
            return self._run_stream(prompt, params, on_event or (lambda _event: None), cancel)

    def _seed(self, params: SamplingParams) -> int:
        import random

        return params.seed if params.seed is not None else random.SystemRandom().randrange(2**63)

    def _run_batch(self, prompt: Prompt, params: SamplingParams, cancel: threading.Event | None) -> Result:
        from fctune.generate import generate

        gen = generate(self.model, self.fmt, [prompt.ids], max_new_tokens=params.max_new_tokens, batch_size=1,
                       temperature=params.temperature, top_p=params.top_p, progress=False,
                       seed=self._seed(params), call_threshold=self._threshold(prompt), cancel=cancel)[0]
        text, finish = gen.text, ("stop" if gen.finish_reason == "cancelled" else gen.finish_reason)
        stream = ReplyStream(prompt.parse_calls)
        stream.feed(prompt.prefill + text)
        if stream.done:
            finish = "stop"
        _, reply = stream.finish()
        return Result(reply, finish, gen.prompt_tokens, gen.completion_tokens)

    def _run_stream(self, prompt: Prompt, params: SamplingParams, on_event: Callable[[Event], None],
                    cancel: threading.Event | None) -> Result:
        import torch

        from fctune.generate import stream_tokens

        stream = ReplyStream(prompt.parse_calls)
        events: list[Event] = []

        def emit(new: list[Event]) -> None:
            for event in new:
                events.append(event)
                on_event(event)

        emit(stream.feed(prompt.prefill))
        stops = StopStrings(params.stop)
        stop_ids = set(self.fmt.stop_token_ids)
        threshold = self._threshold(prompt) if params.temperature <= 0 else 0.0
        generated: list[int] = []
        finish = "length"
        was_training = self.model.training
        self.model.eval()
        try:
            with torch.inference_mode():
                tokens = stream_tokens(self.model, self.fmt, prompt.ids, params.max_new_tokens, params.temperature,
                                       params.top_p, self._seed(params), threshold)
                for token in tokens:
                    if cancel is not None and cancel.is_set():  # a token picked after the cancel is dropped
                        finish = "stop"
                        break
                    generated.append(token)
                    if token in stop_ids:
                        finish = "stop"
                        break
                    text = self.fmt.decode(generated)
                    if not text.endswith("\ufffd"):  # a character whose bytes are not all generated yet
                        emit(stream.feed(stops.push(text)))
                        if stops.hit or stream.done:
                            finish = "stop"
                            break
                if not stream.done:  # what is still held back: an unfinished character or stop string
                    text = self.fmt.decode(generated)
                    piece = stops.push(text)
                    if stops.hit:
                        finish = "stop"
                    else:
                        piece += text[stops.sent:]
                        stops.sent = len(text)
                    emit(stream.feed(piece))
        finally:
            if was_training:
                self.model.train()
        last, reply = stream.finish()
        emit(last)
        return Result(reply, finish, len(prompt.ids), len(generated), events)
