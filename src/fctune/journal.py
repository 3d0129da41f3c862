"""A generation journal: the answers of one :func:`fctune.generate.generate` call written to disk
batch by batch, so that an evaluation cut short (killed, out of time, the session over) goes on
where it stopped instead of generating for another hour.

The file is JSONL. Its first line holds the journal's ``key``: everything the answers depend on
(the model and adapter weights, the prompts, the generation settings), as the caller states it.
Every further line is one finished batch: its answers (prompt index, token ids, finish reason, the
call decision, the plain greedy answer beside a changed one) and what the batch added to the
:class:`~fctune.generate.GenerationStats` (time included), so that a resumed run's totals are those
of all its parts. A file whose key differs (or that cannot be read as a journal) is not used: it is
moved aside to ``*.stale.jsonl``, never deleted, and :attr:`Journal.stale` names it for the caller
to tell the user. A line that is not a whole batch of this call (cut by a kill, or edited) ends what
is read: that batch and the ones after it are generated again. A batch with a cancelled answer is
never written.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any, Sequence

from fctune.errors import FctuneError
from fctune.generate import GenerationStats

Result = tuple[list[int], str, Any, Any]
"""One prompt's answer as :func:`fctune.generate.generate` keeps it: ``(token_ids, finish_reason,
(P(call), decision) or None, plain greedy (token_ids, finish_reason) or None)``."""


class Journal:
    """Finished answers of one generate call over ``size`` prompts, read from ``path`` at construction,
    appended per batch."""

    def __init__(self, path: str | Path, key: dict[str, Any], size: int) -> None:
        self.path = Path(path)
        self.key = json.loads(json.dumps(key, ensure_ascii=False))  # compared as it reads back
        self.size = size
        self.results: dict[int, Result] = {}
        """Prompt index -> its answer, from earlier runs."""
        self.stats = GenerationStats()
        """What the earlier runs' batches added up to (prompt counts aside: they are the whole call's)."""
        self.stale: Path | None = None
        """Where a journal made for another key (other weights, prompts or settings), or not readable
        as one, was moved aside; ``None`` when there was none."""
        self._load()

    def _load(self) -> None:
        if self.path.exists() and not self.path.is_file():
            raise FctuneError(f"{self.path}: is not a file (the journal of this run's answers goes there)")
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        except (OSError, UnicodeDecodeError):
            text = None
        complete = text.split("\n")[:-1] if text is not None else []  # after the last newline: cut, or nothing
        if text is not None and not complete:  # not even the first line was finished: nothing to keep
            self.path.unlink()
            return
        head = _json(complete[0]) if complete else None
        if not isinstance(head, dict) or head.get("key") != self.key:
            self.stale = self.path.with_name(self.path.name.removesuffix(".jsonl") + ".stale.jsonl")
            os.replace(self.path, self.stale)
            return
        kept = [complete[0]]
        for line in complete[1:]:
            try:
                answers, counts = _batch(_json(line), self.size)
            except (TypeError, ValueError, KeyError, AttributeError):  # cut by a kill, or not ours: from here on,
                break                                                   # generated again
            self.results.update(answers)
            self.stats.add(counts)
            kept.append(line)
        if len(kept) < len(complete) or not text.endswith("\n"):  # appends must start on a fresh line
            tmp = self.path.with_name(self.path.name + ".tmp")
            tmp.write_text("".join(line + "\n" for line in kept), encoding="utf-8")
            os.replace(tmp, self.path)

    def record(self, indices: Sequence[int], results: Sequence[Result], stats: dict[str, Any]) -> None:
        """Append one finished batch (``stats``: what it added to the counts of :class:`GenerationStats`),
        flushed to disk before generation goes on. A batch with a cancelled answer is not written: its
        answers are not all whole, and its counts are not a whole batch's."""
        if any(res[1] == "cancelled" for res in results):
            return
        if not self.path.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._append({"key": self.key})
        self._append({"batch": [[i, *res] for i, res in zip(indices, results)], "stats": stats})

    def _append(self, record: dict[str, Any]) -> None:
        with open(self.path, "a", encoding="utf-8", newline="\n") as fh:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    def remove(self) -> None:
        """The run finished and its report is written: the journal has nothing left to give."""
        self.path.unlink(missing_ok=True)


REASONS = ("stop", "length", "reply")
"""The finish reasons of a whole answer (not ``cancelled``)."""
DECISIONS = ("", "call", "reply")

COUNTS = set(GenerationStats().counts())
"""What a batch adds to (:meth:`GenerationStats.counts`)."""


def _batch(record: Any, size: int) -> tuple[dict[int, Result], dict[str, float]]:
    """One batch line's answers and counts, each checked to be what :meth:`Journal.record` writes for
    a call over ``size`` prompts; ValueError (or TypeError, KeyError) if it is not."""
    answers: dict[int, Result] = {}
    for index, token_ids, reason, decided, plain in record["batch"]:
        if not (_int(index) and 0 <= index < size and _ids(token_ids) and reason in REASONS):
            raise ValueError("not an answer")
        if decided is not None:
            p_call, decision = decided
            if not (isinstance(p_call, float) and 0.0 <= p_call <= 1.0 and decision in DECISIONS):
                raise ValueError("not a call decision")
            decided = (p_call, decision)
        if plain is not None:
            plain_ids, plain_reason = plain
            if not (_ids(plain_ids) and plain_reason in REASONS):
                raise ValueError("not a plain greedy answer")
            plain = (plain_ids, plain_reason)
        answers[index] = (token_ids, reason, decided, plain)
    counts = record["stats"]
    if not (isinstance(counts, dict) and set(counts) <= COUNTS
            and all(_number(v) and v >= 0 for v in counts.values())):
        raise ValueError("not a batch's counts")
    return answers, counts


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _ids(value: Any) -> bool:
    return isinstance(value, list) and all(_int(v) and v >= 0 for v in value)


def _number(value: Any) -> bool:
    return (_int(value) or isinstance(value, float)) and math.isfinite(value)


def _json(line: str) -> Any:
    try:
        return json.loads(line)
    except (ValueError, RecursionError):
        return None
