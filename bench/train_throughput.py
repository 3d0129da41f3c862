#!/usr/bin/env python
"""Training throughput: the original recipe and TRL's SFTTrainer, each in its strongest fair reading, vs fctune.

Same data, same model, one run, each variant in its own process (so that peak memory is its own):

  (a)  the original recipe as its spec reads most literally: HF Trainer, batch 1, grad-accum 8,
       every sample padded to 1024, loss on every non-pad token of the whole conversation;
  (a') the same recipe unpadded: batch 1 needs no padding at all (what a user's own script does);
  (b)  TRL SFTTrainer as its docs show for tool-calling data (messages + tools, assistant_only_loss),
       otherwise its defaults (gradient checkpointing on, batch 8, padded per batch);
  (b') TRL set up for speed as its docs allow: packing into 1024-token blocks with best-fit
       decreasing (padding-free, position ids per sequence), gradient checkpointing off, batch 1
       block x accumulation 4 (about 8 conversations per step, as the others), assistant-only loss
       (falls back to checkpointing on, and says so, when the process dies for memory);
  (c)  fctune's trainer with the same effective batch (8 samples per optimizer step).

The headline is (c) against the FASTER of (a)/(a') and of (b)/(b'), in trained tokens/s: tokens
that carry loss in (c)'s sense (assistant text, calls and end-of-turn token of every assistant turn),
counted once per conversation and the same way for all. Beside it: real tokens/s (the non-pad tokens
each variant put through the model), peak memory (max RSS), and (c)'s FLOP efficiency (the FLOPs
its necessary work needs per second over the fp32 matmul rate measured at the model's shapes).

Models: by default the real Qwen2.5-Coder-0.5B-Instruct weights (`fctune prefetch`, no hub);
`--shape qwen3-0.6b` the Qwen3-0.6B architecture with random weights; `--quick` a Qwen3 shape of
hidden 512 / 8 layers (its LM head does not dwarf its body) and fewer conversations, ending with
`speedup X.XX` against the faster seed reading.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SHAPES = {
    # name: (hidden, intermediate, layers, heads, kv_heads, head_dim)
    "qwen3-0.6b": (1024, 3072, 28, 16, 8, 128),
    "quick": (512, 3072, 8, 8, 4, 128),  # body 50M parameters beside a 78M-parameter head
    "tiny": (64, 128, 2, 4, 2, 16),  # the bench's own test (tests/test_bench.py): plumbing, not speed
}
VOCAB = {"qwen3-0.6b": 151936, "quick": 151936, "tiny": 151936}
VARIANTS = ("a", "a-nopad", "b-default", "b-fast", "c")
LABELS = {
    "a": "(a) original recipe: HF Trainer, batch 1 x accum 8, padded to 1024",
    "a-nopad": "(a') original recipe unpadded (batch 1 needs no padding)",
    "b-default": "(b) TRL SFTTrainer, assistant_only_loss, its defaults (gradient checkpointing on)",
    "b-fast": "(b') TRL for speed: packing (BFD, padding-free), no gradient checkpointing, assistant-only loss",
    "b-fast-gc": "(b') TRL for speed: packing (BFD, padding-free), gradient checkpointing on (off ran out of memory)",
    "c": "(c) fctune, effective batch 8",
}
LORA = dict(r=16, lora_alpha=32, lora_dropout=0.1,
            target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
MAX_LENGTH = 1024


# ---------------------------------------------------------------------------------------------
# set-up: model and data
# ---------------------------------------------------------------------------------------------


def make_model(shape: str, out: Path) -> Path:
    """A random Qwen3 of the given shape carrying the real Qwen3 tokenizer and template."""
    import torch
    from transformers import AutoTokenizer, Qwen3Config, Qwen3ForCausalLM

    from fctune.assets import qwen3_tokenizer_dir
    from fctune.formats import IM_END

    hidden, inter, layers, heads, kv, head_dim = SHAPES[shape]
    tokenizer = AutoTokenizer.from_pretrained(str(qwen3_tokenizer_dir()))
    config = Qwen3Config(vocab_size=151936, hidden_size=hidden, intermediate_size=inter, num_hidden_layers=layers,
                         num_attention_heads=heads, num_key_value_heads=kv, head_dim=head_dim,
                         max_position_embeddings=40960, tie_word_embeddings=True,
                         eos_token_id=tokenizer.convert_tokens_to_ids(IM_END), pad_token_id=tokenizer.pad_token_id)
    torch.manual_seed(0)
    Qwen3ForCausalLM(config).save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))
    return out


def make_data(n: int, out: Path, model_dir: Path) -> tuple[Path, dict]:
    """n synthetic conversations (realistic lengths) that fit MAX_LENGTH in every rendering used here."""
    from transformers import AutoTokenizer

    from fctune.batching import Sample, merge_turns
    from fctune.data.io import load_conversations
    from fctune.data.schema import write_jsonl
    from fctune.formats import ChatFormat

    synth_dir = out.parent / "synth"
    subprocess.run([sys.executable, "-m", "fctune", "data", "synth", "--n", str(max(n * 2, 200)), "--seed", "0",
                    "--out", str(synth_dir)], check=True, capture_output=True)
    rows = load_conversations(synth_dir / "train.jsonl")
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    fmt = ChatFormat(tokenizer)
    kept, trained, lengths, trees = [], 0, [], []
    for row in rows:
        items = fmt.render_training(row)
        whole = tokenizer.apply_chat_template(row["messages"], tools=row["tools"], tokenize=True)["input_ids"]
        if len(whole) > MAX_LENGTH or any(len(it.input_ids) > MAX_LENGTH for it in items):
            continue
        kept.append(row)
        trained += sum(sum(it.trainable) for it in items)
        lengths.extend(len(it.input_ids) for it in items)
        tree = merge_turns([Sample(it.input_ids, it.trainable) for it in items])
        trees.append((len(tree), sum(d + 1 for d in tree.positions())))
        if len(kept) == n:
            break
    write_jsonl(out, kept)
    return out, {"conversations": len(kept), "trained_tokens": trained, "turn_tokens": sum(lengths),
                 "tree_tokens": sum(t for t, _ in trees), "fctune_sample_lengths": lengths, "fctune_trees": trees}


# ---------------------------------------------------------------------------------------------
# variants (each in its own process)
# ---------------------------------------------------------------------------------------------


def _peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2


def run_original(model_dir: str, data: str, work: str, padded: bool = True) -> dict:
    """(a) The original recipe: whole conversation, loss on every non-pad token; padded to 1024 or,
    (a'), not at all (batch 1)."""
    import torch
    from datasets import Dataset
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer, Trainer, TrainingArguments

    from fctune.data.io import load_conversations

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    rows = load_conversations(data)
    enc = []
    for row in rows:
        text = tokenizer.apply_chat_template(row["messages"], tools=row["tools"], tokenize=False)
        ids = tokenizer(text, max_length=MAX_LENGTH, truncation=True, padding="max_length" if padded else False)
        labels = [t if m else -100 for t, m in zip(ids["input_ids"], ids["attention_mask"])]
        enc.append({"input_ids": ids["input_ids"], "attention_mask": ids["attention_mask"], "labels": labels})
    real = sum(sum(e["attention_mask"]) for e in enc)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    model = get_peft_model(model, LoraConfig(task_type="CAUSAL_LM", **LORA))
    args = TrainingArguments(output_dir=work, per_device_train_batch_size=1, gradient_accumulation_steps=8,
                             num_train_epochs=1, learning_rate=1e-4, lr_scheduler_type="cosine", optim="adamw_torch",
                             use_cpu=not torch.cuda.is_available(), bf16=torch.cuda.is_available(),
                             save_strategy="no", report_to=[], logging_steps=1000, disable_tqdm=True)
    trainer = Trainer(model=model, args=args, train_dataset=Dataset.from_list(enc))
    start = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "real_tokens": real, "peak_rss_gb": _peak_rss_gb()}


