"""The shared emulator machinery (faults, counts, rate limit, Range, persistence, concurrency),
exercised through the Flickr emulator and the real flickrapi."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests
from flickrapi.exceptions import FlickrError

from photosync.emulators import start
from photosync.emulators.flickr_testing import admin, authorized_flickrapi
from photosync.emulators.images import make_image
from photosync.emulators.server import FAULT_KINDS

REST_ECHO = {"method": "flickr.test.echo", "format": "json", "nojsoncallback": "1"}


def echo(server) -> str:
    """One unsigned API call; its outcome as a short word."""
    key = admin(server.url, "credentials")["api_key"]
    try:
        answer = requests.get(f"{server.url}/services/rest/", params={**REST_ECHO, "api_key": key}, timeout=10)
    except requests.RequestException:  # refused, reset, or a body cut short
        return "reset"
    if answer.status_code == 200:
        assert answer.json()["stat"] == "ok"
    return str(answer.status_code)


@pytest.mark.parametrize("kind, outcome, counted", [
    ("http_500", "500", "500"), ("http_502", "502", "502"), ("http_503", "503", "503"),
    ("rate_limit", "429", "429"), ("reset", "reset", "reset"), ("reset_mid_body", "reset", "200-cut"),
    ("slow", "200", "200"),
])
def test_each_fault_kind_is_injected_and_counted(flickr_emulator, kind, outcome, counted):
    admin(flickr_emulator.url, "faults", {"rates": {kind: 1.0}, "slow_ms": 50})
    assert echo(flickr_emulator) == outcome
    calls = admin(flickr_emulator.url, "calls")
    assert calls["statuses"] == {counted: 1} and calls["methods"] == {"flickr.test.echo": 1}


def test_truncate_applies_to_downloads_only(flickr_emulator, flickr_client):
    flickr = flickr_client()
    data = make_image("trunc", 200, 150)
    photo_id = flickr.upload("t.jpg", fileobj=io.BytesIO(data), format="etree").find("photoid").text
    url = flickr.people.getPhotos(user_id="me", extras="url_o")["photos"]["photo"][0]["url_o"]
    admin(flickr_emulator.url, "faults", {"rates": {"truncate": 1.0}})
    assert flickr.photos.getInfo(photo_id=photo_id)["stat"] == "ok"  # API calls are not media
    with pytest.raises(requests.RequestException):
        requests.get(url, timeout=10).content
    assert admin(flickr_emulator.url, "calls")["statuses"]["200-cut"] == 1


def test_faults_are_deterministic_by_seed(flickr_emulator):
    def run() -> list[str]:
        admin(flickr_emulator.url, "faults", {"seed": 11, "fault_rate": 0.5})
        return [echo(flickr_emulator) for _ in range(24)]
    first = run()
    assert first == run() and len(set(first)) > 2
    admin(flickr_emulator.url, "faults", {"seed": 12, "fault_rate": 0.5})
    assert [echo(flickr_emulator) for _ in range(24)] != first


def test_faults_never_half_change_state(flickr_emulator, flickr_client):
    flickr = flickr_client()
    admin(flickr_emulator.url, "faults", {"rates": {"reset": 1.0}})
    with pytest.raises(Exception):
        flickr.upload("a.jpg", fileobj=io.BytesIO(make_image("lost-request")), format="etree")
    admin(flickr_emulator.url, "faults", {"rates": {"reset": 0.0, "reset_mid_body": 1.0}})
    with pytest.raises(Exception):
        flickr.upload("b.jpg", fileobj=io.BytesIO(make_image("lost-answer")), format="etree")
    admin(flickr_emulator.url, "faults", {"rates": {"reset_mid_body": 0.0}})
    photos = admin(flickr_emulator.url, "state")["photos"]
    assert len(photos) == 1 and photos[0]["title"] == "b.jpg"  # the answer was lost, the upload happened


def test_rate_limit_per_key_and_fault_settings_report(flickr_emulator):
    settings = admin(flickr_emulator.url, "faults", {"rate_limit": 2})
    assert settings["rate_limit"] == 2 and set(settings["rates"]) <= set(FAULT_KINDS)
    assert [echo(flickr_emulator) for _ in range(3)] == ["200", "200", "429"]
    other = authorized_flickrapi(flickr_emulator.url)  # the same app key: limited as well
    with pytest.raises(FlickrError, match="429"):
        other.test.login()


def test_range_requests(flickr_emulator, flickr_client):
    flickr = flickr_client()
    data = make_image("range", 100, 80)
    flickr.upload("r.jpg", fileobj=io.BytesIO(data), format="etree")
    url = flickr.people.getPhotos(user_id="me", extras="url_o")["photos"]["photo"][0]["url_o"]
    assert requests.get(url, headers={"Range": "bytes=0-0"}).content == data[:1]
    assert requests.get(url, headers={"Range": "bytes=-5"}).content == data[-5:]
    assert requests.get(url, headers={"Range": f"bytes={len(data) - 3}-"}).content == data[-3:]
    refused = requests.get(url, headers={"Range": f"bytes={len(data)}-"})
    assert refused.status_code == 416 and refused.headers["Content-Range"] == f"bytes */{len(data)}"


def _serve(data_dir: Path) -> tuple[subprocess.Popen, str]:
    exe = Path(sys.executable).with_name("photosync-emulator")
    proc = subprocess.Popen([str(exe), "flickr", "--data", str(data_dir), "--port", "0"],
                            stdout=subprocess.PIPE, text=True, env={**os.environ})
    line = proc.stdout.readline().strip()
    assert line.startswith("ready http://127.0.0.1:"), line
    return proc, line.split(" ", 1)[1]


def test_state_survives_restart_with_data_dir(tmp_path):
    proc, url = _serve(tmp_path / "flickr")
    try:
        admin(url, "seed", {"photos": 5, "albums": 1})
        flickr = authorized_flickrapi(url)
        data = make_image("persist", 30, 30)
        flickr.upload("p.jpg", fileobj=io.BytesIO(data), format="etree")
        before = admin(url, "state")
        token = flickr.token_cache.token
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    proc, url = _serve(tmp_path / "flickr")
    try:
        assert admin(url, "state") == before
        flickr = authorized_flickrapi(url)
        flickr.token_cache.token = token  # the old token is still valid after the restart
        flickr.flickr_oauth.token = token
        assert flickr.test.login()["user"]["id"] == token.user_nsid
        url_o = next(p["url_o"] for p in flickr.people.getPhotos(user_id="me", extras="url_o")["photos"]["photo"]
                     if p["title"] == "p.jpg")
        assert requests.get(url_o).content == data
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)


def test_concurrent_clients():
    server = start("flickr", rate_limit=0)
    errors: list[BaseException] = []

    def client(n: int) -> None:
        try:
            flickr = authorized_flickrapi(server.url, username=f"user{n % 3}")
            for i in range(3):
                flickr.upload(f"{n}-{i}.jpg", fileobj=io.BytesIO(make_image(f"c{n}-{i}", 16, 16)), format="etree")
                flickr.test.login()
        except BaseException as exc:  # reported below
            errors.append(exc)
    try:
        threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not errors
        photos = admin(server.url, "state")["photos"]
        assert len(photos) == 24 and len({p["id"] for p in photos}) == 24
        assert admin(server.url, "calls")["methods"]["upload"] == 24
    finally:
        server.stop()
