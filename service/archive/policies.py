"""Reply-guard policies per platform: which entity types block, redact or pass a reply.

A policy document::

    {
      "public":  {"default": "pass", "entities": {"PHONE_NUMBER": "block", "PERSON": "redact"}},
      "private": {"default": "pass", "entities": {}},
      "greet_customer_by": ["first_name", "handle"],
      "allow_values": ["support@brand.example"]
    }

``public`` and ``private`` apply to replies of that visibility: the action of an entity type
is its entry in ``entities``, else ``default``. ``greet_customer_by`` lets the reply name the
customer it answers by first name, full name or handle whatever the PERSON / SOCIAL_HANDLE
rule says. ``allow_values`` (the brand's own address, handle, phone) always pass.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from service.audit import Actor, record_event
from service.db import queries
from service.errors import Unprocessable

ACTIONS = ("block", "redact", "pass")
VISIBILITIES = ("public", "private")
GREETINGS = ("first_name", "full_name", "handle")
MAX_ALLOW_VALUES = 200

_BLOCKED_IN_PUBLIC = (
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "STREET_ADDRESS",
    "POSTCODE",
    "ORDER_NUMBER",
    "ACCOUNT_NUMBER",
    "CREDIT_CARD",
    "IBAN_CODE",
    "US_SSN",
    "NL_BSN",
    "US_DRIVER_LICENSE",
    "DATE_OF_BIRTH",
    "IP_ADDRESS",
)

DEFAULT_POLICY: dict[str, Any] = {
    "public": {
        "default": "pass",
        "entities": {
            **{entity: "block" for entity in _BLOCKED_IN_PUBLIC},
            "PERSON": "redact",
        },
    },
    "private": {"default": "pass", "entities": {}},
    "greet_customer_by": ["first_name", "handle"],
    "allow_values": [],
}


def default_policy() -> dict[str, Any]:
    """Return a copy of the built-in policy used by platforms without their own."""
    return copy.deepcopy(DEFAULT_POLICY)


def check_policy(policy: Mapping[str, Any], known_entities: Iterable[str]) -> dict[str, Any]:
    """Return the policy in canonical form; raise Unprocessable naming every problem."""
    known = set(known_entities)
    errors: dict[str, list[str]] = {}
    canonical: dict[str, Any] = {}
    unexpected = sorted(set(policy) - {*VISIBILITIES, "greet_customer_by", "allow_values"})
    if unexpected:
        errors["_schema"] = [f"Unknown field(s): {', '.join(unexpected)}."]
    for visibility in VISIBILITIES:
        section = policy.get(visibility, DEFAULT_POLICY[visibility])
        if not isinstance(section, Mapping):
            errors[visibility] = ["Must be an object with `default` and `entities`."]
            continue
        default = section.get("default", "pass")
        if default not in ACTIONS:
            errors[f"{visibility}.default"] = [f"Must be one of: {', '.join(ACTIONS)}."]
        entities = section.get("entities", {})
        if not isinstance(entities, Mapping):
            errors[f"{visibility}.entities"] = ["Must map entity types to actions."]
            continue
        unknown = sorted(str(name) for name in entities if name not in known)
        if unknown:
            errors[f"{visibility}.entities"] = [
                f"Unknown entity type(s): {', '.join(unknown)}. Known: {', '.join(sorted(known))}."
            ]
        bad = sorted(str(name) for name, action in entities.items() if action not in ACTIONS)
        if bad:
            errors.setdefault(f"{visibility}.entities", []).append(
                f"The action of {', '.join(bad)} must be one of: {', '.join(ACTIONS)}."
            )
        extra = sorted(set(section) - {"default", "entities"})
        if extra:
            errors.setdefault(visibility, []).append(f"Unknown field(s): {', '.join(extra)}.")
        canonical[visibility] = {
            "default": default,
            "entities": {name: entities[name] for name in sorted(entities)},
        }
    greetings = policy.get("greet_customer_by", DEFAULT_POLICY["greet_customer_by"])
    if not isinstance(greetings, list) or any(g not in GREETINGS for g in greetings):
        errors["greet_customer_by"] = [f"Must be a list of: {', '.join(GREETINGS)}."]
    else:
        canonical["greet_customer_by"] = [g for g in GREETINGS if g in greetings]
    allow_values = policy.get("allow_values", [])
    if (
        not isinstance(allow_values, list)
        or len(allow_values) > MAX_ALLOW_VALUES
        or any(not isinstance(v, str) or not v.strip() or len(v) > 200 for v in allow_values)
    ):
        errors["allow_values"] = [
            f"Must be a list of at most {MAX_ALLOW_VALUES} non-empty strings of up to 200 "
            "characters."
        ]
    else:
        canonical["allow_values"] = list(dict.fromkeys(v.strip() for v in allow_values))
    if errors:
        raise Unprocessable("The policy is not valid; see `errors`.", errors=errors)
    return canonical


def get_policy(conn: psycopg.Connection, platform: str | None) -> dict[str, Any]:
    """Return a platform's policy as {platform, policy, source: custom|default, updated_at}."""
    row = None
    if platform is not None:
        row = conn.execute(queries()["get_reply_policy"], {"platform": platform}).fetchone()
    if row is None:
        return {
            "platform": platform,
            "policy": default_policy(),
            "source": "default",
            "updated_at": None,
        }
    return {**row, "source": "custom"}


def put_policy(
    conn: psycopg.Connection,
    actor: Actor,
    platform: str,
    policy: Mapping[str, Any],
    known_entities: Iterable[str],
) -> dict[str, Any]:
    """Validate and store a platform's policy; record `policy.updated` (actions, never values)."""
    canonical = check_policy(policy, known_entities)
    row = conn.execute(
        queries()["upsert_reply_policy"],
        {"platform": platform, "policy": Jsonb(canonical), "updated_by": actor.key_id},
    ).fetchone()
    record_event(
        conn,
        actor,
        "policy.updated",
        target_type="reply_policy",
        target_id=platform,
        details={
            visibility: {
                "default": canonical[visibility]["default"],
                **{
                    action: sorted(
                        name
                        for name, chosen in canonical[visibility]["entities"].items()
                        if chosen == action
                    )
                    for action in ACTIONS
                },
            }
            for visibility in VISIBILITIES
        }
        | {
            "greet_customer_by": canonical["greet_customer_by"],
            "allow_values": len(canonical["allow_values"]),
        },
    )
    return {**row, "source": "custom"}


def action_for(policy: Mapping[str, Any], visibility: str, entity_type: str) -> str:
    """Return what a policy does with an entity type in a reply of that visibility."""
    section = policy[visibility]
    return section["entities"].get(entity_type, section["default"])
