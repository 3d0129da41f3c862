"""``fctune serve``: an OpenAI-compatible chat-completions server with ``tool_calls`` (FastAPI + uvicorn).

    fctune serve --model Qwen3-0.6B --adapter runs/qwen3 --port 8000

Calls come back as OpenAI ``tool_calls``; ``tool`` messages and assistant ``tool_calls`` in the
request are rendered by the same :class:`~fctune.formats.ChatFormat` as in training. Binds
127.0.0.1 unless ``--host`` says otherwise. See docs/serving.md.
"""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from fctune.serving.protocol import Limits
    from fctune.commands.options import add_call_threshold_argument, add_runtime_arguments

    add_runtime_arguments(parser)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=_port, default=8000, help="port (default 8000; 0 picks a free one)")
    parser.add_argument("--served-model-name", help="the name clients pass as 'model' (default: --model as given)")
    parser.add_argument("--max-new-tokens", type=int, default=512,
                        help="answer length when a request sets no max_tokens (default 512)")
    parser.add_argument("--max-model-len", type=int, help="context limit for prompt + answer (default: the model's)")
    parser.add_argument("--max-body-bytes", type=int, default=Limits.max_body_bytes,
                        help=f"largest request body; larger ones get 413 (default {Limits.max_body_bytes})")
    parser.add_argument("--max-waiting", type=int, default=Limits.max_waiting,
                        help=f"requests that may wait for the model; more get 429 (default {Limits.max_waiting})")
    add_call_threshold_argument(parser)
    parser.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"],
                        help="server log level (default info: one line per request)")


def served_name(args: argparse.Namespace, model: str) -> str:
    return args.served_model_name or model


def _port(text: str) -> int:
    """A TCP port number for argparse: 0 (any free one) to 65535."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0-65535, got {value}")
    return value


def bind(host: str, port: int):
    """An open listening socket (so a busy port is a clear error, and port 0 resolves before we print)."""
    import socket

    from fctune.errors import FctuneError

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise FctuneError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def run(args: argparse.Namespace) -> int:
    import logging

    import uvicorn

    from fctune.commands.options import after_tool_threshold, call_threshold, runtime_config_with_model
    from fctune.errors import FctuneError
    from fctune.serving.app import create_app
    from fctune.serving.engine import Engine
    from fctune.serving.protocol import Limits

    cfg = runtime_config_with_model(args)
    rt = cfg.model
    if args.max_new_tokens <= 0:
        raise FctuneError("--max-new-tokens must be > 0")
    if args.max_model_len is not None and args.max_model_len <= 1:
        raise FctuneError("--max-model-len must be > 1")
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    sock = bind(args.host, args.port)  # fail fast, before minutes of model loading
    try:
        print(f"fctune serve: loading {rt.name_or_path}" + (f" + adapter {rt.adapter}" if rt.adapter else ""),
              file=sys.stderr, flush=True)
        engine = Engine.load(rt, max_model_len=args.max_model_len, default_max_new_tokens=args.max_new_tokens,
                             call_threshold=call_threshold(args, cfg),
                             after_tool_threshold=after_tool_threshold(args, cfg))
        name = served_name(args, rt.name_or_path)
        app = create_app(engine, name, aliases=(rt.name_or_path,),
                         limits=Limits(max_body_bytes=args.max_body_bytes, max_waiting=args.max_waiting))
        host, port = sock.getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        print(f"fctune serve: model '{name}' at http://{shown}:{port}/v1 "
              f"(POST /v1/chat/completions, GET /v1/models; Ctrl-C stops)", flush=True)
        config = uvicorn.Config(app, log_level=args.log_level, timeout_graceful_shutdown=5)
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
    return 0
