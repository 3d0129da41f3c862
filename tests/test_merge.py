"""``fctune merge``: merged logits equal base + adapter, the output loads with plain transformers,
tied embeddings stay tied, and adapters that train a tied matrix are refused unless ``--untie``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from fctune.errors import FctuneError
from tests.helpers import make_adapter

IDS = [[151644, 872, 198, 3838, 374, 279, 9104, 304, 12095, 30, 151645, 198, 151644, 77091, 198]]


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def base_dir() -> Path:
    from fctune.models import resolve_model_path

    return Path(resolve_model_path("tiny-qwen3"))


def base_model(base_dir: Path):
    """The base model in float32, as the adapters are made and checked on."""
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(str(base_dir), dtype=torch.float32)


# The adapters merged here: non-zero B weights (and perturbed ``modules_to_save`` copies when asked).
ADAPTER = dict(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj", "up_proj", "down_proj"], init_lora_weights=False,
               shift_modules_to_save=0.05)


def logits_of(model) -> torch.Tensor:
    with torch.inference_mode():
        return model(input_ids=torch.tensor(IDS)).logits.float()


def peft_logits(base_dir: Path, adapter: Path) -> torch.Tensor:
    from peft import PeftModel

    base = base_model(base_dir)
    return logits_of(PeftModel.from_pretrained(base, str(adapter)).eval())


@pytest.mark.slow
def test_merge_equals_base_plus_adapter_and_stays_tied(base_dir, tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig

    from fctune.cli import main

    adapter = make_adapter(base_model(base_dir), tmp_path / "adapter", seed=0, **ADAPTER)
    out = tmp_path / "merged"
    with pytest.raises(SystemExit) as exit_info:
        main(["merge", "--model", "tiny-qwen3", "--adapter", str(adapter), "--out", str(out)])
    assert exit_info.value.code == 0

    merged = AutoModelForCausalLM.from_pretrained(str(out)).eval()
    expected = peft_logits(base_dir, adapter)
    base = logits_of(AutoModelForCausalLM.from_pretrained(str(base_dir)).eval())
    assert (expected - base).abs().max() > 1e-2  # the adapter does change the model
    torch.testing.assert_close(logits_of(merged), expected, atol=1e-4, rtol=1e-4)

    assert merged.config.tie_word_embeddings is True
    assert merged.lm_head.weight.data_ptr() == merged.model.embed_tokens.weight.data_ptr()
    assert torch.equal(merged.lm_head.weight, merged.model.embed_tokens.weight)
    assert list(out.glob("*.safetensors")) and not list(out.glob("*.bin"))
    assert not any(p.name.startswith("adapter_") for p in out.iterdir())

    tokenizer = AutoTokenizer.from_pretrained(str(out))
    assert "<tool_call>" in tokenizer.chat_template and (out / "chat_template.jinja").exists()
    generation = GenerationConfig.from_pretrained(str(out))
    im_end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    assert im_end in (generation.eos_token_id if isinstance(generation.eos_token_id, list) else [generation.eos_token_id])


@pytest.mark.slow
def test_template_and_call_threshold_come_from_the_adapter_dir(base_dir, tmp_path):
    from transformers import AutoTokenizer

    from fctune.formats import ChatFormat, builtin_template
    from fctune.merge import merge_adapter

    adapter = make_adapter(base_model(base_dir), tmp_path / "adapter", seed=1, **ADAPTER)
    tokenizer = AutoTokenizer.from_pretrained(str(base_dir))
    ChatFormat(tokenizer, template="hermes")  # trained with the built-in template: saved with the adapter
    tokenizer.save_pretrained(str(adapter))
    (adapter / "call_threshold.json").write_text(json.dumps({"call_threshold": 0.6125, "balanced_accuracy": 0.9}))
    summary = merge_adapter("tiny-qwen3", str(adapter), str(tmp_path / "merged"), dtype="bfloat16", log=lambda m: None)
    assert summary["dtype"] == "bfloat16" and summary["tie_word_embeddings"]
    # the calibrated call decision travels with the merged model and is what chat/serve/eval resolve
    from fctune.calibrate import resolve_threshold

    assert json.loads((tmp_path / "merged" / "call_threshold.json").read_text())["call_threshold"] == 0.6125
    assert resolve_threshold(None, None, tmp_path / "merged") == 0.6125
    assert resolve_threshold(0.3, None, tmp_path / "merged") == 0.3
    assert resolve_threshold(None, None, base_dir) == 0.5
    assert AutoTokenizer.from_pretrained(str(tmp_path / "merged")).chat_template == builtin_template("hermes")
    config = json.loads((tmp_path / "merged" / "config.json").read_text())
    assert config["dtype"] == "bfloat16" and config["tie_word_embeddings"] is True


@pytest.mark.slow
def test_tied_weights_in_modules_to_save_need_untie(base_dir, tmp_path):
    from transformers import AutoModelForCausalLM

    from fctune.merge import merge_adapter

    adapter = make_adapter(base_model(base_dir), tmp_path / "adapter", seed=2, modules_to_save=["lm_head"], **ADAPTER)
    out = tmp_path / "merged"
    with pytest.raises(FctuneError, match="--untie"):
        merge_adapter("tiny-qwen3", str(adapter), str(out), log=lambda m: None)
    assert not out.exists()

    summary = merge_adapter("tiny-qwen3", str(adapter), str(out), untie=True, log=lambda m: None)
    assert summary["tie_word_embeddings"] is False
    merged = AutoModelForCausalLM.from_pretrained(str(out)).eval()
    assert merged.config.tie_word_embeddings is False
    assert not torch.equal(merged.lm_head.weight, merged.model.embed_tokens.weight)
    torch.testing.assert_close(logits_of(merged), peft_logits(base_dir, adapter), atol=1e-4, rtol=1e-4)

    with pytest.raises(FctuneError, match="not empty"):
        merge_adapter("tiny-qwen3", str(adapter), str(out), untie=True, log=lambda m: None)


def test_not_an_adapter(tmp_path):
    from fctune.merge import merge_adapter

    with pytest.raises(FctuneError, match="adapter_config.json"):
        merge_adapter("tiny-qwen3", str(tmp_path), str(tmp_path / "out"), log=lambda m: None)


@pytest.mark.slow
def test_trained_token_rows_merge_into_a_tied_matrix(base_dir, tmp_path):
    """Token rows trained on a tied model (PEFT mirrors them into the head): merged into the one shared
    matrix without --untie, tied on disk, the rows carried, the logits those of base + adapter."""
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM

    from fctune.merge import merge_adapter

    torch.manual_seed(0)
    model = base_model(base_dir)
    rows = [151657, 151658]
    adapter = make_adapter(model, tmp_path / "adapter", shift_token_rows=1.0, r=4, target_modules=["q_proj"],
                           init_lora_weights=False, trainable_token_indices=rows)
    expected = peft_logits(base_dir, adapter)
    out = tmp_path / "merged"
    summary = merge_adapter("tiny-qwen3", str(adapter), str(out), log=lambda m: None)
    assert summary["tie_word_embeddings"] is True
    merged = AutoModelForCausalLM.from_pretrained(str(out), dtype=torch.float32).eval()
    assert merged.get_output_embeddings().weight.data_ptr() == merged.get_input_embeddings().weight.data_ptr()
    assert torch.allclose(logits_of(merged), expected, atol=1e-4)
    (delta,) = [v for k, v in load_file(str(adapter / "adapter_model.safetensors")).items() if "trainable_tokens_delta" in k]
    assert torch.allclose(merged.get_input_embeddings().weight[rows], delta, atol=1e-6)
