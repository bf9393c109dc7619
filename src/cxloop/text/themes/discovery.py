"""Theme discovery over comment texts: embed, cluster (the number of themes is found, not given), name each cluster by
its key phrases (class-based TF-IDF) and match the clusters to the themes of the previous run. Pure: no database.

The steps (docs/themes.md):
1. Embed: sentence embeddings (MiniLM, `embedding.py`) when `cxloop[nlp]` is installed, else TF-IDF reduced by a
   truncated SVD (latent semantic analysis), fitted on the corpus itself. Rows are unit vectors (cosine geometry).
2. On a sample of 2,000 comments, for each candidate number of themes (2 to 150, steps of 25 %), run k-means (best
   of three starts); the smallest number whose mean silhouette is within one standard error of the best is chosen.
3. Ward's agglomerative clustering at that number on up to 5,000 comments, every comment to its nearest centroid;
   clusters below a minimum size are left without a theme.
4. Name: the top phrases of each cluster by c-TF-IDF (a phrase frequent in the cluster and rare in the others); merge
   clusters whose key phrases mostly coincide (near-duplicates).
5. Match to the previous run by the overlap of their term profiles (and centroids when both come from the same
   embedder) with an optimal one-to-one assignment, so a theme that still exists keeps its identity and name.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

Vectors = NDArray[np.float32]
Progress = Callable[[str], None]

MAX_THEMES = 150  # a readable list: the tree is never cut into more themes than this
MIN_SHARE = 0.002  # a cluster with fewer than 0.2 % of the comments (and at least MIN_MEMBERS) is no theme
MIN_MEMBERS = 3
SAMPLE = 2_000  # comments the number of themes is chosen on
MIN_PER_THEME_IN_SAMPLE = 10  # numbers of themes tried leave at least this many sampled comments per theme
WARD_SAMPLE = 5_000  # comments Ward's clustering runs on (its memory grows with the square); the rest join the nearest
INITS = 3  # each clustering the best of this many k-means starts (one bad start must not decide the number)
PROFILE_TERMS = 40  # weighted terms kept per theme for matching runs and assigning new comments
NAME_PHRASES = 3  # phrases in a default name
KEY_PHRASES = 8  # phrases shown with a theme
DUPLICATE_OVERLAP = 0.6  # clusters whose top key phrases overlap this much (Jaccard) are one theme
MATCH_MIN = 0.3  # a new cluster keeps an old theme's identity when their similarity reaches this
SVD_DIMENSIONS = 100
LSA = "lsa"  # the light embedding's name

_URL = re.compile(r"https?://\S+|www\.\S+")
_HANDLE = re.compile(r"(?<!\w)@\w+")
_SPACES = re.compile(r"\s+")
WORD_PATTERN = r"(?u)\b[^\W\d_][^\W\d_']+\b"  # words of two letters or more, no digits


def clean(text: str) -> str:
    """The text clustering reads: HTML entities decoded, links and @handles removed, spaces collapsed."""
    text = html.unescape(text)
    text = _HANDLE.sub(" ", _URL.sub(" ", text))
    return _SPACES.sub(" ", text).strip()


def counter(*, n_docs: int, vocabulary: Sequence[str] | None = None) -> Any:
    """The one tokenizer of themes: words and two-word phrases, English stop words out (scikit-learn)."""
    from sklearn.feature_extraction.text import CountVectorizer

    if vocabulary is not None:
        return CountVectorizer(
            token_pattern=WORD_PATTERN, stop_words="english", ngram_range=(1, 2), vocabulary=list(vocabulary)
        )
    return CountVectorizer(
        token_pattern=WORD_PATTERN,
        stop_words="english",
        ngram_range=(1, 2),
        min_df=2 if n_docs >= 50 else 1,
        max_df=0.5 if n_docs >= 50 else 1.0,
        max_features=50_000,
        dtype=np.float32,
    )


@dataclass(frozen=True)
class Cluster:
    """One discovered theme: its members (row indexes), key phrases, term profile and centroid."""

    members: NDArray[np.int64]
    key_phrases: list[str]
    profile: dict[str, float]
    centroid: list[float]
    scores: NDArray[np.float32]  # each member's cosine to the centroid

    @property
    def name(self) -> str:
        return default_name(self.key_phrases)


@dataclass
class Discovery:
    """What one run found: a label per comment (-1: no theme), the clusters, and how the number was chosen (the
    silhouette of each number of themes tried)."""

    labels: NDArray[np.int64]
    clusters: list[Cluster]
    embedder: str
    silhouette: dict[int, float] = field(default_factory=dict)
    chosen: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


def default_name(phrases: Sequence[str]) -> str:
    return ", ".join(phrases[:NAME_PHRASES]) or "(no words)"


def lsa_vectors(counts: Any, *, seed: int = 0) -> Vectors:
    """The light embedding: sublinear TF-IDF of the counts, reduced to at most 100 dimensions, unit rows."""
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.preprocessing import normalize

    tfidf = TfidfTransformer(sublinear_tf=True).fit_transform(counts)
    dimensions = min(SVD_DIMENSIONS, tfidf.shape[1] - 1, tfidf.shape[0] - 1)
    if dimensions < 2:
        return np.asarray(normalize(tfidf.toarray()), dtype=np.float32)
    reduced = TruncatedSVD(n_components=dimensions, n_iter=5, random_state=seed).fit_transform(tfidf)
    return np.asarray(normalize(reduced), dtype=np.float32)


def _unit(rows: NDArray[Any]) -> Vectors:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.asarray(rows / norms, dtype=np.float32)


def _choose_k(vectors: Vectors, seed: int) -> tuple[int, dict[int, float]]:
    """On a sample of the comments, cluster with k-means for each candidate number of themes and score each by its
    mean silhouette (cosine): each comment's distance to its own theme against its distance to the nearest other one,
    so a number that splits real themes or lumps several together scores lower. The smallest number whose silhouette
    is within one standard error of the best is chosen (the one-standard-error rule: among numbers the sample cannot
    tell apart, the shorter list). Returns the chosen number and the silhouette of every number tried."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_samples

    rng = np.random.default_rng(seed)
    sample = vectors[rng.choice(len(vectors), size=min(SAMPLE, len(vectors)), replace=False)]
    silhouette: dict[int, float] = {}
    error: dict[int, float] = {}
    for k in _candidates(min(MAX_THEMES, len(sample) // MIN_PER_THEME_IN_SAMPLE)):
        model = KMeans(n_clusters=k, n_init=INITS, max_iter=30, random_state=seed).fit(sample)
        if len(np.unique(model.labels_)) < 2:  # identical comments: nothing to tell apart
            continue
        each = silhouette_samples(sample, model.labels_, metric="cosine")
        silhouette[k], error[k] = float(each.mean()), float(each.std() / np.sqrt(len(each)))
    if not silhouette:
        return 1, {}
    best = max(silhouette, key=lambda k: silhouette[k])
    chosen = min(k for k, value in silhouette.items() if value >= silhouette[best] - error[best])
    return chosen, silhouette


def _candidates(k_max: int) -> list[int]:
    """2 to k_max in steps of about 25 %: 2, 3, 4, 5, 6, 8, 10, 12, 15, 19, 24, 30, 37, 46, 58, 72, 90, 112, 140."""
    ks = [2]
    while True:
        k = max(ks[-1] + 1, round(ks[-1] * 1.25))
        if k > k_max:
            return ks
        ks.append(k)


def _final(vectors: Vectors, k: int, seed: int) -> NDArray[np.int64]:
    """The themes of every comment at the chosen number: Ward's agglomerative clustering (which follows themes of
    uneven size and shape better than k-means) of up to 5,000 comments, then each comment to its nearest centroid
    (one k-means step from the Ward centroids: cosine geometry, every comment counted)."""
    from sklearn.cluster import AgglomerativeClustering

    rng = np.random.default_rng(seed)
    rows = rng.choice(len(vectors), size=min(WARD_SAMPLE, len(vectors)), replace=False)
    ward = AgglomerativeClustering(n_clusters=k, linkage="ward").fit(vectors[rows])
    centroids = _unit(np.vstack([vectors[rows[ward.labels_ == c]].mean(axis=0) for c in range(k)]))
    labels = np.empty(len(vectors), dtype=np.int64)
    for start in range(0, len(vectors), 20_000):  # nearest centroid, in blocks (bounded memory)
        labels[start : start + 20_000] = (vectors[start : start + 20_000] @ centroids.T).argmax(axis=1)
    return labels


def cluster(vectors: Vectors, *, seed: int = 0) -> tuple[NDArray[np.int64], dict[int, float]]:
    """Labels (0..k-1, or -1 for comments in clusters too small to be a theme) and the silhouette of each number of
    themes tried."""
    from threadpoolctl import threadpool_limits

    n = len(vectors)
    if n < 2 * MIN_PER_THEME_IN_SAMPLE:
        return np.full(n, -1 if n < MIN_MEMBERS else 0, dtype=np.int64), {}
    with threadpool_limits(limits=1):  # many small k-means: threads cost more than they give, and thrash when busy
        k, silhouette = _choose_k(vectors, seed)
        labels = _final(vectors, k, seed)
    smallest = max(MIN_MEMBERS, int(MIN_SHARE * n))
    sizes = np.bincount(labels)
    labels = np.where(sizes[labels] >= smallest, labels, -1)
    kept = np.unique(labels[labels >= 0])
    remap = np.full(int(np.max(labels)) + 2 if len(labels) else 1, -1, dtype=np.int64)
    remap[kept] = np.arange(len(kept))
    return np.where(labels >= 0, remap[labels], -1), silhouette


def key_phrases(counts: Any, labels: NDArray[np.int64], vocabulary: NDArray[Any]) -> tuple[list[list[str]], Any]:
    """c-TF-IDF: for each cluster, its phrases ranked by frequency in the cluster times rarity across clusters;
    returns the readable top phrases of each cluster and the weight matrix (clusters x terms)."""
    from scipy import sparse
    from sklearn.preprocessing import normalize

    k = int(np.max(labels)) + 1 if len(labels) and np.max(labels) >= 0 else 0
    rows = np.flatnonzero(labels >= 0)
    membership = sparse.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (labels[rows], rows)), shape=(k, counts.shape[0])
    )
    per_class = np.asarray((membership @ counts).todense(), dtype=np.float64)
    tf = normalize(per_class, norm="l1")
    average_words = per_class.sum() / max(k, 1)
    idf = np.log1p(average_words / np.maximum(per_class.sum(axis=0), 1.0))
    weights = tf * idf
    phrases = [_readable(weights[c], vocabulary) for c in range(k)]
    return phrases, weights


