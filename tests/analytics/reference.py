"""A plain pandas reference for metric histograms: load every raw row, convert times with pandas, group, count.

It shares no code with cxloop's analytics or local-day SQL, so agreement means both are right.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from cxloop.collection.models import FeedbackItem, Response
from cxloop.customers.models import Account, Customer, Segment, SegmentMember
from cxloop.journeys.models import Stage, Touchpoint
from cxloop.surveys.models import Survey

SCALES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}


@dataclass
class Frames:
    scores: pd.DataFrame  # at, customer_id, survey_id, channel, touchpoint_id, stage_id, metric, score, source
    members: pd.DataFrame  # segment_id, customer_id
    accounts: dict[int, int | None]  # customer id -> account id
    keys: dict[str, dict[int, str]]  # dimension -> id -> key


def load(session: Session) -> Frames:
    records: list[dict[str, Any]] = []
    for row in session.execute(
        select(
            Response.submitted_at,
            Response.customer_id,
            Response.survey_id,
            Response.channel,
            Response.touchpoint_id,
            Response.stage_id,
            Response.nps,
            Response.csat,
            Response.ces,
        )
    ):
        for metric, score in (("nps", row[6]), ("csat", row[7]), ("ces", row[8])):
            if score is not None:
                records.append(
                    {
                        "at": row[0],
                        "customer_id": row[1],
                        "survey_id": row[2],
                        "channel": row[3],
                        "touchpoint_id": row[4],
                        "stage_id": row[5],
                        "metric": metric,
                        "score": score,
                        "source": "responses",
                    }
                )
    for row in session.execute(
        select(
            FeedbackItem.posted_at,
            FeedbackItem.customer_id,
            FeedbackItem.channel,
            FeedbackItem.touchpoint_id,
            FeedbackItem.stage_id,
            FeedbackItem.rating,
        ).where(FeedbackItem.rating.is_not(None))
    ):
        records.append(
            {
                "at": row[0],
                "customer_id": row[1],
                "survey_id": None,
                "channel": row[2],
                "touchpoint_id": row[3],
                "stage_id": row[4],
                "metric": "csat",
                "score": row[5],
                "source": "feedback",
            }
        )
    scores = pd.DataFrame.from_records(
        records,
        columns=["at", "customer_id", "survey_id", "channel", "touchpoint_id", "stage_id", "metric", "score", "source"],
    )
    scores["at"] = pd.to_datetime(scores["at"], utc=True)
    members = pd.DataFrame(
        session.execute(select(SegmentMember.segment_id, SegmentMember.customer_id)).all(),
        columns=["segment_id", "customer_id"],
    )
    keys = {
        "segment": dict(session.execute(select(Segment.id, Segment.key)).all()),
        "stage": dict(session.execute(select(Stage.id, Stage.key)).all()),
        "touchpoint": dict(session.execute(select(Touchpoint.id, Touchpoint.key)).all()),
        "survey": dict(session.execute(select(Survey.id, Survey.key)).all()),
        "account": dict(session.execute(select(Account.id, Account.external_id)).all()),
    }
    accounts = dict(session.execute(select(Customer.id, Customer.account_id)).all())
    return Frames(scores, members, accounts, keys)


def _key_of(mapping: Mapping[int, str], value: Any) -> str | None:
    if value is None or pd.isna(value):
        return None
    return mapping[int(value)]


def histograms(
    frames: Frames,
    *,
    metric: str,
    tz: str,
    group_by: list[str],
    source: str = "all",
    start: date | datetime | None = None,
    end: date | datetime | None = None,
    **filters: str,
) -> dict[tuple[str | None, ...], dict[int, int]]:
    """(group key values in group_by order) -> score -> count, computed with pandas only."""
    df = frames.scores[frames.scores["metric"] == metric].copy()
    low, high = SCALES[metric]
    df = df[(df["score"] >= low) & (df["score"] <= high)]
    if source != "all":
        df = df[df["source"] == source]
    local = df["at"].dt.tz_convert(tz)
    df["date"] = local.dt.date
    df["local"] = local
    for bound, keep in ((start, lambda col, v: col >= v), (end, lambda col, v: col <= v)):
        if isinstance(bound, datetime):
            df = df[keep(df["at"], pd.Timestamp(bound))]
        elif bound is not None:
            df = df[keep(df["date"], bound)]
    for dim in ("stage", "touchpoint", "survey"):
        if dim in filters:
            df = df[df[f"{dim}_id"].map(lambda v, d=dim: _key_of(frames.keys[d], v)) == filters[dim]]
    if "channel" in filters:
        df = df[df["channel"] == filters["channel"]]
    if "account" in filters:
        owner = df["customer_id"].map(
            lambda c: _key_of(frames.keys["account"], frames.accounts.get(int(c))) if pd.notna(c) else None
        )
        df = df[owner == filters["account"]]
    if "segment" in filters:
        segment_ids = [i for i, k in frames.keys["segment"].items() if k == filters["segment"]]
        inside = set(frames.members[frames.members["segment_id"].isin(segment_ids)]["customer_id"])
        df = df[df["customer_id"].isin(inside)]
    if "segment" in group_by:
        members = frames.members
        if "segment" in filters:
            members = members[members["segment_id"].map(frames.keys["segment"]) == filters["segment"]]
        df = df.merge(members, on="customer_id", how="inner")
    columns: list[str] = []
    for key in group_by:
        column = f"k_{key}"
        columns.append(column)
        iso = df["local"].dt.isocalendar()
        if key == "day":
            df[column] = df["date"].map(lambda d: d.isoformat())
        elif key == "week":
            df[column] = [f"{y}-W{w:02d}" for y, w in zip(iso["year"], iso["week"], strict=True)]
        elif key == "month":
            df[column] = df["local"].dt.strftime("%Y-%m")
        elif key == "quarter":
            df[column] = df["local"].dt.year.astype(str) + "-Q" + df["local"].dt.quarter.astype(str)
        elif key == "segment":
            df[column] = df["segment_id"].map(lambda v: _key_of(frames.keys["segment"], v))
        elif key == "account":
            df[column] = df["customer_id"].map(
                lambda c: _key_of(frames.keys["account"], frames.accounts.get(int(c))) if pd.notna(c) else None
            )
        elif key == "channel":
            df[column] = df["channel"]
        else:
            df[column] = df[f"{key}_id"].map(lambda v, d=key: _key_of(frames.keys[d], v))
    result: dict[tuple[str | None, ...], dict[int, int]] = {}
    for record in df[[*columns, "score"]].itertuples(index=False):
        values = tuple(record)
        group = tuple(None if v is None or (not isinstance(v, str) and pd.isna(v)) else v for v in values[:-1])
        hist = result.setdefault(group, {})
        hist[int(values[-1])] = hist.get(int(values[-1]), 0) + 1
    return result


def value_of(metric: str, hist: Mapping[int, int]) -> float:
    """The metric by its textbook definition, from the expanded scores."""
    scores = [s for s, c in hist.items() for _ in range(c)]
    if metric == "nps":
        return (sum(s >= 9 for s in scores) - sum(s <= 6 for s in scores)) / len(scores) * 100
    if metric == "csat":
        return sum(s >= 4 for s in scores) / len(scores) * 100
    return sum(scores) / len(scores)
