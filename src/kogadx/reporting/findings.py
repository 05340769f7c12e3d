"""The one-page summaries: 3–5 plain-Japanese findings per report, every number read from data.

Pure functions (metrics dicts / tables in, sentences out) so tests can check that a change in
the pipeline's output changes the sentence.
"""

from __future__ import annotations

from collections.abc import Mapping
from statistics import NormalDist
from typing import Any

import pandas as pd

from kogadx.reporting.blocks import fmt_int, fmt_num, fmt_pct, fmt_tiny
from kogadx.reporting.norute import interval_contains_zero, policy_label, signed_minutes

MODEL_JA = {"lightgbm": "LightGBM", "seasonal_naive": "前週同時刻", "moving_average": "移動平均",
            "mstl": "MSTL", "oracle": "真の期待値 λ (参考)", "historical_average": "曜日×時刻の過去平均",
            "croston_optimized": "クロストン法", "tsb": "TSB 法", "adida": "ADIDA", "imapa": "IMAPA",
            "autoets": "AutoETS"}
APPI_ITEM_JA = {"item1": "第1号 (個人を識別できる記述)", "item2": "第2号 (個人識別符号)",
                "item3": "第3号 (財産的被害のおそれがある記述)", "not_personal": "該当なし"}


def norute_findings(kpis: Mapping[str, Any], demand: Mapping[str, Any],
                    dispatch: Mapping[str, Any] | None) -> list[str]:
    """Service volume and quality, forecast accuracy and interval coverage, dispatch status."""
    short = min(int(h[1:]) for h in demand["backtest"])
    bt = demand["backtest"][f"h{short}"]["lightgbm"]
    wape = bt["total_by_day"]["wape"]
    naive = (demand.get("comparison") or {}).get(f"h{short}", {}).get("seasonal_naive")
    interval = bt["interval"]
    band = interval.get("min_band_coverage")
    out = [
        f"{kpis['first_day']} から {kpis['last_day']} までの予約は {fmt_int(kpis['n_requests'])} 件で、"
        f"そのうち {fmt_pct(kpis['completed_share'])} が乗車まで完了しました。",
        f"車両が足りず「配車不可」となった予約は {fmt_pct(kpis['unserved_share'])}、"
        f"キャンセルは {fmt_pct(kpis['cancel_share'])}、無断キャンセルは {fmt_pct(kpis['no_show_share'])} です。"
        f"希望時刻からの迎車の遅れは中央値 {fmt_num(kpis['wait_median_min'])} 分です。",
        f"{short} 時間先までの需要予測 (LightGBM) の誤差は、1 日の合計件数で {fmt_pct(wape)} (WAPE) でした"
        + (f"。区域・時間ごとの予測 (運行時間内) では、前週の同じ時刻をそのまま使う方法より誤差が"
           f" {100 * -naive['wape_diff']:.1f} ポイント小さく、95% 区間は"
           f" {100 * -naive['ci95_high']:.1f}〜{100 * -naive['ci95_low']:.1f} ポイントです。"
           if naive is not None else "。"),
        f"予測の {fmt_pct(interval['nominal'], 0)} 区間は、運行時間内の区域×時間のうち"
        f" {fmt_pct(interval['coverage'])} で実際の件数を含みました (目標 {fmt_pct(interval['nominal'], 0)}"
        + (f"、最も低い時間帯でも {fmt_pct(band)}" if band is not None else "") + ")。"
        "運行時間外は予約が 0 と分かっているので数えていません。",
    ]
    if dispatch:
        out.append(dispatch_finding(dispatch))
    else:
        out.append("配車シミュレーションの結果はまだありません。車両台数を変えた場合の試算は、結果が届き次第この報告に加わります。")
    return out


