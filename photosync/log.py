"""Logging: concise lines on stderr (journald-friendly), and secrets never printed.

Every secret the process learns (API keys, tokens) is registered with :func:`register_secret`;
a filter on the root handler replaces them in every record, whoever logs it.
"""

from __future__ import annotations

import logging
import os
import sys

_SECRETS: set[str] = set()
# Libraries that log credentials at DEBUG before photosync has seen (and registered) them:
# requests_oauthlib logs the whole token answer of an OAuth 2 code exchange (access and refresh
# token), oauthlib the OAuth 1 verifier and signature base strings. Kept at INFO even with -vv.
CREDENTIAL_LOGGERS = ("requests_oauthlib", "oauthlib")


def register_secret(value: str | None) -> None:
    """Never let ``value`` appear in a log line again (ignored for short or empty values)."""
    if value and len(value) >= 6:
        _SECRETS.add(value)


def redact(text: str) -> str:
    """``text`` with every registered secret masked."""
    for secret in _SECRETS:
        if secret in text:
            text = text.replace(secret, "********")
    return text


class _RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def setup(verbosity: int = 0) -> None:
    """-1 quiet (warnings), 0 info, 1 debug for photosync, 2 debug for libraries too."""
    level = logging.WARNING if verbosity < 0 else logging.INFO if verbosity == 0 else logging.DEBUG
    under_journald = "JOURNAL_STREAM" in os.environ or "INVOCATION_ID" in os.environ
    fmt = "%(levelname)s: %(message)s" if under_journald else "photosync: %(message)s"
    if verbosity > 0 and not under_journald:
        fmt = "%(asctime)s %(name)s %(levelname)s: %(message)s"
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_RedactingFormatter(fmt, datefmt="%H:%M:%S"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbosity > 1 else logging.WARNING)
    logging.getLogger("photosync").setLevel(level)
    # googleapiclient.http warns "Encountered 403 Forbidden with reason ..." on every 403/429
    # answer, before photosync reports (or retries) it in its own words
    noisy_loggers = ("googleapiclient.discovery_cache", "googleapiclient.http", "urllib3",
                     "flickrapi")
    for noisy in noisy_loggers:
        logging.getLogger(noisy).setLevel(logging.ERROR if verbosity < 2 else logging.DEBUG)
    for talker in CREDENTIAL_LOGGERS:  # never DEBUG, not even with -vv
        logging.getLogger(talker).setLevel(logging.INFO)
