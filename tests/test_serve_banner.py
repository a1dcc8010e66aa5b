"""The one line `market serve` prints for people: where it listens, which servers it uses, no secrets."""
from market.servers import banner
from market.config import Settings


def test_the_banner_names_the_servers_and_hides_their_passwords():
    settings = Settings(host="0.0.0.0", port=9000, database_url="postgresql://market:s3cret@db.internal:5432/market",
                        redis_url="redis://:hunter2@cache.internal:6379/0")
    assert banner(settings, None, 1) == (
        "market listening on http://0.0.0.0:9000 (PostgreSQL: postgresql://market:***@db.internal:5432/market, "
        "Redis: redis://:***@cache.internal:6379/0)")


def test_the_banner_of_several_server_processes_says_how_many():
    settings = Settings(host="::1", port=8080, database_url="postgresql://market@db/market", redis_url="redis://cache")
    assert banner(settings, None, 4) == (
        "market listening on http://[::1]:8080 (4 server processes; PostgreSQL: postgresql://market@db/market, "
        "Redis: redis://cache)")
