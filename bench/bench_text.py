"""Text enrichment: sentiment quality on real labelled customer text, against VADER and TextBlob on the same rows in
the same run, and throughput (comments/s) of the light path and of the embedding path.

    pip install -e '.[bench]'                     # VADER and TextBlob, for this benchmark only
    pip install -e '.[nlp]'                       # MiniLM: adds the model learned on sentence embeddings
    python bench/bench_text.py                    # the labelled files of ../shared/data (see its README)
    python bench/bench_text.py --data /path/to/shared/data --throughput 20000

Rows (per ../shared/data/README.md): airline tweets without repeated tweet ids and with a sentiment confidence of at
least 0.6, HTML entities decoded (3 classes: negative/neutral/positive); telecom NPS verbatims with a score, without
the STOP replies and texts of 3 characters or fewer, labelled by the score as `cxloop text learn` labels them (0-6
negative, 7-8 neutral, 9-10 positive); Yelp sentences without the `#NAME?` rows (positive/negative only). Every
text is masked (text/pii.py) as cxloop masks it before any model reads it, and every model reads the masked text.

Models:
- day one: cxloop's lexicon (text/sentiment/lexicon.py), no training;
- learned: text/sentiment/learned.py fitted per file on 4/5 of its rows and scored on the other 1/5, five times
  (out-of-fold), so every row is scored by a model that never saw it; trained on the file's own labels, which
  stand for the organisation's scores;
- learned on MiniLM (when cxloop[nlp] is installed): the `minilm` kind of text/sentiment/learned.py (the TF-IDF
  model blended with a regression on MiniLM vectors, its decision biases tuned on inner folds of each training
  fold), out-of-fold on the same folds; the vectors of each file are kept in --cache (they take minutes to encode);
- cross-domain: the TF-IDF model trained on the other files only (what a model shipped from elsewhere would do);
- VADER (compound, its documented +-0.05 neutral band) and TextBlob (polarity, 0 is neutral).

Positive/negative macro-F1 is taken over the rows labelled positive or negative, by the sign of each model's score:
a score of exactly 0 counts as negative for every model alike (complaints without sentiment words are common in
customer feedback), and the last column counts it as positive instead, to show how much that rule moves each model.
Throughput is counted in comments per CPU-second of the process (one core), so that other work on the machine does
not change it, over the airline texts repeated to `--throughput` comments: the lexicon alone, the whole light path
(`text.service.analyse_texts`: PII masking, language, key phrases, sentiment), the learned model's scoring, VADER
and TextBlob; with cxloop[nlp], the MiniLM model's scoring and the whole enrichment with it (the embedding path) over
--throughput-minilm comments, in CPU-seconds (torch uses both cores) and wall-clock.

`--anchors yelp,telecom` (needs `cxloop[nlp]`): an experiment towards the embedding day-one path (issue 15 §2), not
a cxloop model yet. Each text's MiniLM vector is compared with the mean vectors of eight generic positive and eight
generic negative customer statements written here (not taken from any data set); the score is the difference of the
two cosines. Printed beside the lexicon and VADER on the same rows. MiniLM vectors are kept in --cache.
"""

from __future__ import annotations

import argparse
import csv
import html
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cxloop.text import embedding, pii
from cxloop.text import service as text
from cxloop.text.sentiment import labels as weak_labels
from cxloop.text.sentiment import learned, lexicon

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
THREE = ("negative", "neutral", "positive")


@dataclass
class Rows:
    name: str
    texts: list[str]
    labels: list[str]
    three_class: bool


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def airline(data: Path) -> Rows:
    seen: set[str] = set()
    texts, labels = [], []
    for row in _read(data / "airline_tweets.csv"):
        if row["tweet_id"] in seen or float(row["airline_sentiment_confidence"] or 0) < 0.6:
            continue
        seen.add(row["tweet_id"])
        texts.append(html.unescape(row["text"]))
        labels.append(row["airline_sentiment"])
    return Rows("airline tweets", texts, labels, True)


