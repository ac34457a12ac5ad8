"""Drive's three upload protocols: ``uploadType=media``, ``multipart`` and ``resumable``.

Resumable, as Google serves it: the first request (metadata in the body, ``X-Upload-Content-Type``
and ``X-Upload-Content-Length`` headers) answers 200 with a ``Location`` session URI. Chunks are
PUT there with ``Content-Range: bytes a-b/total``; until the last one the answer is 308 with
``Range: bytes=0-N`` (no Range header while nothing arrived). ``Content-Range: bytes */total``
asks how far the upload got. Bytes that arrived before a connection was cut are kept, so a client
resumes where the server is, never where it believed it was. Once complete, every further PUT or
status query answers the finished file again: a lost final answer costs nothing.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from photosync.emulators.drive_errors import DriveError, bad_request
from photosync.emulators.server import Request, Response, split_parts

_RANGE = re.compile(r"bytes (?:(\*)|(\d+)-(\d+))/(\*|\d+)$")

# Called when an upload's bytes are complete: (session or None, metadata, data, content type)
# -> the response to send (the file resource, or an error).
Finish = Callable[["Session", bytes], Response]


def media_body(request: Request) -> tuple[bytes, str | None]:
    """``uploadType=media``: the body is the file, its Content-Type the file's type."""
    return request.body, _content_type(request.headers.get("Content-Type"))


def multipart_body(request: Request) -> tuple[dict[str, Any], bytes, str | None]:
    """``uploadType=multipart``: two parts, metadata JSON first, then the media.

    Google documents multipart/related; its upload service takes the same two parts as
    multipart/form-data (what a browser's FormData or ``curl -F`` sends) or multipart/mixed,
    whatever the parts' names, and decodes a ``Content-Transfer-Encoding: base64`` media part."""
    ctype = request.headers.get("Content-Type", "")
    if not ctype.lower().startswith("multipart/"):
        raise bad_request("Multipart upload requires a multipart body.", "badContent")
    parts = split_parts(ctype, request.body)
    if len(parts) != 2:
        raise bad_request(
            "Multipart upload must have exactly two parts: metadata and media.", "badContent"
        )
    (_, meta_bytes), (media_head, data) = parts
    try:
        meta = json.loads(meta_bytes or b"{}")
    except ValueError as exc:
        raise bad_request(
            "Invalid JSON payload received in the metadata part.", "parseError"
        ) from exc
    if not isinstance(meta, dict):
        raise bad_request("Invalid JSON payload received in the metadata part.", "parseError")
    return meta, data, _content_type(media_head.get_content_type())


def _content_type(value: str | None) -> str | None:
    return value.split(";")[0].strip() or None if value else None


@dataclass
class Session:
    id: str
    account: str
    client: str
    meta: dict[str, Any]
    params: dict[str, str]  # the start request's query (fileId, fields, addParents, ...)
    content_type: str | None
    total: int | None
    data: bytearray = field(default_factory=bytearray)
    result: Response | None = None  # the final answer, once complete


class ResumableSessions:
    """Open resumable uploads by id. Each session has its own lock, so chunks of one upload
    never interleave while different uploads proceed in parallel."""

    def __init__(self) -> None:
        self.sessions: dict[str, Session] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def start(
        self, request: Request, account: str, client: str, meta: dict[str, Any], upload_url: str
    ) -> Response:
        total_header = request.headers.get("X-Upload-Content-Length")
        session = Session(
            secrets.token_urlsafe(24),
            account,
            client,
            meta,
            dict(request.query),
            _content_type(request.headers.get("X-Upload-Content-Type")),
            int(total_header) if total_header else None,
        )
        with self._lock:
            self.sessions[session.id] = session
            self._locks[session.id] = threading.Lock()
        location = f"{upload_url}?uploadType=resumable&upload_id={session.id}"
        return Response(200, b"", {"Location": location, "X-GUploader-UploadID": session.id})

    def put(self, request: Request, finish: Finish) -> Response:
        upload_id = request.query.get("upload_id", "")
        with self._lock:
            session, lock = self.sessions.get(upload_id), self._locks.get(upload_id)
        if session is None or lock is None:
            raise DriveError(
                404, "notFound", "Upload session not found or expired.", location="upload_id"
            )
        with lock:
            if session.result is not None:
                return session.result
            done = self._accept(session, request)
            if not done:
                return _incomplete(session)
            session.result = finish(session, bytes(session.data))
            session.data = bytearray()  # the bytes now live in the blob store
            return session.result

    @staticmethod
    def _accept(session: Session, request: Request) -> bool:
        """Store the chunk's new bytes; True once the whole upload has arrived."""
        header = request.headers.get("Content-Range")
        body = request.body
        if header is None:  # everything in one request
            session.data[:] = body
            session.total = len(body)
            return True
        match = _RANGE.match(header.strip())
        if not match:
            raise bad_request("Failed to parse Content-Range header.", "badContent")
        query_only, start_s, _end_s, total_s = match.groups()
        if total_s != "*":
            session.total = int(total_s)
        if not query_only:
            start = int(start_s)
            if start <= len(session.data):  # overlap with what arrived is ignored; a gap is refused
                session.data.extend(body[len(session.data) - start :])
        return session.total is not None and len(session.data) >= session.total

    def snapshot(self) -> list[dict[str, Any]]:
        """Open sessions survive a restart without their partial bytes (the client re-sends)."""
        return [
            {
                "id": s.id,
                "account": s.account,
                "client": s.client,
                "meta": s.meta,
                "params": s.params,
                "content_type": s.content_type,
                "total": s.total,
            }
            for s in self.sessions.values()
            if s.result is None
        ]

    def restore(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            self.sessions[row["id"]] = Session(**row)
            self._locks[row["id"]] = threading.Lock()


def _incomplete(session: Session) -> Response:
    headers = {"X-GUploader-UploadID": session.id}
    if session.data:
        headers["Range"] = f"bytes=0-{len(session.data) - 1}"
    return Response(308, b"", headers)
