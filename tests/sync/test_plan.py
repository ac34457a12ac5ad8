"""The pure planner, rule by rule (no I/O): inputs in, actions and reasons out."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

import pytest

from photosync.remotes.base import Capabilities, RemoteItem
from photosync.sync.plan import Pair, plan
from photosync.sync.policy import Evidence, Policy

FLICKR = Capabilities(hashes=frozenset(), changes_report_deletions=False)
DRIVE = Capabilities(hashes=frozenset({"md5"}), exclusive_albums=True, ordered_albums=False)
WHEN = datetime(2021, 6, 1, 12, 0, 0)


@dataclass(frozen=True)
class F:  # a LocalPhoto
    path: str
    signature: str
    md5: str | None = None
    size: int = 100
    date_taken: datetime | None = WHEN
    album: str | None = None


def item(id: str, name: str = "x.jpg", sig: str | None = None, md5: str | None = None,
         taken: datetime | None = WHEN, known: bool = True, version: str | None = None,
         albums: tuple = ()) -> RemoteItem:
    extra = {"content_version": version} if version else {}
    return RemoteItem(id, name, 100, md5, sig, taken, known, albums=albums, extra=extra)


def policy(**kw) -> Policy:
    kw.setdefault("capabilities", FLICKR)
    return Policy(remote="r", label="Remote", **kw)


def kinds(p) -> list[tuple[str, str | None]]:
    return sorted((a.kind, a.path or a.remote_id) for a in p.actions)


def test_new_local_uploads_and_new_remote_downloads():
    p = plan([F("a.jpg", "S1")], [item("9", "b.jpg", sig="S2")], [], policy())
    assert kinds(p) == [("download", "Downloads"), ("upload", "a.jpg")]
    assert p.actions[0].reason in ("new on Remote", "new locally")


@pytest.mark.parametrize("remote,caps,rule,kind", [
    (item("9", sig="S1"), FLICKR, "signature", "skip"),
    (item("9", md5="M1"), DRIVE, "MD5", "retag"),
    (item("9", "IMG_1.JPEG"), FLICKR, "file name and date taken", "retag"),
])
def test_never_paired_items_match_by_signature_md5_or_name_and_date(remote, caps, rule, kind):
    p = plan([F("dir/img_1.jpg", "S1", md5="M1")], [remote], [], policy(capabilities=caps))
    assert [(a.kind, a.reason) for a in p.actions] == [(kind, f"matched by {rule}" +
                                                         ("; our signature tag is added" if kind == "retag" else ""))]
    assert p.relink == [Pair("9", "S1", "dir/img_1.jpg", remote.md5 or remote.signature, None)]


def test_name_match_needs_a_known_date():
    p = plan([F("img_1.jpg", "S1")], [item("9", "img_1", known=False)], [], policy())
    assert kinds(p) == [("download", "Downloads"), ("upload", "img_1.jpg")]


def test_md5_match_only_where_the_remote_offers_md5():
    p = plan([F("a.jpg", "S1", md5="M1", date_taken=None)], [item("9", "zzz.jpg", md5="M1")], [], policy())
    assert ("upload", "a.jpg") in kinds(p)


def test_local_duplicates_upload_once():
    p = plan([F("a.jpg", "S1"), F("b/copy.jpg", "S1")], [], [], policy())
    assert kinds(p) == [("upload", "a.jpg")]
    assert "1 local duplicate(s) upload once" in p.actions[0].reason


def test_remote_duplicates_of_a_local_photo_are_all_paired():
    p = plan([F("a.jpg", "S1")], [item("1", sig="S1"), item("2", sig="S1")], [], policy())
    assert {r.remote_id for r in p.relink} == {"1", "2"}
    assert not [a for a in p.actions if a.kind == "download"]


def test_untagged_remote_duplicates_download_once():
    """Two copies of one picture uploaded by another tool (no tag, same MD5): one download."""
    p = plan([], [item("1", "a.jpg", md5="M"), item("2", "a copy.jpg", md5="M")], [],
             policy(capabilities=DRIVE))
    (download,) = [a for a in p.actions if a.kind == "download"]
    assert download.remote_id == "1" and download.duplicates == ("2",)


@pytest.mark.parametrize("caps,extra,rule", [
    (DRIVE, dict(md5="M1"), "MD5"),
    (FLICKR, dict(name="IMG_1"), "file name and date taken"),
])
def test_an_untagged_remote_copy_of_a_photo_in_sync_is_paired_and_retagged(caps, extra, rule):
    """The user uploaded IMG_1 a second time with another tool: no download of a duplicate."""
    local = [F("IMG_1.JPG", "S1", md5="M1")]
    pair = Pair("9", "S1", "IMG_1.JPG", "M1", None)
    p = plan(local, [item("9", sig="S1", md5="M1"), item("2", **extra)], [pair],
             policy(capabilities=caps))
    assert kinds(p) == [("retag", "IMG_1.JPG")]
    assert p.actions[0].remote_id == "2" and p.actions[0].reason.startswith(f"matched by {rule}")
    assert {r.remote_id for r in p.relink} == {"2"}


SYNCED = Pair("9", "S1", "a.jpg", "V1", None)


@pytest.mark.parametrize("local,remote,expect", [
    ([F("a.jpg", "S1")], [item("9", sig="S1", version="V1")], []),
    ([F("a.jpg", "S2")], [item("9", sig="S1", version="V1")], [("replace_remote", "a.jpg")]),
    ([F("a.jpg", "S1")], [item("9", sig="S1", version="V2")], [("replace_local", "a.jpg")]),
    ([F("a.jpg", "S2")], [item("9", sig="S3", version="V2")], [("conflict", "a.jpg"), ("upload", "a.jpg")]),
    ([F("b.jpg", "S1", album="B")], [item("9", sig="S1", version="V1")], [("move", "b.jpg")]),
    ([F("other.jpg", "S5")], [item("9", sig="S1", version="V1")], [("skip", "a.jpg"), ("upload", "other.jpg")]),
    ([F("a.jpg", "S1")], [item("8", sig="S8")], [("download", "Downloads"), ("skip", "a.jpg")]),
])
def test_three_way_decisions(local, remote, expect):
    assert kinds(plan(local, remote, [SYNCED], policy())) == expect


def test_identical_edits_on_both_sides_are_not_a_conflict():
    p = plan([F("a.jpg", "S2")], [item("9", sig="S2", version="V2")], [SYNCED], policy())
    assert p.actions == [] and p.relink[0].signature == "S2"


def test_deletion_policies_and_max_delete():
    local = [F("keep.jpg", "K")]
    remote = [item("9", sig="S1", version="V1"), item("K", sig="K")]
    pairs = [SYNCED, Pair("K", "K", "keep.jpg", "K", None)]
    p = plan(local, remote, pairs, policy(on_local_delete="delete-remote"))
    assert kinds(p) == [("delete_remote", "a.jpg")]
    p = plan(local, remote, pairs, policy(on_local_delete="delete-remote", max_delete=0))
    assert kinds(p) == [] and "sync.max_delete" in p.messages[0]
    p = plan([F("a.jpg", "S1"), F("keep.jpg", "K")], [item("K", sig="K")], pairs,
             policy(on_remote_delete="delete-local"))
    assert kinds(p) == [("delete_local", "a.jpg")]


def _library(n: int) -> tuple[list[F], list[RemoteItem], list[Pair]]:
    """``n`` photos in sync: local files, remote items and pairs."""
    local = [F(f"p{i}.jpg", f"S{i}") for i in range(n)]
    remote = [item(f"{i}", sig=f"S{i}", version=f"V{i}") for i in range(n)]
    pairs = [Pair(f"{i}", f"S{i}", f"p{i}.jpg", f"V{i}", None) for i in range(n)]
    return local, remote, pairs


def test_a_share_that_mounts_with_one_stray_photo_deletes_nothing_remotely():
    """72 in sync, 1 left locally: 71 delete_remote is 99% of the photos, past the 50% share,
    however high max_delete is; --force-deletes makes them for one run."""
    local, remote, pairs = _library(72)
    deleting = policy(on_local_delete="delete-remote", max_delete=1000)
    p = plan(local[:1], remote, pairs, deleting)
    assert kinds(p) == [] and "sync.max_delete_percent (50%)" in p.messages[0]
    assert "71 of the 72 photos in sync would be deleted from Remote (99%)" in p.messages[0]
    assert "--force-deletes" in p.messages[0]
    p = plan(local[:1], remote, pairs, deleting, Evidence(force_deletes=True))
    assert [a.kind for a in p.actions] == ["delete_remote"] * 71


def test_the_share_guard_trips_under_the_default_count_and_on_the_library_side_too():
    local, remote, pairs = _library(51)
    p = plan(local[:1], remote, pairs, policy(on_local_delete="delete-remote"))  # 50 <= max_delete
    assert kinds(p) == [] and "max_delete_percent" in p.messages[0]
    p = plan(local, remote[:10], pairs, policy(on_remote_delete="delete-local"))
    assert kinds(p) == [] and "would be deleted from the library (80%)" in p.messages[0]
    p = plan(local, remote[:26], pairs, policy(on_remote_delete="delete-local"))  # 25 of 51: 49%
    assert [a.kind for a in p.actions] == ["delete_local"] * 25
    p = plan(local[:25], remote, pairs, policy(on_local_delete="delete-remote",
                                               max_delete_percent=60))  # 26 of 51: 51%
    assert [a.kind for a in p.actions] == ["delete_remote"] * 26


def test_an_incomplete_listing_proves_no_deletion():
    p = plan([F("a.jpg", "S1")], [item("K", sig="K")], [SYNCED],
             policy(on_remote_delete="delete-local"), Evidence(listing_complete=False))
    assert [a.kind for a in p.actions if a.kind.startswith("delete")] == []
    # ...but a complete local scan still proves a local deletion
    p = plan([F("k.jpg", "K")], [item("9", sig="S1", version="V1"), item("K", sig="K")], [SYNCED],
             policy(on_local_delete="delete-remote", max_delete_percent=100),  # 1 of 1 in
             Evidence(listing_complete=False))  # sync: not the share guard's case
    assert [a.kind for a in p.actions] == ["delete_remote", "skip"]
    p = plan([F("k.jpg", "K")], [item("9", sig="S1", version="V1"), item("K", sig="K")], [SYNCED],
             policy(on_local_delete="delete-remote"), Evidence(local_complete=False))
    assert "library scan had errors" in p.messages[0]


def test_empty_sides_abort():
    assert "is the share mounted" in plan([], [item("9", sig="S1", version="V1")], [SYNCED], policy()).aborted
    assert "right account" in plan([F("a.jpg", "S1")], [], [SYNCED], policy()).aborted


def test_direction_limits_what_is_planned():
    local, remote = [F("a.jpg", "S1")], [item("9", "b.jpg", sig="S2")]
    assert kinds(plan(local, remote, [], policy(direction="upload"))) == [("upload", "a.jpg")]
    assert kinds(plan(local, remote, [], policy(direction="download"))) == [("download", "Downloads")]


def test_videos_download_unless_the_media_rule_or_the_extensions_leave_them_out():
    vid = RemoteItem("9", "clip.mp4", media="video")
    assert kinds(plan([], [vid], [], policy())) == [("download", "Downloads")]
    held = plan([], [vid], [], policy(media=frozenset({"photo"})))
    assert [(a.kind, a.reason) for a in held.actions] == [
        ("skip", "video on Remote; not downloaded (r.media does not list it)")]
    unindexed = plan([], [vid], [], policy(extensions=frozenset({"jpg"})))
    assert unindexed.actions[0].kind == "skip"
    assert "library.extensions" in unindexed.actions[0].reason


def test_media_rules_choose_what_goes_up_and_never_touch_what_is_there():
    local = [F("a.jpg", "S1"), F("IMG_2.HEIC", "S2"), F("IMG_2.MOV", "K2"), F("c.nef", "K3"),
             F("d.mp4", "K4", size=5_000_000)]
    flickr = policy(media=frozenset({"photo", "video"}))
    p = plan(local, [], [], flickr, Evidence(live_clips=frozenset({"IMG_2.MOV"})))
    assert kinds(p) == [("upload", "IMG_2.HEIC"), ("upload", "a.jpg"), ("upload", "d.mp4")]
    assert p.notes == ["1 new live_clip file(s) not sent to Remote (r.media does not list "
                       "live_clip)", "1 new raw file(s) not sent to Remote (r.media does not "
                       "list raw)", "Remote starts receiving videos: 1 video(s), 5.0 MB, "
                       "uploaded from this run on (r.media lists them; remove video to keep "
                       "them local)"]
    # Already up under an older rule: a rule that now leaves videos out deletes nothing.
    pairs = [Pair("7", "K4", "d.mp4", None, None)]
    p = plan(local, [item("7", "d.mp4", sig="K4")], pairs, policy(media=frozenset({"photo"})))
    assert [a for a in p.actions if a.remote_id == "7"] == []
    assert not any("starts receiving videos" in n for n in p.notes)


def test_max_operations_postpones_transfers():
    p = plan([F(f"{i}.jpg", f"S{i}") for i in range(5)], [], [], policy(max_operations=2))
    assert [a.kind for a in p.actions].count("upload") == 2
    assert [a.kind for a in p.actions].count("skip") == 3


def test_plan_does_not_depend_on_listing_order():
    local = [F(f"d{i % 3}/{i}.jpg", f"S{i % 7}", md5=f"M{i}") for i in range(20)]
    remote = [item(str(i), f"{i}.jpg", sig=f"S{i % 5}" if i % 2 else None, md5=f"M{i}") for i in range(15)]
    pairs = [Pair(str(i), f"S{i % 7}", f"d{i % 3}/{i}.jpg", f"M{i}", None) for i in range(0, 15, 4)]
    expected = plan(local, remote, pairs, policy(capabilities=DRIVE))
    for seed in range(5):
        rng = random.Random(seed)
        shuffled = [rng.sample(x, len(x)) for x in (local, remote, pairs)]
        again = plan(*shuffled, policy(capabilities=DRIVE))
        assert again.actions == expected.actions and sorted(again.relink, key=repr) == sorted(expected.relink, key=repr)


def test_downloads_go_to_the_first_album_or_the_download_dir():
    remote = [item("9", "b.jpg", sig="S2", albums=("Set A", "Set B"))]
    assert plan([], remote, [], policy()).actions[0].path == "Set A"
    assert plan([], remote, [], policy(download_into_album=False)).actions[0].path == "Downloads"


def test_a_paired_photo_whose_tag_write_failed_is_retagged_once_uploads_are_allowed():
    """A download's tag is written after the transfers; when that write fails the pair stands
    and the next run writes the tag (without it a lost database would not re-link by tag)."""
    local, pair = [F("a.jpg", "S1")], Pair("9", "S1", "a.jpg", None, None)
    p = plan(local, [item("9")], [pair], policy())
    assert [(a.kind, a.remote_id, a.signature) for a in p.actions] == [("retag", "9", "S1")]
    assert kinds(plan(local, [item("9", sig="S1")], [pair], policy())) == []
    assert kinds(plan(local, [item("9")], [pair], policy(direction="download"))) == []


def _capped(order: str | None, albums: tuple[str, ...] = (), privacy: str = "private",
            items: int = 996, non_public: int = 48, photo_bytes: int = 150) -> tuple:
    """Six new local photos, one a day (one too large), planned on a free account."""
    from photosync.remotes.flickr_account import FlickrAccount, FlickrLimits
    from photosync.sync.caps import AccountCaps, plan_against_caps

    local = [F(f"{album}/d{day}.jpg", f"s{day}", date_taken=datetime(2021, 1, day),
               album=album, size=200 if day == 6 else 100)
             for day, album in ((1, "A"), (2, "B"), (3, "A"), (4, "B"), (5, "B"), (6, "A"))]
    out = plan(local, [], [], policy())
    account = FlickrAccount("free", FlickrLimits(photo_bytes, None, None), items, non_public)
    line = plan_against_caps(out, AccountCaps("Flickr", account, privacy, order, albums),
                             {f.path: f for f in local})
    uploads = sorted(a.path for a in out.actions if a.kind == "upload")
    return uploads, line, out


def test_caps_take_the_room_in_the_order_the_user_chose_and_say_why_once_per_cause():
    uploads, line, out = _capped(None)  # 2 non-public left: the newest two that fit
    assert uploads == ["B/d4.jpg", "B/d5.jpg"] and line in out.messages
    assert line.startswith("2 photo(s) not uploaded to Flickr: flickr.privacy is private")
    assert any(m.startswith("1 photo(s) not uploaded to Flickr: a free Flickr account holds "
                            "at most 1,000 items (4 left") for m in out.messages)
    [big] = [a for a in out.actions if a.path == "A/d6.jpg"]
    assert big.kind == "skip" and big.reason == (
        "too large for Flickr: 200 bytes, over the account's 150 bytes limit for photos; "
        "not sent")
    assert [m for m in out.messages if "too large" in m] == [
        "1 file(s) too large or too long for this Flickr account were not sent (see the list; "
        "the account's limits come from people.getLimits)"]
    uploads, line, out = _capped("oldest", privacy="public")  # 4 items left
    assert uploads == ["A/d1.jpg", "A/d3.jpg", "B/d2.jpg", "B/d4.jpg"]
    assert line in out.notes and line not in out.messages
    assert line == ("1 photo(s) not uploaded to Flickr, as flickr.cap_order: oldest chose: a "
                    "free Flickr account holds at most 1,000 items (4 left before this run)")
    uploads, _, out = _capped(None, albums=("A",), items=997, non_public=0)  # 3 items left
    assert uploads == ["A/d1.jpg", "A/d3.jpg", "B/d5.jpg"] and not out.messages[1:]
    uploads, line, _ = _capped(None, items=1000, non_public=0, photo_bytes=1000)
    assert uploads == [] and line.startswith("6 photo(s) not uploaded to Flickr: a free")




@dataclass(frozen=True)
class V(F):  # a LocalPhoto that is a video
    media: str = "video"


def test_a_video_over_the_accounts_video_limit_is_not_sent_and_says_which_limit():
    """people.getLimits has a limit per media: a video is held to the video one."""
    from photosync.remotes.flickr_account import FlickrAccount, FlickrLimits
    from photosync.sync.caps import AccountCaps, plan_against_caps

    local = [V("big.mp4", "K1", size=2_000), V("small.mp4", "K2", size=900),
             F("a.jpg", "S1", size=5_000)]
    out = plan(local, [], [], policy())
    account = FlickrAccount("pro", FlickrLimits(10_000, 1_000, None), 0, 0)
    plan_against_caps(out, AccountCaps("Flickr", account, "public", None),
                      {f.path: f for f in local})
    assert kinds(out) == [("skip", "big.mp4"), ("upload", "a.jpg"), ("upload", "small.mp4")]
    [big] = [a for a in out.actions if a.kind == "skip"]
    assert big.reason == ("too large for Flickr: 2,000 bytes, over the account's 1,000 bytes "
                          "limit for videos; not sent")
