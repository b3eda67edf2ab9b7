"""Walmart Grocery Agent: a local-first personal grocery agent and analytics workbench.

The library holds all logic: ``db`` (schema and engines), ``ingest`` (importers), the analytics
modules (``pricing``, ``spending``, ``replenish``, ``lists``), ``nlp`` (offline understanding),
``agent`` (chat), ``service`` (HTTP routes) and ``pipeline`` (phased deployment). Dashboards,
notebooks and the ``walmart`` command are thin views over it.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
