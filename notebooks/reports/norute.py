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
# # のるーと古賀 運行・需要レポート

# %% tags=["parameters"]
demand_metrics = "metrics/demand.json"
dispatch_metrics = "metrics/dispatch.json"
demand_figures = "reports/figures/demand"
dispatch_figures = "reports/figures/dispatch"
demand_panel = "data/features/demand_panel.parquet"
demand_forecast = "data/features/demand_forecast.parquet"
ride_requests = "data/pseudonymized/ride_requests.parquet"
stops = "data/pseudonymized/stops.parquet"
towns = "data/pseudonymized/towns.parquet"
top_od_pairs = 15
cost_per_vehicle_hour_yen = 4000.0
fare_yen = 200.0

# %%
import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
from IPython.display import HTML, display

from kogadx.demand.params import FeaturesParams
from kogadx.demand.plots import MODEL_LABELS_JA
from kogadx.params import load_params
from kogadx.reporting import alt
from kogadx.reporting import blocks as b
from kogadx.reporting import norute
from kogadx.reporting.findings import norute_decision, norute_findings, norute_options


def show(html: str) -> None:
    display(HTML(html))


demand = json.loads(Path(demand_metrics).read_text(encoding="utf-8"))
has_dispatch = Path(dispatch_metrics).is_file() and Path(dispatch_figures).is_dir()
dispatch = json.loads(Path(dispatch_metrics).read_text(encoding="utf-8")) if has_dispatch else None
requests = pd.read_parquet(ride_requests)
kpis = norute.service_kpis(requests)
monthly = norute.monthly_kpis(requests)
if dispatch:
    options = norute_options(dispatch, cost_per_vehicle_hour_yen, fare_yen)
    decision = norute_decision(options, int(dispatch["default_fleet"]["n_vehicles"]), cost_per_vehicle_hour_yen, fare_yen)
    show(b.decision_block(decision["question"], decision["finding"], options,
                          {"n_vehicles": "台数", "served_rate": "乗車できた割合", "ride_now_wait": "呼んでからの待ち (平均・分)",
                           "ride_now_wait_p95": "呼んでからの待ちの上位 5% (分)", "rides_per_hour": "1 台 1 時間あたりの乗車",
                           "cost_per_ride": "1 乗車あたりの運行費 (円)", "subsidy_per_ride": "うち市の負担 (円)"},
                          decision["uncertainty"], decision["decider"], decision["next_step"],
                          {"n_vehicles": b.fmt_int, "served_rate": b.fmt_pct, "ride_now_wait": b.fmt_num,
                           "ride_now_wait_p95": b.fmt_num, "rides_per_hour": lambda v: b.fmt_num(v, 2),
                           "cost_per_ride": b.fmt_int, "subsidy_per_ride": b.fmt_int}))
show(b.summary_block("この報告の要点", norute_findings(kpis, demand, dispatch),
                     lead="AI オンデマンドバス「のるーと古賀」の予約記録と需要予測の結果をまとめました。"))

# %% [markdown]
# ## 1. 需要のパターン
# 予約がいつ・どこで多いかを、月別と時間帯別に示します。区域は、乗降地点を位置で 6 つにまとめたもので、
# 含まれる主な町の名前で示します (かっこ内は区域の記号)。

# %%
panel = pd.read_parquet(demand_panel)
stop_table = pd.read_parquet(stops)
features_params = load_params(FeaturesParams)
zone_names = norute.zone_town_labels(stop_table, features_params.zone_level, features_params.n_clusters)
show(b.figure_bytes_block(norute.figure_png(norute.plot_monthly_outcomes(monthly)),
                          "図 1-1 月別の予約件数 (結果別)", alt.norute_monthly(monthly)))
profile = norute.hourly_profile(panel)
show(b.figure_bytes_block(norute.figure_png(norute.plot_hourly_profile(profile)),
                          "図 1-2 時間帯別の平均予約件数 (平日と土日祝)", alt.norute_hourly(profile)))