def dispatch_finding(dispatch: Mapping[str, Any]) -> str:
    """Dispatch simulation in plain Japanese: the baseline at the default fleet, the honest
    repositioning result (forecast vs 再配置なし with its 95 % interval) and one fleet what-if.

    ``dispatch`` is metrics/dispatch.json of the ``dispatch`` stage (default_fleet, vs_none,
    what_if, replay). Minutes with two decimals: waits here are well under a minute.
    """
    fleet = dispatch["default_fleet"]
    n = int(fleet["n_vehicles"])
    policies = fleet["policies"]
    base_policy = "none" if "none" in policies else sorted(policies)[0]
    base = policies[base_policy]
    replay = dispatch.get("replay") or {}
    period = (f"で {replay['start']}〜{replay['end']} の予約 {fmt_int(replay['n_requests'])} 件を再現したところ"
              if {"start", "end", "n_requests"} <= set(replay) else "では")
    out = (f"配車シミュレーション{period}、標準の {n} 台・「{policy_label(base_policy)}」で、乗車できた予約は "
           f"{fmt_pct(base['served_rate'])}、平均待ち時間は {fmt_num(base['wait_mean_min'], 2)} 分でした。")
    comparison = (dispatch.get("vs_none") or {}).get("forecast")
    if comparison is not None:
        diff = float(comparison["wait_mean_diff_min"])
        bounds = f"{signed_minutes(comparison['ci95_low'])}〜{signed_minutes(comparison['ci95_high'])} 分"
        change = (f"{fmt_num(abs(diff), 2)} 分 (約 {fmt_int(abs(diff) * 60)} 秒) "
                  f"{'短く' if diff < 0 else '長く'}なりました"
                  if round(abs(diff), 2) > 0 else "変わりませんでした")
        out += f"「予測に基づく再配置」にすると、平均待ち時間は再配置なしより {change}"
        if interval_contains_zero(comparison):
            out += f"が、95% 区間が {bounds}と 0 をまたいでおり、このデータでは差は誤差の範囲です。"
        else:
            out += f" (95% 区間 {bounds}。0 を含まないため、このデータでは誤差を超える差です)。"
    replications = dispatch.get("replications") or {}
    averaged = (replications.get("paired") or {}).get("forecast_vs_none")
    if averaged is not None:
        out += (f"需要の偶然の揺れをならすため本当の需要から予約を {fmt_int(replications['n'])} 回"
                "作り直して平均すると、"
                f"差は {signed_minutes(averaged['wait_mean_diff_min'])} 分 (95% 区間 "
                f"{signed_minutes(averaged['ci95_low'])}〜{signed_minutes(averaged['ci95_high'])} 分) でした。")
    out += _fleet_what_if_sentence(dispatch.get("what_if") or [], n, base_policy)
    return out


def _fleet_what_if_sentence(what_if: list[Mapping[str, Any]], n_vehicles: int, policy: str) -> str:
    """The highest demand factor at the default fleet, or else the smallest fleet at demand ×1."""
    rows = [r for r in what_if if r.get("policy") == policy]
    higher = [r for r in rows if int(r["n_vehicles"]) == n_vehicles and float(r["demand_factor"]) > 1.0]
    if higher:
        r = max(higher, key=lambda r: float(r["demand_factor"]))
        return (f"需要が {float(r['demand_factor']):g} 倍になっても {n_vehicles} 台・{policy_label(policy)}のままで、"
                f"平均待ち時間は {fmt_num(r['wait_mean_min'], 2)} 分、乗車できた予約は {fmt_pct(r['served_rate'])} "
                "と試算されます。")
    fewer = [r for r in rows if float(r["demand_factor"]) == 1.0 and int(r["n_vehicles"]) < n_vehicles]
    if fewer:
        r = min(fewer, key=lambda r: int(r["n_vehicles"]))
        return (f"車両を {int(r['n_vehicles'])} 台に減らすと ({policy_label(policy)})、平均待ち時間は "
                f"{fmt_num(r['wait_mean_min'], 2)} 分、乗車できた予約は {fmt_pct(r['served_rate'])} と試算されます。")
    return ""


