"""The roles an API key or a console user can hold."""

from __future__ import annotations

ROLES = ("moderator", "privacy_officer", "auditor", "admin")
