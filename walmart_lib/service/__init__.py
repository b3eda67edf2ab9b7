"""HTTP service for ``walmart serve``: REST routes, auth, rate limit, cache, metrics, logs.

One Panel (Bokeh/Tornado) server on one port serves the dashboards and these routes (as
``extra_patterns``). Modules: ``routes`` (core handlers and the route table),
``routes_analytics`` (prices, deals, spending, lists), ``routes_nlp`` and ``nlp_worker`` (the
parser in its own process), ``routes_import`` (uploads), ``base`` (auth, CSRF, errors, metrics
per request), ``auth`` (users, tokens, login), ``ratelimit``, ``cache``, ``version`` (fast
data-version reads), ``metrics``, ``logs`` (JSON lines with redaction), ``security``
(headers), ``openapi``, ``context`` (shared
state), ``app`` (the starter ``/walmart`` page), ``server`` (start/stop) and ``commands`` (the
CLI). Reads no analytics module owns live in :mod:`walmart_lib.catalog`. Importing this
package does not import Panel.
"""

__all__: list[str] = []