def co2_findings(metrics: Mapping[str, Any], normalised_by_fy: pd.DataFrame,
                 sector_latest: pd.DataFrame) -> list[str]:
    """Total of the businesses in the data (never "the city"), weather-normalised trend, largest
    sector, M&V results, scenario reduction (basic and adjusted), data quality.

    ``normalised_by_fy``: fiscal_year, t_co2, t_co2_normalised (sums over the businesses);
    ``sector_latest``: sector_name, t_co2 for the latest fiscal year (any order).
    """
    fy = metrics["latest_fiscal_year"]
    total = metrics["city_t_co2_latest_fy"]
    ordered = normalised_by_fy.sort_values("fiscal_year")
    first, last = ordered.iloc[0], ordered.iloc[-1]
    change = last["t_co2_normalised"] / first["t_co2_normalised"] - 1
    top = sector_latest.sort_values(["t_co2", "sector_name"], ascending=[False, True]).iloc[0]
    share = top["t_co2"] / sector_latest["t_co2"].sum()
    counted = metrics.get("n_businesses_counted", metrics["n_businesses"])
    missing = metrics.get("n_businesses_without_factor", 0)
    base = metrics["baseline"]
    out = [
        f"対象事業所の合計 ({fmt_int(counted)} 事業所) の {fy} 年度の排出量は {fmt_int(total)} t-CO2 です"
        f" (燃料の直接排出 {fmt_int(metrics['city_scope1_t_co2_latest_fy'])} t、電気の使用 "
        f"{fmt_int(metrics['city_scope2_t_co2_latest_fy'])} t。電気は各事業所の供給事業者の{fy - 1}年度実績の"
        "基礎排出係数)。市全体の排出量ではありません。"
        + (f" 電気の排出係数が公表値にない {fmt_int(missing)} 事業所は合計に含めていません。" if missing else ""),
        f"気温の影響を取り除くと、{int(first['fiscal_year'])} 年度から {int(last['fiscal_year'])} 年度にかけて"
        f"対象事業所の排出量は"
        + (f"ほとんど変わっていません (変化 {fmt_pct(change, 2)})。" if abs(change) < 0.005 else
           f" {fmt_pct(abs(change))} {'減って' if change < 0 else '増えて'}います。")
        + f" (各年度とも {fy} 年度の排出係数で換算)",
        f"業種別では「{top['sector_name']}」が最も多く、{fy} 年度の {fmt_pct(share)} を占めます。",
    ]
    if "models_pass_g14_share" in base:
        out.append(
            f"CalTRACK 方式の月別ベースラインは {fmt_int(base['models_fitted'])} 系列で作成でき、その "
            f"{fmt_pct(base['models_pass_g14_share'])} が ASHRAE Guideline 14 の精度基準を満たしました。"
            f"対策実施月のある {fmt_int(base.get('measures', 0))} 系列の削減量 (90 % 区間付き) を"
            "事業所別表に示します。")
    out.append(
        "LED 化・太陽光・燃料転換の対策を組み合わせると、対象事業所の合計で年 "
        f"{fmt_int(metrics['scenario_city_reduction_t_co2'])} t-CO2"
        f" ({fmt_pct(metrics['scenario_city_reduction_share'])}) の削減が見込めます"
        " (基礎排出係数、前提は試算用の仮定)。"
        + (f" 再エネメニューは調整後排出係数でのみ削減として数えられ、調整後では年 "
           f"{fmt_int(metrics['scenario_city_reduction_t_co2_adjusted'])} t-CO2 の削減です。"
           if "scenario_city_reduction_t_co2_adjusted" in metrics else ""))
    out.append(f"欠測を補った推計値は {fy} 年度の排出量の {fmt_pct(metrics['estimated_share_of_t_co2'])} です。")
    return out


