"""One runtime section for every command: the same flags, with one meaning, and a config file."""

from __future__ import annotations

import pytest

from fctune.cli import build_parser
from fctune.commands.options import runtime_config, runtime_config_with_model
from fctune.config import load_config
from fctune.errors import ConfigError

COMMANDS = ("train", "eval", "calibrate", "chat", "serve", "merge", "inspect")
FLAGS = ("--model", "--adapter", "--template", "--dtype", "--device", "--threads", "--thinking", "--config")


def subparser(name: str):
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return action.choices[name]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_takes_the_runtime_flags(command):
    options = {o for action in subparser(command)._actions for o in action.option_strings}
    assert set(FLAGS) <= options, set(FLAGS) - options
    help_text = subparser(command).format_help()
    assert "model.threads" in help_text and "model.template" in help_text


def test_flags_override_the_file_and_leave_the_rest(tmp_path):
    cfg_file = tmp_path / "run.yaml"
    cfg_file.write_text("model:\n  name_or_path: from-file\n  dtype: bfloat16\n  threads: 3\n"
                        "eval:\n  max_new_tokens: 77\n", encoding="utf-8")
    args = build_parser().parse_args(["eval", "--config", str(cfg_file), "--model", "from-flag", "--template", "hermes",
                                      "--thinking", "--adapter", "runs/a"])
    cfg = runtime_config(args)
    assert (cfg.model.name_or_path, cfg.model.template, cfg.model.enable_thinking, cfg.model.adapter) == \
        ("from-flag", "hermes", True, "runs/a")
    assert cfg.model.dtype == "bfloat16" and cfg.model.threads == 3 and cfg.eval.max_new_tokens == 77  # from the file
    plain = runtime_config(build_parser().parse_args(["eval"]))
    assert plain.model.adapter == "" and plain.model.threads == 0 and plain.model.enable_thinking is False


def test_train_adapter_is_the_output_directory(tmp_path):
    from fctune.commands.train import _with_adapter_dir
    from fctune.commands.options import config_file_and_overrides, runtime_overrides

    args = build_parser().parse_args(["train", "train.max_steps=3", "--adapter", str(tmp_path / "out"), "--threads", "2"])
    path, overrides = config_file_and_overrides(args)
    cfg = _with_adapter_dir(load_config(path, overrides + runtime_overrides(args)))
    assert cfg.train.output_dir == str(tmp_path / "out") and cfg.model.threads == 2 and cfg.train.max_steps == 3


def test_a_model_is_required_where_one_runs(tmp_path):
    for command in ("chat", "serve", "merge"):
        extra = ["--out", str(tmp_path / "m")] if command == "merge" else []
        args = build_parser().parse_args([command, *extra])
        with pytest.raises(ConfigError, match="--model is required"):
            runtime_config_with_model(args)


def test_the_old_threads_key_still_reads():
    assert load_config(None, ["train.num_threads=4"]).model.threads == 4
    with pytest.raises(ConfigError, match="model.threads must be >= 0"):
        load_config(None, ["model.threads=-1"])


def test_a_config_file_names_the_model_only_when_it_sets_one(tmp_path):
    bare, named = tmp_path / "bare.yaml", tmp_path / "named.yaml"
    bare.write_text("eval:\n  call_threshold: 0.3\n", encoding="utf-8")
    named.write_text("model:\n  name_or_path: tiny-qwen3\neval:\n  call_threshold: 0.3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="--model is required"):
        runtime_config_with_model(build_parser().parse_args(["chat", "--config", str(bare)]))
    cfg = runtime_config_with_model(build_parser().parse_args(["serve", "--config", str(named)]))
    assert cfg.model.name_or_path == "tiny-qwen3" and cfg.eval.call_threshold == 0.3
