"""Attendance: check-in and check-out, the timesheet and its approval, dispute and no-show.

The pure state machine is `timesheet.py`; `wiring.setup(app)` adds the routes and the service.
"""
