"""The employers' console (/console, docs/console.md): a page of the public API only. This package
serves its HTML; the page itself lives in market/browser/static/console/."""
