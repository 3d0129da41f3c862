"""``fctune eval``: how well a model (base, tuned, or both) calls tools, scored with BFCL's AST semantics.

Items come from BFCL categories (``--bfcl simple_python,irrelevance``) or from our own canonical
data files (``--data FILE``: every assistant turn is an item, asked with the gold history before
it). Outputs are generated with :func:`fctune.generate.generate` from exactly the prompts
:class:`fctune.formats.ChatFormat` builds, or read from ``--responses FILE`` (texts produced
elsewhere, e.g. by vLLM), then parsed with :func:`fctune.formats.parse` and scored with
:mod:`fctune.scoring`. Writes ``predictions.jsonl``, ``report.json``, ``report.md`` and
``report.png`` into ``--out``. Python entry point: :func:`run_eval`.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from pathlib import Path
from typing import Any, Callable, Sequence

from fctune.config import Config
from fctune.errors import DataError, FctuneError

DATA_CATEGORIES = ("single", "parallel", "multi_step", "no_call", "final_answer")


# --------------------------------------------------------------------------- items


def turn_kind(messages: Sequence[dict], turn: int) -> str:
    """Category of assistant turn ``turn``: ``single`` / ``parallel`` (one / several calls),
    ``multi_step`` (a call right after tool results), ``no_call`` (no call where none is
    needed: abstaining, chit-chat, asking back), ``final_answer`` (text right after tool results)."""
    calls = messages[turn].get("tool_calls") or []
    after_tool = turn > 0 and messages[turn - 1]["role"] == "tool"
    if calls:
        return "multi_step" if after_tool else ("parallel" if len(calls) > 1 else "single")
    return "final_answer" if after_tool else "no_call"


def data_item_id(conv: dict, line: int, turn: int) -> str:
    """The id of a data file's item: ``<row id, else its line>:<turn>``."""
    row_id = conv.get("id")
    return f"{row_id if row_id not in (None, '') else line}:{turn}"


def load_data_items(path: str | Path, limit: int = 0) -> list:
    """Items from a canonical JSONL file, validated like ``fctune data validate``: one item per
    assistant turn, id ``<row-id or line>:<turn>``, category from :func:`turn_kind`; the first
    ``limit`` items of each category when ``limit`` > 0. Raises :class:`DataError` (every problem
    as ``FILE:LINE: reason``)."""
    from fctune.data.io import load_numbered_conversations
    from fctune.data.schema import schema_to_jsonschema
    from fctune.formats import ToolCall
    from fctune.scoring import EvalItem, reference_answer

    items: list[EvalItem] = []
    for line, conv in load_numbered_conversations(path):
        tools = conv.get("tools") or []
        schemas = {t["function"]["name"]: schema_to_jsonschema(t["function"].get("parameters") or {}) for t in tools}
        messages = conv["messages"]
        for turn, msg in enumerate(messages):
            if msg["role"] != "assistant":
                continue
            calls = [ToolCall.from_message(c) for c in msg.get("tool_calls") or []]
            items.append(EvalItem(
                id=data_item_id(conv, line, turn), category=turn_kind(messages, turn), messages=messages[:turn], tools=tools,
                expected=reference_answer(calls, schemas) if calls else None, schemas=schemas, mode="reference"))
    if not items:
        raise DataError(str(path), 1, "the file holds no assistant turns to evaluate")
    if limit > 0:
        seen: dict[str, int] = {}
        kept = []
        for it in items:
            seen[it.category] = seen.get(it.category, 0) + 1
            if seen[it.category] <= limit:
                kept.append(it)
        items = kept
    return items


def load_responses(path: str | Path, known: set[str]) -> dict[str, str]:
    """``{"id", "raw"}`` lines -> id -> raw text. Unknown or repeated ids and malformed lines are
    errors (all of them, as ``FILE:LINE: reason``)."""
    from fctune.data.schema import DataErrors, iter_jsonl

    out: dict[str, str] = {}
    lines: dict[str, int] = {}
    errors: list[DataError] = []
    for line, obj in iter_jsonl(path):
        if isinstance(obj, DataError):
            errors.append(obj)
            continue
        if not isinstance(obj, dict):
            errors.append(DataError(str(path), line, f"expected a JSON object {{\"id\", \"raw\"}}, got {type(obj).__name__}"))
            continue
        ident, raw = obj.get("id"), obj.get("raw")
        if ident is None or isinstance(ident, (dict, list, bool)):
            errors.append(DataError(str(path), line, "missing or invalid 'id'"))
            continue
        if not isinstance(raw, str):
            errors.append(DataError(str(path), line, "'raw' must be the generated text (a string)"))
            continue
        ident = str(ident)
        if ident not in known:
            errors.append(DataError(str(path), line, f"unknown item id {ident!r}"))
        elif ident in out:
            errors.append(DataError(str(path), line, f"id {ident!r} repeated (first on line {lines[ident]})"))
        else:
            out[ident] = raw
            lines[ident] = line
    if errors:
        raise DataErrors(errors)
    if not out:
        raise DataError(str(path), 1, "the file holds no responses")
    return out


