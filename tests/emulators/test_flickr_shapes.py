"""Response shapes of the Flickr emulator as independent clients of the real API parse them.

Raw HTTP signed with requests_oauthlib (no flickrapi), answers read as Flickr's REST XML (the
default format: attributes, ``<title>`` children, ``<err code msg>``) or its JSON. Each fact
checked here is from Flickr's own method descriptions or from answers real clients recorded.
"""

from __future__ import annotations

import calendar
import time
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import pytest
import requests
from oauthlib.oauth1 import Client
from requests_oauthlib import OAuth1

from photosync.emulators import admin
from photosync.emulators.images import make_image
from wand.image import Image

JSON = {"format": "json", "nojsoncallback": "1"}


@pytest.fixture
def flickr(flickr_emulator):
    url = flickr_emulator.url
    admin(url, "seed", {"photos": 8, "albums": 2, "comment_ratio": 1.0, "video_ratio": 0.0})
    creds = admin(url, "credentials")
    token = admin(url, "token", {"perms": "write"})
    auth = OAuth1(creds["api_key"], creds["api_secret"], token["oauth_token"], token["oauth_token_secret"])

    def xml(method: str, **args) -> ET.Element:
        answer = requests.post(f"{url}/services/rest/", data={"method": method, **args}, auth=auth)
        root = ET.fromstring(answer.content)
        assert root.tag == "rsp", answer.text
        return root

    def json(method: str, **args) -> dict:
        return requests.post(f"{url}/services/rest/", data={"method": method, **args, **JSON}, auth=auth).json()
    return url, creds, token, xml, json


def _upload(url: str, creds: dict, token: dict, data: bytes, **fields: str) -> str:
    client = Client(creds["api_key"], creds["api_secret"], token["oauth_token"], token["oauth_token_secret"])
    _, headers, _ = client.sign(f"{url}/services/upload/", "POST", body=urlencode(fields),
                                headers={"Content-Type": "application/x-www-form-urlencoded"})
    answer = requests.post(f"{url}/services/upload/", data=fields, files={"photo": ("p.jpg", data, "image/jpeg")},
                           headers={"Authorization": headers["Authorization"]})
    return ET.fromstring(answer.content).find("photoid").text


def test_get_sizes_labels_codes_and_files_of_a_large_photo(flickr):
    url, creds, token, xml, json = flickr
    photo_id = _upload(url, creds, token, make_image("big", 3200, 2400, quality=40))
    sizes = xml("flickr.photos.getSizes", photo_id=photo_id).find("sizes")
    assert {k: sizes.get(k) for k in ("canblog", "canprint", "candownload")} == \
        {"canblog": "0", "canprint": "0", "candownload": "1"}
    rows = [(s.get("label"), s.get("width"), s.get("height"), s.get("url").rstrip("/").rsplit("/", 1)[1],
             s.get("media")) for s in sizes.findall("size")]
    assert rows == [
        ("Square", "75", "75", "sq", "photo"), ("Large Square", "150", "150", "q", "photo"),
        ("Thumbnail", "100", "75", "t", "photo"), ("Small", "240", "180", "s", "photo"),
        ("Small 320", "320", "240", "n", "photo"), ("Small 400", "400", "300", "w", "photo"),
        ("Medium", "500", "375", "m", "photo"), ("Medium 640", "640", "480", "z", "photo"),
        ("Medium 800", "800", "600", "c", "photo"), ("Large", "1024", "768", "l", "photo"),
        ("Large 1600", "1600", "1200", "h", "photo"), ("Large 2048", "2048", "1536", "k", "photo"),
        ("X-Large 3K", "3072", "2304", "3k", "photo"), ("Original", "3200", "2400", "o", "photo")]
    sources = {s.get("label"): s.get("source") for s in sizes.findall("size")}
    assert sources["Small"].endswith("_m.jpg") and sources["Medium"].endswith(f"{photo_id}_" +
                                                                           sources["Medium"].split("_")[-1])
    for label in ("Small 400", "X-Large 3K"):
        answer = requests.get(sources[label])
        assert answer.status_code == 200, label
        with Image(blob=answer.content) as img:
            assert max(img.size) == {"Small 400": 400, "X-Large 3K": 3072}[label]
    # the same sizes as listing extras, with their dimensions
    record = next(p for p in json("flickr.people.getPhotos", user_id="me", extras="url_w,url_3k,url_4k,url_o")
                  ["photos"]["photo"] if p["id"] == photo_id)
    assert record["url_w"] == sources["Small 400"] and record["url_3k"] == sources["X-Large 3K"]
    assert (int(record["width_3k"]), int(record["height_3k"])) == (3072, 2304) and "url_4k" not in record


