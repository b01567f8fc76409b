"""The HTTP edge every function shares: request, sign-in, error-to-status table, routes."""
