"""Shared employment's records: an organisation's employees, named by a keyed hash of their ID number,
whom it may lend (docs/profiles.md).
"""