zone_totals = panel.groupby("zone", as_index=False)["y"].sum().sort_values("zone")
zone_totals["share"] = zone_totals["y"] / zone_totals["y"].sum()
zone_totals["zone"] = zone_totals["zone"].map(lambda z: norute.zone_display(z, zone_names))
show(b.table_block(zone_totals, {"zone": "区域 (主な町)", "y": "予約件数", "share": "割合"},
                   {"y": b.fmt_int, "share": b.fmt_pct}, caption="表 1-1 区域別の予約件数 (全期間)"))

# %% [markdown]
# ## 2. 需要予測の精度
# 過去の期間で「その時点までのデータだけで予測し、あとで答え合わせ」を繰り返しました (バックテスト)。
# 24 時間先の予測は毎日、168 時間 (1 週間) 先の予測は毎週、予測を出した時点 (起点) をずらしています。
# 運行時間外は予約が 0 と分かっているので、誤差と区間の集計から除き、**運行時間内の区域×時間だけ**で評価しています。
# WAPE は「予測のずれの合計 ÷ 実際の件数の合計」で、小さいほど正確です。

# %%
n_origins = {h: len(v) for h, v in sorted(demand["origins"].items(), key=lambda kv: int(kv[0][1:]))}
closed = demand.get("closed_steps", {})
accuracy = norute.forecast_accuracy_table(demand["backtest"], MODEL_LABELS_JA)
show(b.table_block(accuracy,
                   {"horizon": "予測の先", "model": "方法", "wape": "WAPE (区域×時間)", "rmsse": "RMSSE",
                    "wape_day": "WAPE (1 日合計)", "coverage": "80% 区間が実績を含んだ割合",
                    "min_band": "同・最も低い時間帯", "interval_score": "区間スコア"},
                   {"wape": b.fmt_pct, "rmsse": lambda v: b.fmt_num(v, 2), "wape_day": b.fmt_pct, "coverage": b.fmt_pct,
                    "min_band": b.fmt_pct, "interval_score": b.fmt_num},
                   caption="表 2-1 方法別の予測誤差と予測区間 (運行時間内、起点 "
                           + "、".join(f"{h[1:]} 時間先 {n} 回" for h, n in n_origins.items()) + ")"))
show(b.note_block(
    "予測区間は、予測した平均件数から負の二項分布で作った整数の区間です。区間の幅は時間帯ごとに、"
    "その起点より前の答え合わせだけを使って 80% になるよう調整しています (後の結果は使っていません)。"
    "区間スコアは区間の幅と外れた分の罰則の合計で、小さいほど良い区間です。"
    f"運行時間外 ({b.fmt_int(closed.get('n', 0))} 区域×時間) の予測は 0 件としており、"
    f"LightGBM 自身の予測も最大 {closed.get('raw_max_forecast', {}).get('lightgbm', 0):.3f} 件で、実質 0 でした。"))
show(b.table_block(norute.coverage_by_band_table(demand["backtest"]),
                   {"band": "時間帯", **{c: c for c in norute.coverage_by_band_table(demand["backtest"]).columns
                                         if c != "band"}},
                   {c: (b.fmt_int if "時間数" in c else b.fmt_pct)
                    for c in norute.coverage_by_band_table(demand["backtest"]).columns if c != "band"},
                   caption="表 2-2 LightGBM の 80% 区間が実績を含んだ割合 (時間帯別、運行時間内)"))
if demand.get("comparison"):
    show(b.table_block(norute.model_difference_table(demand["comparison"], MODEL_LABELS_JA),
                       {"horizon": "予測の先", "other": "比べた方法", "diff": "WAPE の差 (LightGBM − 比べた方法)",
                        "interval": "95% 区間 (ポイント)", "origins": "起点の数", "verdict": "判定"},
                       caption="表 2-3 LightGBM と他の方法の誤差の差 (起点ごとの対応のある比較、ブロック・ブートストラップ)"))
