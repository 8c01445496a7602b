"""Tamper-evident audit log: events in a hash chain, written in the caller's transaction."""

from service.audit.events import SYSTEM, Actor, record_event, row_hash, subject_ref

__all__ = ["SYSTEM", "Actor", "record_event", "row_hash", "subject_ref"]
