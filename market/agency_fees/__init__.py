"""The agency's service fee as its own settlement step (docs/agencies.md)."""
