"""Albums from folders through the CLI against both emulators (issue 8)."""

from __future__ import annotations

from datetime import datetime, timedelta

from photosync.emulators import admin
from photosync.emulators.flickr_testing import authorized_flickrapi
from tests.scenarios.conftest import busy, count


def sets_by_title(world) -> dict[str, dict]:
    return {s["title"]: s for s in world.flickr_sets()}


def drive_folder_of(world) -> dict[str, str]:
    """Drive photo name -> the path of its folder below the library folder."""
    files = world.drive_files()
    by_id = {f["id"]: f for f in files}

    def path(folder_id: str) -> str:
        parts = []
        while folder_id in by_id and by_id[folder_id]["name"] != "Photos":
            parts.append(by_id[folder_id]["name"])
            folder_id = (by_id[folder_id].get("parents") or [""])[0]
        return "/".join(reversed(parts))
    return {f["name"]: path(f["parents"][0]) for f in world.drive_photos()}


def test_albums_are_ordered_by_date_taken_with_the_first_as_primary(world):
    base = datetime(2020, 5, 1, 10, 0, 0)
    world.photo("Trip/c.jpg", 3, base + timedelta(hours=1))
    world.photo("Trip/a.jpg", 1, base + timedelta(hours=3))
    world.photo("Trip/b.jpg", 2, base)
    world.sync()
    trip = sets_by_title(world)["Trip"]
    titles = {p["id"]: p["title"] for p in world.flickr_photos()}
    assert [titles[i] for i in trip["photos"]] == ["b", "c", "a"]
    assert titles[trip["primary"]] == "b"
    assert drive_folder_of(world) == {"a.jpg": "Trip", "b.jpg": "Trip", "c.jpg": "Trip"}
    assert busy(world.sync()) == []


def test_a_users_own_photoset_is_never_touched(world):
    world.photo("Family/a.jpg", 1)
    flickr = authorized_flickrapi(world.flickr_url)
    own = flickr.photos.search(user_id="me")  # warm the client
    seeded = world.flickr_photos()
    assert own and seeded == []
    world.photo("Other/x.jpg", 9)
    world.sync()
    x_id = next(p["id"] for p in world.flickr_photos() if p["title"] == "x")
    flickr.photosets.create(title="Family", primary_photo_id=x_id)  # the user's album
    (world.root / "Family" / "b.jpg").write_bytes((world.root / "Family" / "a.jpg").read_bytes()[:0] or b"")
    (world.root / "Family" / "b.jpg").unlink()
    world.photo("Family/c.jpg", 3)
    doc = world.sync()
    family = [s for s in world.flickr_sets() if s["title"] == "Family"]
    users = [s for s in family if "[photosync]" not in s["description"]]
    assert len(users) == 1 and users[0]["photos"] == [x_id]  # untouched
    ours = [s for s in family if "[photosync]" in s["description"]]
    assert len(ours) == 1 and len(ours[0]["photos"]) == 2  # ours was made before the user's
    assert busy(world.sync()) == []


def test_a_same_title_user_album_is_reported_not_adopted(world):
    world.photo("Other/x.jpg", 9)
    world.sync()
    x_id = next(p["id"] for p in world.flickr_photos() if p["title"] == "x")
    authorized_flickrapi(world.flickr_url).photosets.create(title="Holiday", primary_photo_id=x_id)
    world.photo("Holiday/a.jpg", 1)
    doc = world.sync()
    assert any("did not create" in m["message"] and "adopt_albums" in m["message"] for m in doc["messages"])
    holiday = [s for s in world.flickr_sets() if s["title"] == "Holiday"]
    assert len(holiday) == 1 and holiday[0]["photos"] == [x_id]
    world.config.write_text(world.config.read_text().replace(
        "endpoint: " + world.flickr_url, "endpoint: " + world.flickr_url + "\n  adopt_albums: true"))
    doc = world.sync()
    assert count(doc, "flickr", "add_to_album") == 1
    assert len(sets_by_title(world)["Holiday"]["photos"]) == 2


