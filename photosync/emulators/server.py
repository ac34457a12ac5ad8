"""The HTTP machinery both emulators share: requests, responses, faults, call counts, rate limits.

An emulator is an :class:`EmulatorApp` subclass (the service's behaviour) served by an
:class:`EmulatorServer` (threaded, loopback). The server does everything that is the same for
both services: it counts every API request, applies the rate limit and injected faults
(deterministic from a seed), adds latency, serves the common admin routes, and persists the app's
state when a data directory is given. Faults are decided *before* the app runs (the request had
no effect) except ``reset_mid_body``/``truncate``, which cut the answer of a request that did run:
the state is never half-changed, exactly like a lost response from a real service.
"""

from __future__ import annotations

import abc
import contextlib
import email.parser
import email.policy
import hashlib
import json
import logging
import random
import socket
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger("photosync.emulators")

FAULT_KINDS = (
    "http_500",
    "http_502",
    "http_503",
    "rate_limit",
    "reset",
    "reset_mid_body",
    "truncate",
    "slow",
)
# --fault-rate F spreads F over these; "truncate" only ever applies to file downloads.
DEFAULT_FAULT_MIX = ("http_500", "http_502", "http_503", "rate_limit", "reset", "reset_mid_body")


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: Any  # email.message.Message: case-insensitive .get()
    body: bytes
    url: str  # the absolute URL the client asked for (scheme://host:port/path?query)
    # parsed bodies, so that method_name(), rate_limit_key() and handle() parse once
    _parsed: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def form(self) -> dict[str, str]:
        """The urlencoded body, one value per key (the last wins)."""
        if "multipart/form-data" in self.headers.get("Content-Type", ""):
            return self.multipart()[0]
        if "form" not in self._parsed:
            pairs = parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)
            self._parsed["form"] = {k: v[-1] for k, v in pairs.items()}
        return self._parsed["form"]

    def params(self) -> dict[str, str]:
        """Query string and form body together (form wins), as Flickr reads its arguments."""
        return {**self.query, **self.form()}

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def multipart(self) -> tuple[dict[str, str], dict[str, tuple[str, str, bytes]]]:
        """(fields, files) of a multipart/form-data or multipart/related body.

        ``files`` maps a part's name to (filename, content type, bytes); parts without a name are
        keyed by their position ("0", "1", ...), as multipart/related uploads have no names.
        """
        if "multipart" in self._parsed:
            return self._parsed["multipart"]
        ctype = self.headers.get("Content-Type", "")
        fields: dict[str, str] = {}
        files: dict[str, tuple[str, str, bytes]] = {}
        for index, (part, payload) in enumerate(split_parts(ctype, self.body)):
            name = part.get_param("name", header="content-disposition") or str(index)
            filename = part.get_filename()
            if filename is not None or name.isdigit():
                files[name] = (filename or "", part.get_content_type(), payload)
            else:
                fields[name] = payload.decode("utf-8", "replace")
        self._parsed["multipart"] = (fields, files)
        return fields, files


