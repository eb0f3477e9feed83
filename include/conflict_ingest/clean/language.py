"""The language a cleaned page is written in, by py3langid (its model ships in the package: nothing is
downloaded at run time).

The detector reads the title and the start of the main text (:data:`LANGUAGE_SAMPLE_CHARS`, enough for a
confident answer and linear in the page's size). A page with too little text to judge
(:data:`MIN_LANGUAGE_LETTERS` letters), or whose best language is below :data:`MIN_LANGUAGE_CONFIDENCE`,
gets ``None``: undetermined, never a guess.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

logger = logging.getLogger(__name__)

#: Characters of title and text the detector reads: the start of the page says its language (on the
#: benchmark pages 400, 600 and 1,500 characters give the same answers; the cost grows with the sample).
LANGUAGE_SAMPLE_CHARS = 600
#: Fewer letters than this give no language (a caption, an empty page).
MIN_LANGUAGE_LETTERS = 40
#: The least normalised probability of the best language for it to be kept.
MIN_LANGUAGE_CONFIDENCE = 0.5


@functools.cache
def _identifier() -> Any:
    """py3langid's identifier with probabilities normalised (loaded once per process, about 0.1 s)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(title: str, text: str) -> str | None:
    """The ISO 639-1 code of the page's language ("en", "de"), or ``None`` when undetermined.

    >>> detect_language("", "Troops crossed the river at dawn and took the bridge after a short fight.")
    'en'
    >>> detect_language("", "ok") is None
    True
    """
    sample = f"{title[:LANGUAGE_SAMPLE_CHARS]}\n{text[:LANGUAGE_SAMPLE_CHARS]}"[:LANGUAGE_SAMPLE_CHARS]
    if sum(map(str.isalpha, sample)) < MIN_LANGUAGE_LETTERS:
        return None
    lang, confidence = _identifier().classify(sample)
    if confidence < MIN_LANGUAGE_CONFIDENCE or lang == "und":
        logger.debug("language undetermined (best %s at %.2f)", lang, confidence)
        return None
    return str(lang)
