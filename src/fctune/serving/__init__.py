"""Using a tuned model: the generation engine shared by ``fctune chat`` and ``fctune serve``, the
incremental reply parser that turns generated text into content and tool calls (streamed or not),
and the OpenAI-compatible HTTP app.

Nothing here imports torch at module import time except :mod:`fctune.serving.engine` itself.
"""