def wellbeing_findings(metrics: Mapping[str, Any], city_rows: pd.DataFrame, drivers: pd.DataFrame,
                       level: float) -> list[str]:
    """Respondents and weighting, city happiness/satisfaction with CI, main drivers, small districts.

    ``city_rows``: district_indicators rows of 市全体 (indicator, mean, ci_low, ci_high);
    ``drivers``: driver_importance (item_label, rank_linear); ``level``: interval level (wellbeing.level).
    """
    by = city_rows.set_index("indicator")
    hap = metrics["happiness"]
    top = drivers.sort_values("rank_linear").head(3)["item_label"].astype(str).tolist()
    cv = metrics["drivers"]["cv"]["linear_ridge"]
    out = [
        f"{fmt_int(metrics['n_respondents'])} 人の回答を、"
        "住民基本台帳の年齢・性別・地区の構成に合わせて重み付けしました"
        f" ({fmt_int(metrics['n_districts'])} 地区、実質の標本数は約 "
        f"{fmt_pct(1 / metrics['raking']['kish_deff'], 0)} に相当)。",
        f"市全体の幸福度 (0〜10 点) は {fmt_num(hap['city_mean_weighted'], 2)} 点"
        f" ({fmt_pct(level, 0)} 信頼区間 {fmt_num(hap['city_ci_low'], 2)}〜"
        f"{fmt_num(hap['city_ci_high'], 2)} 点) です。",
    ]
    if "life_satisfaction" in by.index:
        ls = by.loc["life_satisfaction"]
        out.append(f"生活満足度は {fmt_num(ls['mean'], 2)} 点 (区間 {fmt_num(ls['ci_low'], 2)}〜"
                   f"{fmt_num(ls['ci_high'], 2)} 点) です。")
    out.append(f"幸福度と関係が強い項目は「{'」「'.join(top)}」でした。"
               f"{fmt_int(len(drivers))} 分野すべての回答を使うモデルで、幸福度のばらつきの約 "
               f"{fmt_pct(cv['r2_mean'], 0)} を説明できます (この 3 項目だけの説明力ではありません)。")
    sae = metrics.get("small_area")
    if sae and sae.get("covariates"):
        names = {"share_65plus": "65歳以上の割合", "log_density": "人口密度", "dist_stop_km": "停留所・駅までの距離"}
        used = "・".join(names.get(c, c) for c in sae["covariates"])
        z = NormalDist().inv_cdf(0.5 + level / 2)
        out.append(f"地区ごとの回答者は少ないため、各地区の値は地区の客観指標 ({used}) を使う小地域推定"
                   f" (Fay–Herriot モデル) で推定しました。区間の幅 (中央値) は直接の集計の "
                   f"±{fmt_num(z * sae['median_se_direct'], 2)} 点から ±{fmt_num(z * sae['median_se_fay_herriot'], 2)}"
                   " 点になりました。地区の順位付けには使わないでください。")
    else:
        out.append(f"地区ごとの回答者は少ないため、各地区の値は市全体の値に寄せて推定しています (寄せた割合の中央値 "
                   f"{fmt_pct(hap['median_shrinkage'], 0)})。地区の順位付けには使わないでください。")
    sens = metrics.get("sensitivity")
    if sens:
        moved = sens["city_happiness_if_nonrespondents_lower"]
        if "0.5" in moved and "1" in moved:
            out.append(f"回答しなかった人 (約 {fmt_pct(1 - sens['response_rate'], 0)}) の幸福度が回答した人より"
                       f" 0.5 点低ければ、市全体の平均は {fmt_num(moved['0.5'], 2)} 点、"
                       f"1 点低ければ {fmt_num(moved['1'], 2)} 点になります。"
                       "重み付けではこの差を直せないため、市全体の値はこの幅で読んでください。")
    return out


def privacy_findings(audit: Mapping[str, Any], anonymize: Mapping[str, Any],
                     tier: Mapping[str, Any] | None = None) -> list[str]:
    """What was deleted/replaced by APPI item, whether the audit passed, k/l of the release, key status."""
    columns = [c for t in audit["tables"].values() for c in t["columns"]]
    deleted = [c for c in columns if c["action"] == "delete"]
    by_item = {item: sum(1 for c in deleted if c["appi"] == item) for item in ("item1", "item2", "item3")}
    replaced = sum(1 for c in columns if c["action"] == "pseudonym")
    generalised = sum(1 for c in columns if c["action"] == "generalise")
    surviving = sum(len(t["deleted_columns_surviving"]) for t in audit["tables"].values())
    survivals = sum(len(t["raw_value_survivals"]) for t in audit["tables"].values())
    out = [
        f"{len(audit['tables'])} 個の表で {len(deleted)} 列を削除しました (第1号 {by_item['item1']} 列、"
        f"第2号 {by_item['item2']} 列、第3号 {by_item['item3']} 列)。{replaced} 列は鍵付きハッシュの仮IDに置き換え、"
        f"{generalised} 列は一般化 (生年月日→年齢など) しました。",
        f"プログラムによる自動点検の結果は「{'合格' if audit['passed'] else '不合格'}」です"
        f" (人による監査や法的な審査ではありません)。削除した列が残っている表は {surviving} 件、"
        f"元の値が他の列に残っている箇所は {survivals} 件でした。",
        f"匿名加工した住民データ ({fmt_int(anonymize['rows_released'])} 行) は、同じ属性の人が必ず "
        f"{fmt_int(anonymize['k'])} 人以上いる状態 (k 匿名性、目標 {anonymize['k_target']}) で、"
        f"各グループに {anonymize.get('sensitive_ja') or anonymize['sensitive']} が "
        f"{anonymize['l']} 種類以上ある状態 (l 多様性、目標 "
        f"{anonymize['l_target']}) です。削除した行は {fmt_int(anonymize['records_suppressed'])} 行です。"
        "この表は公開用ではなく、提案募集と契約を経た相手にのみ提供します。",
        f"仮IDは鍵付きハッシュ ({audit['pseudonym']['algorithm']}) の先頭 {audit['pseudonym']['bits']} ビットで、"
        f"{fmt_int(audit['pseudonym']['persons_observed'])} 人で偶然同じ仮IDになる確率は "
        f"{fmt_tiny(audit['pseudonym']['collision_probability_observed'])} です。",
    ]
    if tier is not None:
        out.append(f"学生向けの乗車記録では、{tier['max_p']} 点の乗車で一意に特定できる利用者×日の割合は "
                   f"{fmt_pct(tier['student_share_unique_at_max_p'])} です "
                   f"(対象 {fmt_int(tier['student_riders_at_max_p'])} 件)。")
    if audit["key"].get("demo_key"):
        out.append("今回の仮ID化には合成データ専用のデモ用の鍵を使いました。実データには使えません。")
    return out


