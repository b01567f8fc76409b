"""`rostersync`: the admin's command line over the admin HTTP API (docs/http-api.md), for the
local stack or a deployed project. Commands are in main.py; docs/operations.md#cli."""
