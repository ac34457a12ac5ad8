"""OAuth 2.0 against the Drive emulator with the real google-auth-oauthlib, google-auth and
googleapiclient; a scripted browser (registered with ``webbrowser``) plays the user."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import threading
import time
import urllib.parse
import webbrowser

import httplib2
import pytest
import requests
from google.auth.exceptions import RefreshError
from google.oauth2.credentials import Credentials
from google_auth_oauthlib.flow import InstalledAppFlow
from googleapiclient.discovery import build_from_document
from googleapiclient.errors import HttpError
from oauthlib.oauth2.rfc6749.errors import AccessDeniedError

from photosync.emulators import start
from photosync.emulators.drive_client import DRIVE_SCOPE, admin, mint_credentials, service_for

READONLY = "https://www.googleapis.com/auth/drive.readonly"


class ScriptedBrowser(webbrowser.BaseBrowser):
    """Opens the authorization URL like a user would: follows redirects, clicks Allow or Deny."""

    def __init__(self, decision: str = "allow"):
        super().__init__("scripted")
        self.decision = decision
        self.pages: list[str] = []

    def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
        threading.Thread(target=self._visit, args=(url,), daemon=True).start()
        return True

    def _visit(self, url: str) -> None:
        answer = requests.get(url, timeout=10)
        self.pages.append(answer.text)
        if "<form" in answer.text:  # the consent page
            fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', answer.text))
            fields = {k: html.unescape(v) for k, v in fields.items()}
            base = url.split("/o/oauth2/")[0]
            requests.post(base + "/o/oauth2/approve", data={**fields, "decision": self.decision}, timeout=10)


@pytest.fixture
def secrets_file(tmp_path, monkeypatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # http:// on loopback only

    def write(url: str):
        path = tmp_path / "client_secrets.json"
        path.write_text(json.dumps(admin(url, "credentials")))
        return path
    return write


def run_flow(path, browser: ScriptedBrowser, scopes=(DRIVE_SCOPE,)) -> Credentials:
    webbrowser.register("photosync-scripted", None, browser)
    flow = InstalledAppFlow.from_client_secrets_file(str(path), scopes=list(scopes))
    return flow.run_local_server(host="localhost", port=0, browser="photosync-scripted",
                                 authorization_prompt_message=None, timeout_seconds=20)


def test_credentials_document_is_google_format(drive_emulator) -> None:
    doc = admin(drive_emulator.url, "credentials")["installed"]
    assert {"client_id", "client_secret", "auth_uri", "token_uri", "redirect_uris", "project_id",
            "auth_provider_x509_cert_url"} <= set(doc)
    assert doc["auth_uri"] == drive_emulator.url + "/o/oauth2/auth"
    assert doc["token_uri"] == drive_emulator.url + "/token"


def test_full_flow_auto_approve(drive_emulator, secrets_file) -> None:
    creds = run_flow(secrets_file(drive_emulator.url), ScriptedBrowser())
    assert creds.token and creds.refresh_token
    svc = service_for(drive_emulator.url, credentials=creds)
    assert svc.about().get(fields="user(emailAddress)").execute()["user"]["emailAddress"] == "tester@example.com"


def test_full_flow_consent_page_allow_and_deny(secrets_file) -> None:
    server = start("drive")  # not auto-approving: the consent page is shown
    try:
        path = secrets_file(server.url)
        browser = ScriptedBrowser("allow")
        creds = run_flow(path, browser)
        assert "Allow" in browser.pages[0] and "Deny" in browser.pages[0]
        svc = service_for(server.url, credentials=creds)
        assert svc.files().list(fields="files(id)").execute() == {"files": []}
        with pytest.raises(AccessDeniedError):
            run_flow(path, ScriptedBrowser("deny"))
    finally:
        server.stop()


def _authorize(url: str, client_id: str, redirect: str, **extra) -> dict[str, str]:
    """One auto-approved authorization request; returns the redirect's query."""
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect,
              "scope": DRIVE_SCOPE, "state": "xyz", **extra}
    answer = requests.get(url + "/o/oauth2/auth", params=params, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    location = answer.headers["Location"]
    assert location.startswith(redirect)
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))


