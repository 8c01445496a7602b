"""Configuration: environment variables reach every area, and each one is documented."""

from __future__ import annotations

import re
from pathlib import Path

from service.archive.settings import load_archive_settings
from service.config import _SETTINGS, load_config
from service.dsr.settings import load_dsr_settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_environment_reaches_area_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("PRIVACY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PRIVACY_SCAN_CHUNK_ITEMS", "7")
    monkeypatch.setenv("PRIVACY_PHONE_REGION", "nl")
    monkeypatch.setenv("PRIVACY_DSR_TIMEZONE", "Europe/Amsterdam")
    monkeypatch.setenv("PRIVACY_MAX_BATCH", "12")
    config = load_config()
    assert config["PRIVACY_MAX_BATCH"] == 12
    archive = load_archive_settings(config)
    assert archive.scan_chunk_items == 7 and archive.phone_region == "NL"
    assert load_dsr_settings(config, b"k" * 32).zone == "Europe/Amsterdam"


def test_explicit_overrides_win_over_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("PRIVACY_MAX_TEXT_CHARS", "10")
    config = load_config({"PRIVACY_MAX_TEXT_CHARS": 20, "PRIVACY_DATA_DIR": str(tmp_path)})
    assert config["PRIVACY_MAX_TEXT_CHARS"] == 20


def test_every_setting_is_documented_in_the_readme():
    section = README.read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`((?:PRIVACY|DATABASE|TEST_DATABASE)_[A-Z_]+)`", section))
    missing = set(_SETTINGS) - documented
    assert not missing, f"add these to README.md's Configuration table: {sorted(missing)}"


def test_generated_secrets_on_a_shared_database_are_warned_about(app_config, caplog):
    import logging

    from service import create_app

    caplog.set_level(logging.WARNING, logger="service")
    config = {**app_config}
    config.pop("PRIVACY_SECRET_KEY")
    app = create_app(config)
    app.extensions["privacy"].database.close()
    warned = [r for r in caplog.records if "shared database" in r.getMessage()]
    assert warned and warned[0].settings == ["PRIVACY_SECRET_KEY"]


def _readme_default(name: str) -> str:
    row = re.search(rf"^\| `{name}` \| `([^`]*)`", README.read_text(), re.MULTILINE)
    assert row, f"{name} has no row with a default in README.md"
    return row.group(1)


def test_worker_timing_defaults_are_the_readme_s():
    """What the README promises for a stalled job holds for the defaults the code uses."""
    from service.archive.settings import ArchiveSettings
    from service.archive.tasks import sweep_interval

    defaults = ArchiveSettings()
    assert float(_readme_default("PRIVACY_WORKER_STALLED_SECONDS")) == defaults.stalled_seconds
    assert float(_readme_default("PRIVACY_WORKER_HEARTBEAT_SECONDS")) == defaults.heartbeat_seconds
    # "every min(5, stalled/4) seconds": the sweep never waits behind a long chunk.
    text = README.read_text()
    assert "every `min(5, stalled/4)` seconds" in text
    assert sweep_interval(defaults.stalled_seconds) == min(5, defaults.stalled_seconds / 4)
    assert load_archive_settings({}) == defaults
