"""Faithful loopback emulators of the Flickr API and the Google Drive v3 API.

``photosync-emulator flickr|drive`` runs one; tests use :func:`start` in-process.
"""

from __future__ import annotations

import importlib
import json
import urllib.request
from pathlib import Path
from typing import Any

from photosync.emulators.server import EmulatorApp, EmulatorServer, Faults

# The registry: service name -> "module:class".
APPS = {
    "flickr": "photosync.emulators.flickr:FlickrEmulator",
    "drive": "photosync.emulators.drive:DriveEmulator",
}


def make_app(
    service: str,
    data_dir: Path | None = None,
    rate_limit: int | None = None,
    auto_approve: bool = False,
    fault_rate: float = 0.0,
    fault_seed: int = 0,
    latency_ms: float = 0.0,
) -> EmulatorApp:
    module_name, class_name = APPS[service].split(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    faults = Faults(rate=fault_rate, seed=fault_seed, latency_ms=latency_ms)
    kwargs: dict[str, Any] = {"data_dir": data_dir, "auto_approve": auto_approve, "faults": faults}
    if rate_limit is not None:
        kwargs["rate_limit"] = rate_limit
    return cls(**kwargs)


def start(service: str, host: str = "127.0.0.1", port: int = 0, **options) -> EmulatorServer:
    """Start an emulator in this process; ``.url`` is its base URL, ``.app`` its state,
    ``.stop()``."""
    server = EmulatorServer(make_app(service, **options), host, port)
    server.start()
    return server


def admin(base_url: str, route: str, body: Any = None, timeout: float = 60) -> Any:
    """Call an emulator's admin route (``route`` may carry a query): GET without ``body``, POST
    with it as JSON; returns the JSON answer. For tests, benchmarks and the demo."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"{base_url}/_admin/{route}",
        data=data,
        method="GET" if data is None else "POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        return json.loads(answer.read())
