"""FlickrRemote against the Flickr emulator: the whole contract suite, then what only Flickr has."""

from __future__ import annotations

from pathlib import Path

import pytest

from photosync.emulators import start
from photosync.emulators.flickr_testing import admin
from photosync.remotes.flickr import FlickrRemote
from photosync.remotes.pace import RateLimiter

from .contract import Fault, Harness, RemoteContract

# A protocol method -> the emulator method its one-shot fault hits, and the fault kinds
# (before the request takes effect, after it: the answer lost).
TARGETS = {"upload": ("upload", "http_503", "reset_mid_body"),
           "replace": ("replace", "http_503", "reset_mid_body"),
           "download": ("static", "http_503", "truncate"),
           "delete": ("flickr.photos.delete", "http_503", "reset_mid_body")}
RANDOM_KINDS = ("http_500", "http_502", "http_503", "reset", "reset_mid_body")  # no 30 s Retry-After


def inject(url: str, rates: dict[str, float], fault: Fault) -> None:
    """A contract Fault as emulator faults. Random rates are per HTTP request and a protocol call
    makes two or three, so they are spread thinner (a lost-response rate on one method becomes
    ``reset_mid_body`` on every request: harsher than asked)."""
    if fault.rate > 0:
        if fault.lost_response:
            rates["reset_mid_body"] = rates.get("reset_mid_body", 0) + fault.rate / 4
        else:
            for kind in RANDOM_KINDS:
                rates[kind] = rates.get(kind, 0) + fault.rate / 2 / len(RANDOM_KINDS)
        admin(url, "faults", {"seed": fault.seed, "rates": rates})
        return
    method, before, after = TARGETS.get(fault.method, ("*", "http_503", "reset_mid_body"))
    kind = after if fault.lost_response or fault.method == "download" else before
    admin(url, "faults", {"once": [{"kind": kind, "method": method, "times": fault.times}]})


@pytest.fixture
def flickr_remotes():
    """``make(page_size, limiter, **options)`` -> (remote, emulator URL), each on its own emulator."""
    servers = []

    def make(page_size: int = 50, limiter: RateLimiter | None = None, username: str = "testuser",
             perms: str = "delete", **options) -> tuple[FlickrRemote, str]:
        server = start("flickr", auto_approve=True, rate_limit=0)
        servers.append(server)
        return remote_for(server.url, page_size, limiter, username, perms, **options), server.url
    yield make
    for server in servers:
        server.stop()


def remote_for(url: str, page_size: int = 50, limiter: RateLimiter | None = None,
               username: str = "testuser", perms: str = "delete", **options) -> FlickrRemote:
    minted = admin(url, "token", {"username": username, "perms": perms})
    return FlickrRemote(minted["api_key"], minted["api_secret"], minted["oauth_token"],
                        minted["oauth_token_secret"], url, page_size=page_size, limiter=limiter,
                        **options)


class TestFlickr(RemoteContract):
    @pytest.fixture
    def make_remote(self, flickr_remotes):
        def make(page_size: int = 50, limiter: RateLimiter | None = None) -> Harness:
            remote, url = flickr_remotes(page_size, limiter)
            rates: dict[str, float] = {}
            return Harness(remote, inject=lambda fault: inject(url, rates, fault),
                           api_calls=lambda: admin(url, "calls")["total"])
        return make


# -- what only Flickr has ---------------------------------------------------------------------

import hashlib  # noqa: E402
import time  # noqa: E402
from datetime import datetime  # noqa: E402

from photosync.emulators.images import make_image  # noqa: E402
from photosync.errors import AuthorizationNeeded, Conflict, ItemError, TransientError  # noqa: E402
from photosync.remotes.base import CursorExpired, changes_since, list_all  # noqa: E402
from photosync.remotes.flickr_api import Endpoints  # noqa: E402
from photosync.remotes.flickr_items import item_from_record, title_for  # noqa: E402

SIG = "ab" * 32


def write_photo(folder: Path, seed: int, name: str | None = None) -> Path:
    path = folder / (name or f"p{seed}.jpg")
    path.write_bytes(make_image(f"flickr-{seed}", date_taken=datetime(2020, 1, 2, 3, 4, seed % 60)))
    return path


def state(url: str) -> dict:
    return admin(url, "state?hashes=0")


