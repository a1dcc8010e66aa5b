"""Standby seats: workers on call for a shift, offered a vacated seat first and paid the standby
amount when not called (docs/standby.md)."""
