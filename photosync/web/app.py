"""The dashboard's Flask application: login, pages, actions, thumbnails and ``/metrics``.

Security, every route: without a session a page redirects to the login page and anything else
answers 401 (``/metrics`` also takes ``Authorization: Bearer TOKEN``); the session cookie is
signed, HttpOnly and SameSite=Lax (Lax: it must come along when Flickr sends the browser back);
every POST carries the session's CSRF token; files and thumbnails are found by id (a database
row, a trash id), never by a path from the request; every value a template prints passes the
log's secret filter.
"""

from __future__ import annotations

import hmac
import os
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from flask import Flask, Response, abort, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response as BaseResponse

from photosync import config as config_mod
from photosync.daemon import failures
from photosync.daemon.status import collect
from photosync.log import redact
from photosync.remotes import registry
from photosync.remotes.flickr_account import FlickrAccount
from photosync.state import dashboard, history, index
from photosync.state.db import open_db
from photosync.sync import trash
from photosync.sync.eta import describe
from photosync.web import metrics as metrics_mod
from photosync.web.access import Gate
from photosync.web.authflows import AuthFlows
from photosync.web.plan import SHOWN_ACTIONS, PlanCache
from photosync.web.thumbs import RemotePreviews, Thumbnails, image_type

if TYPE_CHECKING:
    from photosync.daemon.companion import Companion

OPEN = frozenset({"login", "login_once", "static"})  # the only routes without a session
PAGE_ROWS = 500
NOT_PAGES = frozenset({"metrics", "thumb_file", "thumb_remote", "thumb_trash"})  # 401, no redirect


