"""Who gets a warning's SMS, and at which (masked) number: the demo's contact directory.

The demo data and the ingest both ask here. A deployment fills it from the enterprises' and regulators' registered
contacts; the numbers below are invented (deterministic per enterprise, county and city) and masked as an SMS
gateway's delivery report shows them.
"""
from __future__ import annotations

# level 2 (较大) and above also goes to the city's duty room
RECIPIENTS = [("enterprise", "主要负责人"), ("enterprise", "安全管理负责人"), ("regulator", "属地应急管理局值班室")]
RECIPIENTS_MAJOR = [("regulator", "市应急管理局值班室")]


def _phone(seed: int) -> str:
    h = (seed * 2654435761) & 0xFFFFFFFF
    return f"1{3 + h % 7}{(h >> 3) % 10}****{1000 + (h >> 8) % 9000}"


def sms_recipients(p, level: int) -> list[tuple[str, str, str]]:
    """``(recipient_kind, recipient, masked phone)`` of a warning of ``level`` at a point ``p`` (its
    ``enterprise_id``, ``county`` and ``city``)."""
    who = RECIPIENTS + (RECIPIENTS_MAJOR if level <= 2 else [])
    out = []
    for k, (kind, name) in enumerate(who):
        seed = p.enterprise_id * 10 + k if kind == "enterprise" else (p.county if k == 2 else p.city) * 10 + k
        out.append((kind, name, _phone(seed)))
    return out
