"""Params of the ``regulation_scan`` stage (section ``regulation_scan`` of params.yaml), checked at load.

One flat section: the classifier (:func:`kogadx.regulation.model.build_classifier`), its grouped
cross-validation (:func:`kogadx.regulation.evaluate.grouped_cross_validation`) and the scan.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field, model_validator

from kogadx.params import section


@section
class RegulationScanParams:
    """Section ``regulation_scan``: character n-gram SVMs, grouped CV across laws, the scan threshold."""

    SECTION: ClassVar[str] = "regulation_scan"

    seed: int = 42  # LinearSVC random_state
    cv_folds: Annotated[int, Field(ge=2)] = 5  # GroupKFold splits over laws
    ngram_min: Annotated[int, Field(ge=1)] = 1  # character n-grams, shortest
    ngram_max: Annotated[int, Field(ge=1)] = 3  # … and longest
    hash_features_log2: Annotated[int, Field(ge=4, le=26)] = 19  # hashed features = 2 ** this
    max_chars: Annotated[int, Field(ge=1)] = 1000  # caption + text cut to this many characters
    svm_c: Annotated[float, Field(gt=0)] = 0.5
    keyword_feature_weight: Annotated[float, Field(ge=0)] = 0.5  # value of a keyword-family flag feature
    threshold: Annotated[float, Field(ge=0, le=1)] = 0.5  # score (0–1) from which a clause is a candidate
    use_summaries: bool = True  # also fit on the 工程表 summaries, not only on labelled clauses
    include_supplementary: bool = False  # scan 附則 too

    @model_validator(mode="after")
    def _ngram_range(self) -> RegulationScanParams:
        if self.ngram_min > self.ngram_max:
            raise ValueError(f"ngram_min ({self.ngram_min}) が ngram_max ({self.ngram_max}) より大きくなっています")
        return self
