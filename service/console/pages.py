"""Rendering helpers shared by the console's views."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask import render_template


def render_page(template: str, status: int = 200, **context: Any):
    """Render a console page with its status."""
    return render_template(f"console/{template}", **context), status


def render_error(status: int, message: str):
    """Render the console's error page (HTML, with the same headers as every page)."""
    return render_page("error.html", status, code=status, message=message)


def highlight(text: str, findings: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Cut a text into plain pieces and found pieces (each with its finding), in order."""
    pieces: list[dict[str, Any]] = []
    position = 0
    for finding in sorted(findings, key=lambda f: (f["start"], -f["end"])):
        if finding["start"] < position:
            continue
        if finding["start"] > position:
            pieces.append({"text": text[position : finding["start"]], "finding": None})
        pieces.append({"text": text[finding["start"] : finding["end"]], "finding": finding})
        position = finding["end"]
    if position < len(text):
        pieces.append({"text": text[position:], "finding": None})
    return pieces
