"""The shared kernel: the words every feature uses and none owns — money (`money`), the clock and
China's local dates (`clock`, `workdays`) and the legal relationship of an order (`relationships`).

Pure: the standard library only, so that any layer may import it without pulling in the web stack,
the database or Redis."""
