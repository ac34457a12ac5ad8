"""The user's side of an OAuth flow: open a browser (or print the address), then receive the
redirect on a loopback HTTP server, or as an address the user pastes (headless NAS).

Library code never prints: the CLI hands in a :class:`Prompt` with ``say`` and ``read_line``.
"""

from __future__ import annotations

import errno
import html
import http.server
import logging
import queue
import threading
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass, field

from photosync.errors import AuthorizationNeeded, UsageError

log = logging.getLogger("photosync.auth")
HOST = "127.0.0.1"


@dataclass
class Prompt:
    """How a flow reaches the user; filled in by the CLI."""

    open_browser: bool = True
    port: int = 0  # 0: any free port
    timeout: float = 300.0
    say: Callable[[str], None] = field(default=lambda text: None)
    read_line: Callable[[], str] | None = None  # where pasted answers come from (stdin)


# check(url) -> a problem to show in the browser and stop on, or None when the redirect is fine.
Check = Callable[[str], "str | None"]


class CallbackServer:
    """A loopback HTTP server on 127.0.0.1 that receives the browser's redirect, once."""

    def __init__(self, port: int = 0, check: Check | None = None):
        self.answers: queue.Queue[str] = queue.Queue()
        self.check = check or (lambda url: None)
        try:
            self.httpd = http.server.ThreadingHTTPServer((HOST, port), _handler_for(self))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise UsageError(
                    f"port {port} on {HOST} is in use: pick another with --port, or leave "
                    f"--port out to use a free one"
                ) from None
            raise UsageError(f"cannot listen on {HOST}:{port}: {exc.strerror}") from None
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, name="oauth-callback", daemon=True
        )
        self.thread.start()

    @property
    def redirect_uri(self) -> str:
        return f"http://{HOST}:{self.port}/"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> CallbackServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _handler_for(server: CallbackServer) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            if self.path.startswith("/favicon"):
                self.send_error(404)
                return
            url = f"http://{HOST}:{server.port}{self.path}"
            problem = server.check(url)
            text = (
                f"photosync: {problem}"
                if problem
                else "photosync received the authorization. You can close this tab and go back "
                "to the terminal."
            )
            body = f"<!doctype html><title>photosync</title><p>{html.escape(text)}</p>".encode()
            self.send_response(400 if problem else 200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            server.answers.put(url)

        def log_message(self, format: str, *args: object) -> None:
            log.debug("callback server: " + format, *args)

    return Handler


def ask_user(auth_url: str, server: CallbackServer, prompt: Prompt, paste_hint: str) -> str:
    """Send the user to ``auth_url``; return the address the browser came back to (or what they
    pasted)."""
    paste = False
    if prompt.open_browser:
        prompt.say(
            f"Opening your browser to authorize photosync. If nothing opens, visit:\n  {auth_url}"
        )
        if not _open(auth_url):
            prompt.say("Could not start a browser on this machine.")
            paste = True
    else:
        paste = True
    if paste:
        prompt.say(
            "Open this address in a browser on any computer, sign in and allow access:\n"
            f"  {auth_url}\n"
            f"Then paste here {paste_hint}."
        )
    return wait_for_answer(server, prompt, paste and prompt.read_line is not None)


def _open(url: str) -> bool:
    try:
        return webbrowser.open(url, new=2)
    except webbrowser.Error:
        return False


def wait_for_answer(server: CallbackServer, prompt: Prompt, read_paste: bool) -> str:
    """The first of: a request to the loopback server, a non-empty pasted line; or a timeout."""
    if read_paste:
        threading.Thread(
            target=_read_paste, args=(prompt.read_line, server.answers), daemon=True
        ).start()
    try:
        return server.answers.get(timeout=prompt.timeout)
    except queue.Empty:
        raise AuthorizationNeeded(
            f"no answer from the browser within {prompt.timeout:g} s: run the command "
            f"again (--timeout SECONDS waits longer)"
        ) from None


def _read_paste(read_line: Callable[[], str], answers: queue.Queue[str]) -> None:
    while True:
        try:
            line = read_line()
        except (OSError, ValueError, EOFError):
            return
        if not line:
            return  # end of input: keep waiting for the browser
        if line.strip():
            answers.put(line.strip())
            return
