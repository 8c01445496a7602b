"""Verifiable audit log: events appended in the caller's transaction, a signed Merkle tree."""

from service.audit.events import SYSTEM, Actor, record_event, subject_ref

__all__ = ["SYSTEM", "Actor", "record_event", "subject_ref"]
