"""Params of the ``student_bundle`` stage (section of params.yaml), checked at load."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from kogadx.params import section


@section
class StudentBundleParams:
    """Section ``student_bundle``: the per-theme minimal extracts handed to PBL students."""

    SECTION: ClassVar[str] = "student_bundle"

    age_band_years: Annotated[int, Field(ge=1, le=20)] = 5  # width of the age bands that replace ages
    top_age: Annotated[int, Field(ge=1, le=130)] = 90  # one open band from here up ("90+")
    seed: int = 20240402  # the bundle-local respondent numbers (a random permutation, not the pseudonym order)