def telecom(data: Path) -> Rows:
    texts, labels = [], []
    for row in _read(data / "nps_telecom_verbatims.csv"):
        body = row["text"].strip()
        if not row["NPS_SCORE"] or body.lower() == "stop" or len(body) <= 3:
            continue
        texts.append(body)
        labels.append(weak_labels.from_nps(int(float(row["NPS_SCORE"]))).value)
    return Rows("telecom NPS verbatims", texts, labels, True)


def yelp(data: Path) -> Rows:
    texts, labels = [], []
    for row in _read(data / "restaurant_reviews_yelp.csv"):
        if row["Review"].strip() == "#NAME?":
            continue
        texts.append(row["Review"])
        labels.append("positive" if row["Liked"] == "1" else "negative")
    return Rows("Yelp sentences", texts, labels, False)


def _banded(scores: Sequence[float], band: float) -> list[str]:
    return ["positive" if s >= band else "negative" if s <= -band else "neutral" for s in scores]


def vader() -> Callable[[Sequence[str]], tuple[list[str], list[float]]]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()

    def run(texts: Sequence[str]) -> tuple[list[str], list[float]]:
        scores = [analyzer.polarity_scores(t)["compound"] for t in texts]
        return _banded(scores, 0.05), scores

    return run


def textblob() -> Callable[[Sequence[str]], tuple[list[str], list[float]]]:
    from textblob import TextBlob

    def run(texts: Sequence[str]) -> tuple[list[str], list[float]]:
        scores = [float(TextBlob(t).sentiment.polarity) for t in texts]
        return ["positive" if s > 0 else "negative" if s < 0 else "neutral" for s in scores], scores

    return run


POSITIVE_ANCHORS = (
    "I am very happy with this.",
    "Great service, thank you so much!",
    "Everything worked perfectly.",
    "Excellent, quick and friendly.",
    "I love it, highly recommend.",
    "The staff were helpful and kind.",
    "Really pleased with the result.",
    "Fantastic experience from start to finish.",
)
NEGATIVE_ANCHORS = (
    "I am very unhappy with this.",
    "Terrible service, never again.",
    "Nothing works and nobody helps.",
    "Awful, slow and rude.",
    "I hate it, do not recommend.",
    "The staff were useless and rude.",
    "Really disappointed with the result.",
    "The worst experience I have ever had.",
)


def anchors(cache: Path, key: str) -> Callable[[Sequence[str]], tuple[list[str], list[float]]]:
    """Zero-shot sentiment from MiniLM vectors: cosine to the positive anchors' mean minus to the negative ones'."""
    from cxloop.text.themes import embedding

    def run(texts: Sequence[str]) -> tuple[list[str], list[float]]:
        cache.mkdir(parents=True, exist_ok=True)
        path = cache / f"minilm-sentiment-{key}.npy"
        vectors = np.load(path) if path.is_file() else None
        if vectors is None or len(vectors) != len(texts):
            vectors = embedding.minilm(texts)
            np.save(path, vectors)
        anchor = embedding.minilm([*POSITIVE_ANCHORS, *NEGATIVE_ANCHORS])
        direction = anchor[: len(POSITIVE_ANCHORS)].mean(axis=0) - anchor[len(POSITIVE_ANCHORS) :].mean(axis=0)
        scores = [float(x) for x in vectors @ direction]
        return _banded(scores, 0.02), scores

    return run


def masked(rows: Rows) -> Rows:
    return Rows(rows.name, [pii.mask(t[:20_000]).text for t in rows.texts], rows.labels, rows.three_class)


def vectors(rows: Rows, cache: Path) -> dict[str, embedding.Vectors]:
    """MiniLM vectors of the rows' texts, by text, kept in `cache` between runs."""
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"minilm-masked-{rows.name.split()[0].lower()}.npy"
    found = np.load(path) if path.is_file() else None
    if found is None or len(found) != len(rows.texts):
        found = embedding.minilm(rows.texts)
        np.save(path, found)
    return dict(zip(rows.texts, found, strict=True))


def day_one(texts: Sequence[str]) -> tuple[list[str], list[float]]:
    scored = learned.day_one(texts)
    return [label.value for label in scored.labels], scored.scores


