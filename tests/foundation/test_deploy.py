"""docker-compose: every long-running service restarts and has a healthcheck that can pass."""

from __future__ import annotations

import re

import yaml

from tests.conftest import ROOT


def services() -> dict[str, dict]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def test_every_long_running_service_restarts_and_is_health_checked():
    dockerfile = (ROOT / "Dockerfile").read_text()
    for name, service in services().items():
        if service.get("restart") == "no":
            # One-shot jobs only: the migration runs once before the services start.
            assert service["command"][-1] == "migrate", name
            continue
        assert service.get("restart") == "unless-stopped", name
        check = service.get("healthcheck")
        if check is None:
            # Built from our image: the Dockerfile's own healthcheck asks /health.
            assert "build" in service and "HEALTHCHECK" in dockerfile, name
        else:
            assert not check.get("disable") and check.get("test"), name


def test_workers_and_the_signer_touch_the_file_their_healthcheck_reads():
    for name in ("worker", "signer"):
        service = services()[name]
        command = service["command"]
        alive = command[command.index("--alive-file") + 1]
        test = " ".join(service["healthcheck"]["test"])
        assert re.search(rf"getmtime\('{re.escape(alive)}'\)", test), name
