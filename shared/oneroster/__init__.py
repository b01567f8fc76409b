"""The OneRoster 1.1/1.2 client every Rostersync function uses (see docs/oneroster-client.md)."""