CO2_MEASURES = ("led", "pv", "fuel_switch", "renewable_menu")


def co2_options(scenarios_basic: pd.DataFrame, scenarios_adjusted: pd.DataFrame) -> pd.DataFrame:
    """The reduction measures as options: capex, yearly cost change, t-CO2 a year (basic and adjusted),
    capex per t-CO2 a year, and the simple payback. From the co2 stage's ``scenarios_city*`` tables.

    A measure that saves money every year pays back in capex / saving years; one that costs more
    every year never pays back (NaN). A measure whose basic reduction is 0 (the renewable menu)
    has no capex per basic tonne.
    """
    basic = scenarios_basic.set_index("step")
    adjusted = scenarios_adjusted.set_index("step")
    rows = []
    for step in CO2_MEASURES:
        if step not in basic.index:
            continue
        row = basic.loc[step]
        cut = -float(row["t_co2"]) + 0.0  # + 0.0: no "-0" in the table
        cut_adj = -float(adjusted.loc[step, "t_co2"]) + 0.0 if step in adjusted.index else float("nan")
        capex = float(row["capex_yen"])
        yearly = float(row["cost_yen_per_yr"])
        rows.append({
            "step": step, "label": str(row["label"]), "capex_oku": capex / 1e8, "yearly_man": yearly / 1e4,
            "t_co2": cut, "t_co2_adjusted": cut_adj,
            "capex_per_t_man": capex / cut / 1e4 if cut > 0 and capex > 0 else float("nan"),
            "payback_years": capex / -yearly if yearly < 0 and capex > 0 else float("nan"),
            "payback_text": (f"{fmt_num(capex / -yearly, 1)} 年" if yearly < 0 and capex > 0 else
                             "初期費用なし" if capex <= 0 else "回収しない (光熱費が増える)"),
        })
    return pd.DataFrame(rows)


def co2_decision(metrics: Mapping[str, Any], options: pd.DataFrame) -> dict[str, str]:
    """The decision page's sentences for the co2 report, every number from ``metrics``/``options``."""
    fy = metrics["latest_fiscal_year"]
    best = options.dropna(subset=["capex_per_t_man"]).sort_values("capex_per_t_man")
    cheapest = best.iloc[0] if len(best) else None
    total_capex = float(options["capex_oku"].sum())
    total_cut = float(options["t_co2"].sum())
    finding = (f"対象事業所の合計 {fmt_int(metrics['city_t_co2_latest_fy'])} t-CO2 ({fy} 年度) に対し、"
               f"試算した対策をすべて行うと年 {fmt_int(total_cut)} t-CO2 減り (基礎排出係数)、初期費用は約 "
               f"{fmt_num(total_capex, 1)} 億円です。")
    if cheapest is not None:
        finding += (f"年 1 t を減らす初期費用が最も小さいのは「{cheapest['label']}」"
                    f" (約 {fmt_num(float(cheapest['capex_per_t_man']), 1)} 万円) です。")
    return {
        "question": "対象事業所の CO2 を減らすために、市はどの対策の支援を優先するか。",
        "finding": finding,
        "uncertainty": ("対策の効果と費用は、事業所ごとの設備や使い方が分からないまま一律の前提 (params.yaml の"
                        "試算用の仮定) で計算した目安で、実際の見積もりではありません。排出量は電力会社・メニューごとの"
                        "排出係数によって変わり、再エネメニューの効果は調整後排出係数でだけ数えられます。"),
        "decider": "環境・GX 担当課 (補助制度の設計)、最終的には各事業所の経営者。",
        "next_step": ("費用の目安が小さい対策から、対象となりそうな事業所に実際の見積もりと省エネ診断を依頼し、"
                      "この試算と比べる。"),
    }


