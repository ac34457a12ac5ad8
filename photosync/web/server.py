"""The dashboard's HTTP server: Werkzeug's threaded WSGI server on a thread of the daemon."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from werkzeug.serving import BaseWSGIServer, make_server

from photosync.web import access
from photosync.web.app import create_app

if TYPE_CHECKING:
    from photosync.daemon.companion import Companion

log = logging.getLogger("photosync.web")
POLL_SECONDS = 0.5  # how often the idle server looks at its shutdown flag


def split_listen(listen: str) -> tuple[str, int]:
    host, _, port = listen.rpartition(":")
    return host.strip("[]"), int(port)


class WebServer:
    def __init__(self, companion: Companion):
        web = companion.config.daemon.web
        host, port = split_listen(web.listen)
        gate = access.Gate(access.token(companion.config.state_dir), web.password)
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request in the log
        self.host = host
        self.httpd: BaseWSGIServer = make_server(host, port, create_app(
            companion, gate, lambda: self.port), threaded=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="photosync-web",
                                       kwargs={"poll_interval": POLL_SECONDS}, daemon=True)

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}/"

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)
