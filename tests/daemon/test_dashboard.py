"""The dashboard served by the daemon (in-process, MemoryRemotes), tried from outside over HTTP:
the login and what it protects, forged requests, paths in parameters, the actions, /metrics,
and alerts delivered to a local HTTP receiver through Apprise."""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from photosync.remotes.base import list_all
from photosync.remotes.memory import MemoryRemote
from tests.daemon.conftest import names, picture, put, wait_for
from tests.daemon.test_service import FlakyItems

PASSWORD = "correct horse battery staple 21"


class Receiver:
    """A local stand-in for ntfy/Gotify: records the JSON documents Apprise posts to it."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                received.append(json.loads(body or b"{}"))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"json://127.0.0.1:{self.httpd.server_address[1]}/alerts"

    def titles(self) -> list[str]:
        return [r.get("title", "") for r in self.received]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


class Dash:
    def __init__(self, harness) -> None:
        self.h = harness
        self.url = str(wait_for(lambda: harness.status().get("web"),
                                message="the dashboard's address"))
        self.token = (harness.tmp / "state" / "web-token").read_text().strip()
        self.s = requests.Session()

    def login(self) -> Dash:
        answer = self.s.post(self.url + "login", data={"secret": self.token})
        assert answer.status_code == 200 and answer.url == self.url, answer.text
        return self

    def csrf(self) -> str:
        found = re.search(r'name="csrf" value="([^"]+)"', self.s.get(self.url).text)
        assert found, "no CSRF token on the overview"
        return found.group(1)

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.s.get(self.url + path, **kwargs)

    def post(self, path: str, data: dict | None = None, csrf: bool = True) -> requests.Response:
        form = dict(data or {})
        if csrf:
            form["csrf"] = self.csrf()
        return self.s.post(self.url + path, data=form, allow_redirects=False)


def start(harness, remotes: dict, **kwargs) -> Dash:
    h = harness(remotes, **kwargs)
    h.start()
    h.wait_idle()
    return Dash(h)


def rules(dash: Dash) -> list[tuple[str, set[str]]]:
    app = dash.h.service.companion.web.httpd.app
    return [(r.rule, set(r.methods or ()) - {"HEAD", "OPTIONS"}) for r in app.url_map.iter_rules()]


def concrete(rule: str) -> str:
    return re.sub(r"<(?:int:)?(\w+)>", "1", rule).lstrip("/")


def test_every_route_but_the_login_needs_a_session(harness):
    dash = start(harness, {"flickr": MemoryRemote(name="flickr")})
    checked = 0
    for rule, methods in rules(dash):
        if rule.startswith(("/login", "/static")):
            continue
        for method in methods:
            answer = requests.request(method, dash.url + concrete(rule), allow_redirects=False)
            if method == "GET" and answer.status_code == 302:
                assert answer.headers["Location"].endswith("/login"), rule
            else:
                assert answer.status_code == 401, (method, rule, answer.status_code)
            checked += 1
    assert checked >= 20
    assert requests.get(dash.url + "login").status_code == 200
    bad = requests.post(dash.url + "login", data={"secret": "guess"})
    assert "not the login token" in bad.text
    answer = requests.post(dash.url + "login", data={"secret": dash.token}, allow_redirects=False)
    flags = answer.headers["Set-Cookie"]
    assert "HttpOnly" in flags and "SameSite=Lax" in flags


def test_a_forged_post_changes_nothing(harness):
    dash = start(harness, {"flickr": MemoryRemote(name="flickr")})
    trash = dash.h.root / ".photosync-trash" / "run-7"
    trash.mkdir(parents=True)
    (trash / "p.jpg").write_bytes(picture(1))
    dash.login()
    for rule, methods in rules(dash):
        if "POST" in methods and rule != "/login":
            assert dash.post(concrete(rule), {"run": "7"}, csrf=False).status_code == 403, rule
            forged = dash.s.post(dash.url + concrete(rule), data={"run": "7", "csrf": "x" * 32},
                                 allow_redirects=False)
            assert forged.status_code == 403, rule
    assert (trash / "p.jpg").exists()
    assert dash.post("trash/purge", {"run": "7"}).status_code == 302
    assert not trash.exists()


def test_paths_in_parameters_reach_no_file(harness):
    dash = start(harness, {"flickr": MemoryRemote(name="flickr")})
    (dash.h.tmp / "secret.jpg").write_bytes(picture(2))
    dash.login()
    evil = ["../secret.jpg", "../../secret.jpg", "..%2F..%2Fsecret.jpg", "/etc/passwd",
            str(dash.h.tmp / "secret.jpg")]
    for value in evil:
        for path in (f"activity?run={value}&remote={value}&action={value}&path={value}",
                     f"next?x={value}", f"trash?restored={value}"):
            answer = dash.get(path)
            assert answer.status_code == 200 and "Traceback" not in answer.text
        assert dash.get(f"thumb/trash/{value}").status_code == 404
        assert dash.get(f"thumb/remote/flickr/{value}").status_code == 404
        assert dash.get(f"thumb/remote/{value}/1").status_code == 404
        assert dash.get(f"static/{value}").status_code == 404
        for form in ({"id": value}, {"run": value}, {"remote": value}, {"answer": value}):
            for target in ("trash/restore", "trash/purge", "problems/allow-deletions",
                           "problems/retry"):
                assert dash.post(target, form).status_code in (302, 404), (target, form)
        assert dash.get(f"login/once?code={value}").url.endswith("/login")
    assert dash.get("thumb/file/999999").status_code == 404
    assert (dash.h.tmp / "secret.jpg").exists()


def test_one_time_login_link_works_once_and_no_secret_is_in_any_page(harness, cli, receiver):
    extra = f"    password: {PASSWORD}\nnotify:\n  urls: ['{receiver.url}']\n"
    dash = start(harness, {"flickr": MemoryRemote(name="flickr")}, extra=extra)
    config = dash.h.tmp / "config.yaml"
    config.write_text(dash.h.config_text())
    link = cli("--config", str(config), "web", "url")
    assert link.returncode == 0, link.stderr
    url = link.stdout.strip()
    assert url.startswith(dash.url + "login/once?code=")
    browser = requests.Session()
    assert browser.get(url).url == dash.url
    assert requests.get(url).url.endswith("/login")  # used once already
    assert Dash(dash.h).s.post(dash.url + "login", data={"secret": PASSWORD}).url == dash.url
    for rule, methods in rules(dash):
        if "GET" in methods and "<" not in rule and not rule.startswith("/static"):
            text = browser.get(dash.url + rule.lstrip("/")).text
            for secret in (dash.token, PASSWORD, receiver.url.split("//")[1]):
                assert secret not in text, (rule, secret)
    mode = (dash.h.tmp / "state" / "web-token").stat().st_mode & 0o777
    assert mode == 0o600


def test_metrics_take_the_token_as_bearer_and_parse(harness):
    flickr = MemoryRemote(name="flickr")
    h = harness({"flickr": flickr})
    for i in range(3):
        put(h.root, f"p{i}.jpg", i)
    h.start()
    h.wait_idle()
    dash = Dash(h)
    assert requests.get(dash.url + "metrics").status_code == 401
    wrong = requests.get(dash.url + "metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    answer = requests.get(dash.url + "metrics", headers={"Authorization": f"Bearer {dash.token}"})
    assert answer.status_code == 200
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(answer.text) for s in family.samples}
    assert samples[("photosync_photos_indexed", ())] == 3
    assert samples[("photosync_items_parked", ())] == 0
    assert samples[("photosync_transfers_total", (("action", "upload"), ("remote", "flickr")))] == 3
    up = samples[("photosync_transferred_bytes_total", (("direction", "up"), ("remote", "flickr")))]
    assert up == sum((h.root / f"p{i}.jpg").stat().st_size for i in range(3))
    assert samples[("photosync_api_calls_total", (("remote", "flickr"),))] >= 3
    assert samples[("photosync_last_success_timestamp_seconds", (("remote", "flickr"),))] > 0
    assert samples[("photosync_run_duration_seconds_count", (("remote", "flickr"),))] >= 1


def test_retry_a_parked_photo_from_the_problems_page(harness):
    bad = picture("bad")
    flickr = FlakyItems(bad, name="flickr")
    h = harness({"flickr": flickr}, poll=0.02)
    put(h.root, "good.jpg", "good")
    (h.root / "bad.jpg").write_bytes(bad)
    h.start()
    wait_for(lambda: h.status().get("parked") == 1, message="the bad file parked")
    dash = Dash(h).login()
    page = dash.get("problems").text
    assert "bad.jpg" in page and "parked" in page and "refused" in page
    assert str(h.root) in page  # the folder to look in
    row = re.search(r'name="id" value="(\d+)">\s*<button class="retry"', page).group(1)
    flickr.bad = b"accepted now"
    assert dash.post("problems/retry", {"id": row}).status_code == 302
    wait_for(lambda: names(flickr) == ["bad.jpg", "good.jpg"], message="the retried upload")


def test_allow_held_deletions_once_then_they_are_held_again(harness, receiver):
    flickr = MemoryRemote(name="flickr")
    extra = f"sync:\n  max_delete: 1\n  on_local_delete: delete-remote\n" \
            f"notify:\n  urls: ['{receiver.url}']\n"
    h = harness({"flickr": flickr}, extra=extra)
    for i in range(6):
        put(h.root, f"p{i}.jpg", i)
    h.start()
    h.wait_idle()
    dash = Dash(h).login()
    for i in range(3):
        (h.root / f"p{i}.jpg").unlink()
    wait_for(lambda: "Allow these deletions once" in dash.get("problems").text,
             message="the held deletions on the Problems page")
    assert len(names(flickr)) == 6
    wait_for(lambda: any("deletions held back" in t for t in receiver.titles()),
             message="the alert")
    assert dash.post("problems/allow-deletions", {"remote": "flickr"}).status_code == 302
    wait_for(lambda: names(flickr) == ["p3.jpg", "p4.jpg", "p5.jpg"], message="the deletions")
    for i in range(3, 5):
        (h.root / f"p{i}.jpg").unlink()
    wait_for(lambda: "Allow these deletions once" in dash.get("problems").text,
             message="held again: the allowance was for one run")
    time.sleep(1)
    assert len(names(flickr)) == 3


def test_restore_from_trash_on_the_dashboard(harness):
    flickr = MemoryRemote(name="flickr")
    h = harness({"flickr": flickr}, extra="sync:\n  on_remote_delete: delete-local\n")
    original = put(h.root, "Trip/a.jpg", 1).read_bytes()
    put(h.root, "Trip/b.jpg", 2)
    h.start()
    h.wait_idle()
    dash = Dash(h).login()
    victim = next(i for i in list_all(flickr).items if i.name == "a.jpg")
    flickr.delete(victim.id)
    dash.post("sync-now")
    wait_for(lambda: not (h.root / "Trip/a.jpg").exists(), message="the local deletion")
    page = dash.get("trash").text
    ident = re.search(r'name="id" value="(\w+)">\s*<button class="restore"', page).group(1)
    thumb = dash.get(f"thumb/trash/{ident}")
    assert thumb.status_code == 200 and thumb.headers["Content-Type"] == "image/jpeg"
    answer = dash.post("trash/restore", {"id": ident})
    assert answer.status_code == 302 and "restored=Trip/a.jpg" in answer.headers["Location"]
    assert (h.root / "Trip/a.jpg").read_bytes() == original
    assert "The trash is empty" in dash.get("trash").text


def test_pages_show_runs_plan_and_settings_without_secrets(harness):
    flickr = MemoryRemote(name="flickr")
    h = harness({"flickr": flickr})
    put(h.root, "a.jpg", 1)
    h.start()
    h.wait_idle()
    dash = Dash(h).login()
    overview = dash.get("").text
    assert 'id="indexed">1<' in overview and "Flickr" in overview
    activity = dash.get("activity?remote=flickr&action=upload").text
    assert "a.jpg" in activity and "upload" in activity
    put(h.root, "new.jpg", 2)
    wait_for(lambda: names(flickr) == ["a.jpg", "new.jpg"])
    dash.post("next/refresh")
    wait_for(lambda: "0 action(s)" in dash.get("next").text, message="the plan")
    settings = dash.get("settings").text
    assert "api_key: &#39;********&#39;" in settings and "api_secret: s" not in settings


def test_an_alert_that_cannot_be_sent_never_stops_a_run(harness):
    flickr = FlakyItems(picture("bad"), name="flickr")
    h = harness({"flickr": flickr}, poll=0.02,
                extra="notify:\n  urls: ['json://127.0.0.1:9/nobody-listens']\n")
    (h.root / "bad.jpg").write_bytes(picture("bad"))
    h.start()
    wait_for(lambda: h.status().get("parked") == 1, message="the bad file parked (an alert)")
    put(h.root, "good.jpg", "good")
    wait_for(lambda: names(flickr) == ["good.jpg"], message="the next photo synced all the same")


def test_alerts_go_once_a_day_unless_they_change(receiver, tmp_path: Path):
    from photosync.notify.alerts import Alerter
    now = [1000.0]
    alerter = Alerter([receiver.url], tmp_path, clock=lambda: now[0])
    assert alerter.alert("full:drive", "photosync: Google Drive is full", "storage full")
    assert not alerter.alert("full:drive", "photosync: Google Drive is full", "storage full")
    assert alerter.alert("parked:drive", "photosync: 1 item(s) parked", "a.jpg")
    assert Alerter([receiver.url], tmp_path, clock=lambda: now[0]).alert(
        "parked:drive", "photosync: 2 item(s) parked", "a.jpg, b.jpg")  # changed: news again
    now[0] += 86401
    assert alerter.alert("full:drive", "photosync: Google Drive is full", "storage full")
    alerter.clear("full:drive")
    assert alerter.alert("full:drive", "photosync: Google Drive is full", "storage full")
    alerter.close()
    wait_for(lambda: len(receiver.received) == 5, message="five alerts delivered")


def test_a_missing_library_root_raises_an_alert(harness, receiver):
    h = harness({"flickr": MemoryRemote(name="flickr")},
                extra=f"notify:\n  urls: ['{receiver.url}']\n")
    put(h.root, "a.jpg", 1)
    h.start()
    h.wait_idle()
    h.root.rename(h.tmp / "unmounted")
    Dash(h).login().post("sync-now")  # wakes the daemon now rather than at its next turn
    wait_for(lambda: "photosync: the library folder is missing" in receiver.titles(),
             message="the alert")
    assert "(is the share mounted?)" in receiver.received[-1]["message"]


def test_notify_test_reaches_the_receiver_and_names_a_bad_url(cli, receiver, tmp_path: Path):
    root = tmp_path / "photos"
    root.mkdir()
    config = tmp_path / "notify.yaml"
    config.write_text(f"library:\n  root: {root}\nstate_dir: {tmp_path / 'state'}\n"
                      f"notify:\n  urls: ['{receiver.url}']\n")
    sent = cli("--config", str(config), "notify", "test")
    assert sent.returncode == 0, sent.stderr
    assert receiver.titles() == ["photosync: test alert"]
    config.write_text(config.read_text().replace(receiver.url, "nonsense://x"))
    refused = cli("--config", str(config), "notify", "test")
    assert refused.returncode == 2 and "notify.urls entry 1" in refused.stderr


class Slow(MemoryRemote):
    """Uploads that take a second each: a sync that can be watched in progress."""

    def upload(self, path: Path, name: str, album, signature):  # type: ignore[no-untyped-def]
        time.sleep(1)
        return super().upload(path, name, album, signature)


def test_the_overview_shows_a_sync_in_progress(harness):
    flickr = Slow(name="flickr")
    h = harness({"flickr": flickr}, extra="sync:\n  workers: 1\n")
    put(h.root, "first.jpg", 0)
    h.start()
    h.wait_idle()
    dash = Dash(h).login()
    for i in range(4):
        put(h.root, f"p{i}.jpg", i + 1)
    seen = wait_for(lambda: re.search(r'id="progress-flickr">(\d) of 4 actions done',
                                      dash.get("").text), message="the progress")
    assert seen and int(seen.group(1)) < 4
    wait_for(lambda: len(names(flickr)) == 5)


def test_a_testing_apps_drive_token_is_warned_about_a_day_before_it_dies(harness, receiver):
    from photosync.auth.tokens import TokenStore
    h = harness({"drive": MemoryRemote(name="drive")},
                extra=f"notify:\n  urls: ['{receiver.url}']\n")
    text = h.config_text().replace("drive: {}", "drive:\n  app_in_testing: true")
    h.config_text = lambda: text  # type: ignore[method-assign]
    TokenStore(h.tmp / "state").save("drive", {"refresh_token": "1//r",
                                               "authorized_at": time.time() - 6.5 * 86400})
    h.start()
    wait_for(lambda: "photosync: Google Drive authorization expires within a day"
             in receiver.titles(), message="the warning")
    assert "Testing" in receiver.received[-1]["message"]
    assert "1//r" not in json.dumps(receiver.received)


def test_alerts_for_revoked_authorization_a_full_remote_and_failing_runs(harness, receiver):
    from photosync.errors import AuthorizationNeeded, RemoteUnavailable
    from tests.daemon.test_service import Down, Full
    flickr = Down(AuthorizationNeeded("Flickr refused the token (revoked)"), name="flickr")
    drive = Full(name="drive")
    h = harness({"flickr": flickr, "drive": drive}, poll=0.02,
                extra=f"notify:\n  urls: ['{receiver.url}']\n  failed_runs: 2\n")
    put(h.root, "a.jpg", 1)
    h.start()
    wait_for(lambda: {"photosync: Flickr needs authorization", "photosync: Google Drive is full"}
             <= set(receiver.titles()), message="the authorization and full alerts")
    assert "photosync auth flickr" in json.dumps(receiver.received)
    h.stop()
    flickr.error = RemoteUnavailable("HTTP 503 from Flickr")
    h.start()  # backs off 1.2 s between runs (poll 0.02 min)
    wait_for(lambda: "photosync: Flickr sync failed 2 times in a row" in receiver.titles(),
             message="the failing-runs alert")
    assert receiver.titles().count("photosync: Google Drive is full") == 1  # once a day


def test_the_overview_shows_the_photos_to_go_and_when_they_will_be_done(harness):
    """Issue 20: a first sync cut short (here by sync.max_operations) says what is left and how
    long it takes at the quota in force (Flickr's 3,600 an hour less the limiter's burst)."""
    flickr = MemoryRemote(name="flickr")
    h = harness({"flickr": flickr}, poll=600, extra="sync:\n  max_operations: 2\n")
    for i in range(12):
        put(h.root, f"p{i}.jpg", i)
    h.start()
    h.wait_idle()
    dash = Dash(h).login()

    def shown() -> bool:  # what the last finished sync left, whichever sync that was
        found = re.search(r'id="to-go-flickr">Flickr: (\d+) photos to go, about 1 minute at '
                          r'3,300 calls/hour', dash.get("").text)
        return bool(found) and int(found.group(1)) + len(names(flickr)) == 12
    wait_for(shown, message="the photos to go")
    assert len(names(flickr)) < 12
