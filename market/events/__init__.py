"""Live events: the transactional outbox, its relay to Redis Streams, and the SSE endpoints.

    from market.events.outbox import emit
    await emit(conn, "order.posted", {...}, organisation_ids=[org_id], district_code="500103")

The package wires itself in market/events/wiring.py (`setup`, `register_audience`); docs/events.md
describes the pipeline and its guarantees. This file imports nothing, so that importing a pure
module (market/events/model.py) does not import the web stack.
"""