def _trl_template(model_dir: str) -> str | None:
    """TRL's own copy of this model family's template, for when TRL refuses the shipped one."""
    from trl import chat_template_utils as ctu

    family = json.loads(Path(model_dir, "config.json").read_text()).get("model_type")
    return getattr(ctu, {"qwen3": "qwen3_chat_template", "qwen2": "qwen2_5_chat_template"}.get(family, ""), None)


def _trl_row(row: dict) -> dict:
    """A conversation as a TRL dataset row that Arrow cannot widen: tools and call arguments as JSON
    text (TRL parses a ``tools`` string; the template prints string arguments as they are). As
    dicts, Arrow unifies them into one struct type across rows, every tool and every call then
    carries every other row's keys as nulls, the prompts outgrow 1,024 tokens, and TRL truncates
    them and drops the rows left without an assistant token (22 of 32 in one run)."""
    messages = []
    for msg in row["messages"]:
        msg = dict(msg)
        if msg.get("tool_calls"):
            msg["tool_calls"] = [{"type": "function", "function": {
                "name": c["function"]["name"],
                "arguments": json.dumps(c["function"]["arguments"], ensure_ascii=False)}} for c in msg["tool_calls"]]
        messages.append(msg)
    return {"messages": messages, "tools": json.dumps(row["tools"], ensure_ascii=False)}


