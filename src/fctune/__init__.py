"""fctune: LoRA fine-tuning of small chat LLMs for function calling."""

__version__ = "0.1.0"
