"""Generated text -> assistant reply (content + tool calls), fed piece by piece or all at once.

One rule for every path (chat, non-streamed and streamed serving)::

    tool_calls == fctune.formats.parse(text).tool_calls
    content    == parse(text).content
                  (or, when parse reports errors and finds no call at all, the whole text: what the
                   model wrote is returned rather than lost, as vLLM's hermes parser does)

:class:`ReplyStream` reaches the same reply incrementally, so a streamed answer concatenates to the
non-streamed one. It commits a tool call once its call block is closed and
parses on its own (such a block reads the same way whatever follows it); content is sent only up to
the first open block, minus a tail that could still turn into a tag, so tag text is never streamed
as content. Blocks that do not parse are settled by one :func:`parse` of the whole text at the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fctune.formats import END_MARKERS, THINK_OPEN, THINK_RE, TOOL_CALL_CLOSE, TOOL_CALL_OPEN, ToolCall, parse


@dataclass
class ContentDelta:
    text: str


@dataclass
class CallDelta:
    index: int
    call: ToolCall


Event = ContentDelta | CallDelta


@dataclass
class Reply:
    """What one assistant turn says."""

    text: str
    """The raw text the reply was read from (prefilled part included)."""
    content: str
    tool_calls: list[ToolCall] = field(default_factory=list)
    reasoning: str = ""
    errors: list[str] = field(default_factory=list)
    """Why parts of the text could not be read as calls (see :func:`fctune.formats.parse`)."""


def _body_span(text: str) -> tuple[int, int]:
    """(start, end) of the part of ``text`` that parse() reads: after a leading think block, before
    the first end marker."""
    match = THINK_RE.match(text)
    start = match.end() if match else 0
    ends = [i for i in (text.find(m, start) for m in END_MARKERS) if i >= 0]
    return start, min(ends) if ends else len(text)


def read_reply(text: str, parse_calls: bool = True) -> Reply:
    """The reply in ``text`` (see the module docstring); ``parse_calls=False`` keeps it all as content."""
    match = THINK_RE.match(text)
    reasoning = match.group(1).strip() if match else ""
    start, end = _body_span(text)
    raw = text[start:end].strip()
    if not parse_calls:
        return Reply(text=text, content=raw, reasoning=reasoning)
    parsed = parse(text)
    content = raw if parsed.errors and not parsed.tool_calls else parsed.content
    return Reply(text=text, content=content, tool_calls=list(parsed.tool_calls), reasoning=parsed.reasoning,
                 errors=list(parsed.errors))


def _partial_suffix(text: str, markers: tuple[str, ...]) -> int:
    """Length of the longest tail of ``text`` that is a proper prefix of one of ``markers``."""
    best = 0
    for marker in markers:
        for n in range(min(len(marker) - 1, len(text)), best, -1):
            if text.endswith(marker[:n]):
                best = n
                break
    return best


class ReplyStream:
    """Incremental :func:`read_reply`: ``feed`` text pieces, get content and tool-call events.

    ``done`` turns true once an end marker (:data:`fctune.formats.END_MARKERS`) has been written:
    the rest of the text does not count, so generation can stop. ``finish()`` returns the last
    events and the :class:`Reply`, which equals ``read_reply(all text fed)``.
    """

    def __init__(self, parse_calls: bool = True):
        self.parse_calls = parse_calls
        self.done = False
        self._text = ""
        self._settled = 0  # text index after the last committed call block
        self._calls: list[ToolCall] = []
        self._content = ""  # content sent so far
        self._finished: Reply | None = None
        markers = END_MARKERS + ((TOOL_CALL_OPEN,) if parse_calls else ())
        self._markers = markers

    @property
    def text(self) -> str:
        return self._text

    def feed(self, piece: str) -> list[Event]:
        if self._finished is not None:
            raise RuntimeError("ReplyStream.feed after finish()")
        if self.done or not piece:
            return []
        self._text += piece
        return self._advance()

    def finish(self) -> tuple[list[Event], Reply]:
        if self._finished is not None:
            return [], self._finished
        reply = read_reply(self._text, self.parse_calls)
        events: list[Event] = []
        if reply.tool_calls[: len(self._calls)] != self._calls:  # cannot happen (see module docstring)
            raise AssertionError(f"streamed calls {self._calls} are not a prefix of {reply.tool_calls}")
        for call in reply.tool_calls[len(self._calls):]:
            events.append(CallDelta(len(self._calls), call))
            self._calls.append(call)
        events.extend(self._content_to(reply.content))
        self._finished = reply
        self.done = True
        return events, reply

    # -------------------------------------------------------------------------------------------

    def _content_to(self, content: str) -> list[Event]:
        if len(content) > len(self._content) and content.startswith(self._content):
            delta = content[len(self._content):]
            self._content = content
            return [ContentDelta(delta)]
        return []

    def _advance(self) -> list[Event]:
        text = self._text
        if not THINK_RE.match(text):
            head = text.lstrip()
            if THINK_OPEN.startswith(head) or head.startswith(THINK_OPEN):
                return []  # may still be (or become) a leading think block: wait for its end
        start, end = _body_span(text)
        if end < len(text):
            self.done = True  # an end marker: finish() reads the rest
            return []
        events: list[Event] = []
        safe = end - _partial_suffix(text[:end], self._markers)
        if self.parse_calls:
            while True:
                open_at = text.find(TOOL_CALL_OPEN, max(self._settled, start), end)
                if open_at < 0:
                    break
                safe = min(safe, open_at)
                close_at = text.find(TOOL_CALL_CLOSE, open_at + len(TOOL_CALL_OPEN), end)
                if close_at < 0:
                    break
                block = parse(text[open_at:close_at + len(TOOL_CALL_CLOSE)])
                if block.errors or not block.tool_calls:
                    break  # settled by the final parse: the JSON may go on past this close tag
                for call in block.tool_calls:
                    events.append(CallDelta(len(self._calls), call))
                    self._calls.append(call)
                self._settled = close_at + len(TOOL_CALL_CLOSE)
                safe = end - _partial_suffix(text[:end], self._markers)
            content = parse(text[:safe]).content
        else:
            content = text[start:safe].strip()
        return events + self._content_to(content)
