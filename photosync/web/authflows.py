"""The Authorization page: connect or reconnect Flickr and Google Drive from the browser.

Flickr (OAuth 1.0a) sends the browser back to the dashboard's own callback. Google's desktop
clients only accept a loopback redirect, so Drive comes back to ``http://127.0.0.1:PORT/...``:
on the machine running the daemon that is the dashboard itself; from another computer the page
does not load and the user pastes its address, as with ``photosync auth drive --no-browser``.
Flows waiting for their answer are kept in memory (a restart forgets them) for ten minutes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask import Flask, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from photosync.auth import drive_auth, flickr_auth
from photosync.auth.tokens import TokenStore
from photosync.config import Config
from photosync.errors import PhotosyncError
from photosync.remotes import registry

PENDING_SECONDS = 600.0


class AuthFlows:
    def __init__(self, config: Callable[[], Config], port: Callable[[], int],
                 authorized: Callable[[str], None]):
        self.config = config
        self.port = port
        self.authorized = authorized  # called with the remote's name once its token is saved
        self._pending: dict[tuple[str, str], tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def form_targets(self) -> str:
        """Origins a dashboard form may be redirected to (CSP form-action): Flickr's."""
        parts = urlsplit(self.config().flickr.endpoint)
        return f"{parts.scheme}://{parts.netloc}"

    def _keep(self, kind: str, key: str, value: Any) -> None:
        now = time.time()
        with self._lock:
            self._pending = {k: v for k, v in self._pending.items() if now - v[0] < PENDING_SECONDS}
            self._pending[(kind, key)] = (now, value)

    def _take(self, kind: str, key: str) -> Any:
        with self._lock:
            found = self._pending.pop((kind, key), None)
        return found[1] if found and time.time() - found[0] < PENDING_SECONDS else None

    def _save(self, name: str, token: dict[str, Any]) -> BaseResponse:
        TokenStore(self.config().state_dir).save(name, token)
        self.authorized(name)
        return redirect(url_for("authorize", done=name))

    def register(self, app: Flask, page: Callable[..., str]) -> None:
        def show(error: str | None = None, drive_url: str | None = None) -> str:
            cfg = self.config()
            store = TokenStore(cfg.state_dir)
            remotes = [{"name": n, "label": registry.label(n), "token": store.path(n).exists()}
                       for n in registry.enabled(cfg)]
            return page("authorize.html", remotes=remotes, error=error, drive_url=drive_url,
                        done=request.args.get("done"))

        @app.route("/authorize")
        def authorize() -> str:
            return show()

        @app.post("/authorize/flickr")
        def authorize_flickr() -> BaseResponse | str:
            try:
                api, url, request_token = flickr_auth.begin(
                    self.config(), url_for("flickr_callback", _external=True))
            except PhotosyncError as exc:
                return show(str(exc))
            self._keep("flickr", request_token, api)
            return redirect(url)

        @app.route("/authorize/flickr/callback")
        def flickr_callback() -> BaseResponse | str:
            request_token = request.args.get("oauth_token", "")
            api = self._take("flickr", request_token)
            if api is None:
                return show("this Flickr answer belongs to no authorization started here (an old "
                            "tab, or the daemon restarted): connect Flickr again")
            try:
                token = flickr_auth.finish(self.config(), api, request.url, request_token)
            except PhotosyncError as exc:
                return show(str(exc))
            return self._save("flickr", token)

        @app.post("/authorize/drive")
        def authorize_drive() -> str:
            redirect_uri = f"http://127.0.0.1:{self.port()}{url_for('drive_callback')}"
            try:
                flow, url, state = drive_auth.begin(self.config(), redirect_uri)
            except PhotosyncError as exc:
                return show(str(exc))
            self._keep("drive", state, flow)
            return show(drive_url=url)

        def finish_drive(answer: str) -> BaseResponse | str:
            query = urlsplit(answer).query if "://" in answer else answer.lstrip("?")
            state = (parse_qs(query).get("state") or [""])[0]
            flow = self._take("drive", state)
            if flow is None:
                return show("that address belongs to no Drive authorization started here (an old "
                            "tab, or the daemon restarted): connect Google Drive again")
            try:
                token = drive_auth.finish(self.config(), flow, answer, state)
            except PhotosyncError as exc:
                return show(str(exc))
            return self._save("drive", token)

        @app.route("/authorize/drive/callback")
        def drive_callback() -> BaseResponse | str:
            return finish_drive(request.url)

        @app.post("/authorize/drive/finish")
        def drive_finish() -> BaseResponse | str:
            return finish_drive(request.form.get("answer", "").strip())
