"""Notifications: one outbox of messages to people, fed by the events that matter to them, sent
through the channels each person chose, outside their quiet hours (docs/notifications.md)."""
