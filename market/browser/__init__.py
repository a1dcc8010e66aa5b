"""The browser's code and assets, in one place (docs/browser.md): pages, scripts, styles and icons that
the service serves under /static/ (market/web/ops.py) and the pages it renders (the supervisor
dashboard, the API's docs page). static/shared/ holds the ES modules every page uses (the API client,
formatting of money and Beijing time, the language toggle, error display, DOM helpers); each page has
its own folder (static/supervise/). `assets` gives each file a content hash for its URL. No Python
here imports the web stack, and nothing here is a feature."""