def load_items(data: str | None = None, bfcl: str | Sequence[str] | None = None, limit: int = 0,
               split: str = "all", sample: int = 0, sample_round: int = 1) -> tuple[list, str]:
    """Items and a one-line description of where they came from. ``split`` (BFCL only): ``dev``
    (every fifth item of each category: the only BFCL items design decisions may look at), ``test``
    (the rest: what reports quote) or ``all``. ``sample`` (BFCL only): that many items of each
    category at random, with a seed fixed per category (:func:`fctune.bfcl.sample_indices`);
    ``sample_round`` 2, 3, ...: a further such sample that holds none of the earlier rounds' items."""
    if bool(data) == bool(bfcl):
        raise FctuneError("give exactly one of --data FILE or --bfcl CATEGORIES")
    if data:
        if not Path(data).is_file():
            raise FctuneError(f"data file not found: {data}")
        if split != "all" or sample or sample_round != 1:
            raise FctuneError("--split, --sample and --sample-round apply to BFCL items (--bfcl); a data file is split "
                              "by its own files")
        return load_data_items(data, limit), f"data file `{data}`" + (f" (first {limit} per category)" if limit else "")
    from fctune.bfcl import load_items as load_bfcl, parse_categories

    cats = parse_categories(bfcl)  # type: ignore[arg-type]
    where = "" if split == "all" else f", {split} split"
    if limit and sample:
        raise FctuneError("give --limit (the first N items per category) or --sample (N at random), not both")
    if sample_round < 1 or (sample_round > 1 and not sample):
        raise FctuneError("--sample-round must be >= 1, and above 1 it needs --sample N")
    items = load_bfcl(cats, limit, split=split, sample=sample, sample_round=sample_round)
    if limit:
        drawn = f" (first {limit} per category)"
    elif sample_round == 1:
        drawn = f" (a fixed random sample of {sample} per category, or all of a smaller one)" if sample else ""
    else:  # earlier rounds of the same size may have taken every item of a category
        empty = [c for c in cats if not any(it.category == c for it in items)]
        if len(empty) == len(cats):
            raise FctuneError(f"round {sample_round} of samples of {sample}: earlier rounds took every {split} item of "
                              f"{', '.join(empty)}; none is left")
        drawn = (f" (round {sample_round} of fixed random samples of {sample} per category: none of the earlier "
                 "rounds' items; what they left of a smaller one" + (f"; none left of {', '.join(empty)}" if empty else "")
                 + ")")
    return items, f"BFCL v4 {', '.join(cats)}{where}{drawn}"


# --------------------------------------------------------------------------- scoring


def score_outputs(items: Sequence, raws: Sequence[str], label: str, finish: Sequence[str | None] | None = None) -> list[dict]:
    """Parse and score outputs; one prediction row per item."""
    from fctune.formats import parse
    from fctune.scoring import score

    rows = []
    for k, (item, raw) in enumerate(zip(items, raws)):
        parsed = parse(raw)
        result = score(parsed, item)
        row = {"id": item.id, "category": item.category, "model": label, "raw": raw,
               "expects_call": item.expected is not None,
               "tool_calls": [c.as_dict() for c in parsed.tool_calls], "correct": result.correct,
               "error": result.error, "detail": result.detail, "parse_errors": parsed.errors}
        if finish is not None and finish[k]:
            row["finish_reason"] = finish[k]
        rows.append(row)
    return rows


def _categories(items: Sequence) -> list[str]:
    out: list[str] = []
    for item in items:
        if item.category not in out:
            out.append(item.category)
    return out


# --------------------------------------------------------------------------- entry point