def test_emptying_a_folder_deletes_our_album_and_moves_nothing_else(world):
    world.photo("Keep/a.jpg", 1)
    world.photo("Gone/b.jpg", 2)
    world.sync()
    (world.root / "Gone" / "b.jpg").rename(world.root / "Keep" / "b.jpg")
    doc = world.sync()
    assert count(doc, "flickr", "delete_album") == 1 and count(doc, "flickr", "upload") == 0
    assert list(sets_by_title(world)) == ["Keep"]
    assert len(sets_by_title(world)["Keep"]["photos"]) == 2
    assert set(drive_folder_of(world).values()) == {"Keep"}
    assert busy(world.sync()) == []


def test_awkward_album_names(world):
    names = ["Émile 🎉", "x" * 200, "Case", "case", "a..b"]
    for i, name in enumerate(names):
        world.photo(f"{name}/p{i}.jpg", i)
    world.sync()
    assert set(sets_by_title(world)) == set(names)
    assert set(drive_folder_of(world).values()) == set(names)
    assert busy(world.sync()) == []


def test_flickr_titles_with_slashes_and_colons_download_to_safe_folders(world):
    flickr = authorized_flickrapi(world.flickr_url)
    world.photo("seed.jpg", 1)
    world.sync()
    seed_id = world.flickr_photos()[0]["id"]
    flickr.photosets.create(title="../evil: set", primary_photo_id=seed_id)
    from photosync.emulators.images import make_image
    import tempfile, pathlib
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "remote.jpg"
        path.write_bytes(make_image("remote-only"))
        photo_id = flickr.upload(filename=str(path), title="../../etc/passwd", format="etree").find("photoid").text
    flickr.photosets.addPhoto(photoset_id=next(s["id"] for s in world.flickr_sets() if s["title"] == "../evil: set"),
                              photo_id=photo_id)
    doc = world.sync()
    assert count(doc, "flickr", "download") == 1
    local = world.local()
    assert all(not p.startswith("..") and "/../" not in p for p in local)
    assert any(p.startswith("evil_ set/") or "evil_ set" in p for p in local), local
    assert busy(world.sync()) == []


def test_flickr_collections_are_listed_in_the_dry_run_report(world):
    from tests.scenarios.conftest import admin
    admin(world.flickr_url, "seed", {"seed": 2, "accounts": ["testuser"], "photos": 6, "albums": 3,
                                     "video_ratio": 0, "collections": True})
    tree = admin(world.flickr_url, "state?hashes=0")["collections"]
    assert tree, "the emulator seeds collections"
    doc = world.sync("--dry-run")
    notes = [m["message"] for m in doc["messages"] if m["remote"] == "flickr"]
    assert any(n.startswith("Flickr collections (read-only, not synced):") for n in notes), notes
    text = world.run("sync", "--dry-run").stdout
    assert tree[0]["title"] in text


def test_a_300_character_emoji_photoset_title_downloads_and_stays_one_album(world):
    """A user's photoset title longer than a file name may be: the folder gets a cut name, the
    photo lands there once, and the next runs see the folder and the set as one album."""
    from pathlib import Path
    from photosync.emulators.images import make_image
    flickr = authorized_flickrapi(world.flickr_url)
    title = "Été 🎉 " + "x" * 294
    assert len(title) == 300
    path = Path(world.tmp) / "remote.jpg"
    path.write_bytes(make_image("long-title"))
    photo_id = flickr.upload(filename=str(path), title="IMG_9", format="etree").find("photoid").text
    flickr.photosets.create(title=title, primary_photo_id=photo_id)
    world.photo("local.jpg", 1)
    doc = world.sync()
    assert count(doc, "flickr", "download") == 1 and doc["errors"] == []
    (folder,) = {p.rsplit("/", 1)[0] for p in world.local() if p.endswith("IMG_9.jpg")}
    assert len(folder.encode()) <= 255 and folder.startswith("Été 🎉 x")
    assert busy(world.sync()) == [] and busy(world.sync("--full")) == []
    assert [s["title"] for s in world.flickr_sets()] == [title]  # the user's set, untouched


