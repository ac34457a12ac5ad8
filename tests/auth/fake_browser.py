#!/usr/bin/env python3
"""A scripted browser for the auth tests, set as $BROWSER: follows the authorization address,
clicks Allow (or Deny) on the emulator's approval page, and follows the redirect to photosync's
loopback callback.

FAKE_BROWSER_DECISION=allow|deny (default allow). FAKE_BROWSER_TAMPER=NAME replaces the query
parameter NAME of the callback address with a wrong value (a forged or stale redirect).
FAKE_BROWSER_LOG=FILE records every address visited, one per line.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit


class Forms(HTMLParser):
    """The forms of a page: action, method, fields, and the submit buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "method": (a.get("method") or "get").upper(),
                               "fields": {}, "buttons": []})
        elif self.forms and tag == "input" and a.get("name"):
            self.forms[-1]["fields"][a["name"]] = a.get("value") or ""
        elif self.forms and tag == "button" and a.get("name"):
            self.forms[-1]["buttons"].append((a["name"], a.get("value") or ""))


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def fetch(url: str, data: bytes | None = None) -> tuple[int, dict, str]:
    log = os.environ.get("FAKE_BROWSER_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(url + "\n")
    try:
        with OPENER.open(urllib.request.Request(url, data=data), timeout=30) as answer:
            return answer.status, dict(answer.headers), answer.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode("utf-8", "replace")


def tamper(url: str, start: str) -> str:
    """Spoil one parameter of a redirect that leaves the authorization server."""
    name = os.environ.get("FAKE_BROWSER_TAMPER")
    if not name or urlsplit(url).netloc == urlsplit(start).netloc:
        return url
    parts = urlsplit(url)
    query = [(k, "forged-" + v if k == name else v) for k, v in parse_qsl(parts.query)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def main(start: str) -> int:
    decision = os.environ.get("FAKE_BROWSER_DECISION", "allow")
    url, data = start, None
    for _ in range(10):
        status, headers, body = fetch(url, data)
        data = None
        if status in (301, 302, 303, 307):
            url = tamper(urljoin(url, headers["Location"]), start)
            continue
        forms = Forms()
        forms.feed(body)
        chosen = [f for f in forms.forms if any(v == decision for _, v in f["buttons"])]
        if not chosen:
            return 0  # a final page (photosync's "you can close this tab", or an error page)
        form = chosen[0]
        fields = dict(form["fields"])
        fields.update((n, v) for n, v in form["buttons"] if v == decision)
        url = urljoin(url, form["action"])
        data = urlencode(fields).encode()
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
