"""A customer export as readable text: one section per kind of data, one line per row (`cxloop privacy export
--format text`)."""

from __future__ import annotations

from typing import Any

from cxloop.privacy.schemas import CustomerExport, ErasureRead

_SKIP = {"base64"}  # file contents: the JSON export carries them


def _line(row: dict[str, Any]) -> str:
    return "; ".join(f"{k}: {v}" for k, v in row.items() if k not in _SKIP and v not in (None, "", {}, []))


def render_text(export: CustomerExport) -> str:
    """The export as plain text, section by section, with a count per section."""
    lines = [f"Data held about customer {export.customer_id}, generated {export.generated_at.isoformat()}", ""]
    for holder, sections in export.holders.items():
        for section, rows in sections.items():
            lines.append(f"== {section.replace('_', ' ')} ({holder}): {len(rows)}")
            lines.extend(f"  - {_line(row)}" for row in rows)
            lines.append("")
    return "\n".join(lines)


def erasure_entry(record: ErasureRead) -> dict[str, Any]:
    """The audit entry's target and changes for an erasure: the id the customer had and the counts, nothing else
    (entries outlive the erasure, so they never hold a name, email or phone)."""
    return {"target_id": record.customer_id, "changes": {"erasure_id": record.id, "removed": dict(record.removed)}}
