"""Redact whole datasets (JSON lines, CSV, Parquet) on Dask distributed, resumably."""

from __future__ import annotations

from service.datasets.errors import (
    BadRowError,
    DatasetError,
    DatasetInputError,
    DatasetSettingsError,
    OutputMismatch,
)
from service.datasets.partition import BadRow, RedactedRows, redact_rows
from service.datasets.settings import DatasetSettings, format_of, key_id

__all__ = [
    "BadRow",
    "BadRowError",
    "DatasetError",
    "DatasetInputError",
    "DatasetSettings",
    "DatasetSettingsError",
    "OutputMismatch",
    "RedactedRows",
    "format_of",
    "key_id",
    "redact_rows",
]
