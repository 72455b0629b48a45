"""Spreadsheet intake from the cities: templates, validation and idempotent import (see ``core`` and ``kinds``)."""
from __future__ import annotations

from .cells import Col, FileError, read_path
from .core import ImportRefused, Problem, Report, run_import
from .kinds import KINDS
from .template import template_bytes

__all__ = ["Col", "FileError", "ImportRefused", "KINDS", "Problem", "Report", "import_file", "read_path",
           "run_import", "template_bytes"]


def import_file(kind: str, data: bytes, file_name: str, **kw) -> Report:
    """``run_import`` by kind name (``enforcement``, ``campaign-stats``, ``risk-reports``, ``credit``, ``grids``)."""
    if kind not in KINDS:
        raise KeyError(kind)
    return run_import(KINDS[kind], data, file_name, **kw)
