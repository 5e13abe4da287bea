"""The errors accelsim reports to users. Each names where the problem is and how to fix it.

The CLI turns any :class:`AccelsimError` into one message on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

__all__ = ["AccelsimError", "ConfigError", "CapacityError", "MappingError"]


class AccelsimError(Exception):
    """Base of every user-facing error: a message, where it happened (file, key path) and a fix."""

    exit_code = 2

    def __init__(self, message: str, *, file: str | None = None, key_path: str | None = None,
                 hint: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.key_path = key_path
        self.hint = hint
        self.line = line

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(f"{self.file}:{self.line}" if self.line else self.file)
        if self.key_path:
            where.append(self.key_path)
        text = (": ".join(where) + ": " if where else "") + self.message
        if self.hint:
            text += f"\n  fix: {self.hint}"
        return text


class ConfigError(AccelsimError):
    """A YAML file that is malformed, has an unknown or missing key, or a value out of range."""


class CapacityError(AccelsimError):
    """A workload that does not fit the device (memory capacity, on-chip buffers, FPGA resources)."""


class MappingError(AccelsimError):
    """An operation the compiler cannot map onto the device (a shape that cannot be tiled, a missing unit)."""
