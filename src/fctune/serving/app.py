"""The OpenAI-compatible HTTP app: ``POST /v1/chat/completions``, ``GET /v1/models``, ``GET /health``.

Concurrency: every generation runs on one worker thread (a single-thread executor, first come first
served), so requests never share the model at the same time and each answer is what the same
request gets alone. Prompts are rendered and tokenized on a second thread, so the event loop only
reads requests and relays events (``/health`` answers while a long prompt is tokenized). A request
whose client goes away, streamed or not, is cancelled at the next token.

Limits (:class:`Limits`, ``fctune serve`` flags): request bodies over ``max_body_bytes`` get 413 before
they are read whole; beyond ``max_waiting`` requests waiting for the model, new ones get 429 with
``Retry-After`` (a client cannot queue the server into a stall); prompts longer than the context get 400.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from fctune.serving import protocol as P
from fctune.serving.engine import Engine, PromptTooLong, Result, SamplingParams
from fctune.serving.reply import CallDelta, ContentDelta, Event

log = logging.getLogger("fctune.serve")


def _validation_message(exc: RequestValidationError) -> tuple[str, str, str | None]:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        detail = errors[0].get("ctx", {}).get("error") or errors[0].get("msg")
        return f"request body is not valid JSON: {detail}", "invalid_json", None
    parts, param = [], None
    for e in errors[:5]:
        loc = [str(x) for x in e.get("loc", ()) if x != "body"]
        where = ".".join(loc)
        param = param or where or None
        if not where:
            parts.append("the request body must be a JSON object (Content-Type: application/json)")
            continue
        parts.append(f"{where}: {e.get('msg')}")
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return "invalid request: " + "; ".join(parts) + more, "invalid_value", param


class BodyLimit:
    """ASGI middleware: a body larger than ``limit`` bytes is answered 413 as soon as that is known
    (``Content-Length``, or the bytes received so far), without reading the rest."""

    def __init__(self, app: Any, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            return await self._reject(send)
        received = 0

        async def limited() -> dict:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise StarletteHTTPException(413, self._message())
            return message

        await self.app(scope, limited, send)

    def _message(self) -> str:
        return f"request body larger than {self.limit} bytes"

    async def _reject(self, send: Any) -> None:
        body = P.dumps(P.error_body(self._message(), code="request_too_large")).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


def create_app(engine: Engine, served_model_name: str, aliases: tuple[str, ...] = (),
               limits: P.Limits = P.Limits()) -> FastAPI:
    """The app for one loaded ``engine``; ``served_model_name`` (and ``aliases``) is what ``model`` may say."""
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fctune-generate")
    renderer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fctune-render")
    names = {served_model_name, *aliases}
    slots = threading.BoundedSemaphore(limits.max_waiting)
    """One per request between its acceptance and the end of its generation (held by the job)."""

    def submit(fn: Any, *args: Any) -> Any:
        """Run ``fn`` on the generation thread; its slot is given back when it ends, whatever happens
        to the client (a stream never read still ends: at its token limit or when cancelled)."""
        future = executor.submit(fn, *args)
        future.add_done_callback(lambda _f: slots.release())
        return future

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        yield
        executor.shutdown(wait=False, cancel_futures=True)
        renderer.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(title="fctune", version="1", lifespan=lifespan)
    app.add_middleware(BodyLimit, limit=limits.max_body_bytes)
    app.state.engine = engine
    created = P.now()

    @app.exception_handler(P.APIError)
    async def _api_error(_request: Request, exc: P.APIError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        message, code, param = _validation_message(exc)
        return JSONResponse(P.error_body(message, code=code, param=param), status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 413: "request_too_large"}.get(exc.status_code)
        return JSONResponse(P.error_body(str(exc.detail), code=code), status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def _internal(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error")
        return JSONResponse(P.error_body(f"internal error: {type(exc).__name__}: {exc}", "server_error",
                                         "internal_error"), status_code=500)

    def model_card(name: str) -> dict[str, Any]:
        return {"id": name, "object": "model", "created": created, "owned_by": "fctune",
                "max_model_len": engine.max_model_len}

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/v1/models")
    async def models() -> dict[str, Any]:
        return {"object": "list", "data": [model_card(served_model_name)]}

    @app.get("/v1/models/{model_id:path}")
    async def model(model_id: str) -> dict[str, Any]:
        if model_id not in names:
            raise P.APIError(404, f"The model '{model_id}' does not exist", "model_not_found", "model")
        return model_card(served_model_name)

    def render(messages: list[dict], tools: Any, mode: str, function: Any, requested: int | None) -> tuple[Any, int]:
        prompt = engine.prompt(messages, tools, mode, function)
        return prompt, engine.max_new_tokens_for(prompt, requested)

    @app.post("/v1/chat/completions")
    async def chat_completions(request: P.ChatCompletionRequest, http: Request) -> Any:
        if request.model is not None and request.model not in names:
            raise P.APIError(404, f"The model '{request.model}' does not exist; this server serves "
                             f"'{served_model_name}'", "model_not_found", "model")
        if not slots.acquire(blocking=False):
            return JSONResponse(P.error_body(f"the server is busy ({limits.max_waiting} requests waiting for the "
                                             "model); retry shortly", "rate_limit_error", "server_busy"),
                                status_code=429, headers={"Retry-After": "1"})
        job = {"submitted": False}
        try:
            return await answer(request, http, job)
        finally:
            if not job["submitted"]:  # else the generation job gives the slot back when it ends
                slots.release()

    async def answer(request: P.ChatCompletionRequest, http: Request, job: dict[str, bool]) -> Any:
        """The response; ``job["submitted"]`` is set once a generation job holds the request's slot."""
        messages, tools = P.canonical(request)
        mode, function = P.tool_choice_of(request, tools)
        loop = asyncio.get_running_loop()
        try:
            requested = request.max_completion_tokens or request.max_tokens
            prompt, max_new = await loop.run_in_executor(renderer, render, messages, tools, mode, function, requested)
        except PromptTooLong as exc:
            raise P.APIError(400, str(exc), "context_length_exceeded", "messages") from None
        except P.APIError:
            raise
        except Exception as exc:  # template errors (jinja), bad message order, ...
            raise P.APIError(400, f"cannot render the messages with the chat template: {exc}",
                             "invalid_value", "messages") from None
        stop = [request.stop] if isinstance(request.stop, str) else list(request.stop or [])
        params = SamplingParams(max_new_tokens=max_new, temperature=request.temperature or 0.0,
                                top_p=request.top_p if request.top_p is not None else 1.0, stop=stop,
                                seed=request.seed)
        single_call = request.parallel_tool_calls is False
        if request.stream:
            include_usage = bool(request.stream_options and request.stream_options.include_usage)
            queue, cancel = _start_stream(prompt, params)
            job["submitted"] = True
            return StreamingResponse(_stream(queue, cancel, include_usage, single_call),
                                     media_type="text/event-stream",
                                     headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        cancel = threading.Event()
        future = asyncio.wrap_future(submit(engine.run, prompt, params, None, cancel))
        job["submitted"] = True
        watcher = asyncio.ensure_future(_cancel_on_disconnect(http, cancel))
        try:
            result: Result = await future
        except asyncio.CancelledError:
            cancel.set()
            raise
        finally:
            watcher.cancel()
        calls = result.reply.tool_calls[:1] if single_call else result.reply.tool_calls
        message: dict[str, Any] = {"role": "assistant", "content": result.reply.content or None}
        if calls:
            message["tool_calls"] = [P.tool_call_out(c, P.call_id()) for c in calls]
        elif message["content"] is None:
            message["content"] = ""
        if result.reply.reasoning:
            message["reasoning_content"] = result.reply.reasoning
        if result.reply.errors:
            log.info("tool-call parse problems %s in: %r", result.reply.errors, result.reply.text)
        return {
            "id": P.completion_id(), "object": "chat.completion", "created": P.now(),
            "model": served_model_name, "system_fingerprint": None,
            "choices": [{"index": 0, "message": message, "logprobs": None,
                         "finish_reason": P.finish_reason(result.finish_reason, bool(calls))}],
            "usage": P.usage(result.prompt_tokens, result.completion_tokens),
        }

    async def _cancel_on_disconnect(http: Request, cancel: threading.Event) -> None:
        """Set ``cancel`` once the client of a non-streamed request has gone (polled: ASGI tells a
        handler of a disconnect only when it reads)."""
        while not cancel.is_set():
            if await http.is_disconnected():
                cancel.set()
                return
            await asyncio.sleep(0.1)

    def _start_stream(prompt: Any, params: SamplingParams) -> tuple[asyncio.Queue, threading.Event]:
        """Submit a streamed generation now (so the job, not the response, holds the slot); its
        events arrive on the returned queue."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        cancel = threading.Event()

        def put(item: tuple[str, Any]) -> None:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, item)
            except RuntimeError:  # the loop is gone (server shutting down)
                cancel.set()

        def job() -> None:
            try:
                put(("done", engine.run(prompt, params, lambda e: put(("event", e)), cancel)))
            except BaseException as exc:  # noqa: BLE001 - reported to the client as an error event
                put(("error", exc))

        submit(job)
        return queue, cancel

    async def _stream(queue: asyncio.Queue, cancel: threading.Event, include_usage: bool,
                      single_call: bool) -> AsyncIterator[str]:
        ident, created_at = P.completion_id(), P.now()

        def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
            body: dict[str, Any] = {"id": ident, "object": "chat.completion.chunk", "created": created_at,
                                    "model": served_model_name, "system_fingerprint": None,
                                    "choices": [{"index": 0, "delta": delta, "logprobs": None,
                                                 "finish_reason": finish}]}
            if include_usage:
                body["usage"] = None
            return f"data: {P.dumps(body)}\n\n"

        calls = 0
        try:
            yield chunk({"role": "assistant", "content": ""})
            while True:
                kind, value = await queue.get()
                if kind == "event":
                    event: Event = value
                    if isinstance(event, ContentDelta):
                        yield chunk({"content": event.text})
                    elif isinstance(event, CallDelta) and not (single_call and calls):
                        calls += 1
                        yield chunk({"tool_calls": [P.tool_call_out(event.call, P.call_id(), event.index)]})
                elif kind == "done":
                    result: Result = value
                    if result.reply.errors:
                        log.info("tool-call parse problems %s in: %r", result.reply.errors, result.reply.text)
                    yield chunk({}, P.finish_reason(result.finish_reason, calls > 0))
                    if include_usage:
                        body = {"id": ident, "object": "chat.completion.chunk", "created": created_at,
                                "model": served_model_name, "system_fingerprint": None, "choices": [],
                                "usage": P.usage(result.prompt_tokens, result.completion_tokens)}
                        yield f"data: {P.dumps(body)}\n\n"
                    break
                else:
                    log.error("generation failed", exc_info=value)
                    yield f"data: {P.dumps(P.error_body(f'generation failed: {value}', 'server_error', 'internal_error'))}\n\n"
                    break
            yield "data: [DONE]\n\n"
        finally:
            cancel.set()

    return app