def run_trl(model_dir: str, data: str, work: str, setup: str) -> dict:
    """(b) TRL SFTTrainer with messages + tools and assistant_only_loss: its defaults (``default``),
    or set up for speed (``fast``: BFD packing, padding-free, no checkpointing; ``fast-gc``: the same
    with checkpointing)."""
    import torch
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    from fctune.data.io import load_conversations

    rows = load_conversations(data)
    dataset = Dataset.from_list([_trl_row(r) for r in rows])
    kwargs: dict = {}
    if setup.startswith("fast"):
        kwargs = dict(packing=True, packing_strategy="bfd", max_length=MAX_LENGTH,
                      gradient_checkpointing=setup == "fast-gc", per_device_train_batch_size=1,
                      gradient_accumulation_steps=4)
    args = SFTConfig(output_dir=work, assistant_only_loss=True, num_train_epochs=1, learning_rate=1e-4,
                     use_cpu=not torch.cuda.is_available(), bf16=torch.cuda.is_available(),
                     save_strategy="no", report_to=[], logging_steps=1000, disable_tqdm=True, **kwargs)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    template_note = "the model's own"

    def build() -> SFTTrainer:
        model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
        return SFTTrainer(model=model, args=args, train_dataset=dataset, processing_class=tokenizer,
                          peft_config=LoraConfig(task_type="CAUSAL_LM", **LORA))

    try:
        trainer = build()
    except ValueError as exc:
        # TRL patches only templates it knows byte for byte; a shipped template that differs from
        # TRL's copy is refused for assistant_only_loss. Give TRL its own copy of the family's
        # template (same layout) so that (b) can run at all, and record that it needed this.
        copy = _trl_template(model_dir)
        if "not training-compatible" not in str(exc) or copy is None:
            raise
        tokenizer.chat_template = copy
        template_note = "TRL's copy of the family's template (TRL rejects the shipped one for assistant_only_loss)"
        trainer = build()
    real = sum(len(x) for x in trainer.train_dataset["input_ids"])
    start = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "real_tokens": real, "peak_rss_gb": _peak_rss_gb(),
            "gradient_checkpointing": bool(args.gradient_checkpointing), "template": template_note,
            "packing": bool(args.packing), "sequences": len(trainer.train_dataset),
            "effective_batch": args.per_device_train_batch_size * args.gradient_accumulation_steps}


def run_fctune(model_dir: str, data: str, work: str, extra: list[str]) -> dict:
    """(c) fctune's trainer, effective batch 8 (its defaults), one epoch."""
    from fctune.config import load_config
    from fctune.train import train

    cfg = load_config(None, [f"model.name_or_path={model_dir}", f"data.train_file={data}", "train.num_epochs=1",
                             f"train.output_dir={work}", "train.smoke_test=false", f"data.max_length={MAX_LENGTH}",
                             *extra])
    summary = train(cfg)
    return {"seconds": summary["train_time_s"], "real_tokens": summary["tokens"],
            "peak_rss_gb": _peak_rss_gb(), "fctune_summary": summary}


# ---------------------------------------------------------------------------------------------
# FLOPs
# ---------------------------------------------------------------------------------------------