def test_token_endpoint_checks(drive_emulator) -> None:
    url = drive_emulator.url
    client = admin(url, "credentials")["installed"]
    cid, secret = client["client_id"], client["client_secret"]
    redirect = "http://127.0.0.1:8765/"
    verifier = "v" * 50
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    got = _authorize(url, cid, redirect, code_challenge=challenge, code_challenge_method="S256")
    assert got["state"] == "xyz"

    def token(**form):
        body = {"grant_type": "authorization_code", "client_id": cid, "client_secret": secret,
                "redirect_uri": redirect, "code": got["code"], **form}
        return requests.post(url + "/token", data=body, timeout=10)

    assert token(client_secret="wrong", code_verifier=verifier).json()["error"] == "invalid_client"
    assert token(redirect_uri="http://127.0.0.1:9999/", code_verifier=verifier).status_code == 400
    got = _authorize(url, cid, redirect, code_challenge=challenge, code_challenge_method="S256")
    assert token().json() == {"error": "invalid_grant", "error_description": "Missing code verifier."}
    got = _authorize(url, cid, redirect, code_challenge=challenge, code_challenge_method="S256")
    assert token(code_verifier="w" * 50).json()["error"] == "invalid_grant"
    got = _authorize(url, cid, redirect, code_challenge=challenge, code_challenge_method="S256")
    ok = token(code_verifier=verifier)
    assert ok.status_code == 200 and ok.json()["token_type"] == "Bearer" and ok.json()["expires_in"] > 0
    assert token(code_verifier=verifier).json()["error"] == "invalid_grant"  # a code works once
    refresh = requests.post(url + "/token", data={"grant_type": "refresh_token", "client_id": cid,
                                                  "client_secret": secret, "refresh_token": "nope"}, timeout=10)
    assert refresh.status_code == 400 and refresh.json()["error"] == "invalid_grant"
    bad = requests.get(url + "/o/oauth2/auth", params={"response_type": "code", "client_id": cid,
                                                       "redirect_uri": "https://evil.example/", "scope": DRIVE_SCOPE},
                       allow_redirects=False, timeout=10)
    assert bad.status_code == 400 and "redirect_uri_mismatch" in bad.text
    scope = _authorize(url, cid, redirect, scope="https://www.googleapis.com/auth/nonsense")
    assert scope["error"] == "invalid_scope"


def test_expired_access_token_is_refreshed_by_the_client(drive_emulator, drive_service) -> None:
    svc = drive_service()
    svc.files().list().execute()
    assert admin(drive_emulator.url, "expire", {})["expired"] >= 1
    svc.files().list().execute()  # 401, google-auth refreshes at /token, the retry succeeds
    calls = admin(drive_emulator.url, "calls")
    assert calls["statuses"]["401"] == 1 and calls["methods"]["oauth2.token"] == 1


def test_revoked_refresh_token_fails_with_invalid_grant(drive_emulator) -> None:
    creds = mint_credentials(drive_emulator.url)
    svc = service_for(drive_emulator.url, credentials=creds)
    svc.files().list().execute()
    assert admin(drive_emulator.url, "revoke", {"refresh_token": creds.refresh_token}) == {"revoked": 1}
    with pytest.raises(RefreshError) as caught:
        svc.files().list().execute()
    assert "invalid_grant" in str(caught.value)


def test_token_lifetime_is_configurable(drive_emulator) -> None:
    admin(drive_emulator.url, "token_lifetime", {"seconds": 1})
    info = admin(drive_emulator.url, "token", {})
    headers = {"Authorization": "Bearer " + info["token"]}
    assert requests.get(drive_emulator.url + "/drive/v3/files", headers=headers, timeout=10).status_code == 200
    time.sleep(1.2)
    expired = requests.get(drive_emulator.url + "/drive/v3/files", headers=headers, timeout=10)
    assert expired.status_code == 401 and expired.json()["error"]["errors"][0]["reason"] == "authError"
    assert "invalid_token" in expired.headers["WWW-Authenticate"]


