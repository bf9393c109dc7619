"""The weekly digest as an email: a plain-text part and an HTML part in the organisation's colours and logo, both
from the digest's data (digests.build). Every figure shows its n and 95 % interval as the metrics give them, and
each change says whether it is significant or within noise."""

from __future__ import annotations

from html import escape
from typing import Any

DIGEST_TYPE = "digest.weekly"

_NAMES = {"nps": "NPS", "csat": "CSAT", "ces": "CES"}


def _number(value: float | None, metric: str) -> str:
    if value is None:
        return "-"
    return f"{value:+.0f}" if metric == "nps" else f"{value:.1f}" + ("%" if metric == "csat" else "")


def metric_line(m: dict[str, Any]) -> str:
    """'NPS +32 (95 % CI 20 to 44, n = 120), +5 vs the week before: within noise'."""
    name = _NAMES.get(m["metric"], m["metric"])
    if not m["n"]:
        return f"{name}: no answers this week"
    interval = (
        f"95 % CI {_number(m['ci_low'], m['metric'])} to {_number(m['ci_high'], m['metric'])}, "
        if m["ci_low"] is not None
        else ""
    )
    change = "" if m["change"] is None else f", {m['change']:+.1f} vs the week before"
    return f"{name} {_number(m['value'], m['metric'])} ({interval}n = {m['n']}){change}: {m['in_words']}"


def sla_line(c: dict[str, Any]) -> str:
    if not c["sla_n"]:
        return "SLA attainment: no SLA clock came due this week"
    interval = f", 95 % CI {c['sla_interval'][0]}-{c['sla_interval'][1]} %" if c["sla_interval"] else ""
    small = " (small sample)" if c["small_sample"] else ""
    share = f"{c['sla_percent']} % of {c['sla_n']} clocks met ({c['sla_met']}/{c['sla_n']}{interval})"
    return f"SLA attainment: {share}{small}"


def detractor_line(d: dict[str, Any]) -> str:
    who = d.get("customer_external_id") or "anonymous"
    comment = f'"{d["comment"]}"' if d.get("comment") else "(no comment)"
    return f"NPS {d['nps']} · {who} · {d['survey']}: {comment}"


def render(data: dict[str, Any], *, public_url: str) -> tuple[str, str, str]:
    """(subject, text, html) of a digest."""
    team, cases = data["team"], data["team_cases"]
    brand = data.get("brand") or {}
    org = brand.get("name") or "cxloop"
    subject = f"{org} weekly digest: {team['name']}, week of {data['week_start']}"
    period = f"{data['week_start']} to {data['week_end']} ({team['timezone']})"
    case_lines = [
        f"Open cases: {cases['open']}",
        f"SLA breaches this week: {cases['breaches']}",
        sla_line(cases),
    ]
    detractors = [detractor_line(d) for d in data["detractors"]]
    text_lines = [
        subject,
        period,
        "",
        "Metrics (the whole organisation)",
        *(f"  {metric_line(m)}" for m in data["metrics"]),
        "",
        f"New detractors: {data['new_detractors']}",
        *(f"  {line}" for line in detractors),
        "",
        f"Cases of {team['name']}",
        *(f"  {line}" for line in case_lines),
        "",
        f"Cases: {public_url}/cases?team={team['key']}",
    ]
    return subject, "\n".join(text_lines) + "\n", _html(data, subject, period, case_lines, detractors, public_url)


def _html(
    data: dict[str, Any], subject: str, period: str, case_lines: list[str], detractors: list[str], public_url: str
) -> str:
    brand = data.get("brand") or {}
    colour = escape(brand.get("colour") or "#0b57d0")
    on_colour = escape(brand.get("text_colour") or "#ffffff")
    logo = brand.get("logo_path")
    logo_img = f'<img src="{escape(public_url + logo)}" alt="" height="32"> ' if logo else ""

    def items(lines: list[str]) -> str:
        return "".join(f"<li>{escape(line)}</li>" for line in lines) or "<li>none</li>"

    return (
        '<!doctype html><html><body style="font-family:sans-serif;color:#1f1f1f">'
        f'<div style="background:{colour};color:{on_colour};padding:12px 16px">{logo_img}'
        f"<strong>{escape(subject)}</strong></div>"
        f'<p style="color:#555">{escape(period)}</p>'
        "<h3>Metrics (the whole organisation)</h3>"
        f"<ul>{items([metric_line(m) for m in data['metrics']])}</ul>"
        f"<h3>New detractors: {int(data['new_detractors'])}</h3>"
        f"<ul>{items(detractors)}</ul>"
        f"<h3>Cases of {escape(data['team']['name'])}</h3>"
        f"<ul>{items(case_lines)}</ul>"
        f'<p><a href="{escape(public_url)}/cases?team={escape(data["team"]["key"])}" style="color:{colour}">'
        "Open the cases</a></p></body></html>"
    )