def _readable(row: NDArray[np.float64], vocabulary: NDArray[Any]) -> list[str]:
    """Top phrases without repeats: a word already inside a chosen phrase is skipped, and a two-word phrase takes the
    place of its word chosen before it ("service" becomes "customer service")."""
    chosen: list[str] = []
    words: set[str] = set()
    for index in np.argsort(-row)[: KEY_PHRASES * 4]:
        if row[index] <= 0:
            break
        term = str(vocabulary[index])
        parts = term.split()
        inside = [i for i, c in enumerate(chosen) if c in parts]
        if set(parts) <= words and len(inside) < len(parts):
            continue
        if inside:
            chosen[inside[0]] = term
            chosen = [c for i, c in enumerate(chosen) if i not in inside[1:]]
        else:
            chosen.append(term)
        words |= set(parts)
        if len(chosen) == KEY_PHRASES:
            break
    return chosen


def profile_of(row: NDArray[np.float64], vocabulary: NDArray[Any]) -> dict[str, float]:
    """A theme's top weighted terms, as a unit vector over terms."""
    top = [i for i in np.argsort(-row)[:PROFILE_TERMS] if row[i] > 0]
    norm = float(np.sqrt(sum(row[i] ** 2 for i in top))) or 1.0
    return {str(vocabulary[i]): round(float(row[i]) / norm, 5) for i in top}


