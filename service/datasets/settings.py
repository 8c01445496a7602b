"""What a dataset redaction does to each row, and how a worker gets the engine's key."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from service.datasets.errors import DatasetSettingsError

#: What happens to a row that cannot be redacted (missing text, not a string, too long).
BAD_ROW_ACTIONS = ("skip", "keep", "fail")

FORMATS = ("jsonl", "csv", "parquet")
EXTENSIONS = {"jsonl": ".jsonl", "csv": ".csv", "parquet": ".parquet"}
_FORMAT_OF_SUFFIX = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv"}
_FORMAT_OF_SUFFIX.update({".parquet": "parquet", ".pq": "parquet"})

#: Bumped whenever the output of the same input and settings would change (2: CSV and
#: Parquet parts have every input column with one type; nested values are JSON).
OUTPUT_VERSION = 2


@dataclass(frozen=True)
class DatasetSettings:
    """How rows are redacted: the fields involved, the operators and the bad-row policy.

    ``key_id`` names the server secret the keyed operators (hash, encrypt) use, without
    revealing it: every worker checks that its own secret has this id.
    """

    text_field: str
    key_id: str
    id_field: str | None = None
    group_field: str | None = None
    language: str | None = None
    operators: dict[str, dict[str, Any]] | None = None
    on_bad_row: str = "skip"
    max_text_chars: int = 100_000
    findings_field: str = "findings"
    input_format: str = "jsonl"
    output_format: str = "jsonl"
    partition_rows: int = 2000

    def __post_init__(self) -> None:
        if not self.text_field:
            raise DatasetSettingsError("--text-field must name a field")
        if self.on_bad_row not in BAD_ROW_ACTIONS:
            raise DatasetSettingsError(f"on_bad_row must be one of {', '.join(BAD_ROW_ACTIONS)}")
        for name in (self.input_format, self.output_format):
            if name not in FORMATS:
                raise DatasetSettingsError(f"unknown format {name!r} (use {', '.join(FORMATS)})")
        if self.partition_rows < 1:
            raise DatasetSettingsError("partition_rows must be at least 1")
        fields = [self.text_field, self.id_field, self.group_field]
        if self.findings_field in fields:
            raise DatasetSettingsError(
                f"the findings column {self.findings_field!r} would overwrite an input field"
            )

    def fingerprint(self) -> str:
        """Return a digest of every setting that changes the output."""
        described = {**asdict(self), "output_version": OUTPUT_VERSION}
        return hashlib.sha256(
            json.dumps(described, sort_keys=True, default=str).encode()
        ).hexdigest()


def format_of(path: str) -> str:
    """Return the format a file name's extension implies, or raise DatasetSettingsError."""
    suffix = Path(path.rstrip("/")).suffix.lower()
    if suffix in {".gz", ".bz2", ".xz", ".zst"}:
        raise DatasetSettingsError(
            "compressed text inputs are not supported: decompress them or use Parquet"
        )
    try:
        return _FORMAT_OF_SUFFIX[suffix]
    except KeyError:
        raise DatasetSettingsError(
            f"cannot tell the format of {path!r} from its name: pass --format"
        ) from None


def key_id(secret: bytes) -> str:
    """Return a short public identifier of a secret (a keyed digest; reveals nothing)."""
    return hmac.new(secret, b"privacy-service/dataset-key-id", hashlib.sha256).hexdigest()[:16]


def worker_secret(expected_key_id: str) -> bytes:
    """Return this process's server secret, checked against the run's key id.

    A worker reads ``PRIVACY_SECRET_KEY`` from its environment, else ``secret.key`` in its
    ``PRIVACY_DATA_DIR``; it never generates one, since a new secret would silently give
    other hashes and encrypt tokens than the rest of the run.
    """
    from service.config import load_config

    config = load_config()
    value = config.get("PRIVACY_SECRET_KEY")
    if not value:
        path = Path(config["PRIVACY_DATA_DIR"]) / "secret.key"
        try:
            value = path.read_text().strip()
        except FileNotFoundError:
            raise DatasetSettingsError(
                f"worker {os.getpid()} has no server secret: set PRIVACY_SECRET_KEY "
                "(the same as the API's) in every worker's environment"
            ) from None
    secret = value.encode()
    if key_id(secret) != expected_key_id:
        raise DatasetSettingsError(
            f"worker {os.getpid()} has another server secret than the command: set the same "
            "PRIVACY_SECRET_KEY in every worker's environment"
        )
    return secret
