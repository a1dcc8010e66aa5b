"""Employer webhooks: signed delivery of outbox events to an employer's HTTPS endpoint (docs/webhooks.md)."""
