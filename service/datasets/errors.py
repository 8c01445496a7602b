"""Errors of dataset redaction, in the words a person running it can act on."""

from __future__ import annotations


class DatasetError(Exception):
    """A dataset redaction cannot start or go on; the message says why."""


class DatasetSettingsError(DatasetError):
    """The settings or the environment of a run are not usable."""


class DatasetInputError(DatasetError):
    """The input cannot be read as the format it was given as."""


class OutputMismatch(DatasetError):
    """The output folder holds parts of a run with other input or settings."""


class BadRowError(DatasetError):
    """A row cannot be redacted and the run was asked to stop on such rows."""

    def __init__(self, file: str, row: int, reason: str):
        # The fields are the exception's args, so it survives pickling between processes.
        super().__init__(file, row, reason)
        self.file = file
        self.row = row
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.file} row {self.row}: {self.reason}"


class PartitionFailed(DatasetError):
    """A partition could not be redacted or written; the message quotes no row data."""
