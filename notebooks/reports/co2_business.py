# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 事業所別 CO2 シート

# %% tags=["parameters"]
co2_metrics = "metrics/co2.json"
co2_tables = "data/features/co2"
business_id = "B0001"

# %%
import json
from pathlib import Path

import pandas as pd
from IPython.display import HTML, display

from kogadx.reporting import blocks as b


def show(html: str) -> None:
    display(HTML(html))


def table(name: str) -> pd.DataFrame:
    return pd.read_parquet(Path(co2_tables) / f"{name}.parquet")


metrics = json.loads(Path(co2_metrics).read_text(encoding="utf-8"))
latest = metrics["latest_fiscal_year"]
intensity = table("intensity")
own = intensity[intensity["business_id"] == business_id]
if own.empty:
    raise ValueError(f"事業所 {business_id} はデータにありません")
row = own.iloc[0]
show(b.note_block(f"この資料は事業所 {business_id} のためだけのものです。公開する報告書には載せず、"
                  "この事業所にだけ渡してください (従業員数や床面積から事業所が分かることがあります)。", kind="warn"))
MODEL_LABELS = {"intercept_only": "切片のみ", "hdd_only": "暖房", "cdd_only": "冷房", "hdd_cdd": "暖房+冷房"}
mv = table("mv_models")
electric = mv[(mv["business_id"] == business_id) & (mv["fuel"] == "electricity") & (mv["status"] == "fitted")]
sector = intensity[intensity["sector_code"] == row.sector_code]
rank_share = float((sector["t_co2_per_m2"] <= row.t_co2_per_m2).mean())
show(b.kv_block([
    ("業種", str(row.sector_name)),
    ("従業員数", f"{b.fmt_int(row.employees)} 人"),
    ("床面積", f"{b.fmt_int(row.floor_area_m2)} m²"),
    (f"排出量 ({latest} 年度)", f"{b.fmt_num(row.t_co2)} t-CO2"),
    ("床面積あたり", f"{b.fmt_num(row.t_co2_per_m2, 3)} t-CO2/m²"),
    ("従業員あたり", f"{b.fmt_num(row.t_co2_per_employee, 2)} t-CO2/人"),
    ("同じ業種の中での位置 (床面積あたり)", f"少ないほうから {b.fmt_pct(rank_share, 0)} ({len(sector)} 事業所中)"),
    ("ベースライン (電力)", "; ".join(f"{MODEL_LABELS.get(r.model_type, r.model_type)} {r.g14_reason}"
                                   for r in electric.itertuples()) or "作成できず"),
], caption=f"表 1 事業所 {business_id} の概要"))

# %%
yoy = table("weather_normalised_yoy")
show(b.table_block(yoy[yoy["business_id"] == business_id], {"fiscal_year": "年度", "t_co2": "実績 (t-CO2)",
                                                           "t_co2_normalised": "気象補正後 (t-CO2)"},
                   {"t_co2": b.fmt_num, "t_co2_normalised": b.fmt_num}, caption="表 2 年度別の排出量"))
steps = table("scenarios")
steps = steps[steps["business_id"] == business_id].sort_values("order")
show(b.table_block(steps, {"label": "対策", "t_co2": "排出量の変化 (t-CO2/年)", "cost_yen_per_yr": "光熱費の変化 (円/年)",
                           "capex_yen": "初期費用 (円)"},
                   {"t_co2": b.fmt_num, "cost_yen_per_yr": b.fmt_int, "capex_yen": b.fmt_int},
                   caption="表 3 削減策の試算 (前提は試算用の仮定)"))
