"""Cloud Tasks client construction.

The Python tasks client does not honour any *_EMULATOR_HOST variable, and pointing its endpoint at
the emulator still negotiates TLS; the emulator speaks plain gRPC, so it needs an insecure channel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from google.cloud.tasks_v2 import CloudTasksClient


def make_tasks_client(emulator_host: str | None) -> CloudTasksClient:
    """A CloudTasksClient for production (default credentials) or for the emulator at host:port."""
    from google.cloud import tasks_v2

    if not emulator_host:
        return tasks_v2.CloudTasksClient()
    import grpc
    from google.cloud.tasks_v2.services.cloud_tasks.transports import CloudTasksGrpcTransport

    channel = grpc.insecure_channel(emulator_host)
    return tasks_v2.CloudTasksClient(transport=CloudTasksGrpcTransport(channel=channel))