def _merge_duplicates(labels: NDArray[np.int64], phrases: list[list[str]]) -> NDArray[np.int64]:
    """Clusters whose top key phrases mostly coincide become one (the larger keeps its number)."""
    k = len(phrases)
    parent = list(range(k))

    def root(c: int) -> int:
        while parent[c] != c:
            c = parent[c]
        return c

    top = [set(p[:5]) for p in phrases]
    for a in range(k):
        for b in range(a + 1, k):
            union = top[a] | top[b]
            if union and len(top[a] & top[b]) / len(union) >= DUPLICATE_OVERLAP:
                parent[root(b)] = root(a)
    if all(parent[c] == c for c in range(k)):
        return labels
    roots = np.array([root(c) for c in range(k)] + [-1], dtype=np.int64)
    merged = roots[labels]  # -1 indexes the trailing -1
    kept = np.unique(merged[merged >= 0])
    remap = {int(old): new for new, old in enumerate(kept)}
    return np.array([remap.get(int(x), -1) for x in merged], dtype=np.int64)


def discover(
    texts: Sequence[str],
    *,
    embed: Callable[[Sequence[str]], Vectors] | None = None,
    vectors: Vectors | None = None,
    embedder: str = LSA,
    seed: int = 0,
    progress: Progress | None = None,
) -> Discovery:
    """Find the themes of `texts`. `embed` gives sentence vectors of the cleaned texts, or `vectors` holds them
    already, a row per text (text/themes/vectors.py); neither: the light TF-IDF + SVD embedding."""
    say = progress or (lambda _: None)
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    cleaned = [clean(t) for t in texts]
    vectorizer = counter(n_docs=len(cleaned))
    try:
        counts = vectorizer.fit_transform(cleaned)
    except ValueError:  # no word at all (empty corpus, only stop words)
        return Discovery(np.full(len(texts), -1, dtype=np.int64), [], embedder)
    vocabulary = vectorizer.get_feature_names_out()
    seconds["count"] = time.perf_counter() - started
    say("embedding")
    started = time.perf_counter()
    if vectors is not None:
        vectors = _unit(vectors)
    else:
        vectors = _unit(embed(cleaned)) if embed is not None else lsa_vectors(counts, seed=seed)
    seconds["embed"] = time.perf_counter() - started
    say("clustering")
    started = time.perf_counter()
    labels, silhouette = cluster(vectors, seed=seed)
    seconds["cluster"] = time.perf_counter() - started
    if not (labels >= 0).any():
        return Discovery(labels, [], embedder, silhouette, 0, seconds)
    say("naming")
    started = time.perf_counter()
    phrases, _ = key_phrases(counts, labels, vocabulary)
    labels = _merge_duplicates(labels, phrases)
    phrases, weights = key_phrases(counts, labels, vocabulary)
    clusters = []
    for c, top in enumerate(phrases):
        members = np.flatnonzero(labels == c)
        centroid = _unit(vectors[members].mean(axis=0, keepdims=True))[0]
        clusters.append(
            Cluster(
                members=members,
                key_phrases=top,
                profile=profile_of(weights[c], vocabulary),
                centroid=[round(float(x), 5) for x in centroid],
                scores=np.asarray(vectors[members] @ centroid, dtype=np.float32),
            )
        )
    seconds["name"] = time.perf_counter() - started
    chosen = len(clusters)
    return Discovery(labels, clusters, embedder, silhouette, chosen, seconds)