def split_parts(ctype: str, body: bytes) -> list[tuple[Any, bytes]]:
    """(part headers as a Message, decoded payload) of each part of a multipart body.

    Only the small part headers go through the email parser: splitting a 2 MB photo into lines
    in pure Python cost ~130 ms of GIL per upload, which throttled concurrent uploads."""
    head_parser = email.parser.BytesParser(policy=email.policy.HTTP)
    outer = head_parser.parsebytes(
        b"Content-Type: " + ctype.encode() + b"\r\n\r\n", headersonly=True
    )
    boundary = outer.get_param("boundary")
    if not boundary:
        return []
    parts = []
    for chunk in body.split(b"--" + str(boundary).encode())[1:]:  # [0]: the preamble
        if chunk.startswith(b"--"):
            break  # the closing delimiter
        newline = b"\r\n" if chunk.startswith(b"\r\n") else b"\n"  # some clients send bare LF
        chunk = chunk[len(newline) :] if chunk.startswith(newline) else chunk
        chunk = chunk[: -len(newline)] if chunk.endswith(newline) else chunk  # before a delimiter
        head, _, payload = chunk.partition(newline * 2)
        if head.startswith(newline):  # a part without headers
            head, payload = b"", chunk[len(newline) :]
        part = head_parser.parsebytes(head + b"\r\n\r\n", headersonly=True)
        encoding = (part.get("Content-Transfer-Encoding") or "").strip().lower()
        if encoding in ("base64", "quoted-printable"):
            part.set_payload(payload)
            decoded = part.get_payload(decode=True)
            payload = decoded if isinstance(decoded, bytes) else b""
        parts.append((part, payload))
    return parts


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "text/plain; charset=utf-8"
    media: bool = False  # a file download: the only kind a "truncate" fault applies to

    @classmethod
    def json(cls, obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        return cls(
            status, json.dumps(obj).encode(), dict(headers or {}), "application/json; charset=UTF-8"
        )

    @classmethod
    def xml(cls, text: str, status: int = 200) -> Response:
        return cls(status, text.encode(), {}, "text/xml; charset=utf-8")

    @classmethod
    def html(cls, text: str, status: int = 200) -> Response:
        return cls(status, text.encode(), {}, "text/html; charset=utf-8")

    @classmethod
    def redirect(cls, location: str) -> Response:
        return cls(302, b"", {"Location": location})

    @classmethod
    def file(cls, data: bytes, request: Request, content_type: str) -> Response:
        """A file body honouring a single ``Range: bytes=a-b`` request header (206/416)."""
        spec = request.headers.get("Range", "")
        headers = {"Accept-Ranges": "bytes"}
        if spec.startswith("bytes=") and "," not in spec:
            start_s, _, end_s = spec[6:].partition("-")
            total = len(data)
            if start_s:
                start, end = int(start_s), int(end_s) if end_s else total - 1
            else:  # suffix range: the last N bytes
                start, end = max(0, total - int(end_s)), total - 1
            if start >= total or start > end:
                return cls(416, b"", {"Content-Range": f"bytes */{total}"})
            end = min(end, total - 1)
            headers["Content-Range"] = f"bytes {start}-{end}/{total}"
            return cls(206, data[start : end + 1], headers, content_type, media=True)
        return cls(200, data, headers, content_type, media=True)


class Faults:
    """Fault rates per kind, latency, deterministic choice from a seed. Thread-safe."""

    def __init__(
        self, rate: float = 0.0, seed: int = 0, latency_ms: float = 0.0, slow_ms: float = 2000.0
    ):
        self._lock = threading.Lock()
        self.rates: dict[str, float] = {}
        self.latency_ms = latency_ms
        self.slow_ms = slow_ms
        self.seed = seed
        self._rng = random.Random(seed)
        self.once: list[dict[str, Any]] = []  # one-shot faults: {kind, method, path, times}
        self.set_rate(rate)

    def set_rate(self, rate: float) -> None:
        """Spread a total fault rate evenly over the default mix of kinds."""
        self.rates = (
            {kind: rate / len(DEFAULT_FAULT_MIX) for kind in DEFAULT_FAULT_MIX} if rate else {}
        )

    def update(self, settings: dict[str, Any]) -> None:
        """Apply an admin ``POST /_admin/faults`` document (see the emulators' README section)."""
        with self._lock:
            if "seed" in settings:
                self.seed = int(settings["seed"])
                self._rng = random.Random(self.seed)
            if "fault_rate" in settings:
                self.set_rate(float(settings["fault_rate"]))
            for kind, rate in (settings.get("rates") or {}).items():
                if kind not in FAULT_KINDS:
                    raise ValueError(
                        f"unknown fault kind {kind!r}; known: {', '.join(FAULT_KINDS)}"
                    )
                self.rates[kind] = float(rate)
            if "latency_ms" in settings:
                self.latency_ms = float(settings["latency_ms"])
            if "slow_ms" in settings:
                self.slow_ms = float(settings["slow_ms"])
            for entry in settings.get("once") or []:
                self.once.append(self._one_shot(entry))

    @staticmethod
    def _one_shot(entry: dict[str, Any]) -> dict[str, Any]:
        """``{"kind": "http_503", "method": "drive.files.create" | "*", "path": "/upload/",
        "times": 1, "after": 0}``: after letting ``after`` matching requests through, the next
        ``times`` requests of that method whose URL (with its query) contains ``path`` get that
        fault, whatever the rates say."""
        kind = entry.get("kind", "http_503")
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(FAULT_KINDS)}")
        return {
            "kind": kind,
            "method": entry.get("method", "*"),
            "path": entry.get("path", ""),
            "times": int(entry.get("times", 1)),
            "after": int(entry.get("after", 0)),
        }

    def _take_once(self, method: str | None, path: str) -> str | None:
        """The first pending one-shot fault matching this request, used up. Lock held."""
        for entry in self.once:
            if entry["method"] in ("*", method) and entry["path"] in path:
                if entry["after"] > 0:
                    entry["after"] -= 1
                    return None
                entry["times"] -= 1
                if entry["times"] <= 0:
                    self.once.remove(entry)
                return entry["kind"]
        return None

    def pick(self, media: bool = False, method: str | None = None, path: str = "") -> str | None:
        """The fault for the next request, or None. One draw per request keeps the seed's sequence
        (a one-shot fault takes no draw)."""
        with self._lock:
            once = self._take_once(method, path) if self.once else None
            if once:
                return once
            draw = self._rng.random()
            cumulative = 0.0
            for kind in FAULT_KINDS:
                rate = self.rates.get(kind, 0.0)
                if kind == "truncate" and not media:
                    continue
                cumulative += rate
                if draw < cumulative:
                    return kind
            return None

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "rates": dict(self.rates),
                "latency_ms": self.latency_ms,
                "slow_ms": self.slow_ms,
                "seed": self.seed,
                "once": [dict(e) for e in self.once],
            }


