"""Triage during a scan: evaluate the rules on scanned items and store their flags.

Flags are written in the scan's own transaction, with the findings: an item's flags always
belong to the text its findings belong to. A flag a scan newly raises is audited as
``triage.flagged`` (flag types, rule ids and the rules version; never the text).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg

from service.audit import SYSTEM, record_event, subject_ref
from service.db import queries
from service.triage.engine import Flag, RuleSet, evaluate


def evaluate_items(ruleset: RuleSet, items: Iterable[Mapping[str, Any]]) -> dict[UUID, list[Flag]]:
    """Return the flags each item's text raises, by item id."""
    return {item["id"]: evaluate(ruleset, item["text"]) for item in items}


def store_flags(
    conn: psycopg.Connection,
    secret: bytes,
    ruleset: RuleSet,
    evaluated: Sequence[tuple[Mapping[str, Any], list[Flag]]],
    flagged_at: datetime,
) -> int:
    """Replace the flags of evaluated items, stamp the rules version; return flags stored."""
    q = queries()
    ids = [item["id"] for item, _ in evaluated]
    if not ids:
        return 0
    before: dict[UUID, set[str]] = {}
    for row in conn.execute(q["list_triage_flag_types_of_items"], {"ids": ids}).fetchall():
        before.setdefault(row["item_id"], set()).add(row["flag"])
    conn.execute(q["delete_triage_flags_of_items"], {"ids": ids})
    columns: dict[str, list] = {
        name: []
        for name in ("item_ids", "flags", "starts", "ends", "scores", "rule_ids", "text_hashes")
    }
    for item, flags in evaluated:
        for flag in flags:
            columns["item_ids"].append(item["id"])
            columns["flags"].append(flag.flag)
            columns["starts"].append(flag.start)
            columns["ends"].append(flag.end)
            columns["scores"].append(flag.score)
            columns["rule_ids"].append(flag.rule_id)
            columns["text_hashes"].append(item["text_hash"])
    if columns["item_ids"]:
        conn.execute(
            q["insert_triage_flags"],
            {**columns, "rules_version": ruleset.version, "flagged_at": flagged_at},
        )
    conn.execute(q["set_items_triage_version"], {"ids": ids, "rules_version": ruleset.version})
    for item, flags in evaluated:
        raised = [flag for flag in flags if flag.flag not in before.get(item["id"], set())]
        if not raised:
            continue
        record_event(
            conn,
            SYSTEM,
            "triage.flagged",
            target_type="feedback_item",
            target_id=item["id"],
            subject_ref=subject_ref(secret, item["author_id"]),
            details={
                "flags": [flag.flag for flag in raised],
                "rule_ids": [flag.rule_id for flag in raised],
                "rules_version": ruleset.version,
            },
        )
    return len(columns["item_ids"])