def wellbeing_options(summary: pd.DataFrame, min_n: int = 30, response_rate: float = 0.35) -> pd.DataFrame:
    """Options for the well-being decision page, with what each needs in the unit that matters.

    The extra survey is costed in responses and questionnaires: enough responses for every shown
    district to reach ``min_n``, and the questionnaires that needs at ``response_rate``.
    """
    n = summary["n"].fillna(0)
    extra = int((min_n - n).clip(lower=0).sum())
    below = int((n < min_n).sum())
    sheets = int(round(extra / response_rate)) if response_rate > 0 else 0
    return pd.DataFrame([
        {"option": "分野別の施策の検討に使う (第 2 章)", "needs": "追加の費用なし (今回の結果を使う)",
         "gives": "幸福度と関係の強い分野の目安 (因果ではない)"},
        {"option": f"回答の少ない {below} 地区で追加調査",
         "needs": f"追加の回答 約 {extra:,} 件 (配布 約 {sheets:,} 通、回答率 {fmt_pct(response_rate, 0)} の場合)",
         "gives": f"全地区で回答者 {min_n} 人以上、地区の値の幅が狭まる"},
        {"option": "地区の順位付け・予算配分の基準に使う", "needs": "—",
         "gives": "使えません (区間が重なり、指標の作成者も順位付けをしないよう求めています)"},
    ])


def wellbeing_decision(metrics: Mapping[str, Any], summary: pd.DataFrame, level: float,
                       min_n: int = 30) -> dict[str, str]:
    """The decision page's sentences for the well-being report, every number from its inputs.

    ``summary``: district_summary (district, n, withheld); ``level``: the interval level.
    """
    hap = metrics["happiness"]
    small = int((summary["n"].fillna(0) < min_n).sum())
    shown = summary.dropna(subset=["happiness_ci_low_eb", "happiness_ci_high_eb"])
    city = float(hap["city_mean_weighted"])
    contains = int(((shown["happiness_ci_low_eb"] <= city) & (city <= shown["happiness_ci_high_eb"])).sum())
    sens = metrics.get("sensitivity") or {}
    moved = (sens.get("city_happiness_if_nonrespondents_lower") or {}).get("1")
    uncertainty = (f"市全体の幸福度 {fmt_num(hap['city_mean_weighted'], 2)} 点の {fmt_pct(level, 0)} 信頼区間は "
                   f"{fmt_num(hap['city_ci_low'], 2)}〜{fmt_num(hap['city_ci_high'], 2)} 点です。")
    if moved is not None:
        uncertainty += (f"回答しなかった人の幸福度が 1 点低ければ {fmt_num(moved, 2)} 点になり、"
                        "この差は重み付けでは直せません。")
    uncertainty += (f"回答者が {min_n} 人未満の地区が {fmt_int(small)} あり、地区の値は幅をもって読んでください。"
                    "地区どうしの順位付けには使えません。")
    return {
        "question": "住民の幸福度を支えるために、市はどの分野の施策と、どの地区での聞き取りを優先するか。",
        "finding": (f"市全体の幸福度は {fmt_num(hap['city_mean_weighted'], 2)} 点 (0〜10 点) で、値を示した "
                    f"{fmt_int(len(shown))} 地区のうち {fmt_int(contains)} 地区は区間が市全体の値を含みます。"
                    "地区の差よりも分野の差 (第 2 章) のほうが施策の手がかりになります。"),
        "uncertainty": uncertainty,
        "decider": "企画・政策担当課 (総合計画・地域幸福度の活用)、分野ごとの担当課。",
        "next_step": ("幸福度と関係の強い分野の担当課と結果を共有し、回答の少ない地区では次回調査の前に"
                      "自治会・地区の集まりで聞き取りを行う。"),
    }


