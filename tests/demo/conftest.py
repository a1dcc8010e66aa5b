"""The demo plays its own standby sweeps on the story's clock (market/demo/simulation.py: night). The
test app's background sweep runs on the real clock, after which every shift of the played week
has ended: were it to fire during a demo (once a minute) it would pay the week's standbys at the
real moment, before the story calls one of them. It is put off beyond any test's length."""
from datetime import timedelta

import pytest


@pytest.fixture
def settings(settings):
    return settings.model_copy(update={"standby_sweep_interval": timedelta(days=1)})
