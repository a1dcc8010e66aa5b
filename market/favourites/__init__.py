"""Who works for whom: an employer's favourites and blocks, the employers a worker hides, the
favourites-first window of an order and "book again" (docs/favourites.md)."""
