"""Partial responses: the ``fields`` parser, its schema check, and applying it."""

from __future__ import annotations

import json

import pytest

from photosync.emulators.drive import DISCOVERY
from photosync.emulators.drive_fields import FieldsError, apply, parse, validate

SCHEMAS = json.loads(DISCOVERY.read_text())["schemas"]

PARSED = [
    ("id", {"id": None}),
    ("id,name", {"id": None, "name": None}),
    ("files(id,name,parents),nextPageToken", {"files": {"id": None, "name": None, "parents": None},
                                              "nextPageToken": None}),
    ("files/id,files/name", {"files": {"id": None, "name": None}}),
    ("files(id, imageMediaMetadata/time)", {"files": {"id": None, "imageMediaMetadata": {"time": None}}}),
    ("files(imageMediaMetadata(width,height))", {"files": {"imageMediaMetadata": {"width": None, "height": None}}}),
    ("*", {"*": None}),
    ("files(*)", {"files": {"*": None}}),
    ("files,files/id", {"files": None}),
]


@pytest.mark.parametrize(("text", "expected"), PARSED)
def test_parse(text: str, expected: dict) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize("text", ["", "files(", "files(id", "files()", "id,,name", "a)b", "files/", "id name("])
def test_parse_refuses(text: str) -> None:
    with pytest.raises(FieldsError):
        parse(text)


@pytest.mark.parametrize(("text", "schema"), [
    ("files(id,name,parents,md5Checksum,appProperties),nextPageToken,incompleteSearch", "FileList"),
    ("files(imageMediaMetadata(time,width,height))", "FileList"),
    ("id,size,sha256Checksum,owners(emailAddress)", "File"),
    ("user,storageQuota(limit,usage)", "About"),
    ("changes(fileId,removed,time,file(id,trashed)),newStartPageToken,nextPageToken", "ChangeList"),
    ("*", "File"),
])
def test_validate_accepts_schema_fields(text: str, schema: str) -> None:
    validate(parse(text), schema, SCHEMAS)


@pytest.mark.parametrize(("text", "schema", "bad"), [
    ("files(id,nmae)", "FileList", "files/nmae"),
    ("nextToken", "FileList", "nextToken"),
    ("imageMediaMetadata(date)", "File", "imageMediaMetadata/date"),
    ("name/first", "File", "name/first"),
    ("storageQuota(free)", "About", "storageQuota/free"),
])
def test_validate_names_the_bad_field(text: str, schema: str, bad: str) -> None:
    with pytest.raises(FieldsError) as caught:
        validate(parse(text), schema, SCHEMAS)
    assert caught.value.field == bad
    assert str(caught.value) == f"Invalid field selection {bad}"


def test_apply_filters_lists_elementwise_and_nested() -> None:
    body = {"kind": "drive#fileList", "nextPageToken": "t",
            "files": [{"id": "1", "name": "a", "imageMediaMetadata": {"time": "x", "width": 3}},
                      {"id": "2", "name": "b"}]}
    assert apply(body, parse("files(id,imageMediaMetadata/width)")) == {
        "files": [{"id": "1", "imageMediaMetadata": {"width": 3}}, {"id": "2"}]}
    assert apply(body, parse("nextPageToken")) == {"nextPageToken": "t"}
    assert apply(body, parse("*")) == body
    assert apply(body, None) == body
