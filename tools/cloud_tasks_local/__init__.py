"""A local Cloud Tasks service for the stack: the real google-cloud-tasks client talks gRPC to it,
and it delivers tasks over HTTP as Cloud Tasks does — concurrently up to each queue's
``max_concurrent_dispatches``, at most ``max_dispatches_per_second``, retrying non-2xx answers and
timeouts with the queue's exponential backoff up to ``max_attempts``, refusing a task name already
used, and (when asked) delivering some tasks twice, as at-least-once delivery allows.

Queue settings come from infra/queues.tf (tools/localstack.py reads them), so local and production
dispatch the same way; ``--time-scale`` shrinks backoff for tests."""