def test_machine_tags_keep_namespace_and_predicate_in_their_clean_form(flickr):
    url, _, _, xml, json = flickr
    photo_id = admin(url, "state")["photos"][0]["id"]
    assert json("flickr.photos.addTags", photo_id=photo_id,
                tags='"lens:type=17-55mm F/2.8" Summer-Time')["stat"] == "ok"
    tags = {t.get("raw"): t for t in xml("flickr.photos.getInfo", photo_id=photo_id).findall("photo/tags/tag")}
    lens, summer = tags["lens:type=17-55mm F/2.8"], tags["Summer-Time"]
    assert (lens.text, lens.get("machine_tag")) == ("lens:type=1755mmf28", "1")
    assert (summer.text, summer.get("machine_tag")) == ("summertime", "0")
    record = next(p for p in json("flickr.people.getPhotos", user_id="me", extras="tags,machine_tags")
                  ["photos"]["photo"] if p["id"] == photo_id)
    assert {"lens:type=1755mmf28", "summertime"} <= set(record["tags"].split())
    found = json("flickr.photos.search", user_id="me", tags="lens:type=1755mmf28")["photos"]["photo"]
    assert [p["id"] for p in found] == [photo_id]


def test_photo_info_in_xml(flickr):
    url, _, token, xml, _ = flickr
    stored = admin(url, "state")["photos"][0]
    photo = xml("flickr.photos.getInfo", photo_id=stored["id"]).find("photo")
    assert photo.get("id") == stored["id"] and photo.get("media") == "photo"
    assert {"secret", "server", "farm", "dateuploaded", "isfavorite", "license", "rotation",
            "originalsecret", "originalformat", "views"} <= set(photo.attrib)
    assert photo.find("owner").get("nsid") == token["user_nsid"] and photo.find("owner").get("username")
    assert photo.find("title").text == stored["title"] and photo.find("description") is not None
    assert set(photo.find("visibility").attrib) == {"ispublic", "isfriend", "isfamily"}
    assert {"posted", "taken", "takengranularity", "takenunknown", "lastupdate"} <= set(photo.find("dates").attrib)
    assert photo.find("editability").attrib == {"cancomment": "1", "canaddmeta": "1"}
    assert photo.find("usage").attrib == {"candownload": "1", "canblog": "0", "canprint": "0", "canshare": "1"}
    assert photo.find("comments").text == str(len(stored["comments"]))
    url_element = photo.find("urls/url")
    assert url_element.get("type") == "photopage" and url_element.text.endswith(f"/{stored['id']}/")


