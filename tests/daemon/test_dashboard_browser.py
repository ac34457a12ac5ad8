"""The dashboard in a real browser: Debian's headless Chromium driven by Selenium, through the
real ``photosync watch`` against both emulators. Screenshots of each page go to
``test-artifacts/dashboard/`` (``$PHOTOSYNC_ARTIFACTS`` to choose another folder)."""

from __future__ import annotations

import json
import os
import shutil
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from photosync.emulators.drive_client import service_for
from photosync.emulators.images import make_image
from photosync.state.db import open_db
from tests.daemon.conftest import put, wait_for
from tests.scenarios.conftest import admin

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("PHOTOSYNC_ARTIFACTS", REPO / "test-artifacts")) / "dashboard"


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        pytest.fail("Chromium is not installed: run bin/setup-test-browser as root "
                    "(`make test` does)")
    options = Options()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                 "--window-size=1280,1000", f"--user-data-dir={tmp_path / 'chromium'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def shot(driver: webdriver.Chrome, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def dashboard(world) -> str:
    return str(wait_for(lambda: world.status().get("web"), 30, "the dashboard's address"))


def login_link(world, cli) -> str:
    answer = cli("--config", str(world.config), "web", "url")
    assert answer.returncode == 0, answer.stderr
    return answer.stdout.strip()


def text_of(driver: webdriver.Chrome, url: str, css: str = "main") -> str:
    driver.get(url)
    return driver.find_element(By.CSS_SELECTOR, css).text


def click(driver: webdriver.Chrome, css: str) -> None:
    driver.find_element(By.CSS_SELECTOR, css).click()


def settings(world, daemon: str = "", sync: str = "") -> None:
    text = world.config.read_text().replace("daemon:\n", "daemon:\n" + daemon)
    world.config.write_text(text + (f"sync:\n{sync}" if sync else ""))


def test_log_in_see_every_page_and_a_remote_backing_off(world, cli, browser):
    put(world.root, "Trip/a.jpg", 1)
    admin(world.drive, "quota", {"limit": 10_000_000})
    world.start()
    wait_for(lambda: world.remote("flickr").get("last_result") == "ok" and
             world.remote("drive").get("last_result") == "ok", 60, "the first sync")
    url = dashboard(world)
    browser.get(url)
    assert browser.current_url == url + "login"
    shot(browser, "login")
    token = (world.state / "web-token").read_text().strip()
    browser.find_element(By.ID, "secret").send_keys(token)
    click(browser, "#login")
    wait_for(lambda: browser.current_url == url, 10, "the overview after logging in")
    assert "Overview" in text_of(browser, url)
    usage = text_of(browser, url, "#usage-drive")
    assert "of 9.5 MB" in usage and "B of" in usage, usage
    assert "not reported" in text_of(browser, url, "#usage-flickr")
    pages = {"overview": "", "activity": "activity", "next": "next", "problems": "problems",
             "trash": "trash", "authorization": "authorize", "settings": "settings"}
    for name, path in pages.items():
        browser.get(url + path)
        if name == "next":
            wait_for(lambda: "action(s)" in text_of(browser, url + "next"), 30, "the plan")
        shot(browser, name)
        assert token not in browser.page_source
    assert "Trip/a.jpg" in text_of(browser, url + "activity?remote=drive")
    admin(world.flickr, "faults", {"fault_rate": 1.0})
    browser.get(url)
    click(browser, "#sync-now")
    wait_for(lambda: text_of(browser, url, "#state-flickr") == "backing off", 60,
             "Flickr backing off on the overview")
    assert text_of(browser, url, "#state-drive") in ("idle", "syncing")
    shot(browser, "overview-backing-off")
    admin(world.flickr, "faults", {"fault_rate": 0.0})