show(b.note_block(
    "「真の期待値 λ (参考)」は、合成データで予約を生み出すときに使った平均件数です。実際の件数は λ のまわりで"
    "偶然にばらつくため、λ を知っていても誤差は 0 になりません。ただし WAPE (ずれの合計) を最も小さくするのは"
    "平均ではなく中央値なので、λ は WAPE の下限ではなく、λ より WAPE が小さい予測もあり得ます。"
    "λ との差は「偶然のばらつきを除いて、あとどれだけ改善の余地があるか」の目安として見てください。"))
for name, caption in [("forecast_vs_actual", "図 2-1 予測と実績 (全区域の合計、最後の起点)"),
                      ("residuals_by_hour", "図 2-2 時間帯別の予測誤差 (運行時間内)"),
                      ("feature_importance", "図 2-3 予測に効いている要因")]:
    show(b.figure_block(Path(demand_figures) / f"{name}.png", caption,
                        alt.demand_figure(name, demand)))
show(b.table_block(norute.top_features_table(demand.get("top_features", [])),
                   {"feature": "要因", "share": "予測への寄与 (ゲインの割合)"}, {"share": b.fmt_pct},
                   caption="表 2-4 予測に効いている要因 (上位)"))
forecast = pd.read_parquet(demand_forecast)
nxt = forecast.groupby("zone", as_index=False)[["expected", "lower", "upper"]].sum().sort_values("zone")
nxt["zone"] = nxt["zone"].map(lambda z: norute.zone_display(z, zone_names))
show(b.table_block(nxt, {"zone": "区域 (主な町)", "expected": "予測件数", "lower": "下限", "upper": "上限"},
                   {"expected": b.fmt_int, "lower": b.fmt_int, "upper": b.fmt_int},
                   caption=f"表 2-5 次の期間 ({forecast['time'].min():%Y-%m-%d} から {forecast['time'].max():%Y-%m-%d}) の区域別予測 (各時間の区間の合計、期間合計の区間ではありません)"))

# %% [markdown]
# ## 3. サービスの指標
# 予約記録から、乗れた割合・待ち時間・乗車時間を集計しました。

# %%
show(b.kv_block([
    ("予約件数", f"{b.fmt_int(kpis['n_requests'])} 件 ({b.fmt_int(kpis['n_days'])} 日)"),
    ("乗車まで完了", b.fmt_pct(kpis["completed_share"])),
    ("配車不可 (車両が足りない)", b.fmt_pct(kpis["unserved_share"])),
    ("キャンセル / 無断キャンセル", f"{b.fmt_pct(kpis['cancel_share'])} / {b.fmt_pct(kpis['no_show_share'])}"),
    ("迎車の遅れ (中央値 / 90% 点)", f"{b.fmt_num(kpis['wait_median_min'])} 分 / {b.fmt_num(kpis['wait_p90_min'])} 分"),
    ("乗車時間 (中央値)", f"{b.fmt_num(kpis['ride_median_min'])} 分"),
    ("1 回あたりの乗車人数", f"{b.fmt_num(kpis['passengers_per_ride'], 2)} 人"),
], caption="表 3-1 全期間のサービス指標"))
show(b.table_block(monthly, {"month": "月", "requests": "予約", "requests_per_day": "1 日あたり",
                             "completed_share": "完了率", "unserved_share": "配車不可率",
                             "active_members": "利用した会員数"},
                   {"requests": b.fmt_int, "requests_per_day": b.fmt_num, "completed_share": b.fmt_pct,
                    "unserved_share": b.fmt_pct, "active_members": b.fmt_int},
                   caption="表 3-2 月別のサービス指標"))

