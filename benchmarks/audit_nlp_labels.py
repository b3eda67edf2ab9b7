"""NLP training-data audit: own utterances that sit next to a CLINC train row with another label.

Our own lines and the CLINC150 train rows (mapped to our labels) are trained on together, so a
pair that means the same thing but carries two labels teaches the model a contradiction. This
embeds both with the plain encoder and, for every own utterance, finds the most similar CLINC
train row; pairs at or above ``--min-cosine`` (default 0.8) whose labels differ are printed,
most similar first, then one JSON line ``{"own": ..., "clinc": ..., "pairs": ...}``. Most pairs
are real distinctions ("delete everything on my list" vs a to-do list); a reader decides which
are contradictions (docs/nlp.md, "Session 5"). ``--products`` instead prints the product phrase
the extractor finds in every own utterance (what the training augmentation swaps out), so a
reader can spot phrases that are not products. Only training data is read.

Run: ``.venv/bin/python benchmarks/audit_nlp_labels.py [--min-cosine 0.8] [--products]``
(about 10 s).
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from walmart_lib.nlp.data import Example, load_training_examples
from walmart_lib.nlp.encoder import get_encoder
from walmart_lib.nlp.training import swapped_phrase


def print_products(own: list[Example]) -> None:
    """Every own utterance with the product phrase augmentation swaps out of it."""
    found = 0
    for ex in own:
        product = swapped_phrase(ex)
        if product:
            found += 1
            print(f"{ex.intent:<15} {product!r:<32} | {ex.text}")
    print(json.dumps({"own": len(own), "with_product": found}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--min-cosine", type=float, default=0.8)
    ap.add_argument("--products", action="store_true", help="list the product phrases instead")
    args = ap.parse_args()
    examples = load_training_examples()
    own = [ex for ex in examples if ex.source == "own"]
    if args.products:
        print_products(own)
        return
    clinc = [ex for ex in examples if ex.source != "own"]
    encoder = get_encoder()
    # Vectors are L2-normalised, so the product is the cosine.
    sims = encoder.encode([ex.text for ex in own]) @ encoder.encode([ex.text for ex in clinc]).T
    nearest = sims.argmax(axis=1)
    best = sims[np.arange(len(own)), nearest]
    pairs = [
        (float(best[i]), ex, clinc[int(nearest[i])])
        for i, ex in enumerate(own)
        if best[i] >= args.min_cosine and clinc[int(nearest[i])].intent != ex.intent
    ]
    for cos, mine, theirs in sorted(pairs, key=lambda p: -p[0]):
        print(f"{cos:.2f}  own {mine.intent}: {mine.text!r}", end="")
        print(f"  ~  clinc {theirs.intent}: {theirs.text!r}")
    print(json.dumps({"own": len(own), "clinc": len(clinc), "pairs": len(pairs)}))


if __name__ == "__main__":
    main()
