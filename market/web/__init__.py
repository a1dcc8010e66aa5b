"""The HTTP plumbing every feature shares (errors, auth, rate and request limits, idempotency,
pagination, OpenAPI, ops routes); it imports no feature (docs/architecture.md).
"""