def out_of_fold(rows: Rows, folds: int = 5, kind: str = learned.TFIDF) -> tuple[list[str], list[float]]:
    from sklearn.model_selection import StratifiedKFold

    labels_out = [""] * len(rows.texts)
    scores_out = [0.0] * len(rows.texts)
    texts = np.array(rows.texts, dtype=object)
    truth = np.array(rows.labels, dtype=object)
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=0).split(texts, truth):
        pipeline = learned.fit(list(texts[train]), list(truth[train]), kind=kind)
        scored = learned.predict(pipeline, list(texts[test]))
        for i, label, score in zip(test, scored.labels, scored.scores, strict=True):
            labels_out[i], scores_out[i] = label.value, score
    return labels_out, scores_out


def cross_domain(rows: Rows, others: Sequence[Rows]) -> tuple[list[str], list[float]]:
    texts = [t for o in others for t in o.texts]
    labels = [label for o in others for label in o.labels]
    scored = learned.predict(learned.fit(texts, labels), rows.texts)
    return [label.value for label in scored.labels], scored.scores


def figures(rows: Rows, predicted: tuple[list[str], list[float]]) -> tuple[float | None, float, float]:
    """3-class macro-F1, and positive/negative macro-F1 with a score of 0 counted as negative, then as positive."""
    labels, scores = predicted
    three = learned.macro_f1(rows.labels, labels, THREE) if rows.three_class else None
    nudged = [s if s != 0 else 1e-9 for s in scores]
    return three, learned.binary_f1(rows.labels, scores), learned.binary_f1(rows.labels, nudged)


def rate(fn: Callable[[Sequence[str]], object], texts: Sequence[str]) -> float:
    """Comments per CPU-second of this process (one core): a fair figure even when other work shares the machine."""
    start = time.process_time()
    fn(texts)
    return len(texts) / (time.process_time() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA, help="folder of the labelled files")
    parser.add_argument("--throughput", type=int, default=20_000, help="comments timed per model")
    parser.add_argument("--speed-only", action="store_true", help="skip the quality table")
    parser.add_argument("--store", type=int, default=0, help="also time `cxloop text enrich` over N stored comments")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--anchors", default="", help="MiniLM anchor experiment on these sets (airline,telecom,yelp)")
    parser.add_argument("--cache", type=Path, default=Path("/work/.cache/cxloop-bench"), help="MiniLM vectors")
    parser.add_argument("--throughput-minilm", type=int, default=2_000, help="comments timed on the embedding path")
    args = parser.parse_args()

    sets = [masked(airline(args.data)), masked(telecom(args.data)), masked(yelp(args.data))]
    minilm = embedding.minilm_installed()
    baselines = {"VADER": vader(), "TextBlob": textblob()}
    if args.anchors:
        chosen = [r for r in sets if r.name.split()[0].lower() in args.anchors.split(",")]
        for rows in chosen:
            for name, model in (("day one", day_one), ("VADER", baselines["VADER"]), ("MiniLM anchors", None)):
                scorer = model or anchors(args.cache, rows.name.split()[0].lower())
                three, binary, nudged = figures(rows, scorer(rows.texts))
                shown = "-" if three is None else f"{three:.3f}"
                print(f"{rows.name} (n={len(rows.texts)}) {name}: 3-class {shown}, pos/neg {binary:.3f} ({nudged:.3f})")
        return
    if not args.speed_only:
        quality(sets, baselines, args.cache if minilm else None)
    speed(sets, baselines, args.throughput)
    if minilm:
        embedding_speed(sets, args.throughput_minilm)
    if args.store:
        stored(sets[0].texts, args.store, args.backend)