def create_app(companion: Companion, gate: Gate, port: Callable[[], int]) -> Flask:
    app = Flask(__name__)
    app.secret_key = gate.session_key()
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_NAME="photosync_session", MAX_CONTENT_LENGTH=64 * 1024)
    app.jinja_env.finalize = lambda value: redact(value) if isinstance(value, str) else value
    app.jinja_env.globals.update(when=_when, size=_size, ago=_ago)
    thumbs = Thumbnails()
    plan = PlanCache(lambda: companion.config, lambda: companion.service.factory)
    previews = RemotePreviews(lambda: companion.config,
                              lambda name, cfg: (companion.service.factory or registry.build)(
                                  name, cfg))
    flows = AuthFlows(lambda: companion.config, port,
                      lambda name: companion.service.request("sync"))

    def config() -> config_mod.Config:
        return companion.config

    @contextmanager
    def db() -> Iterator[sqlite3.Connection]:
        conn = open_db(config().state_dir)
        try:
            yield conn
        finally:
            conn.close()

    @app.before_request
    def guard() -> BaseResponse | None:
        if request.endpoint in OPEN:
            return None
        bearer = request.headers.get("Authorization")
        if request.endpoint == "metrics" and gate.check_bearer(bearer):
            return None
        if not session.get("user"):
            if request.method == "GET" and request.endpoint not in NOT_PAGES:
                return redirect(url_for("login"))
            abort(401)
        if request.method == "POST":
            given = request.form.get("csrf", "")
            if not hmac.compare_digest(given.encode(), session.get("csrf", "").encode()):
                abort(403)
        return None

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; "
            "form-action 'self' " + flows.form_targets() + "; frame-ancestors 'none'")
        return response

    def page(template: str, **values: Any) -> str:
        return render_template(template, csrf=session.get("csrf", ""), nav=request.endpoint,
                               **values)

    def login_session() -> None:
        session.clear()
        session["user"] = True
        session["csrf"] = secrets.token_urlsafe(24)

    # -- login ------------------------------------------------------------------------------
    @app.route("/login", methods=["GET", "POST"])
    def login() -> BaseResponse | str:
        failed = False
        if request.method == "POST":
            if gate.check_secret(request.form.get("secret", "")):
                login_session()
                return redirect(url_for("overview"))
            failed = True
            time.sleep(0.5)  # a guess costs time
        return render_template("login.html", failed=failed, nav="login", csrf="")

    @app.route("/login/once")
    def login_once() -> BaseResponse:
        if not gate.use_code(request.args.get("code", "")):
            return redirect(url_for("login"))
        login_session()
        return redirect(url_for("overview"))

    @app.post("/logout")
    def logout() -> BaseResponse:
        session.clear()
        return redirect(url_for("login"))

    # -- pages --------------------------------------------------------------------------------
    @app.route("/")
    def overview() -> str:
        doc = collect(config()).to_dict()
        with db() as conn:
            totals = dashboard.file_totals(conn)
            runs = history.runs(conn, limit=1)
        remotes = []
        for name, r in doc["remotes"].items():
            seen = companion.seen.get(name)
            retrying = companion.backing_off(name)
            syncing = r.get("state") == "syncing"
            state = "backing off" if retrying and syncing else _state_of(r, seen)
            usage = companion.usage.get(name)
            if usage is not None and usage.full and state == "idle":
                state = "full"
            if r.get("account_cap") and state == "idle":
                state = "over an account cap"
            account = FlickrAccount.from_dict(r["account"]).summary() if r.get("account") \
                else None
            to_go = r.get("to_go") or {}
            remotes.append({**r, "name": name, "state": state, "seen": seen,
                            "retrying": retrying, "progress": companion.progress(name),
                            "usage": usage, "account_line": account,
                            "eta": describe(r["label"], to_go["photos"], to_go["calls_per_hour"])
                            if to_go.get("photos") else None})
        settling = companion.settling()
        return page("overview.html", doc=doc, remotes=remotes, totals=totals,
                    last_run=runs[0] if runs else None, settling=settling[:50],
                    settling_count=len(settling))

    @app.route("/activity")
    def activity() -> str:
        args = request.args
        run_id = _int(args.get("run"))
        filters = {"remote": args.get("remote") or None, "action": args.get("action") or None,
                   "path": args.get("path") or None}
        with db() as conn:
            runs = history.runs(conn, limit=30)
            rows = history.actions(conn, run_id=run_id, remote=filters["remote"],
                                   action=filters["action"], path=filters["path"], limit=PAGE_ROWS)
        return page("activity.html", runs=runs, rows=rows, run_id=run_id, filters=filters)

    @app.route("/next")
    def next_sync() -> str:
        if plan.doc is None and not plan.busy and plan.error is None:
            plan.refresh()
        ids: dict[str, int] = {}
        if plan.doc:
            paths = [a["path"] for a in plan.doc["actions"] if a["path"]][:PAGE_ROWS]
            with db() as conn:
                ids = dashboard.photo_ids(conn, paths)
        return page("next.html", plan=plan, ids=ids, shown=SHOWN_ACTIONS)

    @app.post("/next/refresh")
    def next_refresh() -> BaseResponse:
        plan.refresh()
        plan.wait(10)
        return redirect(url_for("next_sync"))

    @app.post("/sync-now")
    def sync_now() -> BaseResponse:
        companion.sync_now()
        return redirect(url_for("overview"))

    @app.route("/problems")
    def problems() -> str:
        with db() as conn:
            failing_rows = dashboard.failing_items(conn)
            unreadable = dashboard.unreadable_files(conn)
            conflicts = dashboard.recent_conflicts(conn)
        held = {name: s for name, s in companion.seen.items() if s.held or s.aborted}
        root = Path(config().library.root)
        return page("problems.html", failing=failing_rows, unreadable=unreadable,
                    conflicts=conflicts, held=held, root=root, allowed=companion.allowed,
                    folder=lambda rel: str(root / os.path.dirname(rel or "")))

    @app.post("/problems/retry")
    def retry() -> BaseResponse:
        rowid = _int(request.form.get("id"))
        if rowid is not None:  # not a number: nothing to retry
            with db() as conn:
                dashboard.forget_failure(conn, rowid)
        companion.service.request("sync")
        return redirect(url_for("problems"))

    @app.post("/problems/retry-all")
    def retry_all() -> BaseResponse:
        with db() as conn:
            failures.unpark_all(conn)
        companion.service.request("sync")
        return redirect(url_for("problems"))

    @app.post("/problems/allow-deletions")
    def allow_deletions() -> BaseResponse:
        seen = companion.seen.get(request.form.get("remote", ""))
        if seen is None or not seen.held:
            abort(404)
        name = request.form["remote"]
        companion.allow_deletions(name)
        return redirect(url_for("problems"))

    @app.route("/trash")
    def trash_page() -> str:
        return page("trash.html", runs=trash.runs(Path(config().library.root)),
                    restored=request.args.get("restored"))

    @app.post("/trash/restore")
    def trash_restore() -> BaseResponse:
        root = Path(config().library.root)
        found = trash.find(root, request.form.get("id", ""))
        if found is None:
            abort(404)
        dest = trash.restore(root, found)
        return redirect(url_for("trash_page", restored=dest.relative_to(root).as_posix()))

    @app.post("/trash/purge")
    def trash_purge() -> BaseResponse:
        run = _int(request.form.get("run"))
        root = Path(config().library.root)
        if run is None or run not in {t.run for t in trash.runs(root, with_files=False)}:
            abort(404)
        trash.purge(root, run)
        return redirect(url_for("trash_page"))

    @app.route("/settings")
    def settings() -> str:
        cfg = config()
        text = yaml.safe_dump(config_mod.effective(cfg), sort_keys=False, allow_unicode=True)
        return page("settings.html", text=text, source=cfg.source)

    flows.register(app, page)

    # -- files by id ----------------------------------------------------------------------------
    @app.route("/thumb/file/<int:file_id>")
    def thumb_file(file_id: int) -> Response:
        with db() as conn:
            found = index.file_by_id(conn, file_id)
        if found is None or found.status != "present" or found.media != "photo":
            abort(404)
        return _image(thumbs.get(Path(config().library.root) / found.path))

    @app.route("/thumb/trash/<ident>")
    def thumb_trash(ident: str) -> Response:
        root = Path(config().library.root)
        found = trash.find(root, ident)
        if found is None:
            abort(404)
        return _image(thumbs.get(trash.source_of(root, found)))

    @app.route("/thumb/remote/<remote>/<item_id>")
    def thumb_remote(remote: str, item_id: str) -> Response:
        """The remote's own preview of an item the shown plan names (never any other item)."""
        item = plan.items.get((remote, item_id))
        if item is None:
            abort(404)
        return _image(previews.get(thumbs, remote, item))

    @app.route("/metrics")
    def metrics() -> Response:
        return Response(companion.metrics.render(), content_type=metrics_mod.CONTENT_TYPE)

    return app


def _image(data: bytes | None) -> Response:
    mime = image_type(data) if data else None
    if data is None or mime is None:
        abort(404)
    response = Response(data, content_type=mime)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response



def _state_of(remote: dict[str, Any], seen: Any) -> str:
    """What the overview says a remote is doing, most urgent first."""
    state = remote.get("state") or "not running"
    if seen is not None and seen.auth and state != "syncing":
        return "authorization needed"
    if seen is not None and seen.full and state != "syncing":
        return "full"
    if state == "waiting for authorization":
        return "authorization needed"
    return state


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts)) if ts else "never"


def _ago(ts: float | None) -> str:
    if not ts:
        return "never"
    delta = int(time.time() - ts)
    future = delta < 0
    delta = abs(delta)
    text = f"{delta} s" if delta < 120 else f"{delta // 60} min" if delta < 7200 else \
        f"{delta // 3600} h"
    return f"in {text}" if future else f"{text} ago"


def _size(n: int | None) -> str:
    value = float(n or 0)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"

