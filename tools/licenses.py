"""List the licence of every runtime dependency and fail on copyleft-only or unknown ones.

The Docker image redistributes every package privacy-service needs at run time, so each one must
allow that under Apache-2.0 terms. The dependencies are found by walking ``Requires-Dist`` from
privacy-service's own runtime requirements (not the ``dev`` extra) through the installed
distributions; each licence is read from the metadata: ``License-Expression`` (PEP 639), else
``License``, else the ``License ::`` classifiers.

    python tools/licenses.py        # print the table; exit 1 when a licence is not acceptable
"""

from __future__ import annotations

import importlib.metadata as metadata
import re
import sys
from dataclasses import dataclass

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = "privacy-service"

# Licences whose terms let us ship the package inside an Apache-2.0 product. MPL-2.0 is a
# file-level copyleft: shipping the unmodified files is fine.
PERMISSIVE = (
    "apache",
    "mit",
    "bsd",
    "isc",
    "psf",
    "python software foundation",
    "mpl",
    "mozilla public license 2.0",
    "zlib",
    "unlicense",
    "cc0",
    "hpnd",
    "historical permission notice",
    "0bsd",
    "zpl",
    "cnri-python",
    "public domain",
)
# GPL and AGPL oblige us to license the whole product under them: never acceptable.
STRONG_COPYLEFT = re.compile(r"\b(A?GPL|GNU (Affero )?General Public)", re.I)
# LGPL allows shipping the unmodified library inside a product under other terms (with its
# licence text and source offer): acceptable only after a review, listed in REVIEWED.
WEAK_COPYLEFT = re.compile(r"\b(LGPL|GNU (Lesser|Library) General Public)", re.I)

# Packages whose metadata names no licence, or an LGPL one, each checked by hand (reviewed
# 2026-12-03). Add an entry only after reading the package's licence; the reason is printed.
REVIEWED: dict[str, str] = {
    "pgserver": "Apache-2.0 (its dist-info LICENSE; the bundled PostgreSQL is under the "
    "PostgreSQL licence)",
    "psycopg": "LGPL-3.0-only, imported unmodified (the project's fixed database driver)",
    "psycopg-binary": "LGPL-3.0-only, imported unmodified (psycopg's C build, libpq inside)",
    "psycopg-pool": "LGPL-3.0-only, imported unmodified (psycopg's connection pool)",
    "flask-wtf": "BSD-3-Clause (its LICENSE.rst; the metadata's License field holds only the "
    "copyright line)",
    "wtforms": "BSD-3-Clause (its LICENSE.rst; the metadata's License field holds only the "
    "copyright line)",
}


@dataclass(frozen=True)
class Dependency:
    """One installed runtime dependency and what its metadata says about its licence."""

    name: str
    version: str
    licence: str
    source: str
    verdict: str

    @property
    def acceptable(self) -> bool:
        """Tell whether the licence lets us redistribute the package."""
        return self.verdict in {"ok", "reviewed"}


def runtime_distributions(root: str = ROOT) -> dict[str, metadata.Distribution]:
    """Return every distribution the root needs at run time (its extras' deps excluded)."""
    found: dict[str, metadata.Distribution] = {}
    pending: list[tuple[str, frozenset[str]]] = [(root, frozenset())]
    seen: set[tuple[str, frozenset[str]]] = set()
    while pending:
        name, extras = pending.pop()
        key = (canonicalize_name(name), extras)
        if key in seen:
            continue
        seen.add(key)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            raise SystemExit(f"{name} is required but not installed") from None
        if canonicalize_name(name) != canonicalize_name(root):
            found[canonicalize_name(name)] = dist
        for line in dist.requires or []:
            requirement = Requirement(line)
            wanted = extras | {""}
            if requirement.marker is not None and not any(
                requirement.marker.evaluate({"extra": extra}) for extra in wanted
            ):
                continue
            pending.append((requirement.name, frozenset(requirement.extras)))
    return found


def licence_of(dist: metadata.Distribution) -> tuple[str, str]:
    """Return (licence, where it was read) from a distribution's metadata, "" when none."""
    meta = dist.metadata
    expression = (meta.get("License-Expression") or "").strip()
    if expression:
        return expression, "License-Expression"
    text = (meta.get("License") or "").strip()
    if text and text.upper() not in {"UNKNOWN", "NONE"}:
        # Some packages paste the whole licence text here: its first line names it.
        first = text.splitlines()[0].strip()
        return (first if len(first) <= 80 else first[:77] + "..."), "License"
    classifiers = [
        value.split("::")[-1].strip()
        for value in meta.get_all("Classifier") or []
        if value.startswith("License ::") and value.split("::")[-1].strip() != "OSI Approved"
    ]
    if classifiers:
        return " OR ".join(classifiers), "classifiers"
    return "", ""


def verdict(licence: str) -> str:
    """Return "ok", "copyleft", "lgpl" or "unknown" for a licence expression or name.

    Alternatives ("MIT OR GPL-2.0", or several licence classifiers) pass when one of them is
    permissive; a licence that is only GPL, AGPL or LGPL does not.
    """
    if not licence:
        return "unknown"
    alternatives = re.split(r"\s+OR\s+|\s*/\s*|\s+or\s+", licence)
    results = []
    for alternative in alternatives:
        # "Apache-2.0 AND MIT": every part must be acceptable.
        parts = re.split(r"\s+AND\s+", alternative.strip("() "))
        part_results = []
        for part in parts:
            lowered = part.lower()
            if WEAK_COPYLEFT.search(part):
                part_results.append("lgpl")
            elif STRONG_COPYLEFT.search(part) and "exception" not in lowered:
                part_results.append("copyleft")
            elif any(word in lowered for word in PERMISSIVE):
                part_results.append("ok")
            else:
                part_results.append("unknown")
        for worst in ("copyleft", "lgpl", "unknown", "ok"):
            if worst in part_results:
                results.append(worst)
                break
    for best in ("ok", "lgpl", "unknown", "copyleft"):
        if best in results:
            return best
    return "unknown"


def dependencies(root: str = ROOT) -> list[Dependency]:
    """Return the runtime dependencies with their licences and verdicts, by name."""
    rows = []
    for name, dist in sorted(runtime_distributions(root).items()):
        licence, source = licence_of(dist)
        judged = verdict(licence)
        # A review can vouch for missing metadata or an LGPL library, never for GPL or AGPL.
        if judged in {"unknown", "lgpl"} and name in REVIEWED:
            licence, source, judged = REVIEWED[name], "reviewed", "reviewed"
        rows.append(Dependency(name, dist.version, licence or "-", source or "-", judged))
    return rows


def main() -> int:
    """Print the table of runtime dependencies; return 1 when one is not acceptable."""
    rows = dependencies()
    widths = [max(len(getattr(row, field)) for row in rows) for field in ("name", "version")]
    licence_width = min(60, max(len(row.licence) for row in rows))
    print(
        f"{'package':<{widths[0]}}  {'version':<{widths[1]}}  {'licence':<{licence_width}}  "
        "read from           verdict"
    )
    for row in rows:
        print(
            f"{row.name:<{widths[0]}}  {row.version:<{widths[1]}}  "
            f"{row.licence[:licence_width]:<{licence_width}}  {row.source:<18}  {row.verdict}"
        )
    bad = [row for row in rows if not row.acceptable]
    print(f"\n{len(rows)} runtime dependencies; {len(bad)} not acceptable")
    for row in bad:
        print(f"  {row.name} {row.version}: {row.licence} ({row.verdict})", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
