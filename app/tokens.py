"""Words as the lexical parts of certprep compare them: BM25 retrieval and the mapping's word heads.

Snowball (Porter2) stems, so "example" meets "examples" and "attest" meets "attestations"; numbers keep
their digits ("1,500" is "1500"); common function words are dropped.
"""

from __future__ import annotations

import re
import threading

import Stemmer

_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[.,][0-9]+)*")
_ACRONYM_PLURAL = re.compile(r"[A-Z]{2,}s")
_STOP = frozenset(
    "a an and are as at be but by can do does for from has have how i if in into is it its me my of on or "
    "our so that the their them then there these they this to was we were what when where which who why "
    "will with you your".split()
)
# Bumped whenever tokenize() changes, so that BM25 indexes cached on disk by an older version are rebuilt.
TOKENIZER_VERSION = "snowball-1"
_stemmers = threading.local()


def stem(word: str) -> str:
    """English Snowball (Porter2) stem: 'examples' and 'example' meet, as do 'attestations' and 'attest'.

    PyStemmer objects are not thread-safe, so each thread keeps its own."""
    if word.isdigit():
        return word
    stemmer = getattr(_stemmers, "english", None)
    if stemmer is None:
        stemmer = _stemmers.english = Stemmer.Stemmer("english")
    return stemmer.stemWord(word)


def tokenize(text: str) -> list[str]:
    tokens = []
    for raw in _TOKEN.findall(text):
        if _ACRONYM_PLURAL.fullmatch(raw):
            raw = raw[:-1]  # "CEUs" is the plural of "CEU", which Snowball would keep apart
        raw = raw.lower()
        token = raw.replace(",", "") if re.fullmatch(r"[0-9]+(,[0-9]{3})+", raw) else raw
        if token not in _STOP:
            tokens.append(stem(token))
    return tokens
