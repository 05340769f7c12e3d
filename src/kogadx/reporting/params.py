"""Params of the ``report`` stage (section ``report`` of params.yaml), checked at load."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from kogadx.params import section


@section
class ReportParams:
    """Section ``report``: what the reports show, their size limit and the browser check."""

    SECTION: ClassVar[str] = "report"

    top_od_pairs: Annotated[int, Field(ge=1)] = 15  # のるーと: busiest completed origin→destination pairs
    regulation_top_n: Annotated[int, Field(ge=1)] = 30  # アナログ規制: highest-scoring candidates listed
    max_mb: Annotated[float, Field(gt=0)] = 5  # a larger report stops the stage
    browser_check: bool = True  # false: no browser check, no screenshots, a note instead
    chromium_path: str | None = None  # None: KOGADX_CHROMIUM, /usr/bin/chromium, then PATH
    viewport_width: Annotated[int, Field(ge=320)] = 1100  # screenshot width, px
    phone_width: Annotated[int, Field(ge=280)] = 390  # second screenshot and overflow check, px
    norute_cost_per_vehicle_hour_yen: Annotated[float, Field(gt=0)] = 4000  # 運行費 per vehicle-hour (UNCONFIRMED)
    norute_fare_yen: Annotated[float, Field(ge=0)] = 200  # the fare a rider pays (DOMAIN.md §2)
    department: str = ""  # 担当課 named in every report's footer
    author: str = ""  # 作成者 named in every report's footer
    version: str = ""  # 版 of the documents, named in every footer