def test_absent_and_unknown_tokens_rejected(drive_emulator) -> None:
    doc = requests.get(drive_emulator.url + "/discovery/v1/apis/drive/v3/rest", timeout=10).text
    anonymous = build_from_document(doc, http=httplib2.Http(timeout=10))
    with pytest.raises(HttpError) as caught:
        anonymous.files().list().execute()
    assert caught.value.status_code == 401 and caught.value.error_details[0]["reason"] == "required"
    request = anonymous.files().list()
    request.headers["Authorization"] = "Bearer ya29.forged"
    with pytest.raises(HttpError) as caught:
        request.execute()
    assert caught.value.status_code == 401 and caught.value.error_details[0]["reason"] == "authError"


def test_scopes_are_enforced(drive_emulator, drive_service) -> None:
    admin(drive_emulator.url, "seed", {"count": 2, "albums": 1})
    reader = drive_service(scopes=[READONLY])
    listed = reader.files().list(q="mimeType = 'image/jpeg'", fields="files(id)").execute()["files"]
    assert len(listed) == 2
    with pytest.raises(HttpError) as caught:
        reader.files().create(body={"name": "x"}).execute()
    assert caught.value.status_code == 403 and caught.value.error_details[0]["reason"] == "insufficientPermissions"
    meta = drive_service(scopes=["https://www.googleapis.com/auth/drive.metadata.readonly"])
    with pytest.raises(HttpError) as caught:
        meta.files().get_media(fileId=listed[0]["id"]).execute()
    assert caught.value.status_code == 403
    app_only = drive_service(scopes=["https://www.googleapis.com/auth/drive.file"])
    assert app_only.files().list(q="mimeType = 'image/jpeg'").execute()["files"] == []  # not its files
    mine = app_only.files().create(body={"name": "mine"}, fields="id").execute()["id"]
    assert [f["id"] for f in app_only.files().list(q="name = 'mine'").execute()["files"]] == [mine]


def test_revoke_endpoint_ends_the_grant(drive_emulator) -> None:
    creds = mint_credentials(drive_emulator.url)
    answer = requests.post(drive_emulator.url + "/revoke", params={"token": creds.token}, timeout=10)
    assert answer.status_code == 200
    headers = {"Authorization": "Bearer " + creds.token}
    assert requests.get(drive_emulator.url + "/drive/v3/files", headers=headers, timeout=10).status_code == 401
    again = requests.post(drive_emulator.url + "/revoke", params={"token": "unknown"}, timeout=10)
    assert again.status_code == 400 and again.json()["error"] == "invalid_token"


def test_consent_account_and_revoke_by_account(drive_emulator) -> None:
    url = drive_emulator.url
    client = admin(url, "credentials")["installed"]
    admin(url, "account", {"account": "bob@example.com"})
    redirect = "http://localhost:8123/"
    code = _authorize(url, client["client_id"], redirect)["code"]
    grant = requests.post(url + "/token", data={"grant_type": "authorization_code", "code": code,
                                                "redirect_uri": redirect, "client_id": client["client_id"],
                                                "client_secret": client["client_secret"]}, timeout=10).json()
    headers = {"Authorization": "Bearer " + grant["access_token"]}
    about = requests.get(url + "/drive/v3/about", params={"fields": "user(emailAddress)"}, headers=headers, timeout=10)
    assert about.json() == {"user": {"emailAddress": "bob@example.com"}}
    assert admin(url, "revoke", {"account": "bob@example.com"}) == {"revoked": 1}
    assert requests.get(url + "/drive/v3/about", params={"fields": "user"}, headers=headers, timeout=10).status_code == 401
    refresh = requests.post(url + "/token", data={"grant_type": "refresh_token", "refresh_token": grant["refresh_token"],
                                                  "client_id": client["client_id"],
                                                  "client_secret": client["client_secret"]}, timeout=10)
    assert refresh.json()["error"] == "invalid_grant"
