"""Params of the ``pseudonymize`` and ``anonymize`` stages (sections of params.yaml), checked at load."""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar, Literal

from pydantic import Field

from kogadx.params import section

Names = Annotated[tuple[str, ...], Field(min_length=1)]


@section
class LegalRoute:
    """Sub-table ``pseudonymize.route``: the APPI regime the city falls under and how data leaves it (legal.py)."""

    regime: Literal["行政機関等", "個人情報取扱事業者"] = "行政機関等"
    route: Literal["委託"] = "委託"
    purpose: str = ""  # the purpose written in the contract (利用目的)
    contractor: str = ""  # 委託を受けた者


@section
class PseudonymizeParams:
    """Section ``pseudonymize``: how the validated tables are pseudonymized (the policy is its own file)."""

    SECTION: ClassVar[str] = "pseudonymize"

    reference_date: date | None = None  # register date: ages (age_at_reference) are computed at this date
    chunk_rows: Annotated[int, Field(ge=1)] = 1_000_000  # rows transformed at a time (partition-wise)
    tables: Names | None = None  # None = every table of the input folder (a table without a policy stops the stage)
    towns_table: str = "towns"  # town_name → town_code lookup for the address_to_town_code method
    route: LegalRoute = LegalRoute()  # regime and sharing route, stated in the audit (kogadx.privacy.legal)


@section
class AnonymizeParams:
    """Section ``anonymize``: the anonymized release (匿名加工情報) — targets, columns, suppression limit."""

    SECTION: ClassVar[str] = "anonymize"

    quasi_identifiers: Names
    k: Annotated[int, Field(ge=2)]  # every released combination of quasi-identifiers is shared by ≥ k people
    sensitive: str | None = None  # the attribute l-diversity is measured on (None = k only)
    l: Annotated[int, Field(ge=1)] = 1  # noqa: E741 — the key of params.yaml and the name of the measure
    max_suppression: Annotated[float, Field(ge=0, le=1)] = 0.05  # share of rows that may be suppressed
    keep_columns: Names | None = None  # released columns (None = the quasi-identifiers and the sensitive one)
    metric: Literal["entropy", "entropy_monotonic", "loss", "discernibility"] = "entropy"  # utility model (lattice.py)
    weights: dict[str, Annotated[float, Field(gt=0)]] | None = None  # attribute weights of the utility model
    max_levels: dict[str, Annotated[int, Field(ge=0)]] | None = None  # highest hierarchy level per QI
    derive: tuple[Literal["household_size"], ...] = ()  # columns computed before the linking codes are dropped


@section
class StudentTierParams:
    """Section ``student_tier``: the ride-log tier for students and the re-identification measurement."""

    SECTION: ClassVar[str] = "student_tier"

    tier: str = "ride_requests"  # which entry of policy.yaml ``student_tiers`` to build
    seed: int = 20240401  # rider numbers and the random points of the uniqueness measurement
    points: Annotated[tuple[Annotated[int, Field(ge=1)], ...], Field(min_length=1)] = (1, 2, 3, 4)
    time_steps: tuple[Literal["minute", "15min", "hour", "day"], ...] = ("minute", "hour", "day")
    place_levels: tuple[Literal["stop", "town", "oaza"], ...] = ("stop", "town")