def sgemm_rate(shape: str, tokens: int = 2048, repeats: int = 5) -> float:
    """Dense fp32 matmul FLOP/s at the model's shapes (M = a micro-batch of tokens)."""
    import torch

    from fctune.models import set_cpu_threads

    set_cpu_threads(0)
    hidden, inter, _layers, heads, kv, head_dim = SHAPES[shape]
    shapes = [(hidden, heads * head_dim), (hidden, kv * head_dim), (heads * head_dim, hidden),
              (hidden, inter), (inter, hidden)]
    flops, seconds = 0.0, 0.0
    for k, n in shapes:
        a, b = torch.randn(tokens, k), torch.randn(k, n)
        torch.mm(a, b)
        start = time.perf_counter()
        for _ in range(repeats):
            torch.mm(a, b)
        seconds += time.perf_counter() - start
        flops += 2.0 * tokens * k * n * repeats
    return flops / seconds


def necessary_flops(shape: str, tokens: int, attended: float, trained_tokens: int) -> float:
    """Forward + backward of the frozen body with LoRA on real tokens, LM head only where loss is taken.

    ``tokens``: the tokens that must be computed (each distinct prefix once: with prefix sharing the
    turns of a conversation share theirs); ``attended``: the (query, key) pairs causal attention
    needs, summed over tokens (n(n+1)/2 for a plain sequence of n; for a tree, each token's depth + 1).
    Frozen weights need no weight gradients: body linears cost 2N (forward) + 2N (input gradients)
    per token; LoRA adapters 6 x their params; attention 4·d per pair forward and twice that
    backward; the tied head 2·V·d forward + 2·V·d input-gradient on trained positions only.
    """
    hidden, inter, layers, heads, kv, head_dim = SHAPES[shape]
    attn = heads * head_dim
    linear = layers * (hidden * attn + 2 * hidden * kv * head_dim + attn * hidden + 3 * hidden * inter)
    r = LORA["r"]
    lora = layers * r * ((hidden + attn) + 2 * (hidden + kv * head_dim) + (attn + hidden) + 3 * (hidden + inter))
    attention = layers * 12 * attn * attended
    head = 4 * VOCAB[shape] * hidden * trained_tokens
    return tokens * (4 * linear + 6 * lora) + attention + head


# ---------------------------------------------------------------------------------------------
# driver
# ---------------------------------------------------------------------------------------------


def _child(variant: str, args: argparse.Namespace) -> dict:
    cmd = [sys.executable, __file__, "--child", variant, "--model-dir", args.model_dir, "--data", args.data,
           "--work", tempfile.mkdtemp(prefix=f"bench-{variant}-")]
    for override in args.fctune_override:
        cmd += ["--fctune-override", override]
    env = dict(os.environ, PYTHONUNBUFFERED="1", TOKENIZERS_PARALLELISM="false")
    print(f"running ({variant}) ...", flush=True)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=args.timeout or None)
    except subprocess.TimeoutExpired:
        return {"error": f"did not finish within --timeout {args.timeout} s"}
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-6:]
        return {"error": " | ".join(tail)}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def child_main(variant: str, args: argparse.Namespace) -> None:
    import warnings

    warnings.filterwarnings("ignore")
    from fctune.models import set_cpu_threads

    set_cpu_threads(0)
    if variant in ("a", "a-nopad"):
        result = run_original(args.model_dir, args.data, args.work, padded=variant == "a")
    elif variant.startswith("b-"):
        result = run_trl(args.model_dir, args.data, args.work, variant[2:])
    else:
        result = run_fctune(args.model_dir, args.data, args.work, args.fctune_override)
    print(json.dumps(result))