def test_a_copy_into_another_folder_moves_nothing(world):
    """Issue 15.1: ``cp -p Trip/a.jpg "0 copies/a copy.jpg"`` keeps a.jpg in Trip on both
    remotes, whatever the copy's folder sorts before; a single-photo album keeps its folder."""
    import shutil
    world.photo("Trip/a.jpg", 1)
    world.photo("Trip/b.jpg", 2)
    world.photo("Lone/c.jpg", 3)
    world.sync()
    for source, copy in (("Trip/a.jpg", "0 copies/a copy.jpg"), ("Lone/c.jpg", "0 lone/c.jpg")):
        (world.root / copy).parent.mkdir()
        shutil.copy2(world.root / source, world.root / copy)
    doc = world.sync()
    assert busy(doc) == [], busy(doc)
    titles = {p["id"]: p["title"] for p in world.flickr_photos()}
    assert {t: sorted(titles[i] for i in s["photos"]) for t, s in sets_by_title(world).items()} \
        == {"Trip": ["a", "b"], "Lone": ["c"]}
    assert drive_folder_of(world) == {"a.jpg": "Trip", "b.jpg": "Trip", "c.jpg": "Lone"}
    (world.root / "Trip" / "a.jpg").unlink()  # now the copy is the only one: a move
    doc = world.sync()
    assert count(doc, "flickr", "move") == 1 and count(doc, "drive", "move") == 1
    assert count(doc, "flickr", "upload") == 0 and count(doc, "drive", "upload") == 0
    assert drive_folder_of(world)["a.jpg"] == "0 copies"
    assert sorted(sets_by_title(world)) == ["0 copies", "Lone", "Trip"]
    assert busy(world.sync()) == []


def test_moving_a_folder_into_a_new_parent_deletes_no_parent_folder_on_drive(world):
    """Issue 15.2: parents of album folders on Drive are no albums: moving ``Solo`` into a new
    ``2026`` plans no ``delete_album`` for ``2023`` (which holds only the folder ``Summer``)."""
    world.photo("2023/Summer/a.jpg", 1)
    world.photo("2024/b.jpg", 2)
    world.photo("Solo/c.jpg", 3)
    world.sync()
    (world.root / "2026").mkdir()
    (world.root / "Solo").rename(world.root / "2026" / "Solo")
    dry = world.sync("--dry-run")
    deleted = sorted(a["album"] for a in dry["actions"]
                     if a["action"] == "delete_album" and a["remote"] == "drive")
    assert deleted == ["Solo"], deleted
    doc = world.sync()
    assert doc["errors"] == []
    assert drive_folder_of(world) == {"a.jpg": "2023/Summer", "b.jpg": "2024", "c.jpg": "2026/Solo"}
    folders = {f["name"] for f in world.drive_files()
               if f["mimeType"] == "application/vnd.google-apps.folder"}
    assert {"2023", "Summer", "2024", "2026", "Solo"} <= folders
    assert busy(world.sync()) == []


def test_a_first_sync_spends_the_flickr_quota_on_photos_not_bookkeeping(world):
    """Issue 20: each photo costs its upload alone (no getInfo, no addPhoto), each album one
    photosets.create and one editPhotos for its members and order together."""
    for album in ("A", "B", "C"):
        for n in range(4):
            world.photo(f"{album}/{n}.jpg", f"{album}{n}")
    before = admin(world.flickr_url, "calls")["methods"]
    world.sync()
    after = admin(world.flickr_url, "calls")["methods"]
    spent = {m: n - before.get(m, 0) for m, n in after.items() if n != before.get(m, 0)
             and not m.startswith("/_admin")}
    assert spent.pop("upload") == 12
    assert spent.pop("flickr.photosets.create") == 3
    assert spent.pop("flickr.photosets.editPhotos") == 3
    # learning the account (issue 17): two calls with a full listing, none per photo
    assert spent.pop("flickr.people.getUploadStatus") == 1
    assert spent.pop("flickr.people.getLimits") == 1
    assert sum(spent.values()) <= 4, spent  # the listing before and the album listing
    assert {s["title"]: len(s["photos"]) for s in world.flickr_sets()} == {"A": 4, "B": 4, "C": 4}
