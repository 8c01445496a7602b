"""Run the application under gunicorn, one app (and one engine) per worker process."""

from __future__ import annotations

from gunicorn.app.base import BaseApplication


class _Server(BaseApplication):
    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        # Runs in each worker after the fork: pools and engines are never shared across forks.
        from service import create_app

        return create_app({"PRIVACY_WARM_ENGINE": True})


def _worker_exit(server, worker) -> None:
    # Write the audit counts this worker still holds before it goes (a recycle or a stop).
    app = getattr(worker, "wsgi", None)
    aggregator = getattr(app, "extensions", {}).get("privacy.audit_aggregate")
    if aggregator is not None:
        aggregator.close()


def run_gunicorn(*, host: str, port: int, workers: int, threads: int) -> None:
    """Serve on host:port until interrupted."""
    _Server(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread" if threads > 1 else "sync",
            "accesslog": None,  # the app writes one JSON line per request itself
            "timeout": 60,
            "graceful_timeout": 20,
            "keepalive": 5,
            # spaCy's string store grows with every new word a process sees: recycle workers now
            # and then (staggered, so they never restart together).
            "max_requests": 50_000,
            "max_requests_jitter": 5_000,
            "worker_exit": _worker_exit,
        }
    ).run()
