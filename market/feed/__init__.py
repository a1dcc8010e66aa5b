"""The worker job feed: open shifts a worker can take, ranked (score.py), and its reverse, the
workers a new shift fits (the audience of `shift.opened`). See service.py and docs/feed.md."""
