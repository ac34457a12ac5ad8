"""The Flickr emulator as an independent client of the real API sees it: raw HTTP, oauthlib-signed.

No flickrapi here: requests + requests_oauthlib/oauthlib sign the calls the way any other Flickr
client library does (OAuth parameters in the Authorization header, in the query string or in
the form body; Flickr accepts all three), and the answers are compared with the shapes of
Flickr's own example responses in ``flickr_reflection/``.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from oauthlib.oauth1 import SIGNATURE_TYPE_AUTH_HEADER, SIGNATURE_TYPE_BODY, SIGNATURE_TYPE_QUERY, Client
from requests_oauthlib import OAuth1, OAuth1Session

from photosync.emulators import admin
from photosync.emulators.flickr_spec import SPEC_DIR
from photosync.emulators.images import make_image

JSON = {"format": "json", "nojsoncallback": "1"}


@pytest.fixture
def jpeg_bytes() -> bytes:
    return make_image(7, 64, 48, "jpeg", None)


@pytest.fixture
def flickr(flickr_emulator):
    """(base url, credentials, write token, signer) on a seeded account."""
    url = flickr_emulator.url
    admin(url, "seed", {"photos": 6, "albums": 2, "comment_ratio": 1.0, "video_ratio": 0.3})
    creds = admin(url, "credentials")
    token = admin(url, "token", {"perms": "write"})

    def signer(signature_type: str = SIGNATURE_TYPE_AUTH_HEADER, secret: str | None = None) -> OAuth1:
        return OAuth1(creds["api_key"], secret or creds["api_secret"], token["oauth_token"],
                      token["oauth_token_secret"], signature_type=signature_type)
    return url, creds, token, signer


@pytest.mark.parametrize("where", [SIGNATURE_TYPE_AUTH_HEADER, SIGNATURE_TYPE_QUERY, SIGNATURE_TYPE_BODY])
def test_signed_calls_with_oauth_parameters_anywhere(flickr, where):
    url, _, token, signer = flickr
    rest = f"{url}/services/rest/"
    args = {"method": "flickr.test.login", **JSON}

    def send(auth: OAuth1) -> requests.Response:
        if where == SIGNATURE_TYPE_BODY:
            return requests.post(rest, data=args, auth=auth)
        return requests.get(rest, params=args, auth=auth)
    answer = send(signer(where))
    assert answer.status_code == 200
    assert answer.json() == {"user": {"id": token["user_nsid"], "username": {"_content": "testuser"},
                                      "path_alias": ""}, "stat": "ok"}
    bad = send(signer(where, secret="not-the-secret"))
    assert bad.json() == {"stat": "fail", "code": 96, "message": "Invalid signature"}


def test_json_callback_wrapper_and_xml_default(flickr):
    url, _, _, signer = flickr
    rest = f"{url}/services/rest/"
    wrapped = requests.post(rest, data={"method": "flickr.test.login", "format": "json"}, auth=signer())
    assert re.fullmatch(r"jsonFlickrApi\((.*)\)", wrapped.text, re.S)
    assert json.loads(wrapped.text[len("jsonFlickrApi("):-1])["stat"] == "ok"
    xml = requests.post(rest, data={"method": "flickr.test.login"}, auth=signer())
    root = ET.fromstring(xml.content)
    assert root.tag == "rsp" and root.get("stat") == "ok" and root.find("user/username").text == "testuser"
    failed = ET.fromstring(requests.post(rest, data={"method": "flickr.nope"}, auth=signer()).content)
    assert failed.get("stat") == "fail" and failed.find("err").get("code") == "112"
    unknown_format = ET.fromstring(requests.post(rest, data={"method": "flickr.test.login", "format": "x"},
                                                 auth=signer()).content)
    assert unknown_format.find("err").get("code") == "111"


def test_error_codes_as_documented(flickr):
    url, creds, _, signer = flickr
    rest = f"{url}/services/rest/"

    def call(auth=None, **args):
        return requests.post(rest, data={**args, **JSON}, auth=auth).json()

    assert call(method="flickr.test.echo", api_key="no-such-key")["code"] == 100
    assert call(method="flickr.test.echo", api_key=creds["api_key"])["stat"] == "ok"
    assert call(method="flickr.test.login", api_key=creds["api_key"])["code"] == 99  # no login at all
    assert call(signer(), method="flickr.photos.getInfo", photo_id="1")["code"] == 1
    assert call(signer(), method="flickr.photos.getInfo") == {"stat": "fail", "code": 1,
                                                              "message": "Photo not found."}  # its file's words
    assert call(signer(), method="flickr.photos.delete", photo_id="1")["code"] == 99  # write < delete
    stranger = OAuth1(creds["api_key"], creds["api_secret"], "72157720000000000-0000", "x")
    assert call(stranger, method="flickr.test.login")["code"] == 98


def _shape(element: ET.Element, path: str = "") -> dict[str, set[str]]:
    """Every element path of an XML answer -> the attribute names seen there."""
    here = f"{path}/{element.tag}"
    out = {here: set(element.attrib)}
    for child in element:
        for key, names in _shape(child, here).items():
            out.setdefault(key, set()).update(names)
    return out


def _example(method: str) -> dict[str, set[str]]:
    text = json.loads((SPEC_DIR / f"{method}.json").read_text())["method"]["response"]["_content"]
    text = re.sub(r"&(?!amp;|lt;|gt;|quot;|apos;)", "&amp;", text)
    return _shape(ET.fromstring(f"<rsp>{text}</rsp>"))


@pytest.mark.parametrize("method, args", [
    ("flickr.photos.recentlyUpdated", {"min_date": "1"}),
    ("flickr.photos.getSizes", {"photo_id": "{photo}"}),
    ("flickr.photos.getInfo", {"photo_id": "{photo}"}),
    ("flickr.photos.comments.getList", {"photo_id": "{photo}"}),
    ("flickr.photosets.getList", {}),
    ("flickr.photosets.getPhotos", {"photoset_id": "{set}"}),
    ("flickr.people.getInfo", {"user_id": "{nsid}"}),
    ("flickr.people.findByUsername", {"username": "testuser"}),
])
def test_answers_have_the_example_responses_elements_and_attributes(flickr, method, args):
    """Every element and attribute in Flickr's example answer is in ours (ours may have more,
    as Flickr's real answers do); notes, absent from seeded photos, are the one exception."""
    url, _, token, signer = flickr
    state = admin(url, "state")
    photo = next(p for p in state["photos"] if p["comments"] and p["media"] == "photo")
    values = {"photo": photo["id"], "set": state["photosets"][0]["id"], "nsid": token["user_nsid"]}
    args = {k: v.format(**values) for k, v in args.items()}
    answer = requests.post(f"{url}/services/rest/", data={"method": method, **args}, auth=signer())
    ours = _shape(ET.fromstring(answer.content))
    for path, attributes in _example(method).items():
        if "/notes/" in path or path.endswith("/mbox_sha1sum"):
            continue
        assert path in ours, f"{method}: no {path} in {answer.text}"
        assert attributes <= ours[path], f"{method}: {path} lacks {attributes - ours[path]}"


