"""The Drive ``q`` language, table-driven: what matches, what is refused."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from photosync.emulators.drive_query import QueryError, parse, tokenize


@dataclass
class F:
    name: str = "IMG_0001.jpg"
    mimeType: str = "image/jpeg"
    parents: list[str] = field(default_factory=lambda: ["folderA"])
    owner: str = "me@example.com"
    trashed: bool = False
    starred: bool = False
    appProperties: dict[str, str] = field(default_factory=lambda: {"sig": "abc", "src": "nas"})
    properties: dict[str, str] = field(default_factory=dict)
    createdTime: float = 1577836800.0  # 2020-01-01T00:00:00Z
    modifiedTime: float = 1590969600.0  # 2020-06-01T00:00:00Z


PHOTO = F()
FOLDER = F(name="Holiday 2020", mimeType="application/vnd.google-apps.folder", parents=["root1"])
QUOTED = F(name="Bob's \\ photo.jpg")
TRASHED = F(trashed=True)

CASES = [
    ("", PHOTO, True),
    ("'folderA' in parents", PHOTO, True),
    ("'folderB' in parents", PHOTO, False),
    ("trashed = false", PHOTO, True),
    ("trashed = false", TRASHED, False),
    ("trashed != false", TRASHED, True),
    ("trashed=true", TRASHED, True),
    ("name = 'IMG_0001.jpg'", PHOTO, True),
    ("name = 'img_0001.jpg'", PHOTO, False),
    ("name != 'IMG_0001.jpg'", PHOTO, False),
    ("name contains 'IMG'", PHOTO, True),
    ("name contains 'img_00'", PHOTO, True),
    ("name contains '001'", PHOTO, False),  # prefix matching only, as Drive documents
    ("name contains '0001'", PHOTO, True),  # words split at '_' and '.' (unverified on real Drive)
    ("name contains '2020'", FOLDER, True),  # ...of any word
    ("name = 'Bob\\'s \\\\ photo.jpg'", QUOTED, True),
    ("mimeType = 'image/jpeg'", PHOTO, True),
    ("mimeType != 'application/vnd.google-apps.folder'", PHOTO, True),
    ("mimeType = 'application/vnd.google-apps.folder'", FOLDER, True),
    ("mimeType contains 'image/'", PHOTO, True),
    ("appProperties has { key='sig' and value='abc' }", PHOTO, True),
    ("appProperties has {key='sig' and value='abd'}", PHOTO, False),
    ("appProperties has { key='nope' and value='abc' }", PHOTO, False),
    ("properties has { key='sig' and value='abc' }", PHOTO, False),
    ("modifiedTime > '2020-05-01T00:00:00'", PHOTO, True),
    ("modifiedTime > '2020-06-01T00:00:00Z'", PHOTO, False),
    ("modifiedTime >= '2020-06-01T00:00:00.000Z'", PHOTO, True),
    ("createdTime < '2020-01-01T01:00:00+01:00'", PHOTO, False),
    ("createdTime <= '2020-01-01T01:00:00+01:00'", PHOTO, True),
    ("'me' in owners", PHOTO, True),
    ("'other@example.com' in owners", PHOTO, False),
    ("'folderA' in parents and trashed = false and mimeType != 'application/vnd.google-apps.folder'", PHOTO, True),
    ("'folderB' in parents or name contains 'IMG'", PHOTO, True),
    ("not 'folderB' in parents", PHOTO, True),
    ("not trashed = false", PHOTO, False),
    ("('folderB' in parents or 'folderA' in parents) and not (trashed = true)", PHOTO, True),
    ("'folderB' in parents or 'folderA' in parents and trashed = true", TRASHED, True),  # and binds tighter
    ("('folderB' in parents or 'folderA' in parents) and trashed = false", TRASHED, False),
    ("name = 'IMG_0001.jpg' AND trashed = false", PHOTO, True),
    ("sharedWithMe", PHOTO, False),  # a term alone, as in Drive's "sharedWithMe and name contains"
    ("sharedWithMe and name contains 'IMG'", PHOTO, False),
    ("not sharedWithMe and name contains 'IMG'", PHOTO, True),
    ("sharedWithMe = false", PHOTO, True),
]


@pytest.mark.parametrize(("query", "item", "expected"), CASES)
def test_query_matches(query: str, item: F, expected: bool) -> None:
    assert parse(query)(item, "me@example.com") is expected


BAD = [
    "name = ",
    "name = 'unterminated",
    "name == 'x'",
    "name > 'x'",
    "trashed = 'false'",
    "trashed contains true",
    "bogusField = 'x'",
    "'x' in children",
    "'x' parents",
    "(trashed = false",
    "trashed = false)",
    "trashed = false and",
    "appProperties has { key='a' }",
    "appProperties has { key='a' and value=1 }",
    "modifiedTime > 'yesterday'",
    "name = 'a' ; drop",
    "not",
]


@pytest.mark.parametrize("query", BAD)
def test_query_refused(query: str) -> None:
    with pytest.raises(QueryError):
        parse(query)


def test_tokens_unescape_quotes_and_backslashes() -> None:
    tokens = tokenize(r"name = 'it\'s a \\ path'")
    assert [t.kind for t in tokens] == ["word", "op", "string", "end"]
    assert tokens[2].value == "it's a \\ path"
