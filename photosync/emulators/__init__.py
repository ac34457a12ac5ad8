"""Faithful loopback emulators of the Flickr API and the Google Drive v3 API.

``photosync-emulator flickr|drive`` runs one; tests use :func:`start` in-process.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from photosync.emulators.server import EmulatorApp, EmulatorServer, Faults

# The registry: service name -> "module:class".
APPS = {
    "flickr": "photosync.emulators.flickr:FlickrEmulator",
    "drive": "photosync.emulators.drive:DriveEmulator",
}


def make_app(service: str, data_dir: Path | None = None, rate_limit: int | None = None,
             auto_approve: bool = False, fault_rate: float = 0.0, fault_seed: int = 0,
             latency_ms: float = 0.0) -> EmulatorApp:
    module_name, class_name = APPS[service].split(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    faults = Faults(rate=fault_rate, seed=fault_seed, latency_ms=latency_ms)
    kwargs = {"data_dir": data_dir, "auto_approve": auto_approve, "faults": faults}
    if rate_limit is not None:
        kwargs["rate_limit"] = rate_limit
    return cls(**kwargs)


def start(service: str, host: str = "127.0.0.1", port: int = 0, **options) -> EmulatorServer:
    """Start an emulator in this process; ``.url`` is its base URL, ``.app`` its state, ``.stop()``."""
    server = EmulatorServer(make_app(service, **options), host, port)
    server.start()
    return server
