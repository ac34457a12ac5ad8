"""sd_notify: tell systemd we are ready, what we are doing, and that we are alive.

The protocol is one datagram of ``KEY=value`` lines sent to the AF_UNIX socket named by
``$NOTIFY_SOCKET`` (a leading ``@`` means the abstract namespace). That is a dozen lines, so it
is written here rather than pulled in: ``systemd-python`` needs libsystemd headers to build and
the small ``sdnotify`` package is unmaintained. Outside systemd (no ``$NOTIFY_SOCKET``) every call
is a no-op, so the daemon runs the same in a terminal.
"""

from __future__ import annotations

import logging
import os
import socket
import time

log = logging.getLogger("photosync.daemon")


class Notifier:
    """``Notifier()`` reads the environment; ``send("READY=1", "STATUS=...")``."""

    def __init__(self, address: str | None = None, watchdog_usec: str | None = None,
                 watchdog_pid: str | None = None):
        self.address = address if address is not None else os.environ.get("NOTIFY_SOCKET", "")
        usec = watchdog_usec if watchdog_usec is not None else os.environ.get("WATCHDOG_USEC", "")
        pid = watchdog_pid if watchdog_pid is not None else os.environ.get("WATCHDOG_PID", "")
        # WATCHDOG_PID, when set, names the process the watchdog applies to.
        ours = not pid or (pid.isdigit() and int(pid) == os.getpid())
        self.watchdog_seconds = int(usec) / 1e6 if usec.isdigit() and ours else None
        self._socket: socket.socket | None = None
        self._last_status = ""

    @property
    def enabled(self) -> bool:
        return bool(self.address)

    def send(self, *fields: str) -> bool:
        """Send one message; returns False (and logs once at debug level) when it could not."""
        if not self.address:
            return False
        target = "\0" + self.address[1:] if self.address.startswith("@") else self.address
        try:
            if self._socket is None:
                self._socket = socket.socket(socket.AF_UNIX,
                                             socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
            self._socket.sendto("\n".join(fields).encode("utf-8"), target)
            return True
        except OSError as exc:
            log.debug("sd_notify to %s failed: %s", self.address, exc)
            return False

    def ready(self, status: str) -> None:
        self._last_status = status
        self.send("READY=1", f"STATUS={status}", f"MAINPID={os.getpid()}")

    def status(self, text: str) -> None:
        """STATUS= only when the one-line summary changed (systemctl status shows it)."""
        if text != self._last_status:
            self._last_status = text
            self.send(f"STATUS={text}")

    def keepalive(self) -> None:
        if self.watchdog_seconds:
            self.send("WATCHDOG=1")

    def reloading(self) -> None:
        # MONOTONIC_USEC lets systemd tell this reload from an older one (required with
        # Type=notify-reload, harmless with Type=notify).
        self.send("RELOADING=1", f"MONOTONIC_USEC={time.monotonic_ns() // 1000}")

    def reloaded(self) -> None:
        self.send("READY=1")

    def stopping(self) -> None:
        self.send("STOPPING=1", "STATUS=stopping")

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None