def test_endpoints_use_real_hosts_only_for_real_flickr() -> None:
    real = Endpoints.derive("https://www.flickr.com/")
    assert real.rest == "https://api.flickr.com/services/rest/"
    assert real.upload == "https://up.flickr.com/services/upload/"
    assert real.oauth == "https://www.flickr.com/services/oauth/"
    local = Endpoints.derive("http://127.0.0.1:8123")
    assert (local.rest, local.replace) == ("http://127.0.0.1:8123/services/rest/",
                                           "http://127.0.0.1:8123/services/replace/")


def test_loose_json_types_are_coerced() -> None:
    item = item_from_record({"id": 5, "title": {"_content": "x"}, "dateupload": "100",
                             "lastupdate": "", "datetaken": "2019-02-03 04:05:06",
                             "datetakenunknown": 0, "originalformat": "PNG", "originalsecret": "ab",
                             "media": "photo", "machine_tags": f"flickrsync:signature={SIG}",
                             "tags": "checksum" + "0" * 32})
    assert item.id == "5" and item.name == "x" and item.updated == 100.0
    assert item.date_taken == datetime(2019, 2, 3, 4, 5, 6) and item.date_taken_known
    assert item.signature == SIG and item.mime == "image/png" and item.md5 is None
    assert item.extra["format"] == "png" and item.extra["content_version"] == "ab"
    assert item.extra["tag_md5"] == "0" * 32
    unknown = item_from_record({"id": "6", "datetaken": "2019-02-03 04:05:06",
                                "datetakenunknown": "1", "media": "video"})
    assert not unknown.date_taken_known and unknown.media == "video" and unknown.signature is None
    for junk in ("0000-00-00 00:00:00", "", None):
        odd = item_from_record({"id": "7", "datetaken": junk, "datetakenunknown": "", "dateupload": ""})
        assert odd.date_taken is None and not odd.date_taken_known and odd.updated == 0.0
    assert title_for("a.b.jpg") == "a.b" and title_for("..") == ".." and title_for("x") == "x"


def test_an_original_flickr_withholds_is_known_by_either_sign() -> None:
    """Issue 17: no originalsecret (the emulator's model of a free account), or an originalsecret
    but no url_o in a listing that asked for it (should Flickr still send the secret)."""
    from photosync.remotes.base import withheld
    listed = {"id": "1", "media": "photo", "originalsecret": "ab", "url_o": "https://x/1_ab_o.jpg"}
    assert withheld(item_from_record(listed)) is None
    for record in ({**listed, "url_o": ""}, {"id": "1", "media": "photo", "url_l": "https://x/b"}):
        item = item_from_record(record)
        assert withheld(item) == ("Flickr does not let free accounts download originals: kept on "
                                  "Flickr only") and item.extra.get("url_o") is None
    assert withheld(item_from_record({"id": "2", "media": "video", "originalsecret": "cd"})) is None


def test_upload_sets_title_privacy_and_machine_tag(flickr_remotes, tmp_path) -> None:
    remote, url = flickr_remotes(privacy="friends")
    item = remote.upload(write_photo(tmp_path, 1, "Holiday 2020.JPG"), "Holiday 2020.JPG", None, SIG)
    assert item.name == "Holiday 2020"  # the format Flickr read comes with the next listing
    assert list_all(remote).items[0].extra["format"] == "jpg"
    photo = state(url)["photos"][0]
    assert photo["title"] == "Holiday 2020"
    assert photo["privacy"] == {"ispublic": 0, "isfriend": 1, "isfamily": 0}
    assert photo["machine_tags"] == [f"photosync:signature={SIG}"]


def test_other_tools_tags_are_recognised(flickr_remotes, tmp_path) -> None:
    remote, url = flickr_remotes()
    data = write_photo(tmp_path, 2)
    md5 = hashlib.md5(data.read_bytes()).hexdigest()
    # as flickrsync and an md5-tagging tool left it: no photosync tag at all
    remote.client.send_file(data, title="p2", tags=f"flickrsync:signature={SIG} checksum:md5={md5}")
    [item] = list_all(remote).items
    assert item.signature == SIG and item.extra["tag_md5"] == md5
    assert [i.id for i in remote.find_by_signature(SIG)] == [item.id]
    remote.set_signature(item.id, "cd" * 32)
    tags = state(url)["photos"][0]["machine_tags"]
    assert f"photosync:signature={'cd' * 32}" in tags and f"flickrsync:signature={SIG}" in tags
    assert list_all(remote).items[0].signature == "cd" * 32  # ours wins over the old tool's