# %% [markdown]
# ## 4. 配車シミュレーション (再配置の方針と車両台数)
# 実際の予約記録を、車両の動きを再現するシミュレーションで配車し直しました。空いた車両をどこで待たせるか
# (再配置の方針) と車両の台数を変えて、待ち時間や走行距離を比べています。
# 待ち時間は、「すぐ乗りたい」予約では予約した時刻から、時刻を指定した予約では約束した時刻から、
# 乗車が始まるまでの時間です。車両が約束より早く来ることはありません。
# 運転手の休憩 (1 台につき 1 時間、営業所で、時間をずらして) と、「すぐ乗りたい」利用者が乗降場所まで
# 歩く時間 (2 分、この前に車両が着いても乗れません) を見込んでいます。

# %%
if has_dispatch and dispatch.get("validation", {}).get("logged"):
    v = dispatch["validation"]
    show(b.table_block(norute.validation_table(dispatch),
                       {"kpi": "指標", "logged": "運行記録", "replayed": "シミュレーション", "diff": "差",
                        "tolerance": "許容範囲", "verdict": "判定"},
                       numeric=["logged", "replayed", "diff"],
                       caption=f"表 4-0 運行記録の再現 (記録の予約 {b.fmt_int(v['logged']['n_requests'])} 件を、"
                               f"事業者と同じ設定・車両 {b.fmt_int(v['settings']['n_vehicles'])} 台で配車し直した結果)"))
    show(b.note_block("シミュレーションが実際の運行をどこまで再現できるかの確認です。3 つの指標がすべて許容範囲内なら、"
                      "以下の試算 (台数・需要・再配置) の前提として使えます。走行距離は、記録に走行メーターの値がないため、"
                      "両方とも同じ方法 (車両ごとに乗降地点を時刻順につないだ距離) で求めています。"))

