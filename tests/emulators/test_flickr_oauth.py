"""OAuth 1.0a and request checking of the Flickr emulator, driven by the real flickrapi."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import flickrapi
import pytest
import requests
from flickrapi.auth import FlickrAccessToken
from flickrapi.exceptions import FlickrError
from requests_oauthlib import OAuth1

from photosync.emulators import start
from photosync.emulators.flickr_testing import admin, anonymous_flickrapi, authorized_flickrapi, point_at


def api_error(call, *args, **kwargs) -> FlickrError:
    with pytest.raises(FlickrError) as info:
        call(*args, **kwargs)
    return info.value


def test_full_dance_with_auto_approve(flickr_emulator):
    flickr = anonymous_flickrapi(flickr_emulator.url)
    flickr.get_request_token(oauth_callback="http://127.0.0.1:9/callback?x=1")
    answer = requests.get(flickr.auth_url(perms="write"), allow_redirects=False)
    assert answer.status_code == 302
    location = urlsplit(answer.headers["Location"])
    query = parse_qs(location.query)
    assert location.path == "/callback" and query["x"] == ["1"] and query["oauth_token"]
    flickr.get_access_token(query["oauth_verifier"][0])
    token = flickr.token_cache.token
    assert token.username == "testuser" and token.user_nsid.endswith(("@N01", "@N00", "@N02"))
    assert flickr.test.login()["user"]["username"]["_content"] == "testuser"
    assert admin(flickr_emulator.url, "state")["accounts"][0]["user_nsid"] == token.user_nsid


def test_approval_page_allow_and_deny():
    server = start("flickr", rate_limit=0)  # no auto-approve: the user sees a page
    try:
        flickr = anonymous_flickrapi(server.url)
        flickr.get_request_token(oauth_callback="http://127.0.0.1:9/cb")
        page = requests.get(flickr.auth_url(perms="delete"))
        assert page.status_code == 200 and 'value="allow"' in page.text and 'value="deny"' in page.text
        token = parse_qs(urlsplit(flickr.auth_url(perms="delete")).query)["oauth_token"][0]
        allowed = requests.post(f"{server.url}/services/oauth/authorize", allow_redirects=False,
                                data={"oauth_token": token, "perms": "delete", "username": "carol",
                                      "decision": "allow"})
        verifier = parse_qs(urlsplit(allowed.headers["Location"]).query)["oauth_verifier"][0]
        flickr.get_access_token(verifier)
        assert flickr.test.login()["user"]["username"]["_content"] == "carol"

        other = anonymous_flickrapi(server.url)
        other.get_request_token(oauth_callback="http://127.0.0.1:9/cb")
        token = parse_qs(urlsplit(other.auth_url()).query)["oauth_token"][0]
        denied = requests.post(f"{server.url}/services/oauth/authorize", allow_redirects=False,
                               data={"oauth_token": token, "perms": "read", "decision": "deny"})
        assert "oauth_verifier" not in parse_qs(urlsplit(denied.headers["Location"]).query)
        error = api_error(other.get_access_token, "made-up")
        assert "401" in str(error)
    finally:
        server.stop()


def test_verifier_must_match(flickr_emulator):
    flickr = anonymous_flickrapi(flickr_emulator.url)
    flickr.get_request_token(oauth_callback="oob")
    page = requests.get(flickr.auth_url(perms="read"))
    assert "verifier" in page.text
    assert "401" in str(api_error(flickr.get_access_token, "not-the-verifier"))


def test_request_token_needs_valid_consumer(flickr_emulator):
    bogus = point_at(flickrapi.FlickrAPI("0" * 32, "0" * 16, store_token=False), flickr_emulator.url)
    assert "401" in str(api_error(bogus.get_request_token, oauth_callback="oob"))


def test_wrong_secret_is_invalid_signature(flickr_emulator):
    good = authorized_flickrapi(flickr_emulator.url)
    token = good.token_cache.token
    creds = admin(flickr_emulator.url, "credentials")
    wrong = point_at(flickrapi.FlickrAPI(creds["api_key"], "f" * 16, token=token, format="parsed-json"),
                     flickr_emulator.url)
    assert api_error(wrong.test.login).code == 96


def test_unknown_key_and_unknown_token(flickr_emulator):
    token = authorized_flickrapi(flickr_emulator.url).token_cache.token
    bad_key = point_at(flickrapi.FlickrAPI("1" * 32, "x" * 16, token=token, format="parsed-json"),
                       flickr_emulator.url)
    assert api_error(bad_key.test.echo).code == 100
    creds = admin(flickr_emulator.url, "credentials")
    revoked = FlickrAccessToken("72157000000000000-deadbeef", "beef", "write", "", "testuser", "1@N00")
    bad_token = point_at(flickrapi.FlickrAPI(creds["api_key"], creds["api_secret"], token=revoked,
                                             format="parsed-json"), flickr_emulator.url)
    assert api_error(bad_token.test.login).code == 98


def _signed(url: str, key: str, secret: str, token: str, token_secret: str, **oauth) -> requests.PreparedRequest:
    auth = OAuth1(key, secret, token, token_secret, signature_type="auth_header", **oauth)
    return requests.Request("POST", url, data={"method": "flickr.test.login", "format": "json",
                                               "nojsoncallback": "1"}, auth=auth).prepare()


def test_replayed_nonce_and_stale_timestamp_refused(flickr_emulator):
    minted = admin(flickr_emulator.url, "token", {"perms": "read"})
    args = (f"{flickr_emulator.url}/services/rest/", minted["api_key"], minted["api_secret"],
            minted["oauth_token"], minted["oauth_token_secret"])
    session = requests.Session()
    prepared = _signed(*args)
    assert session.send(prepared).json()["stat"] == "ok"
    replay = session.send(prepared).json()
    assert replay["stat"] == "fail" and replay["code"] == 96
    stale = session.send(_signed(*args, timestamp=str(int(time.time()) - 3600))).json()
    assert stale["code"] == 96 and "timestamp" in stale["message"]


def test_tampered_body_is_invalid_signature(flickr_emulator):
    minted = admin(flickr_emulator.url, "token", {"perms": "read"})
    prepared = _signed(f"{flickr_emulator.url}/services/rest/", minted["api_key"], minted["api_secret"],
                       minted["oauth_token"], minted["oauth_token_secret"])
    prepared.body = prepared.body.replace(b"flickr.test.login", b"flickr.test.echo")
    prepared.headers["Content-Length"] = str(len(prepared.body))
    assert requests.Session().send(prepared).json()["code"] == 96


def test_unsigned_calls(flickr_emulator):
    creds = admin(flickr_emulator.url, "credentials")
    rest = f"{flickr_emulator.url}/services/rest/"
    echo = requests.get(rest, params={"method": "flickr.test.echo", "api_key": creds["api_key"],
                                      "format": "json", "nojsoncallback": "1", "foo": "bar"}).json()
    assert echo["stat"] == "ok" and echo["foo"] == {"_content": "bar"}
    login = requests.post(rest, data={"method": "flickr.test.login", "api_key": creds["api_key"],
                                      "format": "json", "nojsoncallback": "1"}).json()
    # what Flickr answers a call with no authorization at all (an API key alone)
    assert login == {"stat": "fail", "code": 99,
                     "message": "Insufficient permissions. Method requires read privileges; none granted."}
    no_key = requests.get(rest, params={"method": "flickr.test.echo", "format": "json",
                                        "nojsoncallback": "1"}).json()
    assert no_key["code"] == 100


@pytest.mark.parametrize("perms, method, kwargs", [
    ("read", "photos.setMeta", {"title": "x"}),
    ("write", "photos.delete", {}),
    ("read", "photosets.create", {"title": "x"}),
])
def test_permissions_enforced(flickr_emulator, perms, method, kwargs):
    owner = authorized_flickrapi(flickr_emulator.url, perms="delete")
    photo_id = owner.upload("a.png", fileobj=_png(), format="etree").find("photoid").text
    limited = authorized_flickrapi(flickr_emulator.url, perms=perms)
    call = getattr(limited, method.replace(".", "_"))
    error = api_error(call, photo_id=photo_id, primary_photo_id=photo_id, **kwargs)
    assert error.code == 99 and f"{perms} granted" in str(error)


def test_keyless_signed_call_needs_login_for_private_methods(flickr_emulator):
    anonymous = anonymous_flickrapi(flickr_emulator.url)  # signed with the app key, no user token
    assert anonymous.test.echo()["stat"] == "ok"
    assert api_error(anonymous.test.login).code == 99


def test_unknown_method_format_and_missing_arguments(flickr_client, flickr_emulator):
    flickr = flickr_client()
    error = api_error(flickr.photos.doesNotExist)
    assert error.code == 112 and "flickr.photos.doesNotExist" in str(error)
    rest = flickr.flickr_oauth.do_request(flickr.REST_URL, {"method": "flickr.test.echo", "format": "yaml"})
    assert b'code="111"' in rest
    assert api_error(flickr.photos.getInfo).code == 1  # no photo_id: "Photo not found"
    assert api_error(flickr.photosets.create, primary_photo_id="1").code == 1  # no title
    assert "Required argument" in str(api_error(flickr.photos.recentlyUpdated))
    assert api_error(flickr.photos.search).code == 3  # parameterless search


def test_rate_limit_answers_429_per_key():
    server = start("flickr", rate_limit=3)
    try:
        flickr = authorized_flickrapi(server.url, perms="read")
        for _ in range(3):
            flickr.test.login()
        assert "429" in str(api_error(flickr.test.login))
        assert admin(server.url, "calls")["statuses"]["429"] == 1
    finally:
        server.stop()


def _png() -> "io.BytesIO":
    import io
    from photosync.emulators.images import make_image
    return io.BytesIO(make_image("perm-test", 20, 10, "png"))


def test_check_token_keeps_flickrapis_good_token_and_refuses_a_revoked_one(flickr_emulator):
    """flickrapi's token_valid() asks flickr.auth.oauth.checkToken: without it a good token is
    dropped and the user asked to authorize again on every run."""
    flickr = authorized_flickrapi(flickr_emulator.url, perms="write")
    answer = flickr.auth.oauth.checkToken(format="parsed-json")["oauth"]
    assert answer["perms"]["_content"] == "write" and answer["user"]["username"] == "testuser"
    assert flickr.token_valid(perms="read") and flickr.token_valid(perms="write")
    assert not flickr.token_valid(perms="delete")  # (which drops the token, as flickrapi does)
    revoked = authorized_flickrapi(flickr_emulator.url, perms="write")
    admin(flickr_emulator.url, "reset", {})
    assert not revoked.token_valid(perms="read")