class CallCounter:
    """``GET /_admin/calls``: every API request once, by method name and by HTTP status."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.total = 0
            self.methods: Counter[str] = Counter()
            self.statuses: Counter[str] = Counter()

    def record(self, method: str, status: int | str) -> None:
        with self._lock:
            self.total += 1
            self.methods[method] += 1
            self.statuses[str(status)] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "total": self.total,
                "methods": dict(self.methods),
                "statuses": dict(self.statuses),
            }


class RateLimiter:
    """A sliding one-hour window of calls per key (Flickr counts per API key)."""

    def __init__(self, per_hour: int | None, clock: Callable[[], float] = time.monotonic):
        self.per_hour = per_hour
        self._clock = clock
        self._lock = threading.Lock()
        self._calls: dict[str, deque[float]] = {}

    def check(self, key: str) -> float | None:
        """Record a call for ``key``; None when allowed, else seconds until one is allowed again."""
        if not self.per_hour:
            return None
        now = self._clock()
        with self._lock:
            window = self._calls.setdefault(key, deque())
            while window and window[0] <= now - 3600:
                window.popleft()
            if len(window) >= self.per_hour:
                return max(1.0, window[0] + 3600 - now)
            window.append(now)
            return None


class BlobStore:
    """Content-addressed bytes, in memory or in ``data_dir/blobs``; generated blobs are recipes.

    A key ``gen:<json>`` stores no bytes: ``generator`` rebuilds them on demand, so an account of
    50,000 seeded photos costs almost nothing until a photo is downloaded.
    """

    def __init__(self, folder: Path | None, generator: Callable[[dict[str, Any]], bytes]):
        self.folder = folder
        self._generator = generator
        self._memory: dict[str, bytes] = {}
        if folder:
            folder.mkdir(parents=True, exist_ok=True)

    def put(self, data: bytes) -> str:
        key = hashlib.sha256(data).hexdigest()
        if self.folder:
            target = self.folder / key
            if not target.exists():
                tmp = target.with_suffix(".tmp")
                tmp.write_bytes(data)
                tmp.replace(target)
        else:
            self._memory[key] = data
        return key

    @staticmethod
    def recipe(spec: dict[str, Any]) -> str:
        return "gen:" + json.dumps(spec, sort_keys=True, default=str)

    def get(self, key: str) -> bytes:
        if key.startswith("gen:"):
            return self._generator(json.loads(key[4:]))
        if self.folder:
            return (self.folder / key).read_bytes()
        return self._memory[key]


class EmulatorApp(abc.ABC):
    """Base of a service emulator. Subclasses implement the API; this holds what both share.

    Subclass hooks: ``handle(request)``, ``method_name(request)``, ``rate_limit_key(request)``,
    ``rate_limited(retry_after)``, ``server_error(status)``, ``admin(name, request)`` for the
    service-specific admin routes (state, seed, credentials, token), ``snapshot()``/``restore()``
    for persistence, ``reset()``.
    """

    name = "emulator"

    def __init__(
        self,
        data_dir: Path | None = None,
        rate_limit: int | None = None,
        auto_approve: bool = False,
        faults: Faults | None = None,
    ):
        self.data_dir = Path(data_dir) if data_dir else None
        self.lock = threading.RLock()
        self.faults = faults or Faults()
        self.calls = CallCounter()
        self.limiter = RateLimiter(rate_limit)
        self.auto_approve = auto_approve
        self.base_url = ""  # set by the server once it listens
        self.blobs = BlobStore(
            self.data_dir / "blobs" if self.data_dir else None, self.generate_blob
        )
        self._dirty = False

    # --- hooks for subclasses -------------------------------------------------------------
    @abc.abstractmethod
    def handle(self, request: Request) -> Response:
        """Answer one API request (admin routes never reach this)."""

    def method_name(self, request: Request) -> str:
        return f"{request.method} {request.path}"

    def rate_limit_key(self, request: Request) -> str | None:
        return None

    def rate_limited(self, retry_after: float) -> Response:
        return Response(429, b"Too Many Requests", {"Retry-After": str(int(retry_after))})

    def server_error(self, status: int) -> Response:
        return Response(status, f"emulated error {status}".encode())

    def admin(self, name: str, request: Request) -> Response | None:
        """Service-specific admin routes; None means not found."""
        return None

    def snapshot(self) -> dict[str, Any]:
        return {}

    def restore(self, state: dict[str, Any]) -> None:  # noqa: B027 - optional hook: no state
        pass

    def reset(self) -> None:  # noqa: B027 - optional hook: nothing to reset
        pass

    def generate_blob(self, spec: dict[str, Any]) -> bytes:
        from datetime import datetime

        from photosync.emulators.images import make_image

        taken = spec.get("date_taken")
        return make_image(
            spec["seed"],
            spec.get("width", 64),
            spec.get("height", 48),
            spec.get("format", "jpeg"),
            datetime.fromisoformat(taken) if taken else None,
        )

    # --- persistence ----------------------------------------------------------------------
    def mark_dirty(self) -> None:
        """Call after every state change; the server saves at most twice a second, and at stop."""
        self._dirty = True

    def save(self) -> None:
        if not self.data_dir or not self._dirty:
            return
        with self.lock:
            state = json.dumps(self.snapshot(), default=str)
            self._dirty = False
        self.data_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.data_dir / "state.json.tmp"
        tmp.write_text(state)
        tmp.replace(self.data_dir / "state.json")

    def load(self) -> None:
        if self.data_dir and (self.data_dir / "state.json").exists():
            self.restore(json.loads((self.data_dir / "state.json").read_text()))

    # --- the common admin routes ----------------------------------------------------------
    def common_admin(self, name: str, request: Request) -> Response | None:
        if name == "calls" and request.method == "GET":
            return Response.json(self.calls.snapshot())
        if name == "faults" and request.method == "POST":
            settings = request.json() or {}
            try:
                self.faults.update(settings)
            except ValueError as exc:
                return Response.json({"error": str(exc)}, 400)
            if "rate_limit" in settings:
                self.limiter.per_hour = int(settings["rate_limit"]) or None
            return Response.json({**self.faults.snapshot(), "rate_limit": self.limiter.per_hour})
        if name == "faults" and request.method == "GET":
            return Response.json({**self.faults.snapshot(), "rate_limit": self.limiter.per_hour})
        if name == "reset" and request.method == "POST":
            with self.lock:
                self.reset()
                self.calls.reset()
                self.limiter = RateLimiter(self.limiter.per_hour)
                self.mark_dirty()
            return Response.json({"ok": True})
        return None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # headers and body go out in separate writes: without TCP_NODELAY, Nagle + delayed ACK stall
    # every keep-alive answer ~40 ms (about 25 calls/s per client)
    disable_nagle_algorithm = True
    server: EmulatorServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("%s %s", self.address_string(), format % args)

    def _serve(self) -> None:
        app = self.server.app
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        host = (
            self.headers.get("Host")
            or f"{self.server.server_address[0]!s}:{self.server.server_address[1]!s}"
        )
        request = Request(
            self.command, split.path, query, self.headers, body, f"http://{host}{self.path}"
        )
        if split.path.startswith("/_admin/"):
            self._send(self._admin(app, split.path[len("/_admin/") :], request))
            return
        self._api(app, request)

    def _admin(self, app: EmulatorApp, name: str, request: Request) -> Response:
        try:
            response = app.common_admin(name, request) or app.admin(name, request)
        except (ValueError, KeyError, TypeError) as exc:
            return Response.json({"error": f"bad admin request: {exc}"}, 400)
        return response or Response.json({"error": f"no admin route {name!r}"}, 404)

    def _api(self, app: EmulatorApp, request: Request) -> None:
        method = app.method_name(request)
        if app.faults.latency_ms:
            time.sleep(app.faults.latency_ms / 1000)
        key = app.rate_limit_key(request)
        retry_after = app.limiter.check(key) if key else None
        if retry_after is not None:
            response = app.rate_limited(retry_after)
            app.calls.record(method, response.status)
            self._send(response)
            return
        fault = app.faults.pick(
            media=self._looks_like_media(request), method=method, path=request.url
        )
        if fault == "reset":
            app.calls.record(method, "reset")
            self._reset()
            return
        if fault in ("http_500", "http_502", "http_503"):
            response = app.server_error(int(fault[5:]))
            app.calls.record(method, response.status)
            self._send(response)
            return
        if fault == "rate_limit":
            response = app.rate_limited(30)
            app.calls.record(method, response.status)
            self._send(response)
            return
        if fault == "slow":
            time.sleep(app.faults.slow_ms / 1000)
        try:
            response = app.handle(request)
        except Exception:  # an emulator bug must show as a 500, never kill the server thread
            log.exception("emulator error on %s %s", request.method, request.path)
            response = app.server_error(500)
        if fault in ("reset_mid_body", "truncate") and response.body:
            app.calls.record(method, f"{response.status}-cut")
            self._send(response, cut=True)
            return
        app.calls.record(method, response.status)
        self._send(response)

    @staticmethod
    def _looks_like_media(request: Request) -> bool:
        return request.method == "GET" and (
            request.query.get("alt") == "media"
            or request.path.rsplit(".", 1)[-1]
            in ("jpg", "png", "gif", "mp4", "mov", "tif", "heic", "webp")
        )

    def _send(self, response: Response, cut: bool = False) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        if cut:
            self.send_header("Connection", "close")
        # end the headers and send them with the body in one write (one TCP segment when small)
        buffer = self._headers_buffer  # type: ignore[attr-defined]  # http.server keeps it private
        buffer.append(b"\r\n")
        if not cut and self.command != "HEAD":
            buffer.append(response.body)
        self.flush_headers()
        if cut and self.command != "HEAD":
            self.wfile.write(response.body[: len(response.body) // 2])
            self.wfile.flush()
            self._reset()

    def _reset(self) -> None:
        """Drop the connection abruptly (RST), as a dying load balancer does."""
        with contextlib.suppress(OSError):
            self.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve


class EmulatorServer(ThreadingHTTPServer):
    """Serves one app on loopback in a background thread; ``start()`` returns its base URL."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, app: EmulatorApp, host: str = "127.0.0.1", port: int = 0):
        super().__init__((host, port), _Handler)
        self.app = app
        self.url = f"http://{host}:{self.server_address[1]}"
        app.base_url = self.url
        self._workers: list[threading.Thread] = []
        self._stopping = threading.Event()

    def start(self) -> str:
        self.app.load()
        serve = threading.Thread(
            target=self.serve_forever,
            kwargs={"poll_interval": 0.2},
            name=f"{self.app.name}-emulator",
            daemon=True,
        )
        saver = threading.Thread(target=self._save_loop, name=f"{self.app.name}-saver", daemon=True)
        self._workers = [serve, saver]
        for thread in self._workers:
            thread.start()
        return self.url

    def _save_loop(self) -> None:
        while not self._stopping.wait(0.5):
            self.app.save()

    def stop(self) -> None:
        self._stopping.set()
        self.shutdown()
        self.server_close()
        self.app.save()

    def __enter__(self) -> EmulatorServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
