"""`photosync mirror flickr` through the CLI against the Flickr emulator."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from pathlib import Path

from photosync.emulators import admin
from photosync.emulators.images import make_image
from tests.mirror.conftest import make_mirror


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def order_of(m) -> list[str]:
    """Photo ids in the order the mirror recorded them (workers=1 makes it the walk order)."""
    conn = sqlite3.connect(m.tmp / "state" / "photosync.db")
    try:
        return [r[0] for r in conn.execute("SELECT id FROM mirror_photos ORDER BY updated, rowid")]
    finally:
        conn.close()


def test_own_stream_private_videos_albums_collections(small):
    result = small.run("--me", "--info-level", "2")
    stats = small.stats(result)
    mine = small.mine()
    assert stats["new"] == str(len(mine)) == "30" and stats["failed"] == "0"
    calls = small.calls()["methods"]
    # comments asked for only where the listing counts some; videos' originals by URL rule
    assert calls.get("flickr.photos.comments.getList", 0) == sum(1 for p in mine if p["comments"])
    assert "flickr.photos.getSizes" not in calls
    state = admin(small.url, "state")  # with hashes
    for photo in (p for p in state["photos"] if p["owner"] == small.nsid):
        file = small.dest / "photostream" / f"{photo['id']}.{photo['originalformat']}"
        assert sha(file) == photo["sha256"], photo["id"]  # the original, videos included
        side = json.loads(file.with_name(file.name + ".json").read_text())
        assert side["title"] == photo["title"] and side["dates"]["last_update"] == photo["dates"]["lastupdate"]
        assert len(side["comments"]) == len(photo["comments"])
        taken = time.mktime(time.strptime(photo["dates"]["taken"], "%Y-%m-%d %H:%M:%S"))
        assert abs(file.stat().st_mtime - taken) <= 1
    assert any(p["media"] == "video" for p in mine) and any(not p["privacy"]["ispublic"] for p in mine)
    in_sets = set()
    for pset in state["photosets"]:
        folder = next((small.dest / "Albums").glob(f"* - {pset['id']}"))
        links = sorted(p.name for p in folder.iterdir() if p.is_symlink())
        assert [n.split("_", 1)[1].split(".")[0] for n in links] == pset["photos"]
        assert all(os.readlink(folder / n).startswith("../../photostream/") for n in links)
        assert json.loads((folder / "album.json").read_text())["photos"] == pset["photos"]
        in_sets.update(pset["photos"])
    loose = {p.name.split(".")[0] for p in (small.dest / "Not in any album").iterdir()}
    assert loose == {p["id"] for p in mine} - in_sets
    root = next((small.dest / "Collections").iterdir())
    subs = sorted(p.name.split(" - ")[0] for p in root.iterdir() if p.is_dir() and not p.is_symlink())
    assert subs == ["Early years", "Later years"]
    album_links = [p for sub in root.iterdir() if sub.is_dir() for p in sub.iterdir() if p.is_symlink()]
    assert len(album_links) == len(state["photosets"]) and all(p.resolve().is_dir() for p in album_links)


def test_public_stream_by_username_and_user_id(small):
    public = [p for p in small.mine() if p["privacy"]["ispublic"]]
    small.run("--username", "testuser", "--image-only")
    # A visitor gets no original: each file is a preview, named so (issue 17)
    assert small.files() == sorted(f"{p['id']}.preview.{'mp4' if p['media'] == 'video' else 'jpg'}"
                                   for p in public)
    videos = [p for p in admin(small.url, "state")["photos"] if p["id"] in {q["id"] for q in public}
              and p["media"] == "video"]
    # a visitor gets the largest video file, Flickr's transcode ("Site MP4"), never the "Video
    # Player" nor the original (its owner's only)
    assert videos
    for video in videos:
        data = (small.dest / "photostream" / f"{video['id']}.preview.mp4").read_bytes()
        assert data[4:8] == b"ftyp" and hashlib.sha256(data).hexdigest() != video["sha256"]
        assert data.endswith(b"site transcode of " + bytes.fromhex(video["sha256"]))
    other = small.tmp / "by-id"
    small.run("--user-id", small.nsid, "--info-only", dest=other)
    assert len(small.files(other)) == len(public) and all(n.endswith(".json") for n in small.files(other))


def test_pages_in_both_orders_then_rerun_is_cheap(tmp_path, flickr_emulator, cli):
    m = make_mirror(tmp_path, flickr_emulator.url, cli, {"photos": 23, "albums": 2, "video_ratio": 0,
                                                         "seed": 5}, page_size=5, workers=1)
    by_upload = [p["id"] for p in sorted(m.mine(), key=lambda p: (p["dates"]["posted"], int(p["id"])))]
    m.run("--me", "--fifo")
    assert order_of(m) == by_upload
    lifo = make_mirror(tmp_path / "lifo", flickr_emulator.url, cli, {"photos": 0}, page_size=5, workers=1)
    lifo.run("--me", "--lifo")
    assert order_of(lifo)[-23:] == list(reversed(by_upload))
    before = m.calls()
    result = m.run("--me")
    after = m.calls()
    assert after["total"] - before["total"] <= 3, (before, after)
    assert m.stats(result)["walk"] == "incremental" and m.stats(result)["file downloads"] == "0"


def test_metadata_change_and_new_photos_on_rerun(small, flickr_client):
    small.run("--me", "--info-level", "2")
    target = next(p for p in small.mine() if p["comments"])
    flickr_client().photos.setMeta(photo_id=target["id"], title="Renamed", description="new words")
    api = flickr_client(perms="write")
    for n in range(3):
        picture = small.tmp / f"new{n}.jpg"
        picture.write_bytes(make_image(f"new{n}"))
        api.upload(str(picture), title=f"New {n}", format="etree")
    before = small.calls()["methods"]
    result = small.run("--me", "--info-level", "2")
    after = small.calls()["methods"]
    stats = small.stats(result)
    assert (stats["new"], stats["updated"], stats["walk"]) == ("3", "1", "incremental")
    side = json.loads(next((small.dest / "photostream").glob(f"{target['id']}.*.json")).read_text())
    assert (side["title"], side["description"]) == ("Renamed", "new words")
    comments = after["flickr.photos.comments.getList"] - before["flickr.photos.comments.getList"]
    assert comments == 1  # the changed photo only: the new ones have no comments
    assert len(small.files()) == 2 * 33


def test_verify_repairs_a_truncated_file(small):
    small.run("--me")
    victim = next(p for p in (small.dest / "photostream").glob("*.jpg"))
    good = sha(victim)
    victim.write_bytes(victim.read_bytes()[:200])
    result = small.run("--me", "--verify")
    stats = small.stats(result)
    assert stats["walk"] == "full" and int(stats["file downloads"]) == 1
    assert sha(victim) == good
    assert (stats["repaired"], stats["updated"], stats["skipped"]) == ("1", "0", "29")
    assert "0 new, 0 updated, 29 already complete, 0 failed, 1 repaired" in result.stdout


def test_a_plain_rerun_restores_files_lost_here(small):
    small.run("--me", "--info-level", "1")
    lost = sorted((small.dest / "photostream").glob("*.jpg"))[:3]
    good = {p: sha(p) for p in lost}
    lost[0].unlink()
    lost[1].write_bytes(lost[1].read_bytes()[:100])
    lost[2].with_name(lost[2].name + ".json").unlink()
    lost[2].unlink()
    before = small.calls()["methods"]
    result = small.run("--me", "--info-level", "1")
    spent = sum(small.calls()["methods"].values()) - sum(before.values())
    stats = small.stats(result)
    assert {p: sha(p) for p in lost} == good
    assert lost[2].with_name(lost[2].name + ".json").exists()
    assert (stats["repaired"], stats["updated"], stats["new"]) == ("3", "0", "0")
    assert "3 files are missing or cut short" in result.stderr
    assert spent <= 5 + 6, spent  # 5 listing pages of 7 and the albums: no call per photo


def test_delete_unknown_with_the_empty_listing_check(small, flickr_client):
    small.run("--me")
    api = flickr_client()
    gone = small.mine()[0]["id"]
    api.photos.delete(photo_id=gone)
    small.run("--me")  # without --delete-unknown: kept
    assert any(n.startswith(gone) for n in small.files())
    result = small.run("--me", "--delete-unknown")
    assert small.stats(result)["deleted"] == "1"
    assert not any(n.startswith(gone) for n in small.files())
    for photo in small.mine():
        api.photos.delete(photo_id=photo["id"])
    result = small.run("--me", "--delete-unknown", expect=1)
    assert "Nothing deleted" in result.stdout and len(small.files()) == 2 * 29


def test_unsafe_album_titles(small, flickr_client):
    api = flickr_client()
    first = small.mine()[0]["id"]
    created = []
    for title in ("../../escape", "a/b:c*?<>|", "CON", ".hidden", "x" * 300, "x" * 299 + "y",
                  "é" * 200):
        created.append(api.photosets.create(title=title, primary_photo_id=first,
                                            format="parsed-json")["photoset"]["id"])
    small.run("--me")
    names = [p.name for p in (small.dest / "Albums").iterdir()]
    assert len(names) == 4 + 7
    assert all("/" not in n and ":" not in n and not n.startswith(".") and len(n.encode()) <= 255
               for n in names)
    assert all(any(n.endswith(f" - {i}") for n in names) for i in created)  # long titles keep the id
    assert not (small.tmp / "escape").exists() and not list(small.tmp.glob("*escape*"))
    assert all(p.resolve().is_relative_to(small.dest.resolve())
               for folder in (small.dest / "Albums").iterdir() for p in folder.iterdir())


def test_ignore_photos_or_videos_and_the_info_levels(small):
    mine = {p["id"]: p for p in small.mine()}
    videos = {i for i, p in mine.items() if p["media"] == "video"}
    small.run("--me", "--ignore-videos", "--info-level", "0")
    files = [n for n in small.files() if not n.endswith(".json")]
    assert {n.split(".")[0] for n in files} == set(mine) - videos
    side = json.loads((small.dest / "photostream" / f"{files[0]}.json").read_text())
    assert {"id", "title", "dates", "media", "original_format"} <= set(side)
    assert not {"description", "tags", "privacy", "urls", "comments"} & set(side)
    links = [p for p in small.dest.rglob("*") if p.is_symlink()]
    assert links and all(p.exists() for p in links)  # no link to a video that is not there
    other = small.tmp / "videos"
    small.run("--me", "--ignore-photos", "--info-level", "1", dest=other)
    files = [n for n in small.files(other) if not n.endswith(".json")]
    assert {n.split(".")[0] for n in files} == videos
    side = json.loads((other / "photostream" / f"{files[0]}.json").read_text())
    assert {"description", "tags", "machine_tags", "license", "geo", "privacy", "urls"} <= set(side)
    assert "comments" not in side and side["urls"]["page"].startswith("https://www.flickr.com/photos/")
    assert side["privacy"] in ("public", "private", "friends", "family", "friends_family")
    again = small.stats(small.run("--me", "--ignore-photos", "--info-level", "2", dest=other))
    assert again["updated"] == str(len(videos)) and again["downloaded"] == "0 B"  # sidecars only
    assert json.loads((other / "photostream" / f"{files[0]}.json").read_text())["info_level"] == 2
    assert small.run("--me", "--ignore-photos", "--ignore-videos", expect=2).stderr.count("\n") == 1


def test_a_free_accounts_mirror_keeps_marked_previews_until_it_goes_pro(small):
    """Issue 17: Flickr gives a free account's owner no original (2025-05-15). The mirror keeps
    the largest size it gives, named and marked a preview and counted; Pro brings the originals,
    which replace the previews (albums follow)."""
    mine = small.mine()
    admin(small.url, "account", {"username": "testuser", "kind": "free"})
    stats = small.stats(small.run("--me"))
    assert stats["originals unavailable"] == f"{len(mine)} (previews kept)", stats
    assert stats["failed"] == "0" and stats["new"] == str(len(mine))
    names = [n for n in small.files() if not n.endswith(".json")]
    assert sorted(names) == sorted(f"{p['id']}.preview.{'mp4' if p['media'] == 'video' else 'jpg'}"
                                   for p in mine)
    photo = next(p for p in mine if p["media"] == "photo")
    sidecar = json.loads((small.dest / "photostream" / f"{photo['id']}.preview.jpg.json").read_text())
    assert sidecar["size"] == "Large" and sidecar["preview"] is True and sidecar["width"] == 1024
    from wand.image import Image
    with Image(filename=str(small.dest / "photostream" / f"{photo['id']}.preview.jpg")) as img:
        assert max(img.width, img.height) == 1024
    links = [p.name for p in (small.dest / "Albums").rglob("*") if p.is_symlink()]
    assert links and all(".preview." in n for n in links)

    admin(small.url, "account", {"username": "testuser", "kind": "pro"})
    stats = small.stats(small.run("--me"))  # a mirror holding previews walks in full
    assert stats["originals unavailable"] == "0 (previews kept)" and stats["failed"] == "0"
    assert stats["updated"] == str(len(mine)), stats
    names = [n for n in small.files() if not n.endswith(".json")]
    assert sorted(names) == sorted(f"{p['id']}.{p['originalformat']}" for p in mine)
    sidecar = json.loads((small.dest / "photostream" / f"{photo['id']}.jpg.json").read_text())
    assert sidecar["size"] == "Original" and sidecar["preview"] is False
    links = [p for p in (small.dest / "Albums").rglob("*") if p.is_symlink()]
    assert links and all(".preview." not in p.name and p.resolve().is_file() for p in links)


def test_a_preview_an_older_mirror_named_like_a_photo_is_renamed_not_downloaded_again(small):
    small.run("--username", "testuser")
    stream = small.dest / "photostream"
    conn = sqlite3.connect(small.tmp / "state" / "photosync.db")
    try:  # what photosync before issue 17 left: a visitor's copies named <id>.<ext>
        for path in [p for p in stream.iterdir() if ".preview." in p.name]:
            path.rename(stream / path.name.replace(".preview.", ".", 1))
        with conn:
            conn.execute("UPDATE mirror_photos SET path = replace(path, '.preview.', '.')")
    finally:
        conn.close()
    stats = small.stats(small.run("--username", "testuser"))
    assert stats["file downloads"] == "0" and stats["failed"] == "0", stats
    names = small.files()
    assert names and all(".preview." in n for n in names), names
    sidecar = json.loads(next(stream.glob("*.preview.jpg.json")).read_text())
    assert sidecar["preview"] is True and sidecar["size"]


def test_videos_flickr_has_not_processed_are_recorded_with_their_state(small):
    """Issue 19: a visitor gets a video's transcoded stream only once Flickr has made it. A
    pending one is recorded as such (fetched by a later run), a failed one named with its id."""
    public = [p for p in small.mine() if p["privacy"]["ispublic"] and p["media"] == "video"]
    assert len(public) >= 2
    pending, failed = public[0]["id"], public[1]["id"]
    admin(small.url, "video", {"photo_id": pending, "state": "pending"})
    admin(small.url, "video", {"photo_id": failed, "state": "failed"})
    result = small.run("--username", "testuser", "--image-only", expect=None)
    assert result.returncode != 0
    assert f"video {pending} is still being processed by Flickr (video pending)" in result.stderr
    assert f"Flickr failed to process video {failed} (video failed)" in result.stderr
    assert not {n for n in small.files() if n.startswith((f"{pending}.", f"{failed}."))}
    admin(small.url, "video", {"photo_id": pending, "state": "ready"})
    admin(small.url, "video", {"photo_id": failed, "state": "ready"})
    small.run("--username", "testuser", "--image-only")
    # a visitor's video is Flickr's transcode, a preview, named so (issue 17)
    assert {f"{pending}.preview.mp4", f"{failed}.preview.mp4"} <= set(small.files())


def test_sync_bwlimit_paces_the_mirrors_downloads_too(tmp_path, flickr_emulator, cli):
    """The mirror downloads through the same path as sync (atomic_download), so sync.bwlimit
    holds for it: the files take at least 80% of bytes / limit. A floor only; the rate itself
    is bench/bench_bwlimit.py's figure."""
    m = make_mirror(tmp_path, flickr_emulator.url, cli,
                    {"accounts": ["testuser"], "photos": 8, "albums": 0, "video_ratio": 0,
                     "seed": 5})
    config = json.loads(m.config.read_text())
    config["sync"]["bwlimit"] = "64k"
    m.config.write_text(json.dumps(config))
    began = time.monotonic()
    m.run("--me")
    seconds = time.monotonic() - began
    folder = m.dest / "photostream"
    size = sum(p.stat().st_size for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".png"))
    assert size / (64 * 1024) >= 3, size  # enough bytes for the floor to mean something
    assert seconds >= 0.8 * size / (64 * 1024), (seconds, size)