def test_seeded_account_albums_and_user_sets_are_kept(flickr_remotes, tmp_path) -> None:
    remote, url = flickr_remotes(page_size=7)
    admin(url, "seed", {"photos": 30, "albums": 3, "video_ratio": 0})
    doc = state(url)
    listed = {i.id: i for i in list_all(remote).items}
    assert set(listed) == {p["id"] for p in doc["photos"]}
    for pset in doc["photosets"]:
        assert all(pset["title"] in listed[pid].albums for pid in pset["photos"])
    albums = remote.list_albums()
    assert {a.title for a in albums} == {s["title"] for s in doc["photosets"]}
    assert not any(a.owned_by_us for a in albums)
    with pytest.raises(Conflict):
        remote.delete_album(albums[0].id)
    assert len(remote.list_albums()) == len(albums)


def test_album_index_is_reused_between_listings(flickr_remotes) -> None:
    remote, url = flickr_remotes(page_size=500)
    admin(url, "seed", {"photos": 40, "albums": 4, "video_ratio": 0})
    list_all(remote)
    before = admin(url, "calls")["methods"]
    list_all(remote)
    after = admin(url, "calls")["methods"]
    assert after.get("flickr.photosets.getList", 0) - before.get("flickr.photosets.getList", 0) == 1
    assert after.get("flickr.photosets.getPhotos", 0) == before.get("flickr.photosets.getPhotos", 0)


def test_incremental_listing_at_40_percent_faults_reads_the_albums_in_one_run(
        flickr_remotes, tmp_path) -> None:
    """The album refresh inside a change page (getList + one getPhotos per set) is retried call
    by call, not as one unit that starts over: at 40% faults it would rarely all succeed."""
    from photosync.remotes.flickr_feed import ChangeCursor
    from photosync.remotes.retry import RetryingRemote
    remote, url = flickr_remotes(page_size=500, album_cache=tmp_path / "albums.json")
    admin(url, "seed", {"photos": 60, "albums": 15, "video_ratio": 0})
    sets = {s["title"]: set(s["photos"]) for s in state(url)["photosets"]}
    admin(url, "faults", {"seed": 3, "rates": {"http_500": 0.2, "http_503": 0.2}})
    retrying = RetryingRemote(remote, sleep=lambda _s: None)
    changed = changes_since(retrying, ChangeCursor(1).encode()).changed
    admin(url, "faults", {"rates": {"http_500": 0, "http_503": 0}})
    assert len(changed) == 60
    for item in changed:
        assert set(item.albums) == {t for t, members in sets.items() if item.id in members}


def test_album_sets_read_before_a_failure_are_kept_for_the_next_run(flickr_remotes,
                                                                   tmp_path) -> None:
    remote, url = flickr_remotes(page_size=500, album_cache=tmp_path / "albums.json")
    admin(url, "seed", {"photos": 30, "albums": 4, "video_ratio": 0})
    admin(url, "faults", {"once": [{"kind": "http_503", "method": "flickr.photosets.getPhotos",
                                    "times": 1, "after": 2}]})
    with pytest.raises(TransientError):
        remote.list_albums()
    before = admin(url, "calls")["methods"].get("flickr.photosets.getPhotos", 0)
    remote_for(url, 500, album_cache=tmp_path / "albums.json").list_albums()  # the next run
    after = admin(url, "calls")["methods"].get("flickr.photosets.getPhotos", 0)
    assert after - before == 2  # the two sets not read yet, not all four


def methods(url: str) -> dict[str, int]:
    return admin(url, "calls")["methods"]