def privacy_decision(audit: Mapping[str, Any], anonymize: Mapping[str, Any],
                     tier: Mapping[str, Any] | None) -> dict[str, str]:
    """The decision page's sentences for the privacy report, every number from the audit/metrics."""
    legal = audit.get("legal") or {}
    age_share = anonymize.get("age_band_10y_or_narrower_share")
    release = (f"匿名加工した住民表は k = {fmt_int(anonymize['k'])}、l = {fmt_int(anonymize['l'])} で、"
               f"{fmt_pct(anonymize['suppression_rate'], 2)} の行を削除しました")
    if age_share is not None:
        release += f" (年齢を 10 歳幅以下で残した行 {fmt_pct(age_share, 1)})"
    risk = ""
    if tier:
        risk = (f"学生向けの予約ログでも、同じ日の {fmt_int(tier['max_p'])} 回の乗車 (時刻と町丁目) が分かれば "
                f"{fmt_pct(tier['student_share_unique_at_max_p'], 0)} の利用者が一人に絞られます。"
                "利用者番号は日ごとに振り直し、ほかの表とつながりません。")
    return {
        "question": "加工したデータを、誰に、どの手続きで渡してよいか。",
        "finding": (f"市は{legal.get('regime_text', '行政機関等')}として、仮名加工したデータは"
                    f"{legal.get('route', '委託')}の相手方にだけ渡せます。{release}。"
                    "匿名加工した表もオープンデータではありません。"),
        "uncertainty": ("自動点検は決められた項目 (削除した列・元の値の残り・k と l) を機械的に確かめたもので、"
                        "法的な審査の代わりにはなりません。" + risk),
        "decider": "個人情報保護の担当課 (提供の可否と契約)、データを所管する課。",
        "next_step": ("委託契約に再提供・照合・本人への連絡の禁止と安全管理措置を書き込み、"
                      "学生に渡す前に取扱いの誓約を取る。匿名加工した表は提案募集の手続きを経てから提供する。"),
    }


def norute_options(dispatch: Mapping[str, Any], cost_per_vehicle_hour_yen: float, fare_yen: float,
                   demand_factor: float = 1.0) -> pd.DataFrame:
    """Fleet options at one demand level from the dispatch grid: served share, the ride-now wait
    from the request (mean and 95th percentile, one population, so the two columns read together;
    the all-bookings p95 mixes in the reservations' lateness), rides per vehicle-hour, and the
    cost and subsidy per ride (vehicle-hour cost ÷ rides per vehicle-hour;
    subsidy = cost − fare). Vehicle-hours are the vans' service hours, drivers' breaks included
    (the hourly cost is paid for them too); revenue hours, which leave the breaks out, would
    understate the cost per ride."""
    rows = [r for r in (dispatch.get("grid") or {}).get("rows", []) if r["demand_factor"] == demand_factor]
    out = []
    for r in sorted(rows, key=lambda r: r["n_vehicles"]):
        per_hour = float(r["rides_per_vehicle_hour"])
        cost = cost_per_vehicle_hour_yen / per_hour if per_hour > 0 else float("nan")
        out.append({"n_vehicles": int(r["n_vehicles"]), "served_rate": float(r["served_rate"]),
                    "ride_now_wait": float(r["ride_now_wait_mean_min"]),
                    "ride_now_wait_p95": float(r["ride_now_wait_p95_min"]),
                    "rides_per_hour": per_hour, "cost_per_ride": cost, "subsidy_per_ride": cost - fare_yen})
    return pd.DataFrame(out, columns=["n_vehicles", "served_rate", "ride_now_wait", "ride_now_wait_p95",
                                      "rides_per_hour", "cost_per_ride", "subsidy_per_ride"])


