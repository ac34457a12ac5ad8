"""The convergence machine of test_convergence.py against the Flickr and Drive emulators, through
the real backends (fewer examples: every step is real HTTP)."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

from photosync.emulators import admin, start
from photosync.emulators.drive_client import mint_credentials
from photosync.remotes.drive import DriveRemote
from photosync.remotes.flickr import FlickrRemote

from tests.sync.test_convergence import SyncMachine, signature_of


class EmulatorMachine(SyncMachine):
    service = "flickr"

    def make_remote(self):
        self.server = start(self.service, auto_approve=True, rate_limit=0)
        url = self.server.url
        if self.service == "drive":
            return DriveRemote(mint_credentials(url), url, "Photos")
        creds = admin(url, "credentials")
        token = admin(url, "token", {"username": "hyp", "perms": "delete"})
        return FlickrRemote(creds["api_key"], creds["api_secret"], token["oauth_token"],
                            token["oauth_token_secret"], url, page_size=3)

    def seed_remote(self, data: bytes, name: str, album: str | None) -> None:
        path = self.tmp / name
        path.write_bytes(data)
        # uploaded from another machine running photosync (so it carries its signature tag)
        self.remote.upload(path, name, album if self.service == "drive" else None,
                           signature=signature_of(data, self.tmp, name))
        path.unlink()

    def content(self, item_id: str) -> bytes:
        dest = self.tmp / f"probe-{item_id}.jpg"
        self.remote.download(item_id, dest, overwrite=True)
        data = dest.read_bytes()
        dest.unlink()
        return data

    def move_remote_item(self, item_id: str, album: str) -> None:
        """Into another album (Drive: another folder) made on the remote."""
        self.remote.create_album(album, item_id)

    def start_faults(self, seed: int) -> None:
        """Server errors and connections cut after the work was done (the cut-off transfers of
        tests/scenarios take socket timeouts: too slow for many examples)."""
        rates = {"http_500": 0.05, "http_503": 0.05, "reset": 0.05}
        admin(self.server.url, "faults", {"rates": rates, "seed": seed})

    def stop_faults(self) -> None:
        admin(self.server.url, "faults", {"rates": {"http_500": 0, "http_503": 0, "reset": 0,
                                                    "reset_mid_body": 0}})

    def teardown(self) -> None:
        self.server.stop()
        super().teardown()


class FlickrMachine(EmulatorMachine):
    service = "flickr"

    def __init__(self) -> None:
        super().__init__()
        self.download_dir = "From Flickr"


class DriveMachine(EmulatorMachine):
    service = "drive"

    def start_faults(self, seed: int) -> None:
        """No faults here: the retry back-off makes Drive runs too slow for many examples
        (faults against Drive: tests/scenarios/test_sync_cli.py and the MemoryRemote machine)."""

    def __init__(self) -> None:
        super().__init__()
        self.download_dir = "From Google Drive"


FEW = settings(max_examples=15, stateful_step_count=10, deadline=None, derandomize=True,
               suppress_health_check=list(HealthCheck))
TestFlickrMachine = FlickrMachine.TestCase
TestFlickrMachine.settings = FEW
TestDriveMachine = DriveMachine.TestCase
TestDriveMachine.settings = FEW