def stored(texts: Sequence[str], count: int, backend: str) -> None:
    """Store `count` responses with these comments (not enriched), then time the batches `cxloop text enrich` runs."""
    from cxloop.collection import service as collection
    from cxloop.collection.schemas import ResponseCreate
    from cxloop.storage.database import Database
    from cxloop.text.enums import ItemKind
    from databases import survey_database

    with survey_database(backend) as url:
        db = Database(url)
        for start in range(0, count, 1_000):
            items = [
                ResponseCreate(survey="relationship-nps", nps=n % 11, comment=texts[n % len(texts)])
                for n in range(start, min(start + 1_000, count))
            ]
            with db.unit_of_work(write=True) as session:
                collection.record_responses(session, items=items)
        wall, cpu = time.perf_counter(), time.process_time()
        after: int | None = 0
        done = 0
        while after is not None:
            with db.unit_of_work(write=True) as session:
                step = text.enrich_batch(session, kind=ItemKind.response, after_id=after, everything=False)
            done += step.analysed
            after = step.last_id
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        db.dispose()
    print()
    print(
        f"`cxloop text enrich` on {backend}: {done:,} comments analysed and stored in {wall:.1f} s wall-clock "
        f"({done / wall:,.0f}/s), {cpu:.1f} s of CPU in this process ({done / cpu:,.0f} per CPU-second)"
    )


def quality(
    sets: list[Rows],
    baselines: dict[str, Callable[[Sequence[str]], tuple[list[str], list[float]]]],
    cache: Path | None,
) -> None:
    print("| rows | n | model | macro-F1 3-class | macro-F1 pos/neg | pos/neg, 0 as positive |")
    print("| --- | --- | --- | --- | --- | --- |")
    for rows in sets:
        others = [o for o in sets if o is not rows]
        runs: dict[str, tuple[list[str], list[float]]] = {
            "day one (lexicon)": day_one(rows.texts),
            "learned (out-of-fold)": out_of_fold(rows),
            "cross-domain (trained on the other files)": cross_domain(rows, others),
            **{name: run(rows.texts) for name, run in baselines.items()},
        }
        if cache is not None:
            with embedding.remembered(vectors(rows, cache)):
                runs["learned on MiniLM (out-of-fold)"] = out_of_fold(rows, kind=learned.MINILM)
        n_binary = sum(1 for label in rows.labels if label != "neutral")
        for name, predicted in runs.items():
            three, binary, tie_positive = figures(rows, predicted)
            cells = [f"{three:.3f}" if three is not None else "-", f"{binary:.3f}", f"{tie_positive:.3f}"]
            print(f"| {rows.name} | {len(rows.texts)} ({n_binary} pos/neg) | {name} | {' | '.join(cells)} |")


def speed(
    sets: list[Rows], baselines: dict[str, Callable[[Sequence[str]], tuple[list[str], list[float]]]], size: int
) -> None:
    sample = (sets[0].texts * (size // len(sets[0].texts) + 1))[:size]
    fitted = learned.fit(sets[1].texts, sets[1].labels)
    text.analyse_texts(sample[:10])  # loads the language model once, outside the timing
    print()
    print("| path | comments per CPU-second (one core) |")
    print("| --- | --- |")
    print(f"| day-one lexicon alone | {rate(lambda t: [lexicon.score(x) for x in t], sample):,.0f} |")
    print(f"| light path, whole enrichment (analyse_texts) | {rate(text.analyse_texts, sample):,.0f} |")
    print(f"| learned model scoring | {rate(lambda t: learned.predict(fitted, t), sample):,.0f} |")
    for name, run in baselines.items():
        print(f"| {name} | {rate(run, sample[:5000]):,.0f} |")


def embedding_speed(sets: list[Rows], size: int) -> None:
    """The embedding path: the MiniLM model's scoring alone, and the whole enrichment with it."""
    sample = (sets[0].texts * (size // len(sets[0].texts) + 1))[:size]
    fitted = learned.fit(sets[1].texts, sets[1].labels, kind=learned.MINILM)
    scorer = text.Scorer("learned-minilm", lambda t: learned.predict(fitted, t))
    embedding.minilm(sample[:10])  # loads the model once, outside the timing
    for name, run in (
        ("MiniLM model scoring", scorer.score),
        ("embedding path, whole enrichment (analyse_texts)", lambda t: text.analyse_texts(t, scorer=scorer)),
    ):
        wall = time.perf_counter()
        per_cpu = rate(run, sample)
        print(f"| {name} | {per_cpu:,.0f} per CPU-second, {size / (time.perf_counter() - wall):,.0f}/s wall-clock |")


if __name__ == "__main__":
    main()