def norute_decision(options: pd.DataFrame, default_fleet: int, cost_per_vehicle_hour_yen: float,
                    fare_yen: float, max_p95_wait_min: float = 15.0) -> dict[str, str]:
    """The decision page's sentences for the のるーと report, every number from ``options``.

    The smallest fleet that serves ≥ 95 % with a ride-now p95 wait ≤ ``max_p95_wait_min`` is named beside
    the fleet in service today, with the subsidy per ride of each.
    """
    ok = options[(options["served_rate"] >= 0.95) & (options["ride_now_wait_p95"] <= max_p95_wait_min)]
    now = options[options["n_vehicles"] == default_fleet]
    finding = ""
    if len(now):
        row = now.iloc[0]
        finding = (f"今の {default_fleet} 台では、予約の {fmt_pct(row['served_rate'])} に乗車でき、"
                   f"呼んでからの待ちは平均 {fmt_num(row['ride_now_wait'])} 分、"
                   f"1 乗車あたりの運行費は約 {fmt_int(row['cost_per_ride'])} 円"
                   f" (運賃 {fmt_int(fare_yen)} 円を引いた市の負担は約 {fmt_int(row['subsidy_per_ride'])} 円) です。")
    if len(ok):
        least = ok.sort_values("n_vehicles").iloc[0]
        finding += (f"95% 以上が乗車でき、呼んでからの待ちの上位 5% が {fmt_int(max_p95_wait_min)} 分以内に収まる"
                    f"最少の台数は {int(least['n_vehicles'])} 台 (1 乗車あたりの市の負担 約 "
                    f"{fmt_int(least['subsidy_per_ride'])} 円) です。")
    return {
        "question": "のるーと古賀を何台で運行するか (待ち時間と 1 乗車あたりの費用の釣り合い)。",
        "finding": finding or "配車シミュレーションの結果がまだないため、台数ごとの比較はできません。",
        "uncertainty": (f"運行費は 1 台 1 時間あたり {fmt_int(cost_per_vehicle_hour_yen)} 円と仮定しています"
                        " (未確認の試算用の値)。"
                        "需要は過去の予約記録の再現と予測にもとづくもので、利用が増えれば待ちと台数の関係は変わります "
                        "(需要 1.5〜6 倍の試算は第 4 章)。"),
        "decider": "交通政策の担当課と運行事業者 (台数・運行時間の見直し)、予算は議会。",
        "next_step": ("運行事業者の実際の運行費と予約記録で同じ試算をやり直し、"
                      "台数を変える前に 1 か月の試行で待ち時間を確かめる。"),
    }


def counter_options(scenarios: pd.DataFrame, households: int) -> pd.DataFrame:
    """The counter scenarios as options: staff-hours and minutes of staff time per household, the
    most counters open at once, the 90th-percentile wait, and what the past 3 counters would give."""
    out = scenarios[["scenario", "staff_hours", "max_counters", "p90_wait_min", "past_counters_p90_wait_min"]].copy()
    out["staff_min_per_household"] = out["staff_hours"] * 60 / households if households > 0 else float("nan")
    return out


def counter_decision(metrics: Mapping[str, Any], options: pd.DataFrame) -> dict[str, str]:
    """The decision page's sentences for the counter report, every number from its inputs."""
    target = float(metrics["wait_target_min"])
    base, best = options.iloc[0], options.sort_values("staff_hours").iloc[0]
    return {
        "question": "8 月の現況届の窓口を何窓口・何人時で開き、オンライン事前提出をどこまで広げるか。",
        "finding": (f"待ち時間の 90% 点を {fmt_num(target, 0)} 分以内にするには、オンライン事前提出なしで延べ "
                    f"{fmt_int(base['staff_hours'])} 人時 (最大 {fmt_int(base['max_counters'])} 窓口) が要り、"
                    f"職員時間が最も少ないのは「{best['scenario']}」の {fmt_int(best['staff_hours'])} 人時"
                    f" (1 世帯あたり {fmt_num(best['staff_min_per_household'], 1)} 分) です。"),
        "uncertainty": ("来庁数は過去の受付記録からの予測で、時間帯ごとの人数は少なく偶然の影響が大きいため、"
                        "区間の幅で読んでください。オンライン事前提出で窓口の時間が何割減るかは仮定 "
                        "(params.yaml の online_saving、未確認) で、職員時間の差はこの仮定に直接左右されます。"),
        "decider": "こども家庭の担当課 (窓口の体制と日程)、DX 担当課 (オンライン申請の案内)。",
        "next_step": ("今年の受付記録で予測とシミュレーションをやり直し、オンライン事前提出を使った世帯の"
                      "実際の対応時間を計って online_saving の仮定を置き換える。"),
    }
