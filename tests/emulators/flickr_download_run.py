"""Run the unmodified ``flickr_download`` CLI (PyPI) against an emulated Flickr.

Usage: ``python flickr_download_run.py EMULATOR_URL [flickr_download arguments...]``. Its
``flickr_api`` package hard-codes Flickr's hosts as module constants; this sets them to the
emulator (``call_api`` keeps its own copy of ``REST_URL`` as a default argument) and runs the
tool's own ``main()``. Nothing else is changed.
"""

from __future__ import annotations

import sys

import flickr_api.auth
import flickr_api.method_call
from flickr_download import flick_download


def point_at(base: str) -> None:
    rest = f"{base}/services/rest/"
    flickr_api.method_call.REST_URL = rest
    call = flickr_api.method_call.call_api
    names = call.__code__.co_varnames[:call.__code__.co_argcount]
    defaults = dict(zip(names[-len(call.__defaults__):], call.__defaults__))
    defaults["request_url"] = rest
    call.__defaults__ = tuple(defaults.values())
    for name in ("TOKEN_REQUEST_URL", "AUTHORIZE_URL", "ACCESS_TOKEN_URL"):
        step = getattr(flickr_api.auth, name).rsplit("/", 1)[1]
        setattr(flickr_api.auth, name, f"{base}/services/oauth/{step}")


if __name__ == "__main__":
    point_at(sys.argv.pop(1).rstrip("/"))
    sys.exit(flick_download.main())