def test_photoset_photos_wrapper_and_members_in_xml(flickr):
    url, _, token, xml, json = flickr
    pset = admin(url, "state")["photosets"][0]
    box = xml("flickr.photosets.getPhotos", photoset_id=pset["id"], per_page="2").find("photoset")
    assert {k: box.get(k) for k in ("id", "owner", "title", "page", "per_page", "perpage")} == \
        {"id": pset["id"], "owner": token["user_nsid"], "title": pset["title"], "page": "1", "per_page": "2",
         "perpage": "2"}
    assert box.get("primary") in pset["photos"]
    assert box.get("ownername") == "testuser" and box.get("total") == str(len(pset["photos"]))
    assert box.get("pages") == str(-(-len(pset["photos"]) // 2))
    members = box.findall("photo")
    assert members and all("owner" not in m.attrib for m in members)  # the set names its owner once
    assert [m.get("isprimary") for m in members].count("1") <= 1
    assert {"id", "secret", "server", "farm", "title", "isprimary", "ispublic"} <= set(members[0].attrib)
    listed = json("flickr.photosets.getPhotos", photoset_id=pset["id"])["photoset"]
    assert isinstance(listed["title"], str) and listed["per_page"] == listed["perpage"]


def test_photoset_list_and_listing_extras_in_xml(flickr):
    url, _, _, xml, _ = flickr
    sets = xml("flickr.photosets.getList").find("photosets")
    assert sets.get("cancreate") == "1" and sets.get("total") == "2"
    first = sets.find("photoset")
    assert {"id", "primary", "secret", "server", "farm", "photos", "videos", "count_views", "count_comments",
            "can_comment", "date_create", "date_update"} <= set(first.attrib)
    assert first.find("title").text and first.find("description") is not None  # children, not attributes
    assert "title" not in first.attrib
    photos = xml("flickr.people.getPhotos", user_id="me", per_page="3",
                 extras="description,url_o,date_taken,last_update,machine_tags,tags,date_upload").find("photos")
    assert photos.get("perpage") == "3" and photos.get("total") == "8"
    record = photos.find("photo")
    assert {"url_o", "width_o", "height_o", "datetaken", "datetakengranularity", "datetakenunknown",
            "lastupdate", "dateupload", "machine_tags", "tags", "title"} <= set(record.attrib)
    assert record.find("description") is not None and "description" not in record.attrib


def test_search_tags_modes_exclusion_and_limits(flickr):
    url, _, _, _, json = flickr
    ids = [p["id"] for p in admin(url, "state")["photos"]][:3]
    for photo_id, tags in zip(ids, ("red blue", "red", "blue green")):
        assert json("flickr.photos.addTags", photo_id=photo_id, tags=tags)["stat"] == "ok"

    def found(**args) -> set[str]:
        answer = json("flickr.photos.search", user_id="me", **args)
        assert answer["stat"] == "ok", answer
        return {p["id"] for p in answer["photos"]["photo"]}
    assert found(tags="red,blue") == set(ids)
    assert found(tags="red,blue", tag_mode="all") == {ids[0]}
    assert found(tags="blue,-red") == {ids[2]}
    assert found(tags="Red") == {ids[0], ids[1]}  # tags are matched in their clean form
    too_many = ",".join(f"t{i}" for i in range(21))
    assert json("flickr.photos.search", user_id="me", tags=too_many, tag_mode="all")["code"] == 1
    assert json("flickr.photos.search", user_id="me", tags=too_many)["stat"] == "ok"
    assert found(tags="red", content_type="1") == {ids[0], ids[1]}
    assert found(tags="red", content_type="2") == set()  # screenshots only
    for kind, count in (("7", 8), ("3", 0)):
        assert len(json("flickr.people.getPhotos", user_id="me", content_type=kind)["photos"]["photo"]) == count


def test_search_machine_tag_syntax_and_limits(flickr):
    url, _, _, _, json = flickr
    ids = [p["id"] for p in admin(url, "state")["photos"]][:3]
    for photo_id, tags in zip(ids, ('dc:title="mr. camera" geo:lat=12', "dc:creator=bob", "upload:by=cli")):
        assert json("flickr.photos.addTags", photo_id=photo_id, tags=tags)["stat"] == "ok"

    def found(query: str, mode: str = "any") -> set[str]:
        answer = json("flickr.photos.search", user_id="me", machine_tags=query, machine_tag_mode=mode)
        assert answer["stat"] == "ok", answer
        return {p["id"] for p in answer["photos"]["photo"]}
    assert found("dc:") == {ids[0], ids[1]}
    assert found("dc:title=") == {ids[0]}
    assert found('dc:title="mr. camera"') == {ids[0]}
    assert found('*:*="mr. camera"') == {ids[0]}
    assert found("*:creator=") == {ids[1]}
    assert found("dc:creator=bob,upload:by=cli") == {ids[1], ids[2]}
    assert found("dc:title=,geo:lat=12", "all") == {ids[0]}
    assert found("dc:title=,upload:by=cli", "all") == set()
    nine = ",".join(f"ns:p{i}=v" for i in range(9))
    assert json("flickr.photos.search", user_id="me", machine_tags=nine)["code"] == 12  # OR: at most 8
    assert json("flickr.photos.search", user_id="me", machine_tags=nine, machine_tag_mode="all")["stat"] == "ok"
    seventeen = ",".join(f"ns:p{i}=v" for i in range(17))
    assert json("flickr.photos.search", user_id="me", machine_tags=seventeen, machine_tag_mode="all")["code"] == 12
    assert json("flickr.photos.search", user_id="me", machine_tags="nocolon")["code"] == 11


def test_search_sorts_and_dates(flickr):
    url, _, _, _, json = flickr
    photos = [{"id": p["id"], "dateupload": p["dates"]["posted"], "datetaken": p["dates"]["taken"]}
              for p in admin(url, "state")["photos"]]

    def order(**args) -> list[str]:
        answer = json("flickr.photos.search", user_id="me", extras="date_taken,date_upload", **args)
        assert answer["stat"] == "ok", answer
        return [p["id"] for p in answer["photos"]["photo"]]
    by_upload = [p["id"] for p in sorted(photos, key=lambda p: (p["dateupload"], int(p["id"])))]
    by_taken = [p["id"] for p in sorted(photos, key=lambda p: (p["datetaken"], int(p["id"])))]
    assert order(sort="date-posted-asc") == by_upload
    assert order(sort="date-posted-desc") == by_upload[::-1] == order()
    assert order(sort="date-taken-asc") == by_taken and order(sort="date-taken-desc") == by_taken[::-1]
    for value in ("interestingness-desc", "interestingness-asc", "relevance", "no-such-sort"):
        assert sorted(order(sort=value)) == sorted(by_upload), value
    assert order(sort="no-such-sort") == by_upload[::-1]  # an unknown sort is the default order
    middle = sorted(p["datetaken"] for p in photos)[3]
    assert set(order(min_taken_date=middle)) == {p["id"] for p in photos if p["datetaken"] >= middle}
    assert set(order(max_taken_date=middle)) == {p["id"] for p in photos if p["datetaken"] <= middle}
    as_unix = str(calendar.timegm(time.strptime(middle, "%Y-%m-%d %H:%M:%S")))  # or a unix time
    assert order(min_taken_date=as_unix) == order(min_taken_date=middle)
    upload = sorted(p["dateupload"] for p in photos)[4]
    assert set(order(min_upload_date=str(upload))) == {p["id"] for p in photos if p["dateupload"] >= upload}
    assert set(order(max_upload_date=str(upload))) == {p["id"] for p in photos if p["dateupload"] <= upload}
    assert json("flickr.photos.search", user_id="me", per_page="600")["photos"]["perpage"] == 500


def test_errors_and_small_answers_in_xml(flickr):
    url, _, token, xml, _ = flickr
    failed = xml("flickr.photos.getInfo", photo_id="1")
    assert failed.get("stat") == "fail" and list(failed) and failed[0].tag == "err"
    assert failed[0].attrib == {"code": "1", "msg": "Photo not found."}
    user = xml("flickr.test.login").find("user")
    assert user.get("id") == token["user_nsid"] and user.find("username").text == "testuser"
    found = xml("flickr.people.findByUsername", username="testuser").find("user")
    assert found.get("nsid") == token["user_nsid"] and found.find("username").text == "testuser"
    person = xml("flickr.people.getInfo", user_id=token["user_nsid"]).find("person")
    assert person.get("nsid") == token["user_nsid"] and person.find("photos/count").text == "8"
    assert person.find("username").text == "testuser" and person.find("photosurl").text
    photo = admin(url, "state")["photos"][0]
    comments = xml("flickr.photos.comments.getList", photo_id=photo["id"]).find("comments")
    assert comments.get("photo_id") == photo["id"]
    first = comments.find("comment")
    assert {"id", "author", "authorname", "datecreate", "permalink"} <= set(first.attrib) and first.text
    tree = xml("flickr.collections.getTree").find("collections")
    node = tree.find("collection")
    assert {"id", "title", "description", "iconlarge", "iconsmall"} <= set(node.attrib)
    assert node.get("iconlarge").startswith(url + "/") and node.get("iconsmall").endswith("_s.gif")
    assert tree.findall(".//set") and {"id", "title", "description"} <= set(tree.find(".//set").attrib)


def test_search_privacy_filter_and_media(flickr_emulator):
    url = flickr_emulator.url
    admin(url, "seed", {"photos": 12, "albums": 0, "video_ratio": 0.4})
    creds, token = admin(url, "credentials"), admin(url, "token", {"perms": "write"})
    auth = OAuth1(creds["api_key"], creds["api_secret"], token["oauth_token"], token["oauth_token_secret"])
    for n, (friend, family) in enumerate(((1, 0), (0, 1), (1, 1))):  # the seed makes public and private
        _upload(url, creds, token, make_image(f"p{n}"), is_public="0", is_friend=str(friend), is_family=str(family))
    photos = admin(url, "state")["photos"]
    assert len({tuple(p["privacy"].values()) for p in photos}) == 5

    def found(auth=auth, **args) -> set[str]:
        answer = requests.post(f"{url}/services/rest/", auth=auth, data={
            "method": "flickr.photos.search", "user_id": token["user_nsid"], **args, **JSON}).json()
        assert answer["stat"] == "ok", answer
        return {p["id"] for p in answer["photos"]["photo"]}
    levels = {1: (1, 0, 0), 2: (0, 1, 0), 3: (0, 0, 1), 4: (0, 1, 1), 5: (0, 0, 0)}
    for level, flags in levels.items():
        assert found(privacy_filter=str(level)) == {
            p["id"] for p in photos if tuple(p["privacy"][k] for k in ("ispublic", "isfriend", "isfamily")) == flags}
    assert found() == {p["id"] for p in photos}
    videos = {p["id"] for p in photos if p["media"] == "video"}
    assert videos and found(media="videos") == videos
    assert found(media="photos") == {p["id"] for p in photos} - videos
    public = {p["id"] for p in photos if p["privacy"]["ispublic"]}
    assert found(auth=None, api_key=creds["api_key"]) == public  # a stranger sees public photos only
    assert found(auth=None, api_key=creds["api_key"], privacy_filter="5") == public  # owner-only filter


def test_search_serves_at_most_4000_results(flickr_emulator):
    """The total counts every match, but only the first 4,000 can be paged to (Flickr's cap)."""
    url = flickr_emulator.url
    admin(url, "seed", {"photos": 4100, "albums": 0})
    creds, token = admin(url, "credentials"), admin(url, "token", {"perms": "read"})
    auth = OAuth1(creds["api_key"], creds["api_secret"], token["oauth_token"], token["oauth_token_secret"])
    seen: list[str] = []
    for page in range(1, 10):
        box = requests.post(f"{url}/services/rest/", auth=auth, data={
            "method": "flickr.photos.search", "user_id": "me", "per_page": "500", "page": str(page), **JSON}
        ).json()["photos"]
        assert int(box["total"]) == 4100
        seen.extend(p["id"] for p in box["photo"])
    assert len(seen) == len(set(seen)) == 4000
    listed = requests.post(f"{url}/services/rest/", auth=auth, data={
        "method": "flickr.people.getPhotos", "user_id": "me", "per_page": "500", "page": "9", **JSON}).json()
    assert len(listed["photos"]["photo"]) == 100  # the photostream itself has no such cap
