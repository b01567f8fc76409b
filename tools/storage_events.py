"""The local stand-in for Eventarc's Cloud Storage trigger: it lists the packages bucket of the
stack's Cloud Storage emulator every half second and, for each new generation of an object under
``districts/`` ending in ``.zip``, POSTs the CloudEvent Eventarc would send the `csv_landed`
function. tools/localstack.py runs it as the service "events":

    python -m tools.storage_events --storage-url http://127.0.0.1:P --bucket B
        --target-url http://127.0.0.1:F/csv_landed --issuer-url http://127.0.0.1:I
        --service-account tasks@rostersync-local.iam.gserviceaccount.com --port-file FILE [--twice]

The request is what Eventarc delivers to a Cloud Run target, a CloudEvent in binary content mode
(https://cloud.google.com/eventarc/standard/docs/event-format; the CloudEvents HTTP protocol
binding 1.0.2, section 3.1 "Binary Content Mode",
https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/http-protocol-binding.md):
the context attributes as ``ce-*`` headers (specversion, id, source
``//storage.googleapis.com/projects/_/buckets/B``, type
``google.cloud.storage.object.v1.finalized``, subject ``objects/NAME``, time) and the event data,
the object's StorageObjectData (https://cloud.google.com/eventarc/docs/cloudevents-json), as the
JSON body, with an OIDC token of the trigger's service account for the target's URL.

Delivery is at least once, as Eventarc's (https://cloud.google.com/eventarc/docs/retry-events):
an answer other than 2xx is retried with exponential backoff (Eventarc: 10 s doubling to 600 s
for 24 hours; here 0.5 s doubling to 30 s, 25 attempts), and ``--twice`` delivers every event
twice at once, with the same ce-id, so the handler's idempotency is exercised.
GET /_control/health on its port answers with counts (seen, delivered, failed, attempts).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import signal
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

LOOPBACK = "127.0.0.1"
EVENT_TYPE = "google.cloud.storage.object.v1.finalized"
PREFIX, SUFFIX = "districts/", ".zip"
# The fields of StorageObjectData the JSON API's object resource carries (numbers as strings).
OBJECT_FIELDS = (
    "kind",
    "id",
    "selfLink",
    "name",
    "bucket",
    "generation",
    "metageneration",
    "contentType",
    "timeCreated",
    "updated",
    "storageClass",
    "timeStorageClassUpdated",
    "size",
    "md5Hash",
    "mediaLink",
    "crc32c",
    "etag",
)
STRING_FIELDS = ("generation", "metageneration", "size")

TokenSource = Callable[[str, str], str]  # (service account email, audience) -> ID token


def wanted(name: str) -> bool:
    return name.startswith(PREFIX) and name.endswith(SUFFIX)


def object_data(resource: Mapping[str, Any]) -> dict[str, Any]:
    """The event's data: StorageObjectData from the object resource the JSON API lists."""
    data = {k: resource[k] for k in OBJECT_FIELDS if resource.get(k) is not None}
    for key in STRING_FIELDS:
        if key in data:
            data[key] = str(data[key])
    return data


def event_id(bucket: str, name: str, generation: str) -> str:
    """One id per object generation, so a redelivery (or --twice) repeats it, as Eventarc's
    retries of one event do. Digits, like the Pub/Sub message ids Eventarc uses."""
    digest = hashlib.sha256(f"{bucket}/{name}#{generation}".encode()).hexdigest()
    return str(int(digest[:15], 16))


def event_headers(data: Mapping[str, Any], token: str) -> dict[str, str]:
    bucket, name = str(data["bucket"]), str(data["name"])
    return {
        "ce-specversion": "1.0",
        "ce-id": event_id(bucket, name, str(data["generation"])),
        "ce-source": f"//storage.googleapis.com/projects/_/buckets/{bucket}",
        "ce-type": EVENT_TYPE,
        "ce-subject": f"objects/{name}",
        "ce-time": str(data.get("timeCreated") or data.get("updated") or now_rfc3339()),
        "Content-Type": "application/json",
        "Authorization": f"Bearer {token}",
    }


def now_rfc3339() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def list_objects(
    session: requests.Session, storage_url: str, bucket: str
) -> Iterator[dict[str, Any]]:
    """Every object under PREFIX, page by page, through the JSON API (objects.list)."""
    params = {"prefix": PREFIX}
    while True:
        response = session.get(f"{storage_url}/storage/v1/b/{bucket}/o", params=params, timeout=10)
        response.raise_for_status()
        body = response.json()
        yield from body.get("items", [])
        if not body.get("nextPageToken"):
            return
        params["pageToken"] = body["nextPageToken"]


def issuer_tokens(issuer_url: str, session: requests.Session) -> TokenSource:
    """ID tokens from the local issuer, as the local Cloud Tasks service gets its OIDC tokens."""
    from tools.cloud_tasks_local.server import OidcTokens

    return OidcTokens(issuer_url, session)


