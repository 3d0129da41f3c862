"""``fctune data synth``: generate synthetic tool-calling conversations.

    fctune data synth --n 5000 --seed 0 [--lang zh,en] [--tools FILE] [--mix single=0.3,...]
                      [--heldout 12] [--split 90,5,5] --out DIR

Writes ``DIR/train.jsonl``, ``DIR/valid.jsonl``, ``DIR/test.jsonl`` (canonical conversations) and
``DIR/manifest.json``. The test split also holds rows for ``--heldout`` built-in tools that never
occur in train or valid. Same arguments, same bytes.

Kinds: ``single`` (one tool offered, one call), ``choose`` (one call among 2-8 similar tools),
``parallel`` (2-4 calls in one turn), ``multi_step`` (call -> result -> answer; call -> result ->
dependent call; follow-up questions), ``no_call`` (chit-chat, general knowledge, topic questions
that need no tool, requests no offered tool can serve), ``ask_back`` (a required value is missing:
the assistant asks for it, sometimes the user answers and the call follows).
"""

from __future__ import annotations

from typing import Any

from fctune.data.synth.kinds import KINDS

KIND_NAMES = KINDS
"""The conversation kinds (:data:`fctune.data.synth.kinds.KINDS`)."""


def generate(n: int, seed: int = 0, **kwargs: Any):
    """Generate a data set in memory; see :func:`fctune.data.synth.engine.generate`."""
    from fctune.data.synth.engine import generate as _generate

    return _generate(n, seed, **kwargs)