def test_retry_a_parked_photo_restore_from_trash_allow_held_deletions(world, cli, browser):
    settings(world, daemon="  max_attempts: 1\n  retry_seconds: 0.2\n",
             sync="  max_delete: 1\n  on_local_delete: delete-remote\n"
                  "  on_remote_delete: delete-local\n")
    for i, name in enumerate(("a", "b", "c")):
        put(world.root, f"{name}.jpg", i)
    (world.root / "odd.webp").write_bytes(make_image("odd", fmt="webp"))  # Flickr refuses WebP
    world.start()
    wait_for(lambda: world.status().get("parked") == 1, 60, "the WebP photo parked on Flickr")
    browser.get(login_link(world, cli))
    url = dashboard(world)
    page = text_of(browser, url + "problems")
    assert "odd.webp" in page and "parked" in page and "Filetype was not recognised" in page
    shot(browser, "problems-parked")

    def last_failed() -> float:
        conn = open_db(world.state)
        try:
            return conn.execute("SELECT MAX(last_failed) FROM daemon_failures").fetchone()[0] or 0
        finally:
            conn.close()
    before = last_failed()
    click(browser, "#failing button.retry")
    wait_for(lambda: last_failed() > before, 60, "the parked photo tried again")

    original = (world.root / "a.jpg").read_bytes()
    victim = next(f for f in admin(world.drive, "state")["files"] if f["name"] == "a.jpg")
    service_for(world.drive).files().update(fileId=victim["id"], body={"trashed": True}).execute()
    browser.get(url)
    click(browser, "#sync-now")
    wait_for(lambda: not (world.root / "a.jpg").exists(), 60, "a.jpg moved to the trash")
    browser.get(url + "trash")
    shot(browser, "trash")
    click(browser, "button.restore")
    wait_for(lambda: browser.find_elements(By.ID, "restored"), 10, "the restore")
    assert "Restored to a.jpg" in browser.find_element(By.ID, "restored").text
    assert (world.root / "a.jpg").read_bytes() == original

    wait_for(lambda: world.remote("drive").get("last_result") == "ok", 60)
    (world.root / "b.jpg").unlink()
    (world.root / "c.jpg").unlink()
    wait_for(lambda: "Allow these deletions once" in text_of(browser, url + "problems")
             and browser.find_elements(By.ID, "allow-flickr"), 60,
             "deletions held back on Flickr")  # Drive's may show first
    shot(browser, "problems-held-deletions")
    flickr_before = {p["title"] for p in admin(world.flickr, "state?hashes=0")["photos"]}
    assert {"b", "c"} <= flickr_before
    click(browser, "#allow-flickr")
    wait_for(lambda: not {"b", "c"} & {p["title"] for p in
                                       admin(world.flickr, "state?hashes=0")["photos"]},
             60, "Flickr deleting b and c")
    drive_names = {f["name"] for f in admin(world.drive, "state")["files"] if not f["trashed"]}
    assert {"b.jpg", "c.jpg"} <= drive_names  # allowed for Flickr only


