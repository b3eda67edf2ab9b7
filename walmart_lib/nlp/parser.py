"""The parser: text -> intent, calibrated confidence and entities, in one call or in batches.

:func:`load_parser` returns a process-wide, thread-safe :class:`Parser` (one per engine) with
the encoder and the committed intent head loaded. ``parse_batch`` embeds all texts in one
encoder pass, so it is much faster per utterance than repeated ``parse``. Store names come from
the database when one is available (cached until its data version changes); without a database
everything but store recognition and the query log still works. Input is cut to
:data:`MAX_CHARS` characters; an empty or letter-less text (only emoji, digits or punctuation)
is ``out_of_scope`` without running the model.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from walmart_lib.nlp.encoder import MAX_CHARS, MODEL_NAME, Encoder, get_encoder
from walmart_lib.nlp.entities import StoreRef, extract_entities
from walmart_lib.nlp.features import featurize
from walmart_lib.nlp.head import IntentHead
from walmart_lib.nlp.intents import INTENTS, OUT_OF_SCOPE
from walmart_lib.nlp.querylog import LogRecord, get_query_logger
from walmart_lib.nlp.threads import single_threaded_blas
from walmart_lib.nlp.training import MODEL_DIR

__all__ = ["Parse", "Parser", "load_parser"]

_log = logging.getLogger(__name__)
#: Text with no letter of any script (emoji, digits, punctuation) is not a request we can read.
_HAS_LETTER = re.compile(r"[^\W\d_]")
_NO_ENTITY_INTENTS = frozenset({OUT_OF_SCOPE, "help"})


@dataclass(frozen=True)
class Parse:
    """What an utterance asks for: one of the 17 intents, confidence in [0, 1], entities."""

    intent: str
    confidence: float
    entities: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"intent": self.intent, "confidence": self.confidence, "entities": self.entities}


class Parser:
    """Intent classifier + entity extractor; see the module docstring."""

    def __init__(
        self,
        engine: Engine | None = None,
        *,
        use_database: bool = True,
        stores: Sequence[StoreRef] | None = None,
        log_queries: bool = True,
        model_dir: Path = MODEL_DIR,
    ) -> None:
        self._engine = engine
        self._use_database = use_database
        self._fixed_stores = tuple(stores) if stores is not None else None
        self._log_queries = log_queries
        self._model_dir = model_dir
        #: (head, the encoder whose embeddings it was trained on): loaded together, kept together.
        self._model: tuple[IntentHead, Encoder] | None = None
        self._load_lock = threading.Lock()
        self._stores_cache: dict[int, tuple[int, tuple[StoreRef, ...]]] = {}

    # -- loading -------------------------------------------------------------------------
    def load(self) -> Parser:
        """Load the head and the encoder now (otherwise on the first parse)."""
        self._loaded()
        return self

    def _loaded(self) -> tuple[IntentHead, Encoder]:
        model = self._model
        if model is None:
            with self._load_lock:
                if self._model is None:
                    head = IntentHead.load(self._model_dir)
                    # The head was trained on the embeddings of the tuned encoder it names; the
                    # parser keeps that encoder, so a parse never looks it up again.
                    name = head.meta.get("tuned_layers_file")
                    encoder = get_encoder(
                        bool(head.meta.get("quantized", True)),
                        self._model_dir / str(name) if name else None,
                    )
                    self._model = head, encoder
                model = self._model
        return model

    def is_loaded(self) -> bool:
        """Whether the model is in memory (never triggers a load)."""
        return self._model is not None

    def health(self) -> dict[str, Any]:
        """``{"model", "loaded", "intents"}`` for the HTTP health route."""
        return {"model": MODEL_NAME, "loaded": self.is_loaded(), "intents": len(INTENTS)}

    @property
    def head(self) -> IntentHead:
        return self._loaded()[0]

    @property
    def encoder(self) -> Encoder:
        """The encoder the head was trained with (loaded with it)."""
        return self._loaded()[1]

    # -- database ------------------------------------------------------------------------
    def engine(self) -> Engine | None:
        """The database used for stores and the query log, or ``None`` when there is none."""
        if self._engine is not None or not self._use_database:
            return self._engine
        try:
            from walmart_lib.db.engine import get_engine

            return get_engine()
        except Exception as exc:
            _log.warning("nlp parser: no database (%s)", type(exc).__name__)
            return None

    def stores(self, engine: Engine | None = None) -> tuple[StoreRef, ...]:
        """The stores the parser recognises (from the database, cached per data version)."""
        if self._fixed_stores is not None:
            return self._fixed_stores
        engine = engine if engine is not None else self.engine()
        if engine is None:
            return ()
        try:
            from walmart_lib.db.models import Store
            from walmart_lib.db.state import data_version

            with engine.connect() as conn:
                version = data_version(conn)
                cached = self._stores_cache.get(id(engine))
                if cached and cached[0] == version:
                    return cached[1]
                rows = conn.execute(select(Store.name, Store.city).order_by(Store.id)).all()
            found = tuple(StoreRef(name=r.name, city=r.city) for r in rows if r.name)
            self._stores_cache[id(engine)] = (version, found)
            return found
        except Exception as exc:
            _log.warning("nlp parser: stores unavailable (%s)", type(exc).__name__)
            return ()

    # -- parsing -------------------------------------------------------------------------
    def parse(self, text: str, today: date | None = None) -> Parse:
        """Parse one utterance (``today`` anchors relative dates; default: the real today)."""
        return self.parse_batch([text], today=today)[0]

    def parse_batch(self, texts: Sequence[str], today: date | None = None) -> list[Parse]:
        """Parse many utterances with one encoder pass."""
        with single_threaded_blas():
            return self._parse_batch(texts, today)

    def _parse_batch(self, texts: Sequence[str], today: date | None) -> list[Parse]:
        start = time.perf_counter()
        today = today or date.today()
        raw = ["" if t is None else str(t) for t in texts]
        clipped = [t[:MAX_CHARS] for t in raw]
        readable = [i for i, t in enumerate(clipped) if _HAS_LETTER.search(t)]
        decided: dict[int, tuple[str, float]] = {}
        if readable:
            head, encoder = self._loaded()
            batch = [clipped[i] for i in readable]
            emb = encoder.encode(batch)
            for i, verdict in zip(
                readable,
                head.decide(head.predict_proba(featurize(batch, emb, head.lexicon))),
                strict=True,
            ):
                decided[i] = verdict
        engine = self.engine()
        stores = self.stores(engine)
        out = []
        for i, text in enumerate(clipped):
            intent, confidence = decided.get(i, (OUT_OF_SCOPE, 1.0))
            # Nothing is acted on for out-of-scope or help, so nothing is extracted for them.
            wanted = i in decided and intent not in _NO_ENTITY_INTENTS
            entities = extract_entities(text, today, stores, intent) if wanted else {}
            out.append(Parse(intent=intent, confidence=round(confidence, 4), entities=entities))
        if self._log_queries and engine is not None:
            per_item = (time.perf_counter() - start) * 1000 / max(len(raw), 1)
            try:
                logger = get_query_logger(engine)
                for text, parsed in zip(raw, out, strict=True):
                    logger.log(
                        LogRecord(len(text), parsed.intent, parsed.confidence, round(per_item, 3))
                    )
            except Exception as exc:
                _log.warning("nlp query log unavailable (%s)", type(exc).__name__)
        return out

    def flush_log(self, timeout: float = 10.0) -> bool:
        """Wait for this parser's query-log rows to reach the database."""
        engine = self.engine()
        return True if engine is None else get_query_logger(engine).flush(timeout)


_PARSERS: dict[int | None, Parser] = {}
_LOCK = threading.Lock()


def load_parser(engine: Engine | None = None, *, load: bool = True) -> Parser:
    """The cached parser for ``engine`` (``None``: the configured database, looked up lazily).

    With ``load=True`` (the default) the model is in memory when this returns; the HTTP
    service can pass ``load=False`` and call :meth:`Parser.load` in the background.
    """
    key = None if engine is None else id(engine)
    with _LOCK:
        parser = _PARSERS.get(key)
        if parser is None or (engine is not None and parser._engine is not engine):
            parser = _PARSERS[key] = Parser(engine)
    if load:
        parser.load()
    return parser
