"""Alerts through Apprise: each kind at most once a day unless it changes; never a secret.

One library (Apprise) speaks e-mail, ntfy, Gotify, Telegram, Matrix, Discord, Pushover and about
a hundred more, each configured by one URL in ``notify.urls``. The daemon raises an alert with a
key (its kind and remote) and a text; the :class:`Alerter` sends it on its own thread, so a slow
or failing notification service never delays or stops a sync. What was sent when is kept in
``state_dir/alerts.json`` so a restart does not repeat the day's alerts.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from photosync.atomic import write_atomic
from photosync.errors import UsageError
from photosync.log import redact
from photosync.state.private import FILE_MODE

log = logging.getLogger("photosync.notify")
STATE_FILE = "alerts.json"
REPEAT_SECONDS = 86400.0
Sender = Callable[[list[str], str, str], bool]  # (urls, title, body) -> delivered


def apprise_send(urls: list[str], title: str, body: str) -> bool:
    """Deliver through Apprise; False when no URL was usable or no service took it."""
    import apprise  # imported on first use: the daemon starts without loading ~100 plugins

    sender = apprise.Apprise()
    usable = [url for url in urls if sender.add(url)]
    return bool(usable) and bool(sender.notify(title=title, body=body))


def check_urls(urls: list[str]) -> list[int]:
    """The positions (1-based) of ``notify.urls`` entries Apprise does not understand."""
    import apprise

    return [n for n, url in enumerate(urls, 1) if not apprise.Apprise().add(url)]


class Alerter:
    def __init__(self, urls: list[str], state_dir: Path, send: Sender = apprise_send,
                 clock: Callable[[], float] = time.time):
        self.urls = list(urls)
        self.path = Path(state_dir) / STATE_FILE
        self.send = send
        self.clock = clock
        self._lock = threading.Lock()
        self._prefix = f"photosync-alerts-{id(self):x}"
        self._pool = ThreadPoolExecutor(1, thread_name_prefix=self._prefix)
        self._sent = self._load()

    def _load(self) -> dict[str, dict]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _save(self) -> None:
        try:
            write_atomic(self.path, json.dumps(self._sent, indent=1).encode(), mode=FILE_MODE)
        except OSError as exc:
            log.warning("cannot write %s: %s", self.path, exc.strerror)

    def alert(self, key: str, title: str, body: str) -> bool:
        """Send unless the same alert went out less than a day ago; True when queued."""
        if not self.urls:
            return False
        title, body = redact(title), redact(body)
        digest = hashlib.sha256(f"{title}\n{body}".encode()).hexdigest()[:16]
        now = self.clock()
        with self._lock:
            last = self._sent.get(key)
            if last and last.get("digest") == digest and now - last.get("at", 0) < REPEAT_SECONDS:
                return False
            self._sent[key] = {"at": now, "digest": digest}
            self._save()
        self._pool.submit(self._deliver, key, title, body)
        return True

    def clear(self, key: str) -> None:
        """The condition is over: the next time it happens is news again."""
        with self._lock:
            if self._sent.pop(key, None) is not None:
                self._save()

    def _deliver(self, key: str, title: str, body: str) -> None:
        try:
            delivered = self.send(self.urls, title, body)
        except Exception as exc:  # noqa: BLE001 - an alert never stops the daemon
            delivered = False
            log.warning("alert %s could not be sent: %s", key, redact(f"{type(exc).__name__}"))
        if delivered:
            log.info("alert sent: %s", title)
        else:
            log.warning("alert %r could not be sent to any of notify.urls "
                        "(`photosync notify test` shows why)", title)

    def close(self, wait: float = 5.0) -> None:
        """Let queued alerts go out (a few seconds at most), then stop the thread."""
        self._pool.shutdown(wait=False)
        deadline = time.monotonic() + wait
        for thread in list(threading.enumerate()):
            if thread.name.startswith(self._prefix):
                thread.join(max(0.0, deadline - time.monotonic()))


def send_test(urls: list[str], send: Sender = apprise_send) -> None:
    """``photosync notify test``: one alert now; a usage error naming what is wrong."""
    if not urls:
        raise UsageError("notify.urls is empty: add an Apprise URL (e.g. ntfys://ntfy.sh/TOPIC) "
                         "to the config")
    bad = check_urls(urls)
    if bad:
        raise UsageError(f"notify.urls entry {', '.join(map(str, bad))} is not an Apprise URL "
                         f"Apprise knows (see https://github.com/caronc/apprise/wiki)")
    if not send(urls, "photosync: test alert", "photosync can reach you: alerts work."):
        raise UsageError("the test alert could not be delivered to any of notify.urls (wrong "
                         "address or token, or the service is unreachable); -v shows details")
