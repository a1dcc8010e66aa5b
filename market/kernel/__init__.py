"""The shared kernel: the words every feature uses and none owns — money (`money`), the clock and
Beijing dates (`clock`), China's working days (`workdays`) and the legal relationship of an order
(`relationships`).

Pure: the standard library only (and `chinese-calendar`, the data of the official holidays), so that
any layer may import it without pulling in the web stack, the database or Redis."""
