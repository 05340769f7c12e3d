"""Japanese identification codes: check digits (pure functions)."""

from __future__ import annotations


def my_number_check_digit(first11: str) -> int:
    """Check digit of a 12-digit 個人番号.

    番号法施行令 第8条: with P_n the n-th digit counted from the right of the first 11 and
    Q_n = n+1 (n ≤ 6) or n−5 (n ≥ 7), remainder = Σ P_n·Q_n mod 11; digit = 0 if the
    remainder ≤ 1, else 11 − remainder.
    """
    total = sum(int(ch) * (n + 1 if n <= 6 else n - 5) for n, ch in enumerate(reversed(first11), start=1))
    remainder = total % 11
    return 0 if remainder <= 1 else 11 - remainder


def is_valid_my_number(value: str) -> bool:
    """True when ``value`` is 12 digits with a correct check digit."""
    return len(value) == 12 and value.isdigit() and my_number_check_digit(value[:11]) == int(value[11])


def luhn_check_digit(digits: str) -> int:
    """Luhn check digit for a payment-card number body (ISO/IEC 7812-1)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10


def is_luhn_valid(value: str) -> bool:
    return value.isdigit() and len(value) >= 2 and luhn_check_digit(value[:-1]) == int(value[-1])