def versions() -> dict:
    import importlib.metadata as md

    out = {"python": platform.python_version()}
    for name in ("torch", "transformers", "peft", "accelerate", "trl"):
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            out[name] = None
    return out


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def best(results: dict, names: tuple[str, ...]) -> tuple[str | None, float]:
    """The fastest of ``names`` that finished: (name, trained tokens/s)."""
    done = [(results[n]["trained_tokens_per_s"], n) for n in names if "trained_tokens_per_s" in results.get(n, {})]
    if not done:
        return None, 0.0
    rate, name = max(done)
    return name, rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--quick", action="store_true", help="Qwen3 shape hidden 512 / 8 layers, 16 conversations")
    parser.add_argument("--shape", choices=sorted(SHAPES), default=None,
                        help="a random-weight shape instead of the real Qwen2.5-Coder-0.5B-Instruct weights")
    parser.add_argument("--model", default=None, help="model directory or fctune alias (default: qwen2.5-0.5b)")
    parser.add_argument("--samples", type=int, default=0, help="conversations (default 16)")
    parser.add_argument("--variants", default=",".join(VARIANTS), help=f"comma list of {', '.join(VARIANTS)}")
    parser.add_argument("--out", default=None, help="write the results as JSON here")
    parser.add_argument("--timeout", type=int, default=0, help="seconds allowed per variant (0: no limit)")
    parser.add_argument("--fctune-override", action="append", default=[], help="extra key=value for (c)")
    parser.add_argument("--markdown-from", metavar="REPORT.json", help="print the table of a saved run and stop")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--model-dir", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--data", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--work", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(args.child, args)
        return
    if args.markdown_from:
        print(markdown(json.loads(Path(args.markdown_from).read_text())))
        return

    shape = "quick" if args.quick else args.shape
    n = args.samples or 16
    work = Path(tempfile.mkdtemp(prefix="fctune-bench-"))
    if shape is not None:
        model_dir = make_model(shape, work / "model")
    else:
        from fctune.models import resolve_model_path

        model_dir = Path(resolve_model_path(args.model or "qwen2.5-0.5b"))
        shape = _shape_of(model_dir)
    data, info = make_data(n, work / "data.jsonl", model_dir)
    args.model_dir, args.data = str(model_dir), str(data)
    report_info = {k: v for k, v in info.items() if not k.startswith("fctune_")}
    print(f"model {model_dir} ({shape}: {SHAPES[shape]}), {info['conversations']} conversations, "
          f"{info['trained_tokens']} trained tokens", flush=True)

    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = sorted(set(variants) - set(VARIANTS))
    if unknown:
        parser.error(f"unknown variant(s) {', '.join(unknown)}; choose from {', '.join(VARIANTS)}")
    try:
        import trl  # noqa: F401
    except ImportError:
        variants = [v for v in variants if not v.startswith("b")]
        print("note: trl is not installed (pip install -e '.[bench]'); (b) skipped", flush=True)
    load = os.getloadavg()
    results = {}
    for v in variants:
        res = _child(v, args)
        if v == "b-fast" and "error" in res:  # most likely out of memory without checkpointing
            results[v] = res
            print(f"  ({v}) {res['error'][:300]}; retrying with gradient checkpointing", flush=True)
            v, res = "b-fast-gc", _child("b-fast-gc", args)
        if "seconds" in res:
            res["trained_tokens_per_s"] = info["trained_tokens"] / res["seconds"]
            res["real_tokens_per_s"] = res["real_tokens"] / res["seconds"]
        results[v] = res
        print(f"  ({v}) {json.dumps({k: v for k, v in res.items() if k != 'fctune_summary'})}", flush=True)

    rate = sgemm_rate(shape)
    report = {"date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "machine": cpu_name(),
              "cores": os.cpu_count(), "load_average_before": [round(x, 2) for x in load],
              "load_average_after": [round(x, 2) for x in os.getloadavg()], "versions": versions(),
              "model": str(model_dir), "shape": shape, "shape_dims": SHAPES[shape], "data": report_info,
              "sgemm_gflops": rate / 1e9, "command": " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]]),
              "results": results}
    c = results.get("c", {})
    if "seconds" in c:
        summ = c["fctune_summary"]
        if summ.get("prefix_sharing"):
            tokens, attended = info["tree_tokens"], sum(a for _, a in info["fctune_trees"])
        else:
            lengths = info["fctune_sample_lengths"]
            tokens, attended = sum(lengths), sum(n * (n + 1) / 2 for n in lengths)
        assert summ["tokens"] == tokens, "(c) processed other samples than counted"
        flops = necessary_flops(shape, tokens, attended, summ["trained_tokens"])
        report["c_flop_efficiency"] = flops / c["seconds"] / rate
        report["c_achieved_gflops"] = flops / c["seconds"] / 1e9
    seed_name, seed_rate = best(results, ("a", "a-nopad"))
    trl_name, trl_rate = best(results, ("b-default", "b-fast", "b-fast-gc"))
    if "trained_tokens_per_s" in c:
        if seed_name:
            report["speedup_vs_seed"] = {"against": seed_name, "ratio": c["trained_tokens_per_s"] / seed_rate,
                                         "peak_ratio": c["peak_rss_gb"] / results[seed_name]["peak_rss_gb"]}
        if trl_name:
            report["speedup_vs_trl"] = {"against": trl_name, "ratio": c["trained_tokens_per_s"] / trl_rate}
    _print_table(report)
    print("\n" + markdown(report) + "\n")
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=2, default=str))
    if "speedup_vs_seed" in report:
        print(f"speedup {report['speedup_vs_seed']['ratio']:.2f}")


