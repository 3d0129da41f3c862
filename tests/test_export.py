"""``fctune export``: GGUF files that transformers reads back and a real llama.cpp (node-llama-cpp) runs.

The tool model (a tiny Qwen3 overfit so that greedy decoding reproduces its training answers) is
exported once through the CLI; the tests then read that file with transformers and with llama.cpp and
compare prompts, token ids, logits and the calls it writes with fctune's own. The tiny-test config's
adapter is exported too (merge path, trained rows, call threshold). Where node is absent the llama.cpp
tests skip and say so; ``make setup`` installs the runtime wherever node is.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conversations import MULTI_STEP, PARALLEL, SINGLE
from tests.helpers import ROOT, TINY_YAML, TRAINING, run_fctune

slow = pytest.mark.slow


def _llamacpp_missing() -> str | None:
    """Why llama.cpp cannot run here (None when it can): node absent, or its runtime not installed."""
    from fctune.llamacpp import LlamaCppUnavailable, runtime_dir

    try:
        runtime_dir()
    except LlamaCppUnavailable as exc:
        return str(exc)
    return None


def _llamacpp_or_skip() -> None:
    missing = _llamacpp_missing()
    if missing:
        print(f"llama.cpp tests skipped: {missing}")
        pytest.skip(missing)


@pytest.fixture(scope="module")
def exported(tool_model, tmp_path_factory) -> Path:
    """The tool model exported as f16 by the CLI (transformers read-back on, llama.cpp check on)."""
    out = tmp_path_factory.mktemp("export") / "tool-gguf"
    llamacpp = "off" if _llamacpp_missing() else "on"
    proc = run_fctune("export", "--model", str(tool_model), "--out", str(out), "--quant", "f16",
                      "--device", "cpu", "--llamacpp", llamacpp, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "read back by transformers" in proc.stdout
    return out / "model-f16.gguf"


@pytest.fixture(scope="module")
def tool_fmt(tool_model):
    from transformers import AutoTokenizer

    from fctune.formats import ChatFormat

    return ChatFormat(AutoTokenizer.from_pretrained(str(tool_model)))


def _fields(path: Path) -> dict:
    import gguf

    reader = gguf.GGUFReader(str(path))
    wanted = ("general.architecture", "tokenizer.chat_template", "tokenizer.ggml.eos_token_id",
              "tokenizer.ggml.pre", "qwen3.attention.key_length", "qwen3.block_count")
    out = {k: reader.fields[k].contents() for k in wanted if k in reader.fields}
    out["n_tokens"] = len(reader.fields["tokenizer.ggml.tokens"].data)
    out["tensors"] = {t.name: t.tensor_type.name for t in reader.tensors}
    return out


@slow
def test_file_carries_the_training_template_and_end_of_turn(exported, tool_model, tool_fmt):
    fields = _fields(exported)
    assert fields["general.architecture"] == "qwen3"
    assert fields["tokenizer.chat_template"] == tool_fmt.runtime_template()
    # rendered with no template arguments, as a runtime does: the training prompt (non-thinking)
    import copy

    plain = copy.deepcopy(tool_fmt.tokenizer)
    plain.chat_template = fields["tokenizer.chat_template"]
    messages, tools = SINGLE["messages"][:1], SINGLE["tools"]
    assert plain.apply_chat_template(messages, tools=tools, tokenize=False, add_generation_prompt=True) == \
        tool_fmt.prompt_text(messages, tools)
    assert fields["tokenizer.ggml.eos_token_id"] == tool_fmt.end_of_turn_id
    assert fields["tokenizer.ggml.pre"] == "qwen2"
    assert fields["qwen3.attention.key_length"] == 16  # the tiny model's head_dim, not hidden / heads by luck
    assert fields["n_tokens"] == 151936
    assert "output.weight" not in fields["tensors"]  # tied: llama.cpp reads the head from token_embd
    assert fields["tensors"]["blk.0.attn_q.weight"] == "F16" and fields["tensors"]["blk.0.attn_norm.weight"] == "F32"
    modelfile = (exported.parent / "Modelfile").read_text()
    assert f"FROM ./{exported.name}" in modelfile and 'PARAMETER stop "<|im_end|>"' in modelfile


@slow
def test_transformers_reads_back_the_same_model(exported, tool_model, tool_fmt):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    source = AutoModelForCausalLM.from_pretrained(str(tool_model), dtype=torch.float32).eval()
    loaded = AutoModelForCausalLM.from_pretrained(str(exported.parent), gguf_file=exported.name,
                                                  config=source.config, dtype=torch.float32).eval()
    ids = torch.tensor([tool_fmt.prompt_ids(SINGLE["messages"][:1], SINGLE["tools"])])
    with torch.inference_mode():
        a, b = source(input_ids=ids).logits[0], loaded(input_ids=ids).logits[0]
    scale = float(a.abs().max())
    assert float((a - b).abs().max()) < 0.05 * scale  # f16 weights (export.LOGIT_BOUNDS)
    assert bool((a.argmax(-1) == b.argmax(-1)).all())
    tokenizer = AutoTokenizer.from_pretrained(str(exported.parent), gguf_file=exported.name)
    for conversation in (SINGLE, PARALLEL, MULTI_STEP):
        text = tool_fmt.render_text(conversation["messages"], conversation["tools"])
        assert tokenizer(text, add_special_tokens=False)["input_ids"] == tool_fmt.encode(text)


@slow
def test_llamacpp_builds_the_training_prompt_and_writes_the_trained_calls(exported, tool_fmt):
    _llamacpp_or_skip()
    from fctune.llamacpp import check_gguf

    asks = [{"tools": c.get("tools"), "messages": c["messages"][:1]} for c in TRAINING]
    after_result = {"tools": TRAINING[0]["tools"], "messages": TRAINING[0]["messages"][:3]}
    checks = check_gguf(exported, tool_fmt, [*asks, after_result], max_tokens=96)
    for check in checks:
        assert check.template_text_equal and check.prompt_equal and check.tokens_equal, check
    assert all(c.wrapper_prompt_equal for c in checks[:3])  # node-llama-cpp's own chat wrapper, with functions
    expected = [[c["function"] for c in conv["messages"][1].get("tool_calls", [])] for conv in TRAINING]
    assert [c.calls for c in checks[:3]] == expected
    assert checks[0].calls == [{"name": "get_weather", "arguments": {"location": "Paris"}}]
    assert checks[0].text.startswith(TRAINING[0]["messages"][1]["content"])
    assert checks[3].text == TRAINING[0]["messages"][3]["content"] and checks[3].calls == []


@slow
def test_llamacpp_renders_the_multi_step_fixture_as_training(exported, tool_fmt):
    _llamacpp_or_skip()
    from fctune.llamacpp import run_llamacpp

    answer = run_llamacpp(exported, [MULTI_STEP, PARALLEL], max_tokens=1)
    for conversation, got in zip((MULTI_STEP, PARALLEL), answer):
        assert got["template_full"] == tool_fmt.render_text(conversation["messages"], conversation["tools"])
        prompt = tool_fmt.prompt_text(conversation["messages"], conversation["tools"])
        assert got["template_prompt"] == prompt and got["prompt_tokens"] == tool_fmt.encode(prompt)
    samples = tool_fmt.render_training(MULTI_STEP)
    full = tool_fmt.encode(answer[0]["template_full"])
    assert samples[-1].input_ids == full[: len(samples[-1].input_ids)]  # the last trained turn, token for token


@slow
def test_tiny_config_adapter_exports_with_its_threshold(tmp_path):
    run = tmp_path / "tiny"
    proc = run_fctune("train", str(TINY_YAML), f"train.output_dir={run}", "train.smoke_test=false",
                      "train.max_steps=4", cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (run / "call_threshold.json").write_text(json.dumps({"call_threshold": 0.625}) + "\n")
    out = tmp_path / "gguf"
    # the default --device auto; llama.cpp checks prompts, ids and greedy tokens (the transformers read-back of
    # a 151k-token vocabulary, slow, is the tool model's test above)
    checks = ["--llamacpp", "on", "--no-verify"] if not _llamacpp_missing() else []
    proc = run_fctune("export", "--model", "tiny-qwen3", "--adapter", str(run), "--out", str(out), *checks,
                      timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    import gguf

    reader = gguf.GGUFReader(str(out / "model-q8_0.gguf"))
    assert reader.fields["fctune.call_threshold"].contents() == pytest.approx(0.625)
    assert {t.name: t.tensor_type.name for t in reader.tensors}["blk.0.ffn_up.weight"] == "Q8_0"
    assert json.loads((out / "call_threshold.json").read_text())["call_threshold"] == 0.625
    assert "0.6250" in (out / "Modelfile").read_text()
    assert (run / "adapter_model.safetensors").is_file()  # the inputs are untouched


def test_unsupported_architecture_is_refused_before_loading(tmp_path):
    model = tmp_path / "gpt2"
    model.mkdir()
    (model / "config.json").write_text(json.dumps({"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"],
                                                   "n_layer": 1, "n_embd": 8, "n_head": 2, "vocab_size": 10,
                                                   "bos_token_id": 0, "eos_token_id": 0}))
    out = tmp_path / "out"
    proc = run_fctune("export", "--model", str(model), "--out", str(out), timeout=120)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot export a 'gpt2' model" in lines[0], proc.stderr
    assert not out.exists()


def test_out_inside_or_around_the_inputs_is_refused(tmp_path, tool_model):
    adapter = tmp_path / "runs" / "x"
    adapter.mkdir(parents=True)
    (adapter / "adapter_config.json").write_text("{}")
    for out in (tmp_path / "runs", adapter, adapter / "gguf"):
        proc = run_fctune("export", "--model", str(tool_model), "--adapter", str(adapter), "--out", str(out),
                          "--overwrite", timeout=120)
        assert proc.returncode != 0 and "must be apart from the input" in proc.stderr, proc.stderr
        assert (adapter / "adapter_config.json").read_text() == "{}"


def test_ollama_pieces_rebuild_the_rendering(tok, qwen25_tokenizer):
    """The Modelfile's fixed texts, put together as its Go template does, give fctune's prompt (Qwen3's
    think block, Qwen2.5's default system prompt); only the tool JSON is Ollama's to write."""
    from fctune.formats import ChatFormat, layout_pieces

    tool = SINGLE["tools"][0]
    ask = {"role": "user", "content": "今天北京的天气怎么样？"}
    for tokenizer in (tok, qwen25_tokenizer):
        fmt = ChatFormat(tokenizer)
        p = layout_pieces(fmt)
        system = p.default_system
        head = "<|im_start|>system\n" + (system + p.separator if system else "")
        built = (head + p.tools_header + json.dumps(tool, ensure_ascii=False) + p.tools_footer + "<|im_end|>\n"
                 + "<|im_start|>user\n" + ask["content"] + "<|im_end|>\n" + p.generation_prompt)
        assert built == fmt.prompt_text([ask], [tool])
        modelfile = fmt.ollama_modelfile("./m.gguf")
        for piece in (p.tools_header, p.tools_footer, p.response_prefix, p.generation_prompt):
            assert piece in modelfile
        assert ('SYSTEM """' in modelfile) == bool(system)


@slow
def test_trained_token_rows_reach_the_gguf(tmp_path):
    """Rows of ``<tool_call>``/``</tool_call>`` trained through PEFT (tied model): in the f32 GGUF's
    token_embd (which llama.cpp also uses as the head) exactly as trained, the other rows as the base's."""
    import gguf
    import numpy as np
    import torch
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM

    from fctune.models import resolve_model_path
    from tests.helpers import make_adapter

    base = AutoModelForCausalLM.from_pretrained(resolve_model_path("tiny-qwen3"), dtype=torch.float32)
    original = base.get_input_embeddings().weight.detach().clone().numpy()  # before PEFT wraps the module
    rows = [151657, 151658]
    torch.manual_seed(0)
    adapter = make_adapter(base, tmp_path / "adapter", shift_token_rows=1.0, r=4, target_modules=["q_proj"],
                           init_lora_weights=False, trainable_token_indices=rows)
    out = tmp_path / "gguf"
    proc = run_fctune("export", "--model", "tiny-qwen3", "--adapter", str(adapter), "--out", str(out), "--quant",
                      "f32", "--no-verify", "--llamacpp", "off", "--device", "cpu", timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    tensors = {t.name: t for t in gguf.GGUFReader(str(out / "model-f32.gguf")).tensors}
    assert "output.weight" not in tensors
    embd = np.asarray(tensors["token_embd.weight"].data).reshape(151936, -1)
    (delta,) = [v for k, v in load_file(str(adapter / "adapter_model.safetensors")).items() if "trainable_tokens_delta" in k]
    assert np.allclose(embd[rows], delta.numpy(), atol=1e-6) and not np.allclose(embd[rows], original[rows])
    assert np.array_equal(embd[:1000], original[:1000])


def _tiny_model(kind: str, out: Path) -> Path:
    """A small random Qwen2 (q/k/v biases, Qwen2.5's tokenizer) or Llama (fewer KV heads, hidden 48 so
    that some rows are no multiple of 32, SmolLM2's tokenizer), with weights large enough that greedy
    decoding is decisive."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

    from fctune.models import load_tokenizer

    torch.manual_seed(0)
    if kind == "qwen2":
        tokenizer = load_tokenizer("qwen2.5-0.5b")
        config = Qwen2Config(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                             num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=True,
                             max_position_embeddings=4096, initializer_range=0.2)
        model = Qwen2ForCausalLM(config)
        with torch.no_grad():
            for name, param in model.named_parameters():
                if name.endswith("bias"):
                    param.normal_(0.0, 0.5)  # PEFT-free proof that biases reach the file
    else:
        tokenizer = load_tokenizer("smollm2-135m")
        config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=48, intermediate_size=96, num_hidden_layers=2,
                             num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=True,
                             max_position_embeddings=4096, initializer_range=0.2,
                             bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id)
        model = LlamaForCausalLM(config)
    model.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))
    return out


@slow
@pytest.mark.parametrize("kind, quant", [("qwen2", "f32"), ("llama", "f32"), ("llama", "q8_0")])
def test_qwen2_and_llama_models_export_and_run_in_llamacpp(kind, quant, tmp_path):
    """Qwen2 (biases) and Llama (q/k rows permuted for llama.cpp's rotary layout, fewer KV heads): f32
    files give llama.cpp's greedy tokens equal to transformers' for 16 tokens; q8_0 falls back to f16
    for rows that are no multiple of 32 and still reads back within its bound."""
    import gguf

    model = _tiny_model(kind, tmp_path / kind)
    out = tmp_path / "gguf"
    llamacpp = "off" if _llamacpp_missing() else "on"
    # Qwen2's 151k-token vocabulary makes the transformers read-back slow; llama.cpp's f32 greedy check
    # below is the stricter test of its weights and metadata
    verify = ["--no-verify"] if kind == "qwen2" and llamacpp == "on" else []
    proc = run_fctune("export", "--model", str(model), "--out", str(out), "--quant", quant, "--llamacpp", llamacpp,
                      *verify, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert verify or "read back by transformers" in proc.stdout
    types = {t.name: t.tensor_type.name for t in gguf.GGUFReader(str(out / f"model-{quant}.gguf")).tensors}
    if kind == "qwen2":
        assert types["blk.0.attn_q.bias"] == "F32" and types["blk.0.attn_k.bias"] == "F32"
    if quant == "q8_0":
        assert types["blk.0.attn_q.weight"] == "F16"  # rows of 48
        assert types["blk.0.ffn_down.weight"] == "Q8_0"  # rows of 96
    if llamacpp == "on" and quant == "f32":
        import re

        found = re.search(r"greedy tokens equal to the merged model's for (.*) tokens", proc.stdout)
        assert found, proc.stdout
        pairs = [tuple(map(int, x.split("/"))) for x in found.group(1).split(", ")]
        assert len(pairs) == 3 and all(k == n and n > 0 for k, n in pairs), pairs


def _go_actions(template: str) -> list[str]:
    import re

    return re.findall(r"{{(.*?)}}", template, re.S)


def test_ollama_template_is_well_formed_and_names_the_call_tag(tok, qwen25_tokenizer):
    """Every ``if``/``range`` has its ``end``; Ollama's rule for the tool-call tag (the first text inside
    the first ``{{ if .ToolCalls }}``, tools/template.go) finds ``<tool_call>``; fields are Ollama's."""
    import re

    from fctune.formats import ChatFormat, ollama_template

    for tokenizer in (tok, qwen25_tokenizer):
        template = ollama_template(ChatFormat(tokenizer))
        depth = 0
        for action in _go_actions(template):
            word = action.split()[0]
            depth += word in ("if", "range") or 0
            depth -= word == "end" or 0
            assert depth >= 0, action
        assert depth == 0
        at = template.index("{{ if .ToolCalls }}")
        text = re.sub(r"{{ range [^}]*}}", "", template[at + len("{{ if .ToolCalls }}"):], count=1)
        assert text.split("{")[0].strip() == "<tool_call>"
        assert "{{ .ToolCalls" not in template[:at] and "if .ToolCalls" not in template[:at]
        fields = set(re.findall(r"\.([A-Z]\w*)", " ".join(_go_actions(template))))
        assert fields <= {"System", "Tools", "Function", "Messages", "Role", "Content", "ToolCalls", "Name", "Arguments"}


def test_overwrite_replaces_only_an_earlier_export(tmp_path):
    from fctune.errors import FctuneError
    from fctune.publish import MARKER, check_out_dir, publish, staging_dir

    mine = tmp_path / "notes"
    mine.mkdir()
    (mine / "keep.txt").write_text("mine")
    with pytest.raises(FctuneError, match="was not written by fctune export"):
        check_out_dir(mine, [], overwrite=True, command="export")
    with pytest.raises(FctuneError, match="was not written by fctune export"):
        (mine / MARKER).write_text("merge\n")
        check_out_dir(mine, [], overwrite=True, command="export")
    assert (mine / "keep.txt").read_text() == "mine"
    out = tmp_path / "gguf"
    for n in range(2):
        check_out_dir(out, [], overwrite=True, command="export")
        tmp = staging_dir(out)
        (tmp / "model.gguf").write_text(str(n))
        publish(tmp, out, "export")
    assert (out / "model.gguf").read_text() == "1" and (out / MARKER).read_text() == "export\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gguf", "notes"]  # no staging left behind
    import os

    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o777 & ~umask  # as mkdir would make it, not mkdtemp's 0700
