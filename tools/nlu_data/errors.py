"""The one error the generator raises: the CLI turns it into a message and exit code 2."""

from __future__ import annotations


class GenerationError(ValueError):
    """The data cannot be generated (no usable templates, markup that does not round-trip)."""
