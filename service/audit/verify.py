"""Verify an audit hash chain and its signed checkpoints, from the database or an export file.

The logic is pure (no database, no Flask): `GET /v1/audit/verify` feeds it rows, the offline
`privacy-service audit verify` command feeds it the lines of an export.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from service.audit.events import GENESIS_HASH, row_hash
from service.audit.signing import encode_public_key, signature_is_valid

EVENT_TYPES = ("event", "bridge")


@dataclass
class VerificationReport:
    """What a verification found: counts, the first bad seq and why, the last valid checkpoint."""

    ok: bool = True
    checked: int = 0
    checkpoints_checked: int = 0
    first_bad_seq: int | None = None
    reason: str | None = None
    last_checkpoint: dict[str, Any] | None = None
    first_seq: int | None = None
    last_seq: int | None = None
    # Events covered by a valid checkpoint later in the same unbroken run of seqs.
    signed: int = 0
    # Events with no checkpoint after them in their run: the unsigned tail, or, in a filtered
    # export, events separated from every checkpoint by a gap.
    unsigned: int = 0
    gaps: int = 0
    # Lines seen in total, counted even after a failure (for "6/120 events valid").
    events_seen: int = 0
    bridge_seen: int = 0
    checkpoints_seen: int = 0
    notes: list[str] = field(default_factory=list)


class ChainVerifier:
    """Check events and checkpoints fed in seq order (each checkpoint right after its event).

    `contiguous`: a missing seq is tampering (the whole log, or a time-range export); otherwise
    gaps are expected (a filtered export) and the chain is only checked between neighbours.
    `from_genesis`: the first event must be seq 1 (the whole log).
    Verification stops at the first failure; later input is only counted.
    """

    def __init__(
        self,
        public_key: Ed25519PublicKey,
        *,
        contiguous: bool = True,
        from_genesis: bool = False,
    ):
        self.public_key = public_key
        self.contiguous = contiguous
        self.from_genesis = from_genesis
        self.report = VerificationReport()
        self._last_hash: str | None = None
        self._pending = 0  # valid events since the last valid checkpoint in this run

    @property
    def failed(self) -> bool:
        """Tell whether a failure has been found."""
        return not self.report.ok

    def fail(self, seq: int | None, reason: str) -> bool:
        """Record the first failure (later ones are ignored) and return False."""
        if self.report.ok:
            self.report.ok = False
            self.report.first_bad_seq = seq
            self.report.reason = reason
        return False

    def _next_seq(self) -> int:
        return 1 if self.report.last_seq is None else self.report.last_seq + 1

    def add_event(self, event: Mapping[str, Any]) -> bool:
        """Check one event against its own hash and its predecessor; return False on failure."""
        report = self.report
        report.events_seen += 1
        if self.failed:
            return False
        seq = event.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
            return self.fail(self._next_seq(), f"an event has no valid seq ({seq!r})")
        last = report.last_seq
        if last is None:
            if self.from_genesis and seq != 1:
                return self.fail(1, _missing(1, seq - 1, f"the log starts at seq {seq}"))
            report.first_seq = seq
            adjacent = False
        elif seq <= last:
            return self.fail(seq, f"seq {seq} comes after seq {last}: events out of order")
        elif seq != last + 1:
            if self.contiguous:
                return self.fail(last + 1, _missing(last + 1, seq - 1, f"after seq {last}"))
            report.gaps += 1
            report.unsigned += self._pending
            self._pending = 0
            adjacent = False
        else:
            adjacent = True

        prev_hash = event.get("prev_hash")
        if seq == 1 and prev_hash != GENESIS_HASH:
            return self.fail(1, "event 1 does not start from the genesis hash")
        if adjacent and prev_hash != self._last_hash:
            return self.fail(
                seq,
                f"prev_hash of event {seq} is not the hash of event {seq - 1}: the chain is broken",
            )
        try:
            recomputed = row_hash(event)
        except (AttributeError, TypeError, ValueError) as exc:
            return self.fail(seq, f"event {seq} is malformed ({exc})")
        if recomputed != event.get("hash"):
            return self.fail(
                seq, f"the hash of event {seq} does not match its fields: the event was altered"
            )
        report.last_seq = seq
        self._last_hash = event["hash"]
        report.checked += 1
        self._pending += 1
        return True

    def add_checkpoint(self, checkpoint: Mapping[str, Any]) -> bool:
        """Check a checkpoint's signature and that it matches the event at its seq."""
        report = self.report
        report.checkpoints_seen += 1
        if self.failed:
            return False
        seq = checkpoint.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool):
            return self.fail(self._next_seq(), f"a checkpoint has no valid seq ({seq!r})")
        if not signature_is_valid(self.public_key, checkpoint):
            return self.fail(
                seq,
                f"the signature of checkpoint {seq} does not verify under the trusted public key",
            )
        last = report.last_seq
        if last is not None and seq == last:
            if checkpoint.get("hash") != self._last_hash:
                return self.fail(
                    seq,
                    f"checkpoint {seq} signed a different hash than event {seq} has: "
                    "the log was rewritten after it was signed",
                )
            report.signed += self._pending
            self._pending = 0
        elif self.contiguous:
            if last is None or seq > last:
                expected = self._next_seq() if last is not None else seq
                return self.fail(
                    expected,
                    f"checkpoint {seq} signs an event that is missing"
                    + (f" (the events end at seq {last})" if last is not None else ""),
                )
            return self.fail(seq, f"checkpoint {seq} is out of order")
        report.checkpoints_checked += 1
        report.last_checkpoint = {
            key: checkpoint.get(key) for key in ("seq", "hash", "signed_at", "signature")
        }
        return True

    def check_head(self, head: Mapping[str, Any]) -> bool:
        """Check that the stored chain head is the last event (the whole log only)."""
        if self.failed:
            return False
        last = self.report.last_seq or 0
        last_hash = self._last_hash or GENESIS_HASH
        if head["seq"] > last:
            return self.fail(
                last + 1, _missing(last + 1, head["seq"], f"the head is at seq {head['seq']}")
            )
        if head["seq"] < last:
            return self.fail(
                head["seq"] + 1, f"events after the head (seq {head['seq']}) were added around it"
            )
        if head["hash"] != last_hash:
            return self.fail(last, f"the head hash differs from the hash of event {last}")
        return True

    def finish(self) -> VerificationReport:
        """Close the last run and return the report."""
        self.report.unsigned += self._pending
        self._pending = 0
        return self.report


