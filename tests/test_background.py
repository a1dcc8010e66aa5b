"""Stopping background loops at shutdown (market/background.py)."""
import asyncio
import logging

from market.background import every, stop


async def test_a_task_that_turns_its_cancellation_into_an_error_is_stopped_and_the_error_logged(caplog):
    started = asyncio.Event()

    async def loop_whose_driver_fails_on_cancel():
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            raise RuntimeError("cannot switch to state 15; another operation is in progress") from None

    task = asyncio.create_task(loop_whose_driver_fails_on_cancel(), name="deliveries")
    await started.wait()
    with caplog.at_level(logging.WARNING, logger="market.background"):
        await stop(task)  # does not raise: shutdown goes on to close the pool
    assert task.done() and isinstance(task.exception(), RuntimeError)
    [record] = [r for r in caplog.records if r.name == "market.background"]
    assert record.levelno == logging.WARNING and record.task == "deliveries"


async def test_a_task_that_swallows_the_first_cancellation_is_cancelled_again():
    swallowed = []

    async def stubborn():
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            swallowed.append(True)  # a library that eats the first cancel
        await asyncio.sleep(3600)

    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    await stop(task, nudge_seconds=0.05)
    assert swallowed == [True] and task.cancelled()


async def test_a_sweep_round_that_fails_is_logged_and_the_next_round_runs(caplog):
    rounds, four = [], asyncio.Event()

    async def work():
        rounds.append(len(rounds))
        if len(rounds) == 4:
            four.set()
        if len(rounds) == 1:
            raise ConnectionError("PostgreSQL restarted")
        return 3 if len(rounds) == 2 else 0

    with caplog.at_level(logging.INFO, logger="market.background"):
        task = asyncio.create_task(every(0.01, "test sweep", work))
        await asyncio.wait_for(four.wait(), 10)
        await stop(task)
    assert task.cancelled()
    failed = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.getMessage() for r in failed] == ["test sweep failed"]
    assert [r.done for r in caplog.records if r.levelno == logging.INFO and r.getMessage() == "test sweep"] == [3]
