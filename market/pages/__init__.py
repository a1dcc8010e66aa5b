"""The people's pages served by the service: each a static page of market/browser/static/ that
talks to the public API only (docs/browser.md). They import the web plumbing and the assets,
never a feature: a page proves the public API is enough."""
