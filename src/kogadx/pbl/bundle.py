"""The PBL student bundle: per theme, the minimal extract its notebooks need, and its uniqueness.

Each theme folder (``data/student_bundle/<theme>/``) mirrors the project's relative paths, so
the loaders of :mod:`kogadx.pbl.data` read it unchanged when it is the root
(``KOGADX_BUNDLE``, or the ``bundle.json`` marker found upwards from the working folder).
What a theme holds is the least its notebooks read (issue #24):

- person-level tables are *extracts*: ages become age bands, no household key, no link from a
  member or respondent to the register (``person_id``), no free text, times hourly where the
  exercise allows it (the ride log is the ``student_tier`` stage's tier, policy.yaml
  ``student_tiers``; it is copied, not rebuilt);
- the rest are aggregates, model outputs, public geography and public texts, copied as they are,
  plus ``params.yaml`` and ``dvc.yaml`` (configuration, no data).

An extract is written under ``data/student/`` and ``bundle.json`` says which project path it
stands in for (``replaces``), so ``data.load_residents()`` reads the age-band extract there.
For every person-level table the share of records unique on the quasi-identifiers it contains
and the smallest class (k) are measured with :mod:`kogadx.privacy.anonymity` and stated in the
theme's README (Japanese) and in ``metrics/student_bundle.json``.

Pure: files come in as bytes keyed by project-relative path and go out the same way.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kogadx.pbl.params import StudentBundleParams
from kogadx.privacy.anonymity import class_sizes
from kogadx.rng import stream_rng

MARKER = "bundle.json"
CONFIG_FILES = ("params.yaml", "dvc.yaml")  # configuration, no data: load_params and notebooks 00/07 read them
RESIDENTS = "data/pseudonymized/residents.parquet"
RIDES = "data/pseudonymized/ride_requests.parquet"
SURVEY = "data/pseudonymized/survey.parquet"
COUNTER_LOG = "data/pseudonymized/counter_log.parquet"
STUDENT_RIDES = "data/student/ride_requests.parquet"  # the student_tier stage's tier (hourly, 町丁目, rider_day)
SURVEY_WEIGHTS = "data/features/wellbeing/survey_weights.parquet"


@dataclass(frozen=True)
class Extract:
    """A person-level table of the bundle: ``source`` (project path) → ``output`` (bundle path)."""

    output: str
    sources: tuple[str, ...]
    replaces: str | None  # the project path the loaders read, answered by ``output`` in the bundle
    quasi_identifiers: tuple[str, ...]  # what an outsider may know of the person (measured)
    description: str  # Japanese, for the README


@dataclass(frozen=True)
class Theme:
    name: str
    title: str
    notebooks: tuple[str, ...]
    extracts: tuple[str, ...]  # keys of EXTRACTS
    copies: tuple[str, ...]  # project paths (files, or folders ending in "/") copied as they are
    notes: tuple[str, ...] = field(default=())  # Japanese: why an extract keeps what it keeps
    # dvc.yaml of the folder: the project's (to read) or the bundle's own forecast pipeline (to run, 07)
    runnable: bool = False


EXTRACTS: dict[str, Extract] = {
    "residents": Extract(
        "data/student/residents.parquet", (RESIDENTS,), RESIDENTS,
        ("age_band", "sex", "town_code"),
        "住民 (仮名加工済み台帳の抜粋): 年齢は 5 歳階級、性別、町丁目。仮ID・世帯の番号・続柄はなし"),
    # 01's l-diversity exercise needs 続柄 (the sensitive attribute there), so the privacy theme keeps it
    "residents_relationship": Extract(
        "data/student/residents.parquet", (RESIDENTS,), RESIDENTS,
        ("age_band", "sex", "town_code", "relationship"),
        "住民 (仮名加工済み台帳の抜粋): 年齢は 5 歳階級、性別、町丁目、続柄。仮ID・世帯の番号はなし"),
    "ride_requests": Extract(
        STUDENT_RIDES, (STUDENT_RIDES,), RIDES,
        ("desired_pickup_at", "origin_zone", "destination_zone", "passengers", "payment_method"),
        "のるーと古賀 予約ログ (学生向けの階層): 時刻は 1 時間単位、停留所は町丁目、利用者番号は日ごとに振り直し"),
    "dispatch_requests": Extract(
        "data/student/dispatch_requests.parquet", (RIDES,), RIDES,
        ("desired_pickup_at", "origin_stop_id", "destination_stop_id", "passengers"),
        "配車シミュレーション用の予約 (分単位の時刻と停留所)。会員番号・車両・運賃・支払方法・実際の乗降時刻はなし"),
    "stop_trips": Extract(
        "data/student/stop_trips.parquet", (RIDES,), None,
        ("origin_stop_id", "destination_stop_id"),
        "停留所の利用 (乗車と降車の停留所の組だけ。時刻・人・結果はなし): 停留所ごとの地図と演習 (02) 用"),
    "survey": Extract(
        "data/student/survey.parquet", (SURVEY,), SURVEY,
        ("age_band", "sex", "town_code"),
        "幸福度アンケートの回答: 年齢は 5 歳階級、自由記述はなし。person_id はこのバンドルだけの回答者番号"),
    "survey_weights": Extract(
        SURVEY_WEIGHTS, (SURVEY_WEIGHTS, SURVEY), None,
        ("district", "age_group", "sex"),
        "回答者のウェイト (レイキング)。person_id は上のアンケートと同じ、このバンドルだけの番号"),
    "counter_log": Extract(
        "data/student/counter_log.parquet", (COUNTER_LOG,), COUNTER_LOG,
        ("year", "venue", "arrived_at", "case_type"),
        "現況届の受付記録: 到着・呼出・終了の時刻 (分単位)、会場、窓口、手続の種類。事案番号 (世帯との対応) はなし"),
}

THEMES: tuple[Theme, ...] = (
    Theme("privacy", "データの扱いと仮名加工・匿名加工", ("00", "01"), ("residents_relationship", "ride_requests"),
          ("data/anonymized/residents.parquet", "metrics/anonymize.json", "metrics/student_tier.json"),
          ("住民の抜粋には、ノートブック 01 の l-多様性の演習で使う続柄を残しています"
           " (ほかのテーマにはありません)。",)),
    Theme("mobility", "のるーと古賀の需要 (探索・予測・評価・再現・データ品質・アクセス)",
          ("02", "03", "07", "09", "10", "11"), ("ride_requests", "stop_trips", "residents"),
          ("data/features/demand_panel.parquet", "data/features/demand_forecast.parquet",
           "data/pseudonymized/towns.parquet", "data/pseudonymized/stops.parquet",
           "metrics/demand.json", "metrics/ingest.json"),
          ("`dvc.yaml` は、このフォルダだけで動く予測のパイプラインです (ノートブック 07)。プロジェクトの予測ステージと"
           "同じ計算ですが、安全管理区域にある真の需要 (data/truth) を使う「理想の予測」の指標だけは計算しません。",),
          runnable=True),
    Theme("dispatch", "のるーと古賀の配車シミュレーション", ("04",), ("dispatch_requests",),
          ("data/pseudonymized/towns.parquet", "data/pseudonymized/stops.parquet", "metrics/dispatch.json"),
          ("配車を再生するには予約の時刻 (分) と乗降の停留所が要るため、この抜粋だけは 1 時間単位にしていません。"
           "その代わり、会員番号を含めて人と結びつく列はすべて除いています。",)),
    Theme("energy", "事業所の CO2 とベースライン", ("05",), (),
          ("data/pseudonymized/weather.parquet", "data/features/co2/", "metrics/co2.json")),
    Theme("wellbeing", "幸福度アンケートと地区の指標", ("06",), ("survey", "survey_weights"),
          ("data/pseudonymized/towns.parquet", "data/features/wellbeing/district_indicators.parquet",
           "data/features/wellbeing/district_summary.parquet", "data/features/wellbeing/driver_importance.parquet",
           "data/features/wellbeing/raking_margins.parquet", "metrics/wellbeing.json")),
    Theme("counter", "現況届の窓口 (待ち行列)", ("08",), ("counter_log",),
          ("data/features/counter/", "metrics/counter.json"),
          ("待ち時間と応対時間を計算するため、受付記録の時刻は分単位のままです。世帯と結びつく事案番号は除いています。",)),
    Theme("regulation", "アナログ規制の点検 (公開の例規)", ("12",), (),
          ("data/regulation/corpus/", "data/regulation/city_labels.csv", "reports/regulation/review.xlsx",
           "metrics/regulation.json", "plots/regulation/")),
)


def theme_sources(themes: tuple[Theme, ...] = THEMES) -> list[str]:
    """Every project path the bundle reads (folders end in "/"): the stage's inputs."""
    paths = set(CONFIG_FILES)
    for theme in themes:
        paths |= set(theme.copies)
        for name in theme.extracts:
            paths |= set(EXTRACTS[name].sources)
    return sorted(paths)


