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


class CloudTasksQueue:
    """Enqueues JSON tasks for an HTTP function. Task names make a duplicate enqueue harmless:
    Cloud Tasks refuses a second task with the same name (AlreadyExists), which is success."""

    def __init__(
        self,
        client: CloudTasksClient,
        *,
        project_id: str,
        location: str,
        target_url: str,
        service_account_email: str | None = None,
    ) -> None:
        self._client = client
        self._project = project_id
        self._location = location
        self._target_url = target_url
        self._service_account = service_account_email

    def queue_path(self, queue: str) -> str:
        return f"projects/{self._project}/locations/{self._location}/queues/{queue}"

    def enqueue(
        self,
        queue: str,
        payload: dict[str, object],
        name: str | None = None,
        url: str | None = None,
    ) -> bool:
        """Returns False when a task of that name already existed. ``url`` overrides the
        default target (each queue has its own handler)."""
        import json

        from google.api_core.exceptions import AlreadyExists
        from google.cloud import tasks_v2

        request = tasks_v2.HttpRequest(
            http_method=tasks_v2.HttpMethod.POST,
            url=url or self._target_url,
            headers={"Content-Type": "application/json"},
            body=json.dumps(payload, separators=(",", ":")).encode("utf-8"),
        )
        if self._service_account:
            request.oidc_token = tasks_v2.OidcToken(
                service_account_email=self._service_account, audience=url or self._target_url
            )
        task = tasks_v2.Task(http_request=request)
        parent = self.queue_path(queue)
        if name:
            task.name = f"{parent}/tasks/{name}"
        try:
            self._client.create_task(parent=parent, task=task)
        except AlreadyExists:
            return False
        return True
