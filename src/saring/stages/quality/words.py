"""Word splitting, once per document, shared by every quality filter.

A batch is split into tokens (words and single punctuation marks, in order, as spaCy's tokenizers do
for the filters' reference implementation), then encoded as integer ids over one vocabulary per
batch, so that the filters work on numpy arrays and look at each distinct token only once.

Segmenters (chosen by a preset's ``word_segmenter``):

- ``latin``: a stdlib ``re`` pattern (fastest); for scripts whose letters need no combining marks.
- ``unicode``: the same pattern with combining marks (``\\p{M}``) inside words, for any script.
- ``thai``, ``lao``, ``burmese``: runs of that script segmented by the newmm dictionary algorithm (nlpO3,
  a Rust port of PyThaiNLP's newmm; 8x faster than PyThaiNLP's Python newmm with identical output on our
  Thai sample) over PyThaiNLP's, LaoNLP's or BurmeseNLP's word list; the rest as ``unicode``. newmm's
  character clusters are Thai ones, so for Burmese a boundary it puts inside a syllable is undone.
  (datatrove splits Burmese with pyidaungsu's CRF: on 41 gold-segmented myPOS sentences it finds word
  boundaries with F1 0.966, newmm over BurmeseNLP's 24k-word lexicon 0.970, 20x faster; pyidaungsu
  also needs a second ``fasttext`` module that would replace fasttext-predict's.)
- ``khmer``: the text split by khmer-nltk's CRF model (the segmenter datatrove uses for Khmer) as the
  khmercut package ships and runs it (python-crfsuite: the same words as khmer-nltk at the same speed, about
  80k characters a second, without scikit-learn and its 17 MB pickle), then by the ``unicode`` pattern.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import regex

# A word: word characters joined by inner hyphens, apostrophes, dots or commas ("hari-hari", "10.000",
# "Jum'at"); anything else that is not a space is a token of its own.
_LATIN_TOKEN = re.compile(r"\w+(?:[-'’.,]\w+)*|[^\w\s]")
# Han and kana are written without spaces and have no segmenter here: each character counts as a word
# (an approximation that keeps Chinese and Japanese pages from looking like a few very long words).
_UNICODE_TOKEN = regex.compile(
    r"[\p{Han}\p{Hiragana}\p{Katakana}]"
    r"|[[\w\p{M}]--[\p{Han}\p{Hiragana}\p{Katakana}]]+(?:[-'’.,][[\w\p{M}]--[\p{Han}\p{Hiragana}\p{Katakana}]]+)*"
    r"|[^\w\p{M}\s]",
    regex.V1,
)

Segmenter = Callable[[str], list[str]]


def _thai_words() -> Iterable[str]:
    from pythainlp.corpus import thai_words

    return thai_words()


def _lao_words() -> Iterable[str]:
    from laonlp.corpus import lao_words

    return lao_words()


def _burmese_words() -> Iterable[str]:
    from burmesenlp.lexicon import Lexicon

    return Lexicon.default().words()


def _newmm(name: str, words: Callable[[], Iterable[str]]) -> Callable[[], Segmenter]:
    """A loader of newmm (maximal matching over a word list; nlpO3's Rust port of PyThaiNLP's algorithm)."""

    def load() -> Segmenter:
        import nlpo3

        vocabulary = sorted({w.strip() for w in words() if w.strip()})
        path = Path(tempfile.gettempdir()) / f"saring-{name}-words-{os.getpid()}.txt"
        path.write_text("\n".join(vocabulary), encoding="utf-8")
        nlpo3.load_dict(str(path), f"saring_{name}")
        path.unlink()
        return partial(nlpo3.segment, dict_name=f"saring_{name}")

    return load


def _khmer_crf() -> Segmenter:
    import khmercut

    khmercut.load()
    return khmercut.tokenize


@dataclass(frozen=True)
class _ScriptSegmenter:
    """How a segmenter splits the runs of its ``script``: ``load`` (called once) returns the splitter.

    ``inside_syllable``, if set, matches from the character before a boundary when that boundary cuts
    a syllable; the pieces on both sides are joined again. ``whole_text``: the splitter reads whole lines
    that hold the script (a model that looks at the context beyond spaces and punctuation) and its pieces
    are then split by the ``unicode`` pattern, instead of reading each run of the script alone; lines
    without the script skip it.
    """

    script: regex.Pattern[str]
    load: Callable[[], Segmenter]
    packages: str
    inside_syllable: regex.Pattern[str] | None = None
    whole_text: bool = False
    #: Zero-width spaces are word breaks and joiners are dropped, instead of each being a token of its
    #: own: their writers mark word breaks with U+200B, and the reference tokenizer (khmer-nltk) drops it.
    #: (FineWeb-2's Lao stop words include U+200B, so Lao and Thai keep it as a token.)
    invisible_breaks: bool = False


# Zero-width space -> a space; zero-width non-joiner, joiner, word joiner, byte-order mark -> nothing.
_INVISIBLE_BREAKS = str.maketrans(
    {"\u200b": " ", "\u200c": None, "\u200d": None, "\u2060": None, "\ufeff": None}
)

# A Myanmar syllable goes on after a virama (stacked consonant), before a dependent sign, and before a
# consonant killed by asat or stacked by virama (the breaking rule of Ye Kyaw Thu's sylbreak).
_MYANMAR_INSIDE_SYLLABLE = regex.compile(r"\u1039|.(?:\p{M}|.\u1037?[\u103a\u1039])")

_SCRIPT_SEGMENTERS: dict[str, _ScriptSegmenter] = {
    "thai": _ScriptSegmenter(regex.compile(r"\p{Thai}"), _newmm("thai", _thai_words), "nlpo3, pythainlp"),
    "lao": _ScriptSegmenter(regex.compile(r"\p{Lao}"), _newmm("lao", _lao_words), "nlpo3, laonlp"),
    "burmese": _ScriptSegmenter(
        regex.compile(r"\p{Myanmar}"),
        _newmm("burmese", _burmese_words),
        "nlpo3, burmesenlp",
        inside_syllable=_MYANMAR_INSIDE_SYLLABLE,
        invisible_breaks=True,
    ),
    "khmer": _ScriptSegmenter(
        regex.compile(r"\p{Khmer}"), _khmer_crf, "khmercut", whole_text=True, invisible_breaks=True
    ),
}


def _whole_syllables(split: Segmenter, inside_syllable: regex.Pattern[str]) -> Segmenter:
    """``split``, with the pieces it cut out of one syllable joined again."""

    def segment(run: str) -> list[str]:
        pieces: list[str] = []
        end = 0
        for piece in split(run):
            if pieces and inside_syllable.match(run, end - 1):
                pieces[-1] += piece
            else:
                pieces.append(piece)
            end += len(piece)
        return pieces

    return segment


def _script_segmenter(name: str) -> Segmenter:
    """Runs of the segmenter's script split by its splitter (or the whole text first, see
    ``_ScriptSegmenter``), everything else by the ``unicode`` pattern."""
    spec = _SCRIPT_SEGMENTERS[name]
    try:
        split = spec.load()
    except ImportError as error:
        raise ImportError(f"{name} word segmentation needs the packages {spec.packages}") from error
    if spec.inside_syllable is not None:
        split = _whole_syllables(split, spec.inside_syllable)
    script = spec.script
    invisible = _INVISIBLE_BREAKS if spec.invisible_breaks else {}
    if spec.whole_text:

        def segment_lines(text: str) -> list[str]:
            tokens: list[str] = []
            for line in text.translate(invisible).split("\n"):
                pieces = split(line) if script.search(line) else [line]
                tokens.extend(token for piece in pieces for token in _UNICODE_TOKEN.findall(piece))
            return tokens

        return segment_lines

    def segment(text: str) -> list[str]:
        tokens: list[str] = []
        for token in _UNICODE_TOKEN.findall(text.translate(invisible)):
            if script.search(token):
                tokens.extend(t for t in split(token) if not t.isspace())
            else:
                tokens.append(token)
        return tokens

    return segment


_PIECE_CACHE_SIZE = 1 << 16


def _by_spaces_first(findall: Segmenter) -> Segmenter:
    """Split at white space (fast), then run the token pattern only on pieces that are not plain
    letters and digits: the same tokens as ``findall`` on the whole text, a third faster. Such pieces
    ("kata,", "(2024).") repeat, so their tokens are remembered (up to ``_PIECE_CACHE_SIZE`` pieces)."""
    known: dict[str, tuple[str, ...]] = {}

    def segment(text: str) -> list[str]:
        tokens: list[str] = []
        append, extend = tokens.append, tokens.extend
        for piece in text.split():
            if piece.isalnum():
                append(piece)
                continue
            found = known.get(piece)
            if found is None:
                if len(known) >= _PIECE_CACHE_SIZE:
                    known.clear()
                found = known[piece] = tuple(findall(piece))
            extend(found)
        return tokens

    return segment


@cache
def segmenter(name: str) -> Segmenter:
    """The word segmenter named by a preset (loaded once per process)."""
    if name == "latin":
        return _by_spaces_first(_LATIN_TOKEN.findall)
    if name == "unicode":
        return _by_spaces_first(_UNICODE_TOKEN.findall)
    if name in _SCRIPT_SEGMENTERS:
        return _script_segmenter(name)
    raise ValueError(
        f"unknown word segmenter {name!r}; expected latin, unicode, {', '.join(_SCRIPT_SEGMENTERS)}"
    )


@dataclass
class Tokens:
    """The tokens of a batch: ``ids`` flat over documents, document ``d`` at ``ids[offsets[d]:offsets[d+1]]``.

    Per vocabulary entry (``dictionary``): ``length`` (characters), ``is_word`` (has a letter, digit or
    mark: not a lone symbol), ``has_letter``.
    """

    ids: np.ndarray
    offsets: np.ndarray
    dictionary: pa.Array
    length: np.ndarray
    is_word: np.ndarray
    has_letter: np.ndarray

    @property
    def counts(self) -> np.ndarray:
        return np.diff(self.offsets)

    def per_document_sum(self, values: np.ndarray) -> np.ndarray:
        """Sum of a per-token array within each document."""
        cumulative = np.zeros(len(values) + 1, dtype=values.dtype)
        np.cumsum(values, out=cumulative[1:])
        return cumulative[self.offsets[1:]] - cumulative[self.offsets[:-1]]

    def vocabulary_index(self, words: Sequence[str]) -> np.ndarray:
        """Per vocabulary entry, the position of its lower-cased form in ``words``, or -1."""
        lowered = pc.utf8_lower(self.dictionary)
        found = pc.index_in(lowered, value_set=_lines_array(["\n".join(words)] if words else []))
        # int32, null where absent (``fill_null`` would import pandas to convert its argument)
        index = np.frombuffer(found.buffers()[1], dtype=np.int32)[found.offset : found.offset + len(found)]
        return np.where(_numpy(found.is_valid()), index, -1)


def _numpy(array: pa.Array) -> np.ndarray:
    """A null-free numeric or boolean array as numpy, through DLPack: ``to_numpy`` imports pandas (a
    quarter second of start-up) even to copy integers."""
    if pa.types.is_boolean(array.type):
        return np.from_dlpack(array.cast(pa.uint8())).view(np.bool_)
    return np.from_dlpack(array)


def _lines_array(chunks: Sequence[str]) -> pa.Array:
    """An Arrow string array of the lines of ``chunks``: non-empty runs of strings joined by line breaks
    (tokens, stop words: none holds a line break). Built from one buffer, about as fast as ``pa.array``
    on a Python list, which would first import pandas (a quarter second) to rule it out."""
    joined = "\n".join(chunks).encode("utf-8")
    one = pa.LargeStringArray.from_buffers(
        1, pa.py_buffer(np.array([0, len(joined)], dtype=np.int64)), pa.py_buffer(joined)
    )
    array = pc.split_pattern(one, "\n").flatten().cast(pa.string())
    return array if chunks else array.slice(0, 0)


def tokenize(texts: Sequence[str], segmenter_names: Sequence[str]) -> Tokens:
    """Split every document with its segmenter and encode the batch's tokens as ids."""
    lists = [segmenter(name)(text) for text, name in zip(texts, segmenter_names, strict=True)]
    offsets = np.zeros(len(lists) + 1, dtype=np.int64)
    np.cumsum([len(tokens) for tokens in lists], out=offsets[1:])
    encoded = pc.dictionary_encode(_lines_array(["\n".join(tokens) for tokens in lists if tokens]))
    dictionary = encoded.dictionary
    return Tokens(
        ids=_numpy(encoded.indices).astype(np.int64, copy=False),
        offsets=offsets,
        dictionary=dictionary,
        length=_numpy(pc.utf8_length(dictionary)).astype(np.int64),
        is_word=_numpy(pc.match_substring_regex(dictionary, r"[\pL\pN\pM_]")),
        has_letter=_numpy(pc.match_substring_regex(dictionary, r"\pL")),
    )
