# Two commands do all set-up: `make demo` and `make test`.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.setup-done

.PHONY: setup test test-fast demo demo-export bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[dev]'
	$(BIN)/python -m fctune.commands.prefetch
	touch $(STAMP)

test: setup
	$(BIN)/python -m pytest -q

test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow"

demo: setup
	$(BIN)/python scripts/demo.py

# After `make demo`: its adapter as one GGUF + Ollama Modelfile, checked in transformers and llama.cpp.
demo-export: setup
	$(BIN)/fctune export --model qwen2.5-0.5b --adapter demo-out/adapter --out demo-out/gguf --overwrite

bench: setup
	$(BIN)/python -m pip install -q -e '.[dev,bench]'
	$(BIN)/python bench/train_throughput.py --quick

clean:
	rm -rf $(VENV) build dist src/*.egg-info