def _shape_of(model_dir: Path) -> str:
    cfg = json.loads((model_dir / "config.json").read_text())
    shape = (cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"], cfg["num_attention_heads"],
             cfg.get("num_key_value_heads", cfg["num_attention_heads"]),
             cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"])
    name = cfg.get("model_type", "custom")
    SHAPES[name], VOCAB[name] = shape, cfg["vocab_size"]
    return name


def markdown(report: dict) -> str:
    """The run as the table docs/BENCHMARKS.md shows (``--markdown-from REPORT.json`` prints it again)."""
    lines = ["| variant | trained tok/s | real tokens | real tok/s | peak RSS GB | seconds |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for name, res in report["results"].items():
        label = LABELS.get(name, name)
        if "seconds" not in res:
            lines.append(f"| {label} | did not finish: {res.get('error', '?')[:160]} | | | | |")
            continue
        lines.append(f"| {label} | {res['trained_tokens_per_s']:.2f} | {res['real_tokens']:,} | "
                     f"{res['real_tokens_per_s']:.1f} | {res['peak_rss_gb']:.2f} | {res['seconds']:.0f} |")
    notes = []
    for key, what in (("speedup_vs_seed", "the faster seed reading"), ("speedup_vs_trl", "the faster TRL set-up")):
        if key in report:
            r = report[key]
            peak = f", at {100 * r['peak_ratio']:.0f} % of its peak memory" if "peak_ratio" in r else ""
            notes.append(f"- (c) / {what} ({LABELS.get(r['against'], r['against']).split(' ')[0]}): "
                         f"**{r['ratio']:.2f}x**{peak}")
    if "c_flop_efficiency" in report:
        notes.append(f"- (c)'s FLOP efficiency: **{100 * report['c_flop_efficiency']:.1f} %** "
                     f"({report['c_achieved_gflops']:.1f} GFLOP/s of necessary work against the "
                     f"{report['sgemm_gflops']:.0f} GFLOP/s fp32 matmul rate measured in the same run)")
    return "\n".join(lines + [""] + notes)


def _print_table(report: dict) -> None:
    print(f"\n{report['machine']} x{report['cores']}, fp32 matmul {report['sgemm_gflops']:.0f} GFLOP/s, "
          f"{report['model']} ({report['shape']}), load average {report['load_average_before'][0]:.2f} before, "
          f"{report['load_average_after'][0]:.2f} after")
    print(f"{'variant':<100}{'trained tok/s':>15}{'real tok/s':>12}{'peak GB':>9}{'seconds':>9}")
    for name, res in report["results"].items():
        label = LABELS.get(name, name)
        if "seconds" not in res:
            print(f"{label:<100}  failed: {res.get('error', '?')[:200]}")
            continue
        print(f"{label:<100}{res['trained_tokens_per_s']:>15.2f}{res['real_tokens_per_s']:>12.1f}"
              f"{res['peak_rss_gb']:>9.2f}{res['seconds']:>9.1f}")
    if "c_flop_efficiency" in report:
        print(f"(c) FLOP efficiency {100 * report['c_flop_efficiency']:.1f} % "
              f"({report['c_achieved_gflops']:.1f} GFLOP/s of necessary work)")
    for key, what in (("speedup_vs_seed", "the faster seed reading"), ("speedup_vs_trl", "the faster TRL set-up")):
        if key in report:
            r = report[key]
            peak = f", at {100 * r['peak_ratio']:.0f} % of its peak memory" if "peak_ratio" in r else ""
            print(f"(c) / {what} ({r['against']}): {r['ratio']:.2f}x{peak}")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    main()
