"""A generation journal: the answers of one :func:`fctune.generate.generate` call written to disk
batch by batch, so that an evaluation cut short (killed, out of time, the session over) goes on
where it stopped instead of generating for another hour.

The file is JSONL. Its first line holds the journal's ``key``: everything the answers depend on
(the model and adapter weights, the prompts, the generation settings), as the caller states it.
Every further line is one finished batch: its answers (prompt index, token ids, finish reason, the
call decision, the plain greedy answer beside a changed one) and what the batch added to the
:class:`~fctune.generate.GenerationStats` (time included), so that a resumed run's totals are those
of all its parts. A file whose key differs is not used: it is started over and :attr:`Journal.stale`
says so, for the caller to tell the user. A last line cut by a kill is dropped (the batch is
generated again); answers cancelled mid-way are never written.
"""

from __future__ import annotations

import json
import os
from dataclasses import fields
from pathlib import Path
from typing import Any, Sequence

from fctune.generate import GenerationStats

Result = tuple[list[int], str, Any, Any]
"""One prompt's answer as :func:`fctune.generate.generate` keeps it: ``(token_ids, finish_reason,
(P(call), decision) or None, plain greedy (token_ids, finish_reason) or None)``."""


class Journal:
    """Finished answers of one generate call, read from ``path`` at construction, appended per batch."""

    def __init__(self, path: str | Path, key: dict[str, Any]) -> None:
        self.path = Path(path)
        self.key = json.loads(json.dumps(key, ensure_ascii=False))  # compared as it reads back
        self.results: dict[int, Result] = {}
        """Prompt index -> its answer, from earlier runs."""
        self.stats = GenerationStats()
        """What the earlier runs' batches added up to (prompt counts aside: they are the whole call's)."""
        self.stale = False
        """A journal was there but made for another key (other weights, prompts or settings): not used."""
        self._load()

    def _load(self) -> None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        complete = text.split("\n")[:-1]  # what follows the last newline was cut by a kill, or is empty
        head = _json(complete[0]) if complete else None
        if not isinstance(head, dict) or head.get("key") != self.key:
            self.stale = bool(text)
            self.path.unlink()
            return
        kept = [complete[0]]
        for line in complete[1:]:
            try:
                answers, counts = _batch(_json(line))
            except (TypeError, ValueError, KeyError):  # cut by a kill (or not ours): from here on, generated again
                break
            self.results.update(answers)
            self.stats.add(counts)
            kept.append(line)
        if len(kept) < len(complete) or not text.endswith("\n"):  # appends must start on a fresh line
            tmp = self.path.with_name(self.path.name + ".tmp")
            tmp.write_text("".join(line + "\n" for line in kept), encoding="utf-8")
            os.replace(tmp, self.path)

    def record(self, indices: Sequence[int], results: Sequence[Result], stats: dict[str, Any]) -> None:
        """Append one finished batch (``stats``: what it added to the counts of :class:`GenerationStats`), flushed to
        disk before generation goes on; answers ``cancelled`` are left out (they are not whole)."""
        rows = [[i, *res] for i, res in zip(indices, results) if res[1] != "cancelled"]
        if not self.path.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._append({"key": self.key})
        self._append({"batch": rows, "stats": stats})

    def _append(self, record: dict[str, Any]) -> None:
        with open(self.path, "a", encoding="utf-8", newline="\n") as fh:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    def remove(self) -> None:
        """The run finished and its report is written: the journal has nothing left to give."""
        self.path.unlink(missing_ok=True)


def _batch(record: Any) -> tuple[dict[int, Result], dict[str, float]]:
    """One batch line's answers and counts; ValueError (or TypeError, KeyError) if it is not one."""
    answers: dict[int, Result] = {}
    for index, token_ids, reason, decided, plain in record["batch"]:
        if not (isinstance(index, int) and isinstance(token_ids, list) and isinstance(reason, str)):
            raise ValueError("not an answer")
        answers[index] = (token_ids, reason, tuple(decided) if decided else None, tuple(plain) if plain else None)
    counts = {name: value for name, value in record["stats"].items() if name in COUNTS}
    if not all(isinstance(value, (int, float)) for value in counts.values()):
        raise ValueError("not a count")
    return answers, counts


COUNTS = {f.name for f in fields(GenerationStats)} - {"prompts", "prompt_tokens"}
"""What a batch adds to: the :class:`GenerationStats` counts but the prompt counts, the whole call's."""


def _json(line: str) -> Any:
    try:
        return json.loads(line)
    except ValueError:
        return None