def test_listing_shape_in_json(flickr):
    url, _, _, signer = flickr
    answer = requests.post(f"{url}/services/rest/", auth=signer(), data={
        "method": "flickr.people.getPhotos", "user_id": "me", "per_page": "4", "page": "2",
        "extras": "date_taken,date_upload,last_update,original_format,url_o,media,machine_tags", **JSON})
    photos = answer.json()["photos"]
    assert {"page", "pages", "perpage", "total", "photo"} <= set(photos)
    assert int(photos["page"]) == 2 and int(photos["perpage"]) == 4 and int(photos["total"]) == 6
    assert int(photos["pages"]) == 2 and len(photos["photo"]) == 2
    record = photos["photo"][0]
    for key in ("id", "owner", "secret", "server", "farm", "title", "ispublic", "datetaken", "dateupload",
                "lastupdate", "originalsecret", "originalformat", "url_o", "media"):
        assert key in record
    capped = requests.post(f"{url}/services/rest/", auth=signer(), data={
        "method": "flickr.people.getPhotos", "user_id": "me", "per_page": "5000", **JSON}).json()
    assert int(capped["photos"]["perpage"]) == 500


def test_three_legged_dance_with_requests_oauthlib(flickr):
    url, creds, _, _ = flickr
    session = OAuth1Session(creds["api_key"], creds["api_secret"], callback_uri="http://127.0.0.1:9/cb")
    answer = session.post(f"{url}/services/oauth/request_token")
    fields = parse_qs(answer.text)
    assert answer.status_code == 200 and fields["oauth_callback_confirmed"] == ["true"]
    session = OAuth1Session(creds["api_key"], creds["api_secret"], callback_uri="http://127.0.0.1:9/cb")
    session.fetch_request_token(f"{url}/services/oauth/request_token")
    authorize = session.authorization_url(f"{url}/services/oauth/authorize") + "&perms=read"
    redirect = requests.get(authorize, allow_redirects=False)
    assert redirect.status_code == 302
    session.parse_authorization_response(redirect.headers["Location"])
    access = session.fetch_access_token(f"{url}/services/oauth/access_token")
    assert {"oauth_token", "oauth_token_secret", "user_nsid", "username", "fullname"} <= set(access)
    login = session.get(f"{url}/services/rest/", params={"method": "flickr.test.login", **JSON}).json()
    assert login["stat"] == "ok" and login["user"]["id"] == access["user_nsid"]

    forged = requests.post(f"{url}/services/oauth/request_token",
                           auth=OAuth1(creds["api_key"], "wrong", callback_uri="oob"))
    assert forged.status_code == 401 and parse_qs(forged.text)["oauth_problem"] == ["signature_invalid"]
    unknown = requests.post(f"{url}/services/oauth/request_token",
                            auth=OAuth1("no-such-key", "x", callback_uri="oob"))
    assert unknown.status_code == 401 and parse_qs(unknown.text)["oauth_problem"] == ["consumer_key_unknown"]