def spent(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """The calls made between two counts, by method (our own /calls reads left out)."""
    return {m: n - before.get(m, 0) for m, n in after.items()
            if n != before.get(m, 0) and not m.startswith("/_admin")}


def test_a_new_album_is_filled_and_ordered_by_one_edit(flickr_remotes, tmp_path) -> None:
    remote, url = flickr_remotes()
    ids = [remote.upload(write_photo(tmp_path, n), f"p{n}.jpg", None, f"{n:02x}" * 32).id
           for n in range(5)]
    before = methods(url)
    album = remote.create_album("Trip", ids[3])
    remote.edit_album(album.id, [ids[3], ids[0], ids[4], ids[1], ids[2]])
    assert spent(before, methods(url)) == {"flickr.photosets.create": 1,
                                           "flickr.photosets.editPhotos": 1}
    [trip] = state(url)["photosets"]
    assert trip["photos"] == [ids[3], ids[0], ids[4], ids[1], ids[2]] and trip["primary"] == ids[3]


def test_an_edit_keeps_a_member_added_on_flickr_since_the_albums_were_read(
        flickr_remotes, tmp_path) -> None:
    """Between the album phase's listing and its edit, someone adds a photo to one of our sets
    on Flickr: the set list (getList) shows the set changed, its members are read again, and the
    edit (which replaces the whole list) keeps that photo."""
    from photosync.emulators.flickr_testing import authorized_flickrapi
    remote, url = flickr_remotes()
    a, b, c, d = (remote.upload(write_photo(tmp_path, n), f"p{n}.jpg", None, f"{n:02x}" * 32).id
                  for n in range(4))
    album = remote.create_album("Trip", a)
    remote.edit_album(album.id, [a, b])
    later = remote_for(url)  # the next run
    later.list_albums()
    authorized_flickrapi(url).photosets.addPhoto(photoset_id=album.id, photo_id=d)
    before = methods(url)
    later.edit_album(album.id, [c, a, b])
    assert state(url)["photosets"][0]["photos"] == [c, a, b, d]
    assert spent(before, methods(url)) == {"flickr.photosets.getList": 1,
                                           "flickr.photosets.getPhotos": 1,
                                           "flickr.photosets.editPhotos": 1}
    time.sleep(2.1)  # members read in the second of a set's last change are read again, so wait
    quiet = remote_for(url)  # nothing changed since its listing: no photo list read again
    quiet.list_albums()
    before = methods(url)
    quiet.edit_album(album.id, [a, c, b])
    assert state(url)["photosets"][0]["photos"] == [a, c, b, d]
    assert spent(before, methods(url)) == {"flickr.photosets.getList": 1,
                                           "flickr.photosets.editPhotos": 1}


def test_listing_survives_uploads_and_deletions_between_pages(flickr_remotes, tmp_path) -> None:
    remote, url = flickr_remotes(page_size=3)
    items = [remote.upload(write_photo(tmp_path, n), f"p{n}.jpg", None, f"{n:02d}" * 32)
             for n in range(8)]
    first = remote.list_page(None)
    remote.upload(write_photo(tmp_path, 20), "p20.jpg", None, "f0" * 32)  # shifts page numbers
    remote.delete(items[0].id)  # the oldest: shifts them back
    seen, token = [i.id for i in first.items], first.next_token
    while token:
        page = remote.list_page(token)
        seen += [i.id for i in page.items]
        token = page.next_token
    assert len(seen) == len(set(seen))
    assert {i.id for i in items[1:]} <= set(seen)


def test_changes_cursor_rejects_garbage(flickr_remotes) -> None:
    remote, _ = flickr_remotes()
    with pytest.raises(CursorExpired):
        changes_since(remote, "not-a-cursor")


def test_video_downloads_the_video_original(flickr_remotes, tmp_path) -> None:
    remote, url = flickr_remotes()
    admin(url, "seed", {"photos": 2, "albums": 0, "video_ratio": 1.0})
    doc = admin(url, "state")
    for item in list_all(remote).items:
        assert item.media == "video" and item.mime == "video/mp4"
        data = remote.download(item.id, tmp_path / f"{item.id}.mp4").read_bytes()
        expected = next(p["sha256"] for p in doc["photos"] if p["id"] == item.id)
        assert hashlib.sha256(data).hexdigest() == expected


def test_revoked_token_needs_authorization(flickr_remotes, tmp_path) -> None:
    remote, url = flickr_remotes()
    creds = admin(url, "credentials")
    revoked = FlickrRemote(creds["api_key"], creds["api_secret"], "72157-unknown", "secret", url)
    with pytest.raises(AuthorizationNeeded, match="photosync auth flickr"):
        list_all(revoked)
    read_only, _ = flickr_remotes(perms="read")
    with pytest.raises(AuthorizationNeeded, match=r"lacks the permission .*error 99.*auth flickr"):
        read_only.upload(write_photo(tmp_path, 3), "p3.jpg", None, SIG)
    bad_key = FlickrRemote("0" * 32, creds["api_secret"], "72157-unknown", "secret", url)
    with pytest.raises(AuthorizationNeeded, match=r"flickr.api_key \(error 100"):
        list_all(bad_key)


def test_refused_file_is_an_item_error(flickr_remotes, tmp_path) -> None:
    remote, _ = flickr_remotes()
    junk = tmp_path / "notes.jpg"
    junk.write_bytes(b"not a picture at all")
    with pytest.raises(ItemError) as caught:
        remote.upload(junk, junk.name, None, SIG)
    assert not isinstance(caught.value, TransientError) and "not recognised" in str(caught.value)


def test_rate_limit_answer_is_transient_with_retry_after(flickr_remotes) -> None:
    remote, url = flickr_remotes()
    admin(url, "faults", {"rate_limit": 2})
    remote.find_by_signature(SIG)  # two calls: search, then recent uploads
    with pytest.raises(TransientError) as caught:
        remote.list_albums()
    assert caught.value.retry_after and caught.value.retry_after > 0


def test_from_config_reads_the_stored_token(flickr_remotes, tmp_path) -> None:
    from photosync.auth.tokens import TokenStore
    from photosync.config import Config, FlickrConfig
    from photosync.remotes.flickr import from_config

    _, url = flickr_remotes()
    minted = admin(url, "token", {"username": "testuser", "perms": "delete"})
    config = Config(flickr=FlickrConfig(enabled=True, api_key=minted["api_key"],
                                        api_secret=minted["api_secret"], endpoint=url))
    with pytest.raises(AuthorizationNeeded):
        from_config(config, tmp_path)
    TokenStore(tmp_path).save("flickr", {k: minted[k] for k in (
        "oauth_token", "oauth_token_secret", "user_nsid", "username", "fullname", "perms")})
    remote = from_config(config, tmp_path)
    assert list_all(remote).items == [] and remote.limiter.rate == pytest.approx(3300 / 3600)


def test_download_after_a_listing_needs_no_getsizes_call(flickr_remotes, tmp_path) -> None:
    from photosync.remotes.retry import RetryingRemote

    remote, url = flickr_remotes()
    paths = [write_photo(tmp_path, n) for n in range(3)]
    items = [remote.upload(p, p.name, None, f"{n:02d}" * 32) for n, p in enumerate(paths)]

    def sizes_calls() -> int:
        return admin(url, "calls")["methods"].get("flickr.photos.getSizes", 0)
    listed = {i.id: i for i in list_all(remote).items}
    assert remote.download(items[0].id, tmp_path / "a.jpg", listed=listed[items[0].id]
                           ).read_bytes() == paths[0].read_bytes()
    assert sizes_calls() == 0  # the listing's url_o was enough
    # replaced by another client since the listing: the listed URL is gone, a retry asks getSizes
    other = write_photo(tmp_path, 40, "other.jpg")
    remote.client.send_file(other, replace_id=items[1].id)
    patient = RetryingRemote(remote, initial=0.01, maximum=0.01, sleep=lambda _s: None)
    assert patient.download(items[1].id, tmp_path / "b.jpg", listed=listed[items[1].id]
                            ).read_bytes() == other.read_bytes()
    assert sizes_calls() == 1
    # without the listed item: getSizes
    remote.download(items[0].id, tmp_path / "c.jpg")
    assert sizes_calls() == 2


def test_redirect_to_flickrs_unavailable_picture_is_not_a_download(tmp_path) -> None:
    """A stale file URL on Flickr redirects to a "photo no longer available" PNG: never saved."""
    import http.server
    import threading

    from photosync.remotes.flickr import fetch_file
    from photosync.remotes.flickr_api import FlickrClient

    placeholder = make_image("unavailable")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            if self.path.startswith("/old/"):
                self.send_response(302)
                self.send_header("Location", "/pw/images/en-us/photo_unavailable.png")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(placeholder)))
            self.end_headers()
            self.wfile.write(placeholder)

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        client = FlickrClient("k", "s", "", "", base, RateLimiter(None))
        with pytest.raises(TransientError, match="unavailable"):
            fetch_file(client, f"{base}/old/1_abc_o.jpg", tmp_path / "a.jpg", "download of 1")
        assert list(tmp_path.iterdir()) == []
    finally:
        server.shutdown()
        server.server_close()


