"""Exceptions of the openecmo package."""
from __future__ import annotations

from typing import Optional


class InputError(ValueError):
    """Something read was refused: the same error, file, line and field path as the `ecmo`
    command's (``x.toml:9: `circuit.drainage_fr`: 40 is out of range: allowed 15..=31 Fr``).

    A dict has no lines, so errors about a dict carry ``file == "<dict>"`` and ``line is None``.
    """

    def __init__(self, text: str, file: Optional[str], line: Optional[int], path: str, message: str):
        super().__init__(text)
        self.file = file
        self.line = line
        self.path = path
        self.message = message


class CommandRefused(ValueError):
    """The control core (or the bedside) refused an action, with its reason."""