class StorageEvents:
    """Polls one bucket and delivers each new object generation's event to ``target_url``."""

    def __init__(
        self,
        storage_url: str,
        bucket: str,
        target_url: str,
        service_account: str,
        tokens: TokenSource,
        *,
        twice: bool = False,
        interval: float = 0.5,
        min_backoff: float = 0.5,
        max_backoff: float = 30.0,
        max_attempts: int = 25,
    ) -> None:
        self.storage_url = storage_url.rstrip("/")
        self.bucket, self.target_url = bucket, target_url
        self.service_account, self.tokens, self.twice = service_account, tokens, twice
        self.interval, self.min_backoff = interval, min_backoff
        self.max_backoff, self.max_attempts = max_backoff, max_attempts
        self.counts = {"seen": 0, "delivered": 0, "failed": 0, "attempts": 0}
        self._seen: set[tuple[str, str]] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._session = requests.Session()
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="storage-event")
        self._thread = threading.Thread(target=self._poll_loop, name="storage-poll", daemon=True)

    def start(self) -> StorageEvents:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self.counts)

    def _poll_loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except (requests.RequestException, ValueError) as exc:
                log(f"listing gs://{self.bucket} failed: {type(exc).__name__}")
            self._stop.wait(self.interval)

    def poll_once(self) -> int:
        """Lists the bucket once and queues the new generations' events; returns how many."""
        fresh = []
        for resource in list_objects(self._session, self.storage_url, self.bucket):
            key = (str(resource.get("name", "")), str(resource.get("generation", "")))
            with self._lock:
                if not wanted(key[0]) or key in self._seen:
                    continue
                self._seen.add(key)
                self.counts["seen"] += 1
            fresh.append(object_data(resource))
        for data in fresh:
            for _ in range(2 if self.twice else 1):
                self._pool.submit(self.deliver, data)
        return len(fresh)

    def deliver(self, data: Mapping[str, Any]) -> bool:
        """POSTs one event until it is acknowledged (2xx) or the attempts run out."""
        body = json.dumps(data).encode("utf-8")
        what = f"{data['name']}#{data['generation']}"
        for attempt in range(1, self.max_attempts + 1):
            status = self._post(body, data)
            with self._lock:
                self.counts["attempts"] += 1
            if 200 <= status < 300:
                with self._lock:
                    self.counts["delivered"] += 1
                log(f"delivered {what}: {status} (attempt {attempt})")
                return True
            delay = min(self.max_backoff, self.min_backoff * 2 ** (attempt - 1))
            log(f"{what}: {status or 'no answer'} (attempt {attempt}), again in {delay:.1f} s")
            if self._stop.wait(delay):
                break
        with self._lock:
            self.counts["failed"] += 1
        log(f"gave up on {what} after {attempt} attempts")
        return False

    def _post(self, body: bytes, data: Mapping[str, Any]) -> int:
        try:
            token = self.tokens(self.service_account, self.target_url)
            headers = event_headers(data, token)
            response = self._session.post(self.target_url, data=body, headers=headers, timeout=60)
        except requests.RequestException as exc:
            log(f"{data['name']}: {type(exc).__name__}")
            return 0
        return response.status_code


def log(message: str) -> None:
    print(f"{now_rfc3339()} storage-events {message}", flush=True)


def health_server(events: StorageEvents) -> ThreadingHTTPServer:
    class Health(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = self.path == "/_control/health"
            body = json.dumps({"status": "ok", **events.snapshot()} if found else {}).encode()
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return ThreadingHTTPServer((LOOPBACK, 0), Health)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.storage_events", description=__doc__)
    parser.add_argument("--storage-url", required=True, help="the emulator, http://host:port")
    parser.add_argument("--bucket", required=True, help="the packages bucket")
    parser.add_argument("--target-url", required=True, help="the csv_landed function's URL")
    parser.add_argument("--issuer-url", required=True, help="the local issuer (OIDC tokens)")
    parser.add_argument("--service-account", required=True, help="the trigger's identity")
    parser.add_argument("--port-file", type=Path, required=True, help="where to write the port")
    parser.add_argument("--twice", action="store_true", help="deliver every event twice at once")
    args = parser.parse_args(argv)
    session = requests.Session()
    events = StorageEvents(
        args.storage_url,
        args.bucket,
        args.target_url,
        args.service_account,
        issuer_tokens(args.issuer_url, session),
        twice=args.twice,
    )
    server = health_server(events)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    events.start()
    args.port_file.write_text(str(server.server_address[1]))
    log(f"watching gs://{args.bucket}/{PREFIX}*{SUFFIX} for {args.target_url}")
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        events.stop()
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