def test_file_downloads_never_spend_the_api_budget(flickr_remotes, tmp_path) -> None:
    """Flickr's quota counts API queries, not static files: a listed photo's download takes no
    token from the API limiter (a burst of 1 that refills once an hour would block for it)."""
    remote, _ = flickr_remotes()
    picture = write_photo(tmp_path, 1)
    item = remote.upload(picture, picture.name, None, SIG)
    listed = remote.list_page(None).items[0]  # names the original's URL: no getSizes needed
    remote.limiter = remote.client.limiter = RateLimiter(1 / 3600, burst=1)
    remote.client.limiter.acquire()  # the budget is spent
    remote.client.limiter.sleep = _refuse_to_wait
    remote.download(item.id, tmp_path / "back.jpg", listed=listed)
    assert (tmp_path / "back.jpg").read_bytes() == picture.read_bytes()


def _refuse_to_wait(seconds: float) -> None:
    raise AssertionError(f"a file download waited {seconds:.0f} s for the API budget")


def test_the_environment_is_read_once_per_session_not_per_request(flickr_remotes, tmp_path,
                                                                 monkeypatch) -> None:
    """requests re-reads proxies, no_proxy, netrc and the CA bundle from the environment on every
    request while trust_env is on (a fifth of the CPU of a download): read once, per session."""
    remote, _ = flickr_remotes()
    items = [remote.upload(write_photo(tmp_path, n), f"p{n}.jpg", None, f"{n:064x}")
             for n in (1, 2)]
    remote.list_page(None)
    remote.download(items[0].id, tmp_path / "first.jpg")
    for name in ("HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # nothing listens there
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    remote.download(items[1].id, tmp_path / "second.jpg")
    assert (tmp_path / "second.jpg").stat().st_size > 0


def test_an_upload_streams_the_indexed_bytes_and_refuses_changed_ones(flickr_remotes,
                                                                      tmp_path) -> None:
    """Issue 20: no temporary copy; what is sent is hashed on the way and completes only as
    indexed (issue 14)."""
    from photosync.remotes.files import ChangedSinceIndexed, sendable
    remote, url = flickr_remotes()
    path = write_photo(tmp_path, 1)
    data = path.read_bytes()
    with sendable(path, hashlib.md5(data).hexdigest(), len(data)) as source:
        remote.upload(source, "p1.jpg", None, SIG)
    assert [p["sha256"] for p in admin(url, "state")["photos"]] == [hashlib.sha256(data).hexdigest()]
    with sendable(path, hashlib.md5(b"another version").hexdigest(), len(data)) as source:
        with pytest.raises(ChangedSinceIndexed):
            remote.upload(source, "p1.jpg", None, "cd" * 32)
    assert len(admin(url, "state")["photos"]) == 1


def test_album_membership_is_made_once_per_album_change_not_once_per_page(flickr_remotes
                                                                           ) -> None:
    """A listing asks for membership on every page: at a million photos (2,000 pages) making it
    again each time made the listing quadratic. It is kept until an album changes."""
    remote, url = flickr_remotes(page_size=10)
    photos = [{"name": f"p{n:02d}.jpg", "album": f"Album {n % 3}", "taken": None,
               "signature": f"{n:064x}"} for n in range(30)]
    admin(url, "import", {"photos": photos})
    listing = list_all(remote)
    assert sorted((i.name, i.albums) for i in listing.items) == \
        sorted((f"p{n:02d}", (f"Album {n % 3}",)) for n in range(30))
    made = remote.index.membership()
    assert remote.index.membership() is made  # the same answer, not made again
    first = listing.items[0]
    remote.create_album("New", first.id)  # an album changed: made again, with it
    assert sorted(remote.index.membership()[first.id]) == sorted((*first.albums, "New"))


def test_a_quiet_change_feed_never_reads_the_album_cache(flickr_remotes, tmp_path) -> None:
    remote, url = flickr_remotes(page_size=500, album_cache=tmp_path / "albums.json")
    admin(url, "seed", {"photos": 40, "albums": 4, "video_ratio": 0})
    cursor = list_all(remote).cursor
    (tmp_path / "albums.json").write_text("{not json")  # any read of it would be noticed: none
    fresh = remote_for(url, 500, album_cache=tmp_path / "albums.json")  # the next run
    assert changes_since(fresh, cursor).changed == []
    assert fresh.index._loaded is None  # a million photos' members are not loaded for nothing
