import pytest

from tests.allocation.support import quiet


@pytest.fixture
def settings(settings):
    # Webhooks to a loopback receiver are allowed (nothing listens on port 9: deliveries fail, and can be
    # retried); no delivery worker or allocator runs inside the app: the world drives them by hand.
    return quiet(settings, webhooks_allow_loopback=True, webhooks_in_serve=False)
