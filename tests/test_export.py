"""``fctune export``: GGUF files that transformers reads back and a real llama.cpp (node-llama-cpp) runs.

The tool model (a tiny Qwen3 overfit so that greedy decoding reproduces its training answers) is
exported once through the CLI; the tests then read that file with transformers and with llama.cpp and
compare prompts, token ids, logits and the calls it writes with fctune's own. The tiny-test config's
adapter is exported too (merge path, trained rows, call threshold). Where node is absent the llama.cpp
tests skip and say so; ``make setup`` installs the runtime wherever node is.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conversations import MULTI_STEP, PARALLEL, SINGLE
from tests.helpers import ROOT, TINY_YAML, TRAINING, run_fctune

pytestmark = pytest.mark.slow


def _llamacpp_or_skip() -> None:
    from fctune.llamacpp import LlamaCppUnavailable, runtime_dir

    try:
        runtime_dir()
    except LlamaCppUnavailable as exc:
        print(f"llama.cpp tests skipped: {exc}")
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def exported(tool_model, tmp_path_factory) -> Path:
    """The tool model exported as f16 by the CLI (transformers read-back on, llama.cpp check on)."""
    out = tmp_path_factory.mktemp("export") / "tool-gguf"
    llamacpp = "off"
    if shutil.which("node"):
        llamacpp = "on"
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


def test_file_carries_the_training_template_and_end_of_turn(exported, tool_model, tool_fmt):
    fields = _fields(exported)
    assert fields["general.architecture"] == "qwen3"
    assert fields["tokenizer.chat_template"] == tool_fmt.tokenizer.chat_template
    assert fields["tokenizer.ggml.eos_token_id"] == tool_fmt.end_of_turn_id
    assert fields["tokenizer.ggml.pre"] == "qwen2"
    assert fields["qwen3.attention.key_length"] == 16  # the tiny model's head_dim, not hidden / heads by luck
    assert fields["n_tokens"] == 151936
    assert "output.weight" not in fields["tensors"]  # tied: llama.cpp reads the head from token_embd
    assert fields["tensors"]["blk.0.attn_q.weight"] == "F16" and fields["tensors"]["blk.0.attn_norm.weight"] == "F32"
    modelfile = (exported.parent / "Modelfile").read_text()
    assert f"FROM ./{exported.name}" in modelfile and 'PARAMETER stop "<|im_end|>"' in modelfile


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


def test_tiny_config_adapter_exports_with_its_threshold(tmp_path):
    run = tmp_path / "tiny"
    proc = run_fctune("train", str(TINY_YAML), f"train.output_dir={run}", "train.smoke_test=false", cwd=ROOT,
                      timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (run / "call_threshold.json").write_text(json.dumps({"call_threshold": 0.625}) + "\n")
    out = tmp_path / "gguf"
    proc = run_fctune("export", "--model", "tiny-qwen3", "--adapter", str(run), "--out", str(out),
                      "--device", "cpu", timeout=600)
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