def profile_similarity(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Cosine of two term profiles (both unit vectors over terms)."""
    if len(a) > len(b):
        a, b = b, a
    return float(sum(w * b.get(t, 0.0) for t, w in a.items()))


@dataclass(frozen=True)
class Known:
    """A theme of an earlier run, as matching sees it: the id new clusters would take, its profile and centroid."""

    theme_id: int
    profile: Mapping[str, float]
    centroid: Sequence[float] | None
    embedder: str


def match(clusters: Sequence[Cluster], known: Sequence[Known], *, embedder: str) -> dict[int, int]:
    """Cluster index -> theme id of an earlier run, one-to-one per known entry, by the best total similarity: the
    term profiles' cosine, averaged with the centroids' cosine when both come from the same fixed embedder (LSA is
    fitted on each run's corpus, so its centroids of two runs live in different spaces)."""
    from scipy.optimize import linear_sum_assignment

    if not clusters or not known:
        return {}
    similarity = np.zeros((len(clusters), len(known)))
    for i, c in enumerate(clusters):
        for j, k in enumerate(known):
            score = profile_similarity(c.profile, k.profile)
            same_space = embedder != LSA and k.embedder == embedder and k.centroid is not None
            if same_space and len(k.centroid or ()) == len(c.centroid):
                score = (score + float(np.dot(c.centroid, k.centroid or ()))) / 2
            similarity[i, j] = score
    rows, cols = linear_sum_assignment(-similarity)
    return {int(r): known[c].theme_id for r, c in zip(rows, cols, strict=True) if similarity[r, c] >= MATCH_MIN}


def profile_scores(texts: Sequence[str], profiles: Sequence[Mapping[str, float]]) -> NDArray[np.float64]:
    """How much of each profile each text carries (texts x profiles): the summed weights of the profile's terms
    found in the text (a text with a theme's top phrase scores about 0.3-0.6, one with no term of it 0)."""
    terms = sorted({t for p in profiles for t in p})
    if not terms or not texts:
        return np.zeros((len(texts), len(profiles)))
    index = {t: i for i, t in enumerate(terms)}
    matrix = np.zeros((len(terms), len(profiles)))
    for j, p in enumerate(profiles):
        for t, w in p.items():
            matrix[index[t], j] = w
    counts = counter(n_docs=len(texts), vocabulary=terms).transform([clean(t) for t in texts])
    counts.data = np.ones_like(counts.data)
    return np.asarray(counts @ matrix)
