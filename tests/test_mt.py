"""mt_score: scores Indonesian, null elsewhere, removes nothing by default, typed signals."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from saring.core.batch import DocumentBatch
from saring.core.registry import stage_class
from saring.stages.mt import MtScore, MtScoreParams
from saring.stages.mt.features import Abstraction, StyleHasher, memo_lookup, tokenize
from saring.testing import run_stages

FIXTURES = Path(__file__).parent / "fixtures" / "mt"
TRANSLATED = (FIXTURES / "translated_id.txt").read_text(encoding="utf-8")
NATIVE = (FIXTURES / "native_id.txt").read_text(encoding="utf-8")
ENGLISH = "The committee met on Monday and agreed to publish its report before the end of the month."


def run(texts: list[str], **params) -> DocumentBatch:
    params.setdefault("default_language", "ind_Latn")
    return run_stages([MtScore(MtScoreParams(**params))], texts)


def signals(batch: DocumentBatch, name: str) -> list:
    return list(batch.signals[f"mt_score.{name}"])


def test_registered() -> None:
    assert stage_class("mt_score") is MtScore


def test_translated_text_scores_higher_than_native() -> None:
    batch = run([TRANSLATED, NATIVE])
    translated, native = signals(batch, "mt_score")
    assert translated > native
    assert translated > 0.5 > native
    calque_translated, calque_native = signals(batch, "calque_rate")
    assert calque_translated > calque_native


def test_unsupported_or_unknown_language_gives_null() -> None:
    batch = run([ENGLISH, NATIVE], default_language=None)
    assert signals(batch, "mt_score") == [None, None]
    batch = run([ENGLISH], default_language="eng_Latn")
    assert signals(batch, "mt_score") == [None]
    assert signals(batch, "sentences") == [None]


def test_removes_nothing_by_default_and_removes_above_max_score() -> None:
    batch = run([TRANSLATED, NATIVE])
    assert [batch.status(row) for row in range(2)] == ["kept", "kept"]
    assert all(reason is None for reason in MtScore().decide({"mt_score": signals(batch, "mt_score")}))
    strict = MtScore(MtScoreParams(max_score=0.5))
    assert strict.decide({"mt_score": signals(batch, "mt_score")}) == ["machine_translated", None]
    removed = run([TRANSLATED, NATIVE], max_score=0.5)
    assert [removed.status(row) for row in range(2)] == ["removed", "kept"]
    assert strict.thresholds() == {"mt_score": 0.5}
    assert MtScore().thresholds() == {}


def test_signals_typed_and_bounded() -> None:
    stage = MtScore()
    assert stage.signal_schema()["mt_score"] == pa.float32()
    batch = run([TRANSLATED, NATIVE, "Terlalu pendek."])
    scores = signals(batch, "mt_score")
    assert all(0.0 <= s <= 1.0 for s in scores[:2])
    assert scores[2] is None  # no sentence of at least five tokens
    assert signals(batch, "sentences")[:2] == [6, 5]


@pytest.mark.parametrize("label", ["ind_Latn", "ind"])
def test_reads_language_labels_with_or_without_script(label: str) -> None:
    batch = run([TRANSLATED], default_language=label)
    assert signals(batch, "mt_score")[0] is not None


def test_style_ngrams_of_a_sentence_do_not_depend_on_its_batch() -> None:
    hasher = StyleHasher(Abstraction(frozenset({"yang", "di"}), 2), max_n=3, dim=1 << 12)
    first, second = tokenize("Rumah yang besar di Jakarta."), tokenize("Dia pergi ke pasar yang ramai.")
    sentence_of, buckets = hasher.rows([first, second])
    alone_of, alone = StyleHasher(hasher.abstraction, 3, 1 << 12).rows([second])
    assert buckets[sentence_of == 1].tolist() == alone.tolist()
    assert (alone_of == 0).all() and len(set(alone.tolist())) == len(alone)
    # 7 tokens + <s> + </s>: at most 9 unigrams, 8 bigrams, 7 trigrams (fewer where symbols repeat)
    assert 15 <= (sentence_of == 1).sum() <= 24


def test_memo_lookup_stops_remembering_at_its_limit() -> None:
    memo: dict[str, int] = {}
    assert memo_lookup(memo, ["a", "b", "a", "c"], len, limit=2) == [1, 1, 1, 1]
    assert len(memo) == 2
    assert memo_lookup(memo, ["dd"], len, limit=2) == [2] and "dd" not in memo


def test_a_documents_scores_do_not_depend_on_its_batch() -> None:
    texts = [TRANSLATED, "Terlalu pendek.", NATIVE, ENGLISH, TRANSLATED + "\n" + NATIVE]
    stage = MtScore(MtScoreParams(language_signal="lang", default_language="ind_Latn"))
    batch = run_stages([stage], texts)
    alone = [run_stages([stage], [text]) for text in texts]
    for name in ("mt_score", "style_score", "english_share", "calque_rate", "sentences"):
        assert signals(batch, name) == [signals(single, name)[0] for single in alone]
