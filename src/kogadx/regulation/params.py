"""Params of the ``regulation_scan`` stage (section ``regulation_scan`` of params.yaml), checked at load.

One flat section: the ranker (:func:`kogadx.regulation.model.fit_ranker`), its grouped
cross-validation across laws (:func:`kogadx.regulation.evaluate.grouped_cross_validation`),
the review budget staff read, and the scan.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, model_validator

from kogadx.params import section


@section
class RegulationScanParams:
    """Section ``regulation_scan``: char + word n-gram logistic ranker, grouped CV, review budget."""

    SECTION: ClassVar[str] = "regulation_scan"

    seed: int = 42  # bootstrap over laws, solver
    cv_folds: Annotated[int, Field(ge=2)] = 5  # GroupKFold splits over laws (outer)
    calibration_folds: Annotated[int, Field(ge=2)] = 3  # inner grouped folds for the Platt calibration
    features: Literal["char", "char_word", "char_word_context"] = "char_word"  # chosen by grouped CV (benchmark)
    ngram_min: Annotated[int, Field(ge=1)] = 1  # character n-grams, shortest
    ngram_max: Annotated[int, Field(ge=1)] = 3  # … and longest
    word_ngram_max: Annotated[int, Field(ge=1, le=3)] = 2  # MeCab word n-grams 1..this
    context_weight: Annotated[float, Field(ge=0)] = 0.5  # weight of the neighbouring paragraphs' features
    hash_features_log2: Annotated[int, Field(ge=4, le=26)] = 18  # hashed features per block = 2 ** this
    max_chars: Annotated[int, Field(ge=1)] = 1000  # caption + text cut to this many characters
    c: Annotated[float, Field(gt=0)] = 0.1  # inverse L2 strength of the linear SVMs
    keyword_feature_weight: Annotated[float, Field(ge=0)] = 0.5  # value of a DOMAIN keyword-family flag
    summary_weight: Annotated[float, Field(ge=0)] = 0.3  # sample weight of a 工程表 summary row (all positive)
    city_weight: Annotated[float, Field(ge=0)] = 3.0  # sample weight of a clause judged by the city's staff
    use_summaries: bool = True  # also fit on the 工程表 summaries, not only on labelled clauses
    budget: Annotated[float, Field(gt=0, le=1)] = 0.10  # share of clauses staff read (top by probability)
    bootstrap_reps: Annotated[int, Field(ge=10)] = 1000  # resamples of laws for the recall interval
    precision_at: tuple[int, ...] = (10, 50, 100)  # precision at k of the pooled CV ranking
    threshold: Annotated[float, Field(ge=0, le=1)] = 0.5  # probability from which a category is suggested
    include_supplementary: bool = False  # scan 附則 too

    @model_validator(mode="after")
    def _ngram_range(self) -> RegulationScanParams:
        if self.ngram_min > self.ngram_max:
            raise ValueError(f"ngram_min ({self.ngram_min}) が ngram_max ({self.ngram_max}) より大きくなっています")
        return self