def run_eval(cfg: Config | None = None, data: str | None = None, bfcl: str | Sequence[str] | None = None,
             responses: str | None = None, out: str | Path | None = None, compare: bool = False,
             progress: bool = True, log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Evaluate and return the report dict (also written into ``out`` when given); ``log`` receives
    the progress lines (``None``: silent).

    ``cfg``: the runtime section (``cfg.model``: model, adapter, template, dtype, device, threads,
    thinking) and the generation settings (``cfg.eval``: limit, batch size, max new tokens, call
    threshold; a negative threshold is resolved to the calibrated one, :func:`fctune.calibrate.resolve_threshold`).
    ``compare=True`` (needs an adapter) runs the base model (adapter disabled) and the tuned one in
    one go; ``responses`` scores texts from a JSONL file instead of generating (no model; an empty
    ``cfg.model.name_or_path`` leaves the report without a model name). How often the call decision
    changed the greedy answer is in each run's ``generation`` stats; beside each answer it changed
    stands the plain greedy one (continued on the same prompt pass from the greedy first token,
    ``generate(..., greedy_too=True)``), and ``greedy`` maps a run's label to its summary with those
    answers (plain greedy on every item, at the cost of the changed answers' tokens only). The report's ``runs`` maps
    ``base`` / ``tuned`` / ``responses`` to per-run summaries (:func:`fctune.report.summarize_run`);
    with two runs ``delta`` holds tuned minus base accuracy.
    """
    from fctune.calibrate import calls_open_turns, resolve_after_tool_threshold, resolve_threshold
    from fctune.report import summarize_run, write_report

    cfg = cfg or Config()
    rt, ev = cfg.model, cfg.eval
    model, adapter, limit, split = (rt.name_or_path or None), (rt.adapter or None), ev.limit, ev.split
    call_threshold = resolve_threshold(ev.call_threshold, adapter, model)
    after_tool_threshold = resolve_after_tool_threshold(ev.call_threshold, adapter, model)
    stop_replies = ev.replies == "stop" or (ev.replies == "auto" and calls_open_turns(adapter, model))
    say = log or (lambda _msg: None)
    if compare and not adapter:
        raise FctuneError("--compare needs --adapter DIR (base = the model without it, tuned = with it)")
    if responses and compare:
        raise FctuneError("--responses scores one set of outputs; it cannot be combined with --compare")
    if not responses and not model:
        raise FctuneError("--model is needed to generate (or pass --responses FILE to score texts from elsewhere)")
    if out is not None:  # before minutes of generation, not after
        from fctune.publish import check_output_dir

        check_output_dir(out, "--out")
    items, source = load_items(data, bfcl, limit, split, ev.sample, ev.sample_round)
    cats = _categories(items)
    predictions: list[dict] = []
    runs: dict[str, dict] = {}
    greedy: dict[str, dict] = {}  # plain greedy where the call decision changed answers (same items)
    journals: list[Any] = []  # each generating run's answers so far, on disk while it runs (out given)
    report: dict[str, Any] = {
        "date": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "model": model, "adapter": adapter, "source": source, "items": len(items), "limit": limit, "sample": ev.sample,
        "sample_round": ev.sample_round,
        "split": split, "compare": compare,
    }
    if data:
        report["data"] = str(data)
    else:
        from fctune.bfcl import parse_categories

        report["bfcl"] = parse_categories(bfcl)  # type: ignore[arg-type]
    if responses:
        texts = load_responses(responses, {it.id for it in items})
        scored = [it for it in items if it.id in texts]
        missing = len(items) - len(scored)
        if missing:
            say(f"warning: {missing} of {len(items)} item(s) have no response in {responses}; they are not scored")
        rows = score_outputs(scored, [texts[it.id] for it in scored], "responses")
        predictions += rows
        runs["responses"] = summarize_run("responses", rows, model, adapter, None, cats)
        report.update(responses=str(responses), missing_responses=missing)
    else:
        from fctune.calibrate import thresholds_for
        from fctune.generate import generate
        from fctune.models import load_runtime

        say(f"loading {model}" + (f" + adapter {adapter}" if adapter else ""))
        net, fmt = load_runtime(rt)

        prompts = [fmt.prompt_ids(it.messages, it.tools or None) for it in items]
        limits = thresholds_for(call_threshold, [it.messages for it in items], after_tool_threshold)
        variants = (["base", "tuned"] if compare else ["tuned" if adapter else "base"])

        weights = _weights_digest(net, rt.adapter) if out is not None else ""  # once for base and tuned

        def run(label: str, ids: list, thresholds: Any, desc: str) -> Any:
            journal = _journal(out, label, weights, net, ev, ids, thresholds, stop_replies)
            if journal is not None and journal.stale:
                say(f"{label}: {journal.path} held answers for other weights, prompts or settings (or was not "
                    f"readable as a journal): moved to {journal.stale}; starting over")
            if journal is not None and journal.results:
                say(f"{label}: {len(journal.results)} of {len(ids)} answer(s) taken from {journal.path} "
                    "(an earlier run cut short); generating the rest")
            journals.append(journal)
            kw = dict(progress=progress, desc=desc, call_threshold=thresholds, stop_replies=stop_replies,
                      greedy_too=True, journal=journal)
            if label == "base" and adapter:
                from fctune.token_rows import fold_token_rows

                with net.disable_adapter():
                    gens = generate(net, fmt, ids, ev.max_new_tokens, ev.batch_size, **kw)
                fold_token_rows(net)  # disabling unfolded the trained token rows
                return gens
            return generate(net, fmt, ids, ev.max_new_tokens, ev.batch_size, **kw)

        for label in variants:
            say(f"{label}: generating {len(items)} answer(s) ({source})")
            gens = run(label, prompts, limits, label)
            rows = score_outputs(items, [g.text for g in gens], label, [g.finish_reason for g in gens])
            for row, g in zip(rows, gens):
                row["call_probability"] = None if g.call_probability is None else round(g.call_probability, 4)
                row["decision"] = g.decision
            predictions += rows
            runs[label] = summarize_run(label, rows, model, adapter if label == "tuned" else None,
                                        gens.stats.as_dict(), cats)
            say(f"{label}: {runs[label]['overall']['accuracy']:.1%} overall, "
                f"{gens.stats.tokens_per_second:.1f} tok/s")
            changed = [k for k, g in enumerate(gens) if g.greedy is not None]
            if changed:
                say(f"{label}: {len(changed)} answer(s) the call decision changed; beside them their plain greedy ones")
                again = [gens[k].greedy for k in changed]
                redone = score_outputs([items[k] for k in changed], [g.text for g in again], f"{label}-greedy",
                                       [g.finish_reason for g in again])
                # one prediction row per item, its greedy answer beside it; the run scored plain greedy
                # (every other answer is greedy already: the decision only ever changes the first token)
                greedy_rows = list(rows)
                for k, row in zip(changed, redone):
                    rows[k]["greedy"] = {key: row[key] for key in ("raw", "tool_calls", "correct", "error", "detail")}
                    greedy_rows[k] = row
                greedy[label] = summarize_run(f"{label}-greedy", greedy_rows, model,
                                              adapter if label == "tuned" else None, None, cats)
                greedy[label]["regenerated"] = len(changed)
                greedy[label].pop("call_auc")  # the same P(call) as the run's own
        report["template"] = fmt.template_name
        report["max_new_tokens"] = ev.max_new_tokens
        report["batch_size"] = ev.batch_size
        report["call_threshold"] = call_threshold
        report["after_tool_threshold"] = after_tool_threshold
        report["replies"] = "stop" if stop_replies else "full"
    report["runs"] = runs
    if greedy:
        report["greedy"] = greedy
    if bfcl:
        from fctune.bfcl import leaderboard

        for summary in (*runs.values(), *greedy.values()):
            summary["leaderboard"] = leaderboard(summary["categories"])
        add_bfcl_eval_verdicts(report, predictions, items)
    if len(runs) == 2:
        base, tuned = runs["base"], runs["tuned"]
        delta = {c: round(tuned["categories"][c]["accuracy"] - base["categories"][c]["accuracy"], 4)
                 for c in base["categories"] if c in tuned["categories"]}
        delta["overall"] = round(tuned["overall"]["accuracy"] - base["overall"]["accuracy"], 4)
        report["delta"] = delta
    if out:
        write_report(report, predictions, out)
        report["out"] = str(out)
        for journal in journals:
            if journal is not None:
                journal.remove()  # the report holds every answer now
    return report


def add_bfcl_eval_verdicts(report: dict, predictions: Sequence[dict], items: Sequence) -> None:
    """Put beside each run of a BFCL report (``runs`` with the call decision, ``greedy`` plain greedy)
    the same answers scored by bfcl-eval's own checker (:mod:`fctune.bfcl_checker`): ``bfcl_eval``
    with per-category accuracy, the leaderboard's aggregates of it, and the items where its verdict
    and fctune's differ. fctune's scorer differs from BFCL's on purpose in two places
    (docs/evaluation.md); this is the figure to put beside a published leaderboard row."""
    from fctune.bfcl import leaderboard
    from fctune.bfcl_checker import rescore

    checked = rescore(predictions, {it.id: it for it in items})
    for kind, section in (("call_decision", "runs"), ("plain_greedy", "greedy")):
        for label, summary in (report.get(section) or {}).items():
            got = checked[label][kind]
            cats = {c: {"n": v["n"], "accuracy": v["accuracy"]} for c, v in got["categories"].items()}
            summary["bfcl_eval"] = {"categories": cats, "leaderboard": leaderboard(cats),
                                    "disagreements": got["disagreements"]}


def recheck_bfcl_report(out: str | Path) -> dict:
    """A BFCL report written before :func:`add_bfcl_eval_verdicts` existed, given bfcl-eval's verdicts
    from the answers it holds (``out/predictions.jsonl``; nothing is generated again) and written
    back (``report.json`` / ``report.md`` / ``report.png``); returns it."""
    from fctune.bfcl import load_items as load_bfcl
    from fctune.report import write_report

    out = Path(out)
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    if not report.get("bfcl"):
        raise FctuneError(f"{out / 'report.json'}: not a BFCL report")
    with open(out / "predictions.jsonl", encoding="utf-8") as fh:
        predictions = [json.loads(line) for line in fh if line.strip()]
    wanted = {p["id"] for p in predictions}
    items = [it for it in load_bfcl(report["bfcl"]) if it.id in wanted]
    add_bfcl_eval_verdicts(report, predictions, items)
    write_report(report, predictions, out)
    return report


def _weights_digest(net: Any, adapter: str | None) -> str:
    """What a run's answers depend on in the weights: sampled base values and the adapter's files
    (their content, not their path; a hub id by its name)."""
    from fctune.fingerprint import fingerprint

    digest = hashlib.sha256(json.dumps(fingerprint(net), sort_keys=True).encode())
    path = Path(adapter) if adapter else None
    if path is not None and not path.is_dir():
        digest.update(str(adapter).encode())  # a hub id: its name is all there is to go by
    for file in sorted(path.iterdir()) if path is not None and path.is_dir() else ():
        if file.is_file() and file.suffix in (".safetensors", ".json", ".pt"):
            digest.update(file.name.encode() + file.read_bytes())
    return digest.hexdigest()


def _journal(out: str | Path | None, label: str, weights: str, net: Any, ev: Any, prompts: Sequence,
             thresholds: Any, stop_replies: bool) -> Any:
    """The journal of one run's answers in ``out`` (``journal-LABEL.jsonl``; none without ``out``),
    keyed to all the answers depend on: the weights (:func:`_weights_digest`), how they run (dtype,
    device, how prompts are batched, the library versions), the prompts (template and tools
    included), the call thresholds and the generation settings. Paths are not in the key: the same
    files named another way are the same run. A run cut short resumes from it."""
    if out is None:
        return None
    import torch
    import transformers

    from fctune import __version__
    from fctune.generate import _one_by_one
    from fctune.journal import Journal

    param = next(net.parameters())
    key = {"label": label, "weights": weights, "dtype": str(param.dtype), "device": param.device.type,
           "prompt_passes": "one by one" if _one_by_one(net, param.device) else "batched",
           "versions": [__version__, torch.__version__, transformers.__version__],
           "max_new_tokens": ev.max_new_tokens, "batch_size": ev.batch_size, "stop_replies": stop_replies,
           "prompts": hashlib.sha256(json.dumps([list(p) for p in prompts]).encode()).hexdigest(),
           "thresholds": hashlib.sha256(json.dumps(thresholds).encode()).hexdigest()}
    return Journal(Path(out) / f"journal-{label}.jsonl", key, len(prompts))


def export_prompts(model: str, items: Sequence, path: str | Path, template: str = "auto",
                   enable_thinking: bool = False) -> int:
    """Write ``{"id", "prompt", "prompt_token_ids"}`` per item (for generating elsewhere, e.g. vLLM)."""
    from fctune.formats import ChatFormat
    from fctune.models import load_tokenizer

    fmt = ChatFormat(load_tokenizer(model), template=template, enable_thinking=enable_thinking)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for it in items:
            text = fmt.prompt_text(it.messages, it.tools or None)
            fh.write(json.dumps({"id": it.id, "category": it.category, "prompt": text,
                                 "prompt_token_ids": fmt.encode(text)}, ensure_ascii=False) + "\n")
    return len(items)


# --------------------------------------------------------------------------- CLI


