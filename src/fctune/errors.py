"""User-facing errors: raised at the boundaries (files, configs, models), printed by the CLI."""

from __future__ import annotations


class FctuneError(Exception):
    """An error the user can fix; the CLI prints its message and exits with ``exit_code``."""

    exit_code = 1


class ConfigError(FctuneError):
    """A config file or a ``key=value`` override is wrong."""

    exit_code = 2


class DataError(FctuneError):
    """A data file has a problem; ``str()`` reads ``FILE:LINE: reason``."""

    def __init__(self, path: str, line: int, reason: str):
        self.path, self.line, self.reason = str(path), line, reason
        super().__init__(f"{self.path}:{line}: {reason}")


class ModelLoadError(FctuneError):
    """A model or tokenizer could not be loaded; the message says how to pass a local path."""
