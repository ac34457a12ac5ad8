"""Drive's small read/write routes besides files: generateIds, changes, about (a mixin of
:class:`~photosync.emulators.drive.DriveEmulator`, which provides the grant, fields and store)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from photosync.emulators import drive_fields
from photosync.emulators.drive_errors import DriveError, invalid_parameter
from photosync.emulators.drive_files import rfc3339
from photosync.emulators.drive_params import int_param, sub_selection, wants
from photosync.emulators.drive_store import DriveStore
from photosync.emulators.server import Request, Response


class FeedsApi:
    """Handlers for drive.files.generateIds, drive.changes.*, drive.about.get."""

    # provided by DriveEmulator
    store: DriveStore
    lock: Any
    _grant: Callable[..., dict[str, Any]]
    _fields: Callable[[Request, str], drive_fields.Selection | None]
    _visible: Callable[[dict[str, Any]], Callable[[Any], bool]]
    _file_json: Callable[..., dict[str, Any]]
    mark_dirty: Callable[[], None]

    def generate_ids(self, request: Request) -> Response:
        self._grant(request, "drive.files.generateIds")
        count = int_param(request, "count", 10, 1, 1000)
        if request.query.get("space", "drive") != "drive":
            raise invalid_parameter("space", "Only the drive space is emulated.")
        with self.lock:
            ids = self.store.generate_ids(count)
            self.mark_dirty()
        body = {"kind": "drive#generatedIds", "space": "drive", "ids": ids}
        return Response.json(drive_fields.apply(body, self._fields(request, "GeneratedIds")))

    # --- changes and about -----------------------------------------------------------------
    def start_token(self, request: Request) -> Response:
        self._grant(request, "drive.changes.getStartPageToken")
        selection = self._fields(request, "StartPageToken")
        with self.lock:
            body = {
                "kind": "drive#startPageToken",
                "startPageToken": self.store.changes.start_token(),
            }
        return Response.json(drive_fields.apply(body, selection))

    def changes_list(self, request: Request) -> Response:
        grant = self._grant(request, "drive.changes.list")
        token = request.query.get("pageToken")
        if not token:
            raise DriveError(400, "required", "Required parameter: pageToken", location="pageToken")
        if not token.isdigit():
            raise invalid_parameter("pageToken", "Invalid Value")
        selection = self._fields(request, "ChangeList")
        size = int_param(request, "pageSize", 100, 1, 1000)
        include_removed = request.query.get("includeRemoved", "true") != "false"
        email, visible = grant["email"], self._visible(grant)
        inner = sub_selection(sub_selection(selection, "changes"), "file")
        with self.lock:
            page, next_token, new_start = self.store.changes.page(
                int(token),
                email,
                size,
                include_removed,
                lambda c: c.removed or visible(self.store.files[c.file_id]),
            )
            changes = [self._change_json(c, inner) for c in page]
        body: dict[str, Any] = {"kind": "drive#changeList", "changes": changes}
        body.update(
            {"nextPageToken": next_token} if next_token else {"newStartPageToken": new_start}
        )
        if selection is not None:
            body = drive_fields.apply(body, selection)
        return Response.json(body)

    def _change_json(
        self, change: Any, file_selection: drive_fields.Selection | None
    ) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": "drive#change",
            "changeType": "file",
            "type": "file",
            "time": rfc3339(change.time),
            "removed": change.removed,
            "fileId": change.file_id,
        }
        if not change.removed:
            out["file"] = self._file_json(self.store.files[change.file_id], file_selection)
        return out

    def about_get(self, request: Request) -> Response:
        grant = self._grant(request, "drive.about.get")
        if not request.query.get("fields"):
            raise DriveError(
                400,
                "required",
                "The 'fields' parameter is required for this method.",
                location="fields",
            )
        selection = self._fields(request, "About")
        with self.lock:
            user = {k: v for k, v in self.store.owner_resource(grant["email"]).items()}
            usage = self.store.usage(grant["email"]) if wants(selection, "storageQuota") else 0
        body = {
            "kind": "drive#about",
            "user": user,
            "maxUploadSize": str(5 * 1024**4),
            "appInstalled": False,
            "canCreateDrives": False,
            "storageQuota": {
                "limit": str(self.store.quota_limit),
                "usage": str(usage),
                "usageInDrive": str(usage),
                "usageInDriveTrash": "0",
            },
        }
        return Response.json(drive_fields.apply(body, selection))
