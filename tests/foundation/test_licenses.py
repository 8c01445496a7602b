"""The licence check: every runtime dependency may be shipped in an Apache-2.0 image."""

from __future__ import annotations

import pytest

from tools.licenses import REVIEWED, dependencies, runtime_distributions, verdict


@pytest.mark.parametrize(
    ("licence", "expected"),
    [
        ("MIT", "ok"),
        ("Apache-2.0 OR BSD-3-Clause", "ok"),
        ("BSD-3-Clause AND 0BSD AND MIT AND Zlib AND CC0-1.0", "ok"),
        ("MPL-2.0 AND MIT", "ok"),
        ("GPL-3.0-only", "copyleft"),
        ("AGPL-3.0-or-later", "copyleft"),
        ("GNU General Public License v2 (GPLv2)", "copyleft"),
        ("MIT OR GPL-2.0-only", "ok"),
        ("MIT AND GPL-2.0-only", "copyleft"),
        ("LGPL-3.0-only", "lgpl"),
        ("GNU Lesser General Public License v3 (LGPLv3)", "lgpl"),
        ("GPL-2.0-or-later WITH Classpath-exception-2.0", "unknown"),
        ("", "unknown"),
        ("Proprietary", "unknown"),
    ],
)
def test_verdicts(licence, expected):
    assert verdict(licence) == expected


def test_the_walk_follows_runtime_requirements_and_leaves_out_the_dev_extra():
    found = runtime_distributions()
    # Direct, transitive and extra-requested (psycopg[binary]) requirements are in ...
    assert {"flask", "werkzeug", "presidio-analyzer", "psycopg-binary"} <= set(found)
    # ... the dev extra's tools are not.
    assert not {"pytest", "ruff", "schemathesis"} & set(found)


def test_every_runtime_dependency_is_acceptable():
    rows = dependencies()
    bad = [f"{row.name} {row.version}: {row.licence}" for row in rows if not row.acceptable]
    assert not bad, "licences not acceptable (review, then list in REVIEWED): " + "; ".join(bad)
    # A review vouches only for packages whose metadata needs one.
    reviewed = {row.name for row in rows if row.verdict == "reviewed"}
    assert reviewed <= set(REVIEWED)