def test_reconnect_flickr_and_paste_a_drive_redirect(world, cli, browser):
    world.start()
    wait_for(lambda: world.remote("drive").get("last_result") == "ok", 60)
    browser.get(login_link(world, cli))
    url = dashboard(world)
    browser.get(url + "authorize")
    old_flickr = (world.state / "tokens" / "flickr.json").read_text()
    click(browser, "#connect-flickr")  # to the emulated Flickr, which approves and sends us back
    wait_for(lambda: browser.find_elements(By.ID, "authorized"), 30, "back on the dashboard")
    assert (world.state / "tokens" / "flickr.json").read_text() != old_flickr
    shot(browser, "authorized-flickr")

    click(browser, "#connect-drive")
    google = browser.find_element(By.ID, "drive-link").get_attribute("href")

    class Stay(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            return None
    with pytest.raises(urllib.error.HTTPError) as sent_back:
        urllib.request.build_opener(Stay).open(google, timeout=30)  # consent, auto-approved
    redirect = sent_back.value.headers["Location"]
    assert redirect.startswith("http://127.0.0.1:") and "code=" in redirect
    old_drive = (world.state / "tokens" / "drive.json").read_text()
    browser.find_element(By.ID, "drive-answer").send_keys(redirect)
    shot(browser, "drive-paste")
    click(browser, "#drive-submit")
    wait_for(lambda: browser.find_elements(By.ID, "authorized"), 30, "Drive authorized")
    assert "drive: authorized" in browser.find_element(By.ID, "authorized").text
    token_file = world.state / "tokens" / "drive.json"
    assert token_file.read_text() != old_drive
    assert oct(token_file.stat().st_mode & 0o777) == "0o600"
    authorized = json.loads(token_file.read_text())["authorized_at"]
    assert time.time() - 120 < authorized <= time.time()
    access = json.loads(token_file.read_text())["token"]
    admin(world.drive, "expire", {})  # the daemon's next call refreshes and saves the token
    browser.get(url)
    click(browser, "#sync-now")
    wait_for(lambda: json.loads(token_file.read_text())["token"] != access, 60, "a refresh")
    assert json.loads(token_file.read_text())["authorized_at"] == authorized


def test_next_sync_shows_remote_only_photos_with_the_remotes_own_previews(world, cli, browser):
    """Photos that are only on Flickr or only on Drive appear on the Next-sync page with the
    remote's small rendition (Flickr's url_q square, Drive's thumbnailLink), served by id for
    items of the shown plan only."""
    from googleapiclient.http import MediaFileUpload

    from photosync.emulators.flickr_testing import authorized_flickrapi

    world.config.write_text(world.config.read_text().replace("poll_minutes: 0.05",
                                                             "poll_minutes: 60"))
    put(world.root, "local.jpg", 1)
    world.start()
    wait_for(lambda: world.remote("flickr").get("last_result") == "ok" and
             world.remote("drive").get("last_result") == "ok", 60, "the first sync")
    flickr, drive = authorized_flickrapi(world.flickr), service_for(world.drive)
    upload = world.root.parent / "remote.jpg"
    upload.write_bytes(make_image("only-on-flickr", 640, 480))
    flickr_id = flickr.upload(filename=str(upload), title="only-on-flickr",
                              format="etree").find("photoid").text
    upload.write_bytes(make_image("only-on-drive", 640, 480))
    folder = next(f["id"] for f in admin(world.drive, "state")["files"] if f["name"] == "Photos")
    drive_id = drive.files().create(
        body={"name": "only-on-drive.jpg", "parents": [folder]}, fields="id",
        media_body=MediaFileUpload(str(upload), mimetype="image/jpeg")).execute()["id"]

    browser.get(login_link(world, cli))
    url = dashboard(world)
    browser.get(url + "next")
    click(browser, "#refresh-plan")
    wait_for(lambda: "only-on-drive" in text_of(browser, url + "next"), 60, "the plan")
    images = {img.get_attribute("src"): img for img in
              browser.find_elements(By.CSS_SELECTOR, "#plan img.thumb")}
    remote = {src for src in images if "/thumb/remote/" in src}
    assert any(src.endswith(f"/thumb/remote/flickr/{flickr_id}") for src in remote), images
    assert any(src.endswith(f"/thumb/remote/drive/{drive_id}") for src in remote), images
    wait_for(lambda: all(browser.execute_script(
        "return arguments[0].complete && arguments[0].naturalWidth", images[src]) for src in
        remote), 30, "the remote previews loaded")
    widths = {src: browser.execute_script("return arguments[0].naturalWidth", images[src])
              for src in remote}
    assert all(0 < w <= 220 for w in widths.values()), widths  # a preview, never the photo
    shot(browser, "next-remote-previews")
    # not in the plan: no preview, whatever the id
    cookies = {c["name"]: c["value"] for c in browser.get_cookies()}
    import requests
    for path in (f"thumb/remote/flickr/{drive_id}", "thumb/remote/flickr/..%2F..%2Fetc",
                 "thumb/remote/nowhere/1"):
        assert requests.get(url + path, cookies=cookies, timeout=10).status_code == 404, path
