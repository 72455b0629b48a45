"""Unified social credit codes (统一社会信用代码, GB 32100-2015) and their check digits."""
from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_WEIGHTS = [pow(3, i, 31) for i in range(17)]  # 1, 3, 9, 27, 19, 26, ...
_ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]  # GB 11714 organisation code


def org_check(body8: str) -> str:
    """Check character of a 9-character organisation code (GB 11714) from its first 8 characters."""
    total = sum(_VALUE[c] * w for c, w in zip(body8, _ORG_WEIGHTS))
    c = 11 - total % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def check_digit(body17: str) -> str:
    total = sum(_VALUE[c] * w for c, w in zip(body17, _WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def make_uscc(admin_code: int, serial: int, *, authority: str = "9", kind: str = "1") -> str:
    """A valid code for an enterprise registered in ``admin_code`` (6 digits) with a unique serial."""
    body8 = f"{serial % 10**8:08d}"
    org = body8 + org_check(body8)
    body17 = f"{authority}{kind}{admin_code:06d}{org}"
    return body17 + check_digit(body17)


def is_valid_uscc(code: object) -> bool:
    if not isinstance(code, str) or len(code) != 18:
        return False
    code = code.upper()
    if any(c not in _VALUE for c in code):
        return False
    if not code[2:8].isdigit():
        return False
    return check_digit(code[:17]) == code[17]
