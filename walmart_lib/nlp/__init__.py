"""Offline natural-language understanding for the grocery agent.

``load_parser().parse(text)`` returns the intent (one of :data:`INTENTS`), a calibrated
confidence and the entities (product, quantity, unit, store, category, amount, date range);
``link_products`` and ``search_products`` map product phrases and free text onto the catalogue.
Everything runs on CPU with the bundled all-MiniLM-L6-v2 model; see docs/nlp.md.
"""

from walmart_lib.nlp.encoder import MODEL_NAME
from walmart_lib.nlp.entities import StoreRef, extract_entities
from walmart_lib.nlp.intents import INTENT_DESCRIPTIONS, INTENTS, OUT_OF_SCOPE
from walmart_lib.nlp.parser import Parse, Parser, load_parser
from walmart_lib.nlp.search import ProductCandidate, link_products, search_products

__all__ = [
    "INTENTS",
    "INTENT_DESCRIPTIONS",
    "MODEL_NAME",
    "OUT_OF_SCOPE",
    "Parse",
    "Parser",
    "ProductCandidate",
    "StoreRef",
    "extract_entities",
    "link_products",
    "load_parser",
    "search_products",
]
