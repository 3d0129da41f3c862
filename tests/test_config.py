"""Config: defaults are the original recipe; YAML then overrides; unknown keys are named with a suggestion."""

from __future__ import annotations


import pytest
import yaml

from fctune.config import Config, ConfigError, all_keys, dump_yaml, field_docs, from_dict, load_config
from tests.helpers import run_fctune


def test_defaults_are_the_original_recipe():
    cfg = Config()
    assert (cfg.lora.r, cfg.lora.alpha, cfg.lora.dropout) == (16, 32, 0.1)
    assert cfg.lora.target_modules == ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    assert cfg.lora.modules_to_save == []
    assert cfg.train.num_epochs == 5
    assert cfg.train.per_device_batch_size * cfg.train.gradient_accumulation_steps == 8
    assert cfg.train.learning_rate == 1e-4
    assert (cfg.train.optimizer, cfg.train.lr_scheduler) == ("adamw", "cosine")
    assert cfg.data.max_length == 1024
    assert cfg.model.name_or_path == "Qwen/Qwen3-0.6B"


def test_every_field_is_documented():
    docs = field_docs()
    missing = [k for k in all_keys() if not docs.get(k)]
    assert missing == []


def test_yaml_then_overrides(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("lora:\n  r: 8\ntrain:\n  learning_rate: 2.0e-4\n  num_epochs: 2\n")
    cfg = load_config(path, ["lora.r=4", "lora.target_modules=q_proj,v_proj", "train.gradient_checkpointing=true"])
    assert cfg.lora.r == 4
    assert cfg.train.learning_rate == 2e-4
    assert cfg.train.num_epochs == 2.0
    assert cfg.lora.target_modules == ["q_proj", "v_proj"]
    assert cfg.train.gradient_checkpointing is True


@pytest.mark.parametrize("override, suggestion", [
    ("lora.rank=8", "lora.r"),
    ("train.lr=1e-3", "train.learning_rate"),
    ("train.num_epoch=3", "train.num_epochs"),
    ("data.max_len=512", "data.max_length"),
])
def test_unknown_key_is_named_with_suggestion(override, suggestion):
    with pytest.raises(ConfigError) as err:
        load_config(None, [override])
    key = override.split("=")[0]
    assert f"'{key}'" in str(err.value)
    assert f"'{suggestion}'" in str(err.value)


def test_unknown_key_in_yaml_names_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("lora:\n  rank: 8\n")
    with pytest.raises(ConfigError, match=r"unknown config key 'lora.rank' in .*bad.yaml; did you mean 'lora.r'"):
        load_config(path)


@pytest.mark.parametrize("override, message", [
    ("lora.r=abc", "needs int"),
    ("lora.r=0", "lora.r must be > 0"),
    ("train.gradient_checkpointing=maybe", "needs bool"),
    ("lora=8", "is a section"),
    ("lora.r", "key=value"),
])
def test_bad_values(override, message):
    with pytest.raises(ConfigError, match=message):
        load_config(None, [override])


def test_dump_round_trip():
    cfg = load_config(None, ["lora.r=4", "train.output_dir=/tmp/x", "model.name_or_path=tiny-qwen3"])
    again = from_dict(yaml.safe_load(dump_yaml(cfg)))
    assert again == cfg


@pytest.mark.parametrize("command", ["train", "eval"])
def test_cli_unknown_override_fails_with_suggestion(command):
    args = [command]
    if command == "eval":
        args += ["--model", "tiny-qwen3", "--bfcl", "simple_python", "--out", "/tmp/never"]
    proc = run_fctune(*args, "lora.rank=8")
    assert proc.returncode != 0
    assert "lora.rank" in proc.stderr and "lora.r" in proc.stderr


def test_trainable_tokens_reads_yaml_booleans_as_words(tmp_path):
    from fctune.config import load_config

    for raw, expected in (("off", "off"), ("no", "off"), ("false", "off"), ("on", "auto"), ("true", "auto"),
                          ("auto", "auto"), ('"<tool_call>,</tool_call>"', "<tool_call>,</tool_call>")):
        path = tmp_path / "c.yaml"
        path.write_text(f"lora:\n  trainable_tokens: {raw}\n", encoding="utf-8")
        assert load_config(path).lora.trainable_tokens == expected, raw
    assert load_config(None, ["lora.trainable_tokens=off"]).lora.trainable_tokens == "off"
    path.write_text("lora:\n  trainable_tokens:\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="trainable_tokens"):
        load_config(path)


@pytest.mark.parametrize("text, override, message", [
    ("train:\n  learning_rate: [1,\n", None, "invalid YAML: expected the node content, but found '<stream end>' at line 3"),
    ("train: {output_dir: x\n", None, "invalid YAML: expected ',' or '}'"),
    (None, "lora.target_modules=[q_proj", "override lora.target_modules=[q_proj: not a YAML list (expected ','"),
    (None, "lora.target_modules=[", "not a YAML list"),
])
def test_yaml_that_does_not_parse_is_one_line(tmp_path, text, override, message):
    path = None
    if text is not None:
        path = tmp_path / "c.yaml"
        path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path, [override] if override else [])
    assert message in str(info.value) and "\n" not in str(info.value)
