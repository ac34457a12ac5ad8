"""Point the real flickrapi 2.4.0 at an emulated Flickr: for tests, benchmarks and the demo.

Everything is set on the instance (never on flickrapi's classes), and flickrapi's class-level
RAM token cache is bypassed by passing the token explicitly, so instances never leak tokens into
each other (see API-NOTES: ``OAuthTokenCache.RAM_CACHE``).
"""

from __future__ import annotations

import flickrapi
from flickrapi.auth import FlickrAccessToken

from photosync.emulators import admin  # noqa: F401 (re-exported for tests)


def point_at(flickr: flickrapi.FlickrAPI, base_url: str) -> flickrapi.FlickrAPI:
    """Send this instance's REST, upload, replace and OAuth requests to ``base_url``."""
    flickr.REST_URL = f"{base_url}/services/rest/"
    flickr.UPLOAD_URL = f"{base_url}/services/upload/"
    flickr.REPLACE_URL = f"{base_url}/services/replace/"
    oauth = flickr.flickr_oauth
    oauth.REQUEST_TOKEN_URL = f"{base_url}/services/oauth/request_token"
    oauth.AUTHORIZE_URL = f"{base_url}/services/oauth/authorize"
    oauth.ACCESS_TOKEN_URL = f"{base_url}/services/oauth/access_token"
    return flickr


def anonymous_flickrapi(base_url: str, format: str = "parsed-json") -> flickrapi.FlickrAPI:
    """An instance with the emulator's app key and no user (API-key-only calls)."""
    creds = admin(base_url, "credentials")
    return point_at(
        flickrapi.FlickrAPI(
            creds["api_key"], creds["api_secret"], format=format, store_token=False
        ),
        base_url,
    )


def authorized_flickrapi(
    base_url: str, perms: str = "delete", username: str = "testuser", format: str = "parsed-json"
) -> flickrapi.FlickrAPI:
    """An instance holding a freshly minted access token for ``username`` (created if new)."""
    minted = admin(base_url, "token", {"username": username, "perms": perms})
    token = FlickrAccessToken(
        minted["oauth_token"],
        minted["oauth_token_secret"],
        minted["perms"],
        minted["fullname"],
        minted["username"],
        minted["user_nsid"],
    )
    return point_at(
        flickrapi.FlickrAPI(minted["api_key"], minted["api_secret"], token=token, format=format),
        base_url,
    )