# %%
if has_dispatch:
    replay = dispatch["replay"]
    fleet = dispatch["default_fleet"]
    stop_table = pd.read_parquet(stops)
    violations = sum(int(v) for v in fleet.get("check_violations", {}).values())
    show(b.kv_block([
        ("再現した期間", f"{replay['start']}〜{replay['end']} ({b.fmt_int(replay['n_days'])} 日)"),
        ("再現した予約", f"{b.fmt_int(replay['n_requests'])} 件 (形式の不備で除いた予約 {b.fmt_int(replay['n_quarantined'])} 件)"),
        ("予約から希望乗車時刻まで (中央値)", f"{norute.fmt_minutes(replay['lead_min_median'])} 分"),
        ("直前の予約の割合" if replay.get("short_lead_min") is None
         else f"直前の予約 ({norute.fmt_minutes(replay['short_lead_min'])} 分未満) の割合", b.fmt_pct(replay["short_notice_share"])),
        ("標準の車両台数", f"{b.fmt_int(fleet['n_vehicles'])} 台"),
        ("移動時間の計算", norute.TRAVEL_MODEL_JA.get(dispatch["travel_model"], str(dispatch["travel_model"]))),
        ("「予測に基づく再配置」が使った需要の見込み",
         norute.EXPECTED_SOURCE_JA.get(dispatch["expected_demand_source"], str(dispatch["expected_demand_source"]))),
        ("約束 (迎えの時間・寄り道の上限・定員) の違反", f"{b.fmt_int(violations)} 件 (独立した検査による、全方針の合計)"),
    ], caption="表 4-1 シミュレーションの前提", numeric=False))
    order = norute.dispatch_policies(dispatch)
    show(b.kv_block([(norute.policy_label(p), norute.POLICY_EXPLAIN_JA.get(p, ""))
                     for p in norute.dispatch_policies(dispatch, with_replications=True)],
                    caption="表 4-2 再配置の方針", numeric=False))
    show(b.table_block(norute.policy_kpi_table(dispatch),
                       {"kpi": "指標", **{p: norute.policy_label(p) for p in order}},
                       caption=f"表 4-3 方針ごとの指標 (車両 {b.fmt_int(fleet['n_vehicles'])} 台、需要は実績どおり)",
                       numeric=order))
    comparison = norute.vs_none_table(dispatch)
    if len(comparison):
        show(b.table_block(comparison, {"policy": "方針", "diff": "平均待ち時間の差 (分)", "interval": "95% 区間 (分)",
                                        "verdict": "判定", "faster": "早く乗れた予約", "slower": "遅くなった予約"},
                           {"faster": b.fmt_pct, "slower": b.fmt_pct}, numeric=["diff", "interval"],
                           caption="表 4-4 再配置なしとの比較 (同じ予約どうしの差、マイナスは待ち時間が短い)"))
        show(b.note_block("95% 区間は、運行日を単位に再標本化 (ブートストラップ) して求めました。"
                          "区間が 0 をまたぐときは、このデータでは差があるとは言えません (誤差の範囲)。"))
    show(b.paragraph(norute.repositioning_note(dispatch, norute.max_stop_distance_km(stop_table))))
    replicated = norute.replication_policy_table(dispatch)
    if len(replicated):
        rep = dispatch["replications"]
        show(b.table_block(replicated, {"policy": "方針", "wait": "平均待ち (分)", "p95": "待ちの 95% 点 (分)",
                                        "empty_km": "空車の走行 (km)", "served": "乗車できた割合"},
                           numeric=["wait", "p95", "empty_km", "served"],
                           caption=f"表 4-5 需要の偶然の揺れをならした比較 (本当の需要から予約を {b.fmt_int(rep['n'])} 回作り直した平均、"
                                   f"車両 {b.fmt_int(rep['n_vehicles'])} 台、1 回あたり平均 {b.fmt_int(rep['n_requests_mean'])} 件)"))
        show(b.table_block(norute.replication_comparison_table(dispatch),
                           {"pair": "比べた方針", "diff": "平均待ち時間の差 (分)", "interval": "95% 区間 (分)", "verdict": "判定"},
                           numeric=["diff", "interval"],
                           caption="表 4-6 作り直した予約での差 (同じ予約どうしの差、マイナスは左の方針の待ち時間が短い)"))
        show(b.figure_block(Path(dispatch_figures) / "replications.png",
                            "図 4-1 再配置なしとの平均待ち時間の差 (作り直した予約での平均と 95% 区間)",
                            alt.dispatch_figure("replications", dispatch)))
    show(b.paragraph(norute.replication_note(dispatch)))
    if "reopt" in dispatch:
        # rolling re-optimisation against insertion (mobility.reopt): KPIs side by side, then paired differences
        ro = dispatch["reopt"]
        means = ro.get("mean", ro["replay"])
        labels = {"wait_mean_min": "平均待ち (分)", "wait_p95_min": "待ちの 95% 点 (分)", "vehicle_km": "走行距離 (km)",
                  "empty_km": "空車の走行 (km)", "served_rate": "乗車できた割合"}
        side = pd.DataFrame([{"kpi": label, "insertion": means["insertion"][k], "reopt": means["reopt"][k]}
                             for k, label in labels.items()])
        show(b.table_block(side, {"kpi": "指標", "insertion": "挿入のみ",
                                  "reopt": f"{ro['interval_min']:g} 分ごとに組み直す"},
                           {"insertion": lambda v: b.fmt_num(v, 3), "reopt": lambda v: b.fmt_num(v, 3)},
                           numeric=["insertion", "reopt"],
                           caption=f"表 4-6b 配車の組み直し (まだ乗っていない予約を全車両で解き直す) と挿入のみの比較 "
                                   f"(車両 {b.fmt_int(ro['n_vehicles'])} 台、再配置なし、"
                                   + (f"作り直した予約 {b.fmt_int(ro['replications'])} 回の平均)" if "mean" in ro
                                      else "実績の予約)")))
        if "paired" in ro:
            diff_rows = []
            for key, label in (("wait_mean_min", "平均待ち (分)"), ("vehicle_km", "走行距離 (km)"),
                               ("served_rate", "乗車できた割合")):
                c = ro["paired"][key]
                diff = c["wait_mean_diff_min"] if key == "wait_mean_min" else c[f"{key}_diff"]
                zero = float(c["ci95_low"]) <= 0.0 <= float(c["ci95_high"])
                diff_rows.append({"kpi": label, "diff": f"{diff:+.3f}",
                                  "interval": f"{c['ci95_low']:+.3f}〜{c['ci95_high']:+.3f}",
                                  "verdict": "誤差の範囲" if zero else ("減る" if diff < 0 else "増える")})
            show(b.table_block(pd.DataFrame(diff_rows), {"kpi": "指標", "diff": "組み直し − 挿入のみ",
                                                         "interval": "95% 区間", "verdict": "判定"},
                               numeric=["diff", "interval"],
                               caption="表 4-6c 組み直しの効果 (同じ予約どうしの差、t 分布による 95% 区間)"))
    whatif = norute.fleet_whatif_table(dispatch["what_if"])
    whatif["demand"] = [f"{f:g} 倍" for f in whatif["demand_factor"]]
    whatif_columns = {"demand": "需要", "n_vehicles": "車両 (台)"}
    whatif_formats = {"n_vehicles": b.fmt_int}
    for p in ("none", "forecast"):
        if f"{p}_wait" in whatif:
            whatif_columns |= {f"{p}_wait": f"{norute.policy_label(p)}: 平均待ち (分)",
                               f"{p}_served": f"{norute.policy_label(p)}: 乗車できた割合"}
            whatif_formats |= {f"{p}_wait": lambda v: b.fmt_num(v, 2), f"{p}_served": b.fmt_pct}
    show(b.table_block(whatif, whatif_columns, whatif_formats, numeric=["demand"],
                       caption="表 4-7 車両の台数と需要を変えた試算 (需要 1.5 倍などは実際の予約を複製して時刻をずらしたもの)"))
    if "grid" in dispatch:
        show(b.table_block(norute.grid_table(dispatch),
                           {"demand_factor": "需要", **{c: c for c in norute.grid_table(dispatch).columns[1:]}},
                           numeric=list(norute.grid_table(dispatch).columns[1:]),
                           caption="表 4-8 車両の台数 × 需要 (乗車できた割合 / すぐ乗りたい予約の平均待ち、再配置なし)"))
        degraded = [f"需要 {f:g} 倍・{n} 台" for f, n in norute.degraded_cells(dispatch)]
        show(b.note_block("乗車できた割合が 95% を下回る組み合わせ: " + ("、".join(degraded) if degraded else "なし")
                          + "。需要の倍率は、実際の予約を複製して時刻をずらしたものです。"))
    stems = [png.stem for png in Path(dispatch_figures).glob("*.png") if png.stem != "replications"]
    first = 2 if len(replicated) else 1  # 図 4-1 is the replicated comparison above
    for i, stem in enumerate(norute.order_dispatch_figures(stems), start=first):
        show(b.figure_block(Path(dispatch_figures) / f"{stem}.png",
                            f"図 4-{i} {norute.dispatch_figure_caption(stem, dispatch)}",
                            alt.dispatch_figure(stem, dispatch)))
else:
    show(b.note_block("配車シミュレーションの結果はまだありません", kind="missing"))

# %% [markdown]
# ## 5. 乗降地点と利用の多い区間
# 背景の地図タイルは使わず、町丁目の境界だけを描いています。

# %%
stop_table = pd.read_parquet(stops)
town_shapes = gpd.read_parquet(towns)
pairs = norute.top_od_pairs(requests, stop_table, top_od_pairs)
show(b.figure_bytes_block(norute.figure_png(norute.plot_stop_map(stop_table, town_shapes, pairs)),
                          "図 5-1 乗降地点と利用の多い区間 (線が太いほど多い)", alt.stop_map(pairs, len(stop_table))))
show(b.table_block(pairs, {"o_stop_name": "乗車地点", "d_stop_name": "降車地点", "trips": "完了した乗車"},
                   {"trips": b.fmt_int}, caption=f"表 5-1 利用の多い区間 (上位 {len(pairs)})"))