def _signed_multipart(url: str, creds: dict, token: dict, fields: dict[str, str], data: bytes) -> requests.Response:
    """An upload as Flickr documents it: every field but ``photo`` in the signature."""
    client = Client(creds["api_key"], creds["api_secret"], token["oauth_token"], token["oauth_token_secret"])
    _, headers, _ = client.sign(url, "POST", body=urlencode(fields),
                                headers={"Content-Type": "application/x-www-form-urlencoded"})
    return requests.post(url, data=fields, files={"photo": ("p.jpg", data, "image/jpeg")},
                         headers={"Authorization": headers["Authorization"]})


def test_upload_and_replace_signed_by_hand(flickr, jpeg_bytes):
    url, creds, token, _ = flickr
    answer = _signed_multipart(f"{url}/services/upload/", creds, token, {"title": "hand made"}, jpeg_bytes)
    root = ET.fromstring(answer.content)
    assert root.get("stat") == "ok", answer.text
    photo_id = root.find("photoid").text
    stored = next(p for p in admin(url, "state")["photos"] if p["id"] == photo_id)
    assert stored["title"] == "hand made"

    client = Client(creds["api_key"], creds["api_secret"], token["oauth_token"], token["oauth_token_secret"])
    _, headers, _ = client.sign(f"{url}/services/upload/", "POST")  # the title left out of the signature
    tampered = requests.post(f"{url}/services/upload/", data={"title": "sneaky"},
                             files={"photo": ("p.jpg", jpeg_bytes, "image/jpeg")},
                             headers={"Authorization": headers["Authorization"]})
    assert ET.fromstring(tampered.content).find("err").get("code") == "96"

    replaced = _signed_multipart(f"{url}/services/replace/", creds, token, {"photo_id": photo_id},
                                 jpeg_bytes + b"\0")
    element = ET.fromstring(replaced.content).find("photoid")
    assert element.text == photo_id and element.get("secret") and element.get("originalsecret")
    missing = _signed_multipart(f"{url}/services/replace/", creds, token, {"photo_id": "1"}, jpeg_bytes)
    assert ET.fromstring(missing.content).find("err").get("code") == "1"


def test_static_files_with_range(flickr):
    url, _, _, signer = flickr
    record = requests.post(f"{url}/services/rest/", auth=signer(), data={
        "method": "flickr.people.getPhotos", "user_id": "me", "extras": "url_o,media", **JSON}
    ).json()["photos"]["photo"]
    photo = next(r for r in record if r["media"] == "photo")
    whole = requests.get(photo["url_o"])
    assert whole.status_code == 200 and whole.content[:3] == b"\xff\xd8\xff"
    part = requests.get(photo["url_o"], headers={"Range": "bytes=2-9"})
    assert part.status_code == 206 and part.content == whole.content[2:10]
    assert part.headers["Content-Range"] == f"bytes 2-9/{len(whole.content)}"
    path = urlsplit(photo["url_o"]).path
    wrong_secret = re.sub(r"_[0-9a-f]+_o\.", "_0000000000_o.", path)
    assert requests.get(url + wrong_secret).status_code == 404


def test_original_and_candownload_agree_for_owner_and_stranger(flickr):
    url, creds, _, signer = flickr
    photo = next(p for p in admin(url, "state")["photos"] if p["media"] == "photo" and p["privacy"]["ispublic"])

    def sizes(auth=None, **extra):
        return requests.post(f"{url}/services/rest/", auth=auth, data={
            "method": "flickr.photos.getSizes", "photo_id": photo["id"], **extra, **JSON}).json()["sizes"]
    mine, theirs = sizes(signer()), sizes(api_key=creds["api_key"])
    assert mine["candownload"] == 1 and "Original" in [s["label"] for s in mine["size"]]
    assert theirs["candownload"] == 0 and "Original" not in [s["label"] for s in theirs["size"]]


def test_endpoints_without_trailing_slash_are_the_same_api_and_rate_limited(flickr_emulator):
    url = flickr_emulator.url
    key = admin(url, "credentials")["api_key"]
    admin(url, "faults", {"rate_limit": 2})
    echo = {"method": "flickr.test.echo", "api_key": key, **JSON}
    assert requests.get(f"{url}/services/rest", params=echo).json()["stat"] == "ok"
    assert requests.get(f"{url}/services/rest/", params=echo).json()["stat"] == "ok"
    assert requests.get(f"{url}/services/rest", params=echo).status_code == 429  # one window for both
    assert admin(url, "calls")["methods"]["flickr.test.echo"] == 3
    token = admin(url, "token", {"perms": "write"})
    answer = _signed_multipart(f"{url}/services/upload", admin(url, "credentials"), token, {}, b"")
    assert answer.status_code == 429  # the upload endpoint without its slash counts too