def _missing(first: int, last: int, context: str) -> str:
    if first == last:
        return f"event {first} is missing ({context})"
    return f"events {first}..{last} are missing ({context})"


def verify_export(records: Iterable[Mapping[str, Any]], public_key: Ed25519PublicKey):
    """Verify the records of an export file (header, events, checkpoints, end) and report."""
    iterator = iter(records)
    header = next(iterator, None)
    if header is None or header.get("type") != "header":
        verifier = ChainVerifier(public_key)
        verifier.fail(None, "the file does not start with an export header")
        return verifier.finish()
    contiguous = header.get("contiguous") is not False
    verifier = ChainVerifier(public_key, contiguous=contiguous)
    report = verifier.report
    end: Mapping[str, Any] | None = None
    for record in iterator:
        kind = record.get("type")
        if end is not None:
            verifier.fail(report.last_seq, "lines follow the end line")
            break
        if kind in EVENT_TYPES:
            if kind == "bridge":
                report.bridge_seen += 1
            verifier.add_event(record)
        elif kind == "checkpoint":
            verifier.add_checkpoint(record)
        elif kind == "end":
            end = record
        else:
            verifier.fail(report.last_seq, f"unknown line type {kind!r}")
    _check_completeness(verifier, header, end)
    named_key = header.get("public_key")
    if report.ok and named_key and named_key != encode_public_key(public_key):
        report.notes.append("the header names another public key than the one trusted here")
    return verifier.finish()


def _check_completeness(
    verifier: ChainVerifier, header: Mapping[str, Any], end: Mapping[str, Any] | None
) -> None:
    """Check the end line's counts and, for an export to the present, that it reaches the head."""
    report = verifier.report
    after_last = (report.last_seq or 0) + 1
    if end is None:
        verifier.fail(after_last, "the file ends without its end line: it was truncated")
        return
    expected = (end.get("events"), end.get("bridge"), end.get("checkpoints"))
    found = (report.events_seen - report.bridge_seen, report.bridge_seen, report.checkpoints_seen)
    if expected != found:
        verifier.fail(
            after_last,
            "the end line counts {} events, {} bridge events and {} checkpoints; the file has "
            "{}, {} and {}".format(*expected, *found),
        )
        return
    through = header.get("through_seq")
    until = (header.get("filter") or {}).get("until")
    if (
        verifier.contiguous
        and until is None
        and isinstance(through, int)
        and report.last_seq is not None
        and report.last_seq < through
    ):
        verifier.fail(
            after_last, _missing(after_last, through, f"the export was taken through {through}")
        )
