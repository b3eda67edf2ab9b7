"""HTTP service for ``walmart serve``: REST routes, auth, rate limit, cache, metrics, logs.

One Panel (Bokeh/Tornado) server on one port serves the dashboards and these routes (as
``extra_patterns``). Modules: ``routes`` (handlers), ``base`` (auth, CSRF, errors, metrics per
request), ``auth`` (users, tokens, login), ``ratelimit``, ``cache``, ``metrics``, ``logs``
(JSON lines with redaction), ``security`` (headers), ``openapi``, ``queries`` (reads no
analytics module owns), ``app`` (the starter ``/walmart`` page), ``server`` (start/stop) and
``commands`` (the CLI). Importing this package does not import Panel.
"""

__all__: list[str] = []
