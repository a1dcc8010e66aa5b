"""Organisations with members, roles and sites (docs/organisations.md)."""
