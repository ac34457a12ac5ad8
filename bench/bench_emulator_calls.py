"""API calls per second served by the emulators on loopback (target: >= 1,000 small calls/s on
2 cores), with several concurrent clients on keep-alive connections.

Each service is one entry of ``SCENARIOS``: a function that starts its emulator and returns
(server, make_caller) where ``make_caller()`` gives one client's zero-argument small call. To add
the Drive emulator, add a function like ``flickr_scenario`` (e.g. ``about.get`` with a minted
token) to ``SCENARIOS``; the Drive scenario below is used when the Drive emulator exists.
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import multiprocessing
import threading
import time
from typing import Callable

from urllib.parse import urlencode, urlsplit

from photosync.emulators import start
from photosync.emulators.flickr_testing import admin, authorized_flickrapi

TARGET = 1000.0  # calls per second


def flickr_scenario():
    """Unsigned ``flickr.test.echo`` with an API key: the smallest real Flickr call."""
    server = start("flickr", rate_limit=0)
    key = admin(server.url, "credentials")["api_key"]
    params = {"method": "flickr.test.echo", "api_key": key, "format": "json", "nojsoncallback": "1"}

    query = "/services/rest/?" + urlencode(params)
    return server, lambda: _raw_caller(server.url, query, {})


def flickr_signed_scenario():
    """``flickr.test.login`` through the real flickrapi: OAuth signing and verifying included."""
    server = start("flickr", rate_limit=0)

    def make_caller() -> Callable[[], None]:
        flickr = authorized_flickrapi(server.url, perms="read")
        return lambda: flickr.test.login()
    return server, make_caller


def drive_scenario():
    """``about.get`` with a bearer token, if the Drive emulator's test helpers offer one."""
    from photosync.emulators import drive_client  # noqa: F401 - the Drive engineer's module
    server = start("drive", rate_limit=0)
    token = admin(server.url, "token", {})
    bearer = token.get("access_token") or token.get("token")

    return server, lambda: _raw_caller(server.url, "/drive/v3/about?fields=user",
                                       {"Authorization": f"Bearer {bearer}"})


def drive_files_get_scenario():
    """``files.get`` of a seeded photo's metadata (id, name, md5Checksum): routing, bearer check,
    fields parsing and checking against the schema, the File resource."""
    server = start("drive", rate_limit=0)
    admin(server.url, "seed", {"count": 1, "albums": 1})
    photo = next(f for f in admin(server.url, "state")["files"] if f["mimeType"] == "image/jpeg")
    bearer = admin(server.url, "token", {})["token"]
    return server, lambda: _raw_caller(server.url, f"/drive/v3/files/{photo['id']}?fields=id,name,md5Checksum",
                                       {"Authorization": f"Bearer {bearer}"})


def _raw_caller(base_url: str, path: str, headers: dict[str, str]) -> Callable[[], None]:
    """A keep-alive GET with http.client: a light client, so the emulator is what is measured."""
    host, port = urlsplit(base_url).hostname, urlsplit(base_url).port
    connection = http.client.HTTPConnection(host, port)

    def call() -> None:
        connection.request("GET", path, headers=headers)
        answer = connection.getresponse()
        body = answer.read()
        assert answer.status == 200, body[:200]
    return call


SCENARIOS = {"flickr (test.echo, api key)": flickr_scenario,
             "flickr (test.login, OAuth, flickrapi)": flickr_signed_scenario}
if importlib.util.find_spec("photosync.emulators.drive") and importlib.util.find_spec("photosync.emulators.drive_client"):
    SCENARIOS["drive (about.get)"] = drive_scenario
    SCENARIOS["drive (files.get)"] = drive_files_get_scenario


def _client_process(make_caller, threads: int, seconds: float, queue) -> None:
    """One client process: ``threads`` keep-alive clients calling for ``seconds``; puts the count."""
    callers = [make_caller() for _ in range(threads)]
    for call in callers:
        call()  # warm up: connection open, token checked
    counts = [0] * threads
    stop = time.perf_counter() + seconds

    def run(index: int) -> None:
        while time.perf_counter() < stop:
            callers[index]()
            counts[index] += 1
    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    queue.put(sum(counts))


def measure(scenario, processes: int, threads: int, seconds: float) -> float:
    """Calls per second served, clients in their own processes (they must not share the GIL
    with the emulator they measure)."""
    server, make_caller = scenario()
    context = multiprocessing.get_context("fork")
    try:
        queue = context.Queue()
        procs = [context.Process(target=_client_process, args=(make_caller, threads, seconds, queue))
                 for _ in range(processes)]
        began = time.perf_counter()
        for proc in procs:
            proc.start()
        total = sum(queue.get(timeout=seconds + 60) for _ in procs)
        elapsed = time.perf_counter() - began
        for proc in procs:
            proc.join()
        return total / min(elapsed, seconds + 0.5)
    finally:
        server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=2, help="client processes")
    parser.add_argument("--clients", type=int, default=2, help="client threads per process")
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    for name, scenario in SCENARIOS.items():
        try:
            rate = measure(scenario, args.processes, args.clients, args.seconds)
        except Exception as exc:  # one emulator's failure must not hide the other's figure
            print(f"{name}: failed: {exc!r}")
            continue
        print(f"{name}: {rate:,.0f} calls/s with {args.processes * args.clients} clients "
              f"(target {TARGET:,.0f}/s, ratio {rate / TARGET:.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