# ------------------------------------------------------------------------------ extracts


def _parquet(data: bytes) -> pd.DataFrame:
    return pd.read_parquet(io.BytesIO(data))


def age_bands(age: pd.Series, width: int, top: int) -> pd.Series:
    """Age → band label "20-24" (``width`` years), and one open band "90+" from ``top`` up."""
    years = pd.to_numeric(age, errors="coerce")
    low = (years // width * width).clip(upper=top)
    labels = [None if pd.isna(lo) else (f"{int(lo)}+" if lo >= top else f"{int(lo)}-{int(lo) + width - 1}")
              for lo in low]
    return pd.Series(labels, index=age.index, dtype="string")


def _respondent_numbers(person_ids: pd.Series, seed: int) -> dict[str, str]:
    """Bundle-local respondent numbers in a random order (not the pseudonym's order): they join the
    survey to its weights inside the bundle and to nothing else."""
    ids = sorted(person_ids.dropna().astype(str).unique())
    order = stream_rng(seed, "student_bundle.respondents").permutation(len(ids))
    return {pid: f"A{rank + 1:05d}" for pid, rank in zip(ids, order, strict=True)}


def _residents(files: Mapping[str, bytes], p: StudentBundleParams, relationship: bool = False) -> pd.DataFrame:
    frame = _parquet(files[RESIDENTS])
    out = pd.DataFrame({"age_band": age_bands(frame["age"], p.age_band_years, p.top_age),
                        "sex": frame["sex"], "town_code": frame["town_code"], "town_name": frame["town_name"]})
    if relationship:
        out["relationship"] = frame["relationship"].to_numpy()
    # sorted: the register's order (registration, household) does not survive
    return out.sort_values(list(out.columns), kind="stable").reset_index(drop=True)


def _residents_relationship(files: Mapping[str, bytes], p: StudentBundleParams) -> pd.DataFrame:
    return _residents(files, p, relationship=True)


def _dispatch_requests(files: Mapping[str, bytes], p: StudentBundleParams) -> pd.DataFrame:
    frame = _parquet(files[RIDES])
    keep = ["requested_at", "desired_pickup_at", "origin_stop_id", "destination_stop_id", "passengers", "outcome"]
    out = frame[keep].sort_values(["desired_pickup_at", "requested_at", "origin_stop_id", "destination_stop_id"],
                                  kind="stable").reset_index(drop=True)
    out.insert(0, "request_id", [f"B{i + 1:06d}" for i in range(len(out))])  # the simulator's key, new
    return out


def _stop_trips(files: Mapping[str, bytes], p: StudentBundleParams) -> pd.DataFrame:
    frame = _parquet(files[RIDES])[["origin_stop_id", "destination_stop_id"]]
    return frame.sort_values(list(frame.columns), kind="stable").reset_index(drop=True)  # no time order left


def _survey(files: Mapping[str, bytes], p: StudentBundleParams) -> pd.DataFrame:
    frame = _parquet(files[SURVEY])
    numbers = _respondent_numbers(frame["person_id"], p.seed)
    answers = [c for c in frame.columns
               if c not in ("response_id", "person_id", "age", "comment", "sex", "town_code", "town_name")]
    out = pd.DataFrame({"person_id": frame["person_id"].astype(str).map(numbers),
                        "age_band": age_bands(frame["age"], p.age_band_years, p.top_age),
                        "sex": frame["sex"], "town_code": frame["town_code"], "town_name": frame["town_name"]})
    out = pd.concat([out, frame[answers].reset_index(drop=True)], axis=1)
    return out.sort_values("person_id", kind="stable").reset_index(drop=True)


def _survey_weights(files: Mapping[str, bytes], p: StudentBundleParams) -> pd.DataFrame:
    weights = _parquet(files[SURVEY_WEIGHTS])
    numbers = _respondent_numbers(_parquet(files[SURVEY])["person_id"], p.seed)
    out = weights.assign(person_id=weights["person_id"].astype(str).map(numbers))
    return out.sort_values("person_id", kind="stable").reset_index(drop=True)


def _counter_log(files: Mapping[str, bytes], p: StudentBundleParams) -> pd.DataFrame:
    frame = _parquet(files[COUNTER_LOG])
    keep = ["year", "venue", "arrived_at", "called_at", "ended_at", "case_type", "counter"]
    return frame[keep].sort_values(["arrived_at", "counter"], kind="stable").reset_index(drop=True)


def _student_rides(files: Mapping[str, bytes], p: StudentBundleParams) -> pd.DataFrame:
    return _parquet(files[STUDENT_RIDES])


BUILDERS: dict[str, Callable[[Mapping[str, bytes], StudentBundleParams], pd.DataFrame]] = {
    "residents": _residents,
    "residents_relationship": _residents_relationship,
    "ride_requests": _student_rides,
    "dispatch_requests": _dispatch_requests,
    "stop_trips": _stop_trips,
    "survey": _survey,
    "survey_weights": _survey_weights,
    "counter_log": _counter_log,
}


# ------------------------------------------------------------------------------ uniqueness


def uniqueness(frame: pd.DataFrame, quasi_identifiers: tuple[str, ...] | list[str]) -> dict[str, object]:
    """Share of records unique on the quasi-identifiers, the smallest class (k), classes, rows."""
    qi = [c for c in quasi_identifiers if c in frame.columns]
    sizes = class_sizes(frame, qi)
    n = int(len(frame))
    unique = int((sizes == 1).sum())
    return {"quasi_identifiers": qi, "rows": n, "classes": int(len(sizes)),
            "unique_records": unique, "share_unique": round(unique / n, 6) if n else 0.0,
            "k": int(sizes.min()) if len(sizes) else 0}


# ------------------------------------------------------------------------------ the bundle


@dataclass
class BundleTheme:
    """One theme's files (bundle path → bytes, or a table to write) and its measurements."""

    theme: Theme
    tables: dict[str, pd.DataFrame]
    files: dict[str, bytes]
    measured: dict[str, dict[str, object]]
    replaces: dict[str, str]


FORECAST_OUTS = ("models/demand", "data/features/demand_forecast.parquet", "metrics/demand.json",
                 "reports/figures/demand", "plots/forecast")


def bundle_pipeline(project_dvc_yaml: bytes) -> bytes:
    """The bundle's own ``dvc.yaml``: the project's forecast stage (same params, same outputs)
    run by :mod:`kogadx.pbl.reproduce` on the bundle's panel, without the secure truth."""
    import yaml

    stage = yaml.safe_load(project_dvc_yaml.decode("utf-8"))["stages"]["forecast"]
    models, forecast, metrics, figures, plots = FORECAST_OUTS
    pipeline = {"stages": {"forecast": {
        "cmd": f"python -m kogadx.pbl.reproduce data/features/demand_panel.parquet {models} {forecast} "
               f"{metrics} {figures} {plots}",
        "deps": ["data/features/demand_panel.parquet"],
        "params": stage["params"],
        "outs": [models, forecast, figures, {plots: {"cache": False}}],
        "metrics": [{metrics: {"cache": False}}],
    }}}
    head = ("# 学生用データだけで動くパイプライン (kogadx student_bundle が作成)。\n"
            "# プロジェクトの forecast ステージと同じ計算で、安全管理区域の真の需要 (data/truth) は読みません。\n"
            "# ノートブック 07 を参照。\n")
    return (head + yaml.safe_dump(pipeline, allow_unicode=True, sort_keys=False)).encode("utf-8")


def _copies(theme: Theme, files: Mapping[str, bytes]) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    if theme.runnable:
        out["dvc.yaml"] = bundle_pipeline(files["dvc.yaml"])
    for path in (*CONFIG_FILES, *theme.copies):
        if theme.runnable and path == "dvc.yaml":
            continue
        if path.endswith("/"):
            inside = {k: v for k, v in files.items() if k.startswith(path)}
            if not inside:
                raise KeyError(f"{theme.name}: {path} にファイルがありません")
            out.update(inside)
        else:
            out[path] = files[path]
    return out


def build_theme(theme: Theme, files: Mapping[str, bytes], params: StudentBundleParams) -> BundleTheme:
    tables: dict[str, pd.DataFrame] = {}
    measured: dict[str, dict[str, object]] = {}
    replaces: dict[str, str] = {}
    for name in theme.extracts:
        spec = EXTRACTS[name]
        table = BUILDERS[name](files, params)
        tables[spec.output] = table
        measured[spec.output] = uniqueness(table, spec.quasi_identifiers)
        if spec.replaces and spec.replaces != spec.output:
            replaces[spec.replaces] = spec.output
    copies = _copies(theme, files)
    if "data/anonymized/residents.parquet" in copies:  # person-level, already generalised: measured too
        released = _parquet(copies["data/anonymized/residents.parquet"])
        # on the release's quasi-identifiers (params anonymize); 世帯人員 is its sensitive attribute
        measured["data/anonymized/residents.parquet"] = uniqueness(
            released, ("age", "sex", "town_code", "relationship"))
    return BundleTheme(theme, tables, copies, measured, replaces)


def md5(data: bytes) -> str:
    """The MD5 DVC records for a file (``dvc.lock`` ``md5``), for input fingerprints in the bundle."""
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def marker(built: BundleTheme) -> dict[str, object]:
    """``bundle.json``: theme, notebooks, which project paths the extracts answer, the extracts, and
    the MD5 of every copied file (the one ``dvc.lock`` records for it in the project)."""
    return {"theme": built.theme.name, "title": built.theme.title,
            "notebooks": list(built.theme.notebooks), "replaces": dict(sorted(built.replaces.items())),
            "extracts": sorted(built.tables), "measured": dict(sorted(built.measured.items())),
            "files": {path: md5(data) for path, data in sorted(built.files.items())}}


def _percent(share: object) -> str:
    return f"{float(share) * 100:.1f} %"  # type: ignore[arg-type]


def readme(built: BundleTheme) -> str:
    """The theme's README.md (Japanese): what is in it, what was removed, measured uniqueness."""
    t = built.theme
    lines = [
        f"# 学生用データ: {t.title} (テーマ `{t.name}`)", "",
        f"対象のノートブック: {', '.join(t.notebooks)}。このフォルダだけでノートブックが動きます。"
        "環境変数 `KOGADX_BUNDLE` にこのフォルダを指定するか、このフォルダの中でノートブックを開いてください。", "",
        "委託契約の範囲で、PBL の演習のためだけに使うデータです。公開・再配布・外部サービス (生成 AI を含む) への"
        "アップロードはできません。人を特定しようとしないこと (ノートブック 00 の約束) を守ってください。", "",
        "## 入っていないもの", "",
        "- 氏名・住所・生年月日・マイナンバー・住民票コード・電話番号 (安全管理区域のデータ) は一切ありません。",
        "- 年齢は 5 歳階級 (90 歳以上はひとまとめ) です。世帯の番号はありません。",
        "- 会員・回答者から住民台帳への対応 (person_id) はありません。"
        "アンケートの番号はこのフォルダの中だけの番号です。",
        "- 自由記述はありません。予約ログの時刻は 1 時間単位、停留所は町丁目です"
        " (配車・窓口のテーマを除く、下記)。", "",
    ]
    lines += [f"- {note}" for note in t.notes]
    if t.notes:
        lines.append("")
    lines += ["## 個票の表と、一意な記録の割合 (実測)", "",
              "準識別子 (外部の人が知り得る属性) の組み合わせが表の中で 1 件しかない記録の割合と、"
              "最小の同値クラスの大きさ (k) です。`kogadx.privacy.anonymity` で測りました。", "",
              "| ファイル | 内容 | 行数 | 準識別子 | 一意な記録 | 最小 k |", "|---|---|---:|---|---:|---:|"]
    descriptions = {EXTRACTS[n].output: EXTRACTS[n].description for n in t.extracts}
    descriptions.setdefault("data/anonymized/residents.parquet", "匿名加工情報の候補 (anonymize ステージの出力)")
    for path, m in sorted(built.measured.items()):
        qi = ", ".join(f"`{c}`" for c in m["quasi_identifiers"])  # type: ignore[attr-defined]
        lines.append(f"| `{path}` | {descriptions.get(path, '')} | {m['rows']:,} | {qi} | "
                     f"{m['unique_records']:,} 件 ({_percent(m['share_unique'])}) | {m['k']} |")
    if not built.measured:
        lines.append("| (個票の表はありません) | | | | | |")
    lines += ["", "一意な記録が多い表ほど、外の情報と突き合わせると人が分かる危険が高くなります。"
              "表やグラフに出すときは 10 未満の数を「<10」とし、個票の行をスライドに載せないでください。", "",
              "## そのほかのファイル (集計・モデルの出力・公開情報・設定)", ""]
    lines += [f"- `{path}`" for path in sorted(built.files)]
    return "\n".join(lines) + "\n"


def summary_metrics(built: list[BundleTheme]) -> dict[str, object]:
    """``metrics/student_bundle.json``: per theme and table, the measured uniqueness."""
    return {b.theme.name: {"notebooks": list(b.theme.notebooks), "tables": dict(sorted(b.measured.items())),
                           "files": len(b.files) + len(b.tables) + 2}
            for b in built}


def shares(built: list[BundleTheme]) -> np.ndarray:
    return np.array([float(m["share_unique"]) for b in built for m in b.measured.values()])  # type: ignore[arg-type]
