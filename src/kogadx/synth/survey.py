"""Synthetic local well-being (地域幸福度) survey, sampled from the residents register.

A world built so that a naive method can fail (all numbers in ``SURVEY_MODEL``):
1. Population: register residents aged 18–89 on the survey date. Every adult gets answers
   from an explicit model, so the true district means are finite-population means.
   Person traits outside any raking margin: loneliness L ~ N(0,1) (more among the very old),
   no internet (likelier with age), and a "positivity" η ~ N(0,1) that colours *every*
   answer, items and happiness alike (common-method bias: items correlate with happiness
   beyond their effect). District traits: remoteness (minus the z-score of log density,
   from the register and the town polygons) and a random district effect.
   - Category items (1–5): latent z = base_c + district_c,d + remote_c·remoteness_d
     + age_c·(age−50)/10 + sex_c·[女] + loading·η + ε, cut at (−1.5, −0.5, 0.5, 1.5);
     つながり also falls with loneliness.
   - 幸福度 (0–10): round(h), h = intercept + Σ_c β_c (item_c − 3) + nonlinear and
     interaction terms (a health floor: health ≤ 2 costs extra; community ties matter more
     for lonely people; a U-shape in age) − loneliness + γ_d + method·η + e.
   - 生活満足度 (0–10): round(intercept + ρ (h − intercept) + N(0, σ_ls)).
   - Mode: people with internet mostly answer on the web, the rest on paper; paper answers
     read a little higher (``mode_effect_paper``). The truth is what everybody would answer
     under the same mixed-mode design (a census with this questionnaire), so the mode effect
     is part of the measurement, and it biases a sample only when offline people answer less.
   - Item non-response: higher on paper and with age; in the ``mnar`` scenario unhappy people
     also skip the happiness question more.
2. Sample: a simple random sample of adults is invited; each responds with probability
   expit(a + age_slope·(band mid−50)/10 + female + district_d + (district × age band)), the
   ``mar`` scenario (missing at random given the raking cells). The ``mnar`` scenario adds
   − lonely·L − offline·[no internet] + outcome·(h − intercept): lonely, offline and unhappy
   people answer less, which no weighting on the register margins can undo.
   ``a`` is solved so the expected number of respondents is ``n_target``.
3. Raw table as the survey system exports it (unchanged schema): Japanese headers, the
   respondent's 住民票コード, prize-draw contact (氏名 and 電話番号 or メールアドレス), 年齢, 性別,
   町丁目コード, 町丁目, answers and a free-text 自由記述 in which some comments carry personal
   details (a phone number, a neighbour's name from the register) for the privacy stage.

Truth (``SurveyTruth``) holds effects, true district means, response by district (with the
true happiness of respondents and non-respondents) and the planted personal details.
Districts follow :mod:`kogadx.wellbeing.districts` (town base name).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import jaconv
import numpy as np
import pandas as pd
from shapely.geometry import box

from kogadx.synth.params import SurveySynth
from kogadx.wellbeing.categories import CATEGORIES, CATEGORY_KEYS
from kogadx.wellbeing.districts import CRS_GEOGRAPHIC, CRS_METRIC, assign_districts

# Default synthetic model. Effects are happiness points (0–10 scale) per item point (1–5).
SURVEY_MODEL: dict[str, Any] = {
    "happiness_effects": {
        "health": 0.55, "self_efficacy": 0.45, "community_ties": 0.40, "employment_income": 0.35,
        "housing": 0.30, "mobility": 0.12, "medical_welfare": 0.10, "natural_landscape": 0.07,
        "shopping_dining": 0.05, "leisure": 0.04,
    },
    # Age slope of the item latent per decade (older → worse health, closer community ties).
    "item_age_slopes": {
        "health": -0.25, "community_ties": 0.20, "mobility": -0.12, "employment_income": -0.05,
        "digital_life": -0.20, "childcare": -0.10, "natural_landscape": 0.08,
    },
    # Item latent per unit of district remoteness (−z of log density): remote → fewer buses and shops.
    "item_remoteness": {"mobility": -0.35, "shopping_dining": -0.30, "medical_welfare": -0.20,
                        "natural_landscape": 0.20, "digital_life": -0.10},
    "item_base_sd": 0.35,  # spread of category base levels
    "item_district_sd": 0.25,  # district effect on each category latent
    "item_sex_sd": 0.05,
    "item_loading": 0.5,  # loading of every item on the positivity trait η (common-method bias)
    "loneliness_ties": -0.6,  # つながり latent per SD of loneliness
    "loneliness_old": 0.4,  # extra loneliness at 75+
    "happiness_intercept": 6.3,
    "happiness_district_sd": 0.12,
    "happiness_remoteness": -0.10,
    "happiness_health_floor": -0.6,  # extra when health ≤ 2 (nonlinear)
    "happiness_ties_lonely": 0.35,  # extra slope of つながり for lonely people (L > 1): interaction
    "happiness_loneliness": -0.45,  # per SD of loneliness
    "happiness_age_u": 0.10,  # × ((age − 50)/10)²: a U-shape in age
    "happiness_method": 0.45,  # η on the happiness answer (common-method bias)
    "happiness_noise_sd": 1.0,
    "life_satisfaction_rho": 0.8,
    "life_satisfaction_noise_sd": 1.0,
    "offline_intercept": -2.2,  # log-odds of having no internet at 50
    "offline_age_slope": 0.8,  # per decade
    "web_share_online": 0.75,  # of people with internet, share answering on the web
    "mode_effect_paper": 0.3,  # paper answers read higher (0–10 scale; items get a third of it)
    "item_missing": 0.015,  # base item non-response on the web
    "item_missing_paper": 2.0,  # × on paper
    "item_missing_age": 0.3,  # × (1 + this per decade above 50)
    "happiness_missing_unhappy": 0.06,  # mnar: extra skip probability of 幸福度 when h < 4
    "response_rate": 0.35,
    "response_age_slope": 0.35,  # log-odds per decade
    "response_female": 0.15,
    "response_district_sd": 0.30,
    "response_district_age_sd": 0.35,  # district × age group (10-year bands) interaction
    "response_lonely": 0.30,  # mnar: log-odds per SD of loneliness (lower)
    "response_offline": 0.6,  # mnar: log-odds without internet (lower)
    "response_outcome": 0.08,  # mnar: log-odds per happiness point above the intercept
    "contact_share": 0.6,  # respondents who enter the prize draw (give contact details)
    "comment_share": 0.55,
    "comment_phone_share": 0.06,  # of comments: a phone number written in the text
    "comment_neighbour_share": 0.06,  # of comments: a neighbour's full name
}

RESPONSE_AGE_EDGES = (18, 30, 40, 50, 60, 70, 80, 90)  # the wellbeing stage's default raking age bands
RAW_HEADERS = {"happiness": "幸福度", "life_satisfaction": "生活満足度", **{c.key: c.name_ja for c in CATEGORIES}}
_CUTS = np.array([-1.5, -0.5, 0.5, 1.5])

_LOW = "{c}の面で不満があります。"
_HIGH = "{c}には満足しています。"
_SPECIFIC_LOW = {
    "mobility": "バスの本数が少なく、買い物や通院が不便です。のるーとをもっと使いやすくしてほしい。",
    "health": "最近体調がすぐれず、健康が不安です。",
    "medical_welfare": "近くに病院が少なく困っています。",
    "shopping_dining": "歩いて行けるスーパーがなくなりました。",
    "childcare": "保育園に入りにくいです。",
    "community_ties": "近所付き合いが少なく、孤独を感じます。",
    "employment_income": "市内に働く場所が少ないと感じます。",
    "natural_disaster": "大雨のときの浸水が心配です。",
    "digital_life": "行政の手続きをもっとオンラインでできるようにしてほしい。",
}
_SPECIFIC_HIGH = {
    "natural_landscape": "海と山が近く、景色がきれいで気に入っています。",
    "community_ties": "地域の行事が楽しく、顔見知りが多いです。",
    "nature_bounty": "地元の野菜や魚がおいしいです。",
    "housing": "住まいの周りが静かで暮らしやすいです。",
}


@dataclass(frozen=True)
class SurveyTruth:
    """What the generator intended, for evaluation (secure zone: ``data/truth/``)."""

    effects: pd.DataFrame  # item, item_label, effect_per_point, item_sd, effect_std, rank
    district_means: pd.DataFrame  # district, indicator, true_mean, population
    planted_pii: pd.DataFrame  # 回答ID, kind, value (text planted in 自由記述)
    response: pd.DataFrame  # district, adults, invited, respondents
    model: dict[str, Any]

    def tables(self) -> dict[str, pd.DataFrame]:
        """Truth tables by file stem, for writing one Parquet each."""
        return {
            "survey_effects": self.effects,
            "survey_district_means": self.district_means,
            "survey_planted_pii": self.planted_pii,
            "survey_response": self.response,
        }


def _age_on(birth: pd.Series, on: dt.date) -> np.ndarray:
    b = pd.to_datetime(birth)
    years = on.year - b.dt.year
    before = (b.dt.month > on.month) | ((b.dt.month == on.month) & (b.dt.day > on.day))
    return (years - before.astype(int)).to_numpy(int)


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _solve_intercept(logit_rest: np.ndarray, target_rate: float) -> float:
    lo, hi = -15.0, 15.0
    for _ in range(80):
        mid = (lo + hi) / 2
        if _expit(mid + logit_rest).mean() < target_rate:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def _email(rng: np.random.Generator, kana: str) -> str:
    parts = [jaconv.kana2alphabet(jaconv.kata2hira(p)) for p in str(kana).split()]
    local = ".".join(p for p in parts if p) or "user"
    return f"{local}{int(rng.integers(1, 1000))}@example.jp"


def _mobile(rng: np.random.Generator) -> str:
    return f"0{int(rng.choice([70, 80, 90]))}-{int(rng.integers(1000, 10000))}-{int(rng.integers(1000, 10000))}"


def generate_survey(
    rng: np.random.Generator,
    residents: pd.DataFrame,
    towns: pd.DataFrame,
    config: SurveySynth = SurveySynth(),
    model: Mapping[str, Any] | None = None,
    district_grouping: Mapping[str, str] | None = None,
) -> tuple[pd.DataFrame, SurveyTruth]:
    """Sample respondents from ``residents`` and return (raw survey table, truth).

    ``residents``: canonical validated register columns (resident_code, name, name_kana,
    birth_date, sex, town_code, town_name, phone). ``towns``: town_code, town_name (and
    optionally base_name, and polygons for the district density). ``config``: the target
    number of respondents, the survey date and the non-response scenario (``mar`` / ``mnar``).
    ``model`` overrides keys of ``SURVEY_MODEL``. If the register has fewer adults than
    needed, everyone is invited and fewer than ``config.n_target`` respond.
    """
    spec = {**SURVEY_MODEL, **dict(model or {}), "nonresponse": config.nonresponse}
    on = dt.date.fromisoformat(config.survey_date)
    area = _town_area_km2(towns)
    towns = assign_districts(pd.DataFrame(towns).drop(columns="geometry", errors="ignore"), district_grouping)
    districts = sorted(towns["district"].unique())
    reg = residents.reset_index(drop=True)
    age_all = _age_on(reg["birth_date"], on)
    adult = (age_all >= 18) & (age_all <= 89)
    district_all = reg["town_code"].map(towns.set_index("town_code")["district"].to_dict())
    if district_all.isna().any():
        bad = int(np.flatnonzero(district_all.isna().to_numpy())[0])
        raise ValueError(f"residents: {bad} 行目の町丁目コードが町丁目テーブルにありません: "
                         f"{reg['town_code'].iloc[bad]!r}")
    remote = _remoteness(district_all, towns, area, districts)
    adults = _Adults(reg.loc[adult].reset_index(drop=True), age_all[adult],
                     district_all[adult].reset_index(drop=True), districts, remote)
    traits = _traits(rng, spec, adults)
    answers, beta, item_sd, h_latent = _answers(rng, spec, adults, traits)
    effects, true_means = _truth_of(answers, beta, item_sd, adults)
    responded, response = _respondents(rng, spec, adults, traits, h_latent, answers, config.n_target)
    raw, planted = _raw_export(rng, spec, adults, answers, responded, traits, h_latent)
    truth = SurveyTruth(
        effects=effects,
        district_means=true_means,
        planted_pii=pd.DataFrame(planted, columns=["回答ID", "kind", "value"]),
        response=response,
        model={**spec, "survey_date": config.survey_date, "n_target": config.n_target, "districts": districts},
    )
    return raw, truth


def _town_area_km2(towns: pd.DataFrame) -> pd.Series | None:
    """Town areas (km², EPSG:6670) by town_code when the towns carry polygons, else None."""
    if not isinstance(towns, gpd.GeoDataFrame) or towns.crs is None:
        return None
    metric = towns.to_crs(CRS_METRIC)
    return pd.Series(metric.geometry.area.to_numpy() / 1e6, index=metric["town_code"].astype(str).to_numpy())


def _remoteness(district_all: pd.Series, towns: pd.DataFrame, area: pd.Series | None,
                districts: list[str]) -> np.ndarray:
    """Minus the z-score of log population density per district (0 everywhere without polygons)."""
    if area is None:
        return np.zeros(len(districts))
    by_district = towns.assign(area=towns["town_code"].astype(str).map(area).to_numpy(float))
    km2 = by_district.groupby("district")["area"].sum().reindex(districts).to_numpy(float)
    people = district_all.value_counts().reindex(districts, fill_value=0).to_numpy(float)
    log_density = np.log((people + 1.0) / np.maximum(km2, 1e-3))
    sd = log_density.std()
    return -(log_density - log_density.mean()) / (sd if sd > 0 else 1.0)


@dataclass(frozen=True)
class _Adults:
    """The survey population: register rows aged 18–89, their age and district."""

    people: pd.DataFrame
    age: np.ndarray
    district: pd.Series
    districts: list[str]
    remoteness: np.ndarray  # per district

    @property
    def district_index(self) -> np.ndarray:
        return self.district.map({d: i for i, d in enumerate(self.districts)}).to_numpy(int)


@dataclass(frozen=True)
class _Traits:
    """Person traits no register margin shows: loneliness, no internet, positivity, answer mode."""

    loneliness: np.ndarray
    offline: np.ndarray  # bool
    eta: np.ndarray
    paper: np.ndarray  # bool: answers on paper


def _traits(rng: np.random.Generator, spec: Mapping[str, Any], adults: _Adults) -> _Traits:
    decades = (adults.age - 50) / 10
    loneliness = rng.normal(0.0, 1.0, len(adults.age)) + spec["loneliness_old"] * (adults.age >= 75)
    offline = rng.random(len(decades)) < _expit(spec["offline_intercept"] + spec["offline_age_slope"] * decades)
    eta = rng.normal(0.0, 1.0, len(decades))
    paper = offline | (rng.random(len(decades)) >= spec["web_share_online"])
    return _Traits(loneliness=loneliness, offline=offline, eta=eta, paper=paper)


def _answers(rng: np.random.Generator, spec: Mapping[str, Any], adults: _Adults,
             traits: _Traits) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """Every adult's answers (happiness, life satisfaction, category items) from the model,
    the linear happiness effect per category item point, each item's sd and the latent h."""
    d = adults.district_index
    age = adults.age
    female = (adults.people["sex"] == "女").to_numpy(float)
    n_pop, n_cat, n_d = len(adults.people), len(CATEGORY_KEYS), len(adults.districts)
    base = rng.normal(0.0, spec["item_base_sd"], n_cat)
    item_district = rng.normal(0.0, spec["item_district_sd"], (n_d, n_cat))
    sex_eff = rng.normal(0.0, spec["item_sex_sd"], n_cat)
    age_slope = np.array([spec["item_age_slopes"].get(k, 0.0) for k in CATEGORY_KEYS])
    remote_slope = np.array([spec["item_remoteness"].get(k, 0.0) for k in CATEGORY_KEYS])
    ties = np.array([k == "community_ties" for k in CATEGORY_KEYS], float)
    mode = spec["mode_effect_paper"] * traits.paper
    latent = (
        base[None, :] + item_district[d] + remote_slope[None, :] * adults.remoteness[d][:, None]
        + age_slope[None, :] * ((age - 50) / 10)[:, None]
        + sex_eff[None, :] * female[:, None] + spec["item_loading"] * traits.eta[:, None]
        + spec["loneliness_ties"] * traits.loneliness[:, None] * ties[None, :]
        + (mode / 3)[:, None] + rng.normal(0.0, 1.0, (n_pop, n_cat))
    )
    items = 1 + (latent[:, :, None] > _CUTS[None, None, :]).sum(axis=2)
    beta = np.array([spec["happiness_effects"].get(k, 0.0) for k in CATEGORY_KEYS])
    gamma = rng.normal(0.0, spec["happiness_district_sd"], n_d) + spec["happiness_remoteness"] * adults.remoteness
    h0 = spec["happiness_intercept"]
    health = items[:, CATEGORY_KEYS.index("health")]
    ties_item = items[:, CATEGORY_KEYS.index("community_ties")]
    lonely = traits.loneliness > 1.0
    h_latent = (
        h0 + (items - 3) @ beta + gamma[d]
        + spec["happiness_health_floor"] * (health <= 2)
        + spec["happiness_ties_lonely"] * (ties_item - 3) * lonely
        + spec["happiness_loneliness"] * traits.loneliness
        + spec["happiness_age_u"] * (((age - 50) / 10) ** 2 - 1.0)
        + spec["happiness_method"] * traits.eta
        + rng.normal(0.0, spec["happiness_noise_sd"], n_pop)
    )
    happiness = np.clip(np.rint(h_latent + mode), 0, 10)
    life_sat = np.clip(
        np.rint(h0 + spec["life_satisfaction_rho"] * (h_latent - h0) + mode
                + rng.normal(0, spec["life_satisfaction_noise_sd"], n_pop)),
        0, 10,
    )
    answers = pd.DataFrame(items.astype(float), columns=list(CATEGORY_KEYS))
    answers.insert(0, "life_satisfaction", life_sat)
    answers.insert(0, "happiness", happiness)
    return answers, beta, items.std(axis=0), h_latent


def _truth_of(answers: pd.DataFrame, beta: np.ndarray, item_sd: np.ndarray,
              adults: _Adults) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Effects (per item point and per item sd, ranked) and finite-population district means."""
    truth_long = answers.assign(district=adults.district.to_numpy()).melt(id_vars="district", var_name="indicator",
                                                                          value_name="value")
    true_means = (
        truth_long.groupby(["district", "indicator"], sort=True)["value"].agg(true_mean="mean", population="size")
        .reset_index()
    )
    effects = pd.DataFrame(
        {"item": list(CATEGORY_KEYS), "item_label": [c.name_ja for c in CATEGORIES], "effect_per_point": beta,
         "item_sd": item_sd, "effect_std": beta * item_sd}
    )
    effects["rank"] = effects["effect_std"].abs().rank(ascending=False, method="first").astype(int)
    return effects, true_means


def _respondents(rng: np.random.Generator, spec: Mapping[str, Any], adults: _Adults, traits: _Traits,
                 h_latent: np.ndarray, answers: pd.DataFrame, n_target: int) -> tuple[np.ndarray, pd.DataFrame]:
    """Invitation (simple random sample) and non-response: who answered, in answer order, and
    per district the adults, invited, respondents and the true mean happiness of invited
    respondents and invited non-respondents."""
    d = adults.district_index
    n_pop, n_d = len(adults.people), len(adults.districts)
    # Age enters by the survey's age bands (18–29, 30s … 80s), so that "missing at random
    # given the raking cells" holds exactly in the mar scenario, not only approximately.
    edges = np.asarray(RESPONSE_AGE_EDGES)
    age_band = np.clip(np.searchsorted(edges, adults.age, side="right") - 1, 0, len(edges) - 2)
    band_mid = (edges[:-1] + edges[1:]) / 2.0
    resp_district = rng.normal(0.0, spec["response_district_sd"], n_d)
    resp_district_age = rng.normal(0.0, spec["response_district_age_sd"], (n_d, len(edges) - 1))
    female = (adults.people["sex"] == "女").to_numpy(float)
    rest = (spec["response_age_slope"] * (band_mid[age_band] - 50) / 10 + resp_district[d]
            + resp_district_age[d, age_band] + spec["response_female"] * female)
    if spec["nonresponse"] == "mnar":
        rest = rest - spec["response_lonely"] * traits.loneliness - spec["response_offline"] * traits.offline \
            + spec["response_outcome"] * (h_latent - spec["happiness_intercept"])
    a = _solve_intercept(rest, spec["response_rate"])
    p = _expit(a + rest)
    n_invite = min(n_pop, int(round(n_target / spec["response_rate"])))
    invited = np.sort(rng.choice(n_pop, size=n_invite, replace=False))
    answered = rng.random(n_invite) < p[invited]
    responded = invited[answered]
    silent = invited[~answered]
    responded = responded[rng.permutation(len(responded))]  # answer order ≠ register order
    happy = answers["happiness"].to_numpy(float)
    response = pd.DataFrame({"district": adults.districts})
    response["adults"] = np.bincount(d, minlength=n_d)
    response["invited"] = np.bincount(d[invited], minlength=n_d)
    response["respondents"] = np.bincount(d[responded], minlength=n_d)
    with np.errstate(invalid="ignore", divide="ignore"):
        response["happiness_respondents"] = (np.bincount(d[responded], weights=happy[responded], minlength=n_d)
                                             / response["respondents"].to_numpy())
        response["happiness_nonrespondents"] = (np.bincount(d[silent], weights=happy[silent], minlength=n_d)
                                                / np.bincount(d[silent], minlength=n_d))
    return responded, response


def _raw_export(rng: np.random.Generator, spec: Mapping[str, Any], adults: _Adults, answers: pd.DataFrame,
                responded: np.ndarray, traits: _Traits,
                h_latent: np.ndarray) -> tuple[pd.DataFrame, list[tuple[str, str, str]]]:
    """The survey system's export of the respondents, and the personal details planted in 自由記述."""
    r = adults.people.iloc[responded].reset_index(drop=True)
    ans = answers.iloc[responded].reset_index(drop=True)
    n = len(r)
    ids = [f"WB{i + 1:06d}" for i in range(n)]
    raw = pd.DataFrame({"回答ID": ids, "住民票コード": r["resident_code"].astype("string")})
    contact = rng.random(n) < spec["contact_share"]
    phones = r["phone"].fillna("").astype(str).to_numpy()
    use_phone = contact & (phones != "") & (rng.random(n) < 0.7)
    use_mail = contact & ~use_phone
    raw["氏名"] = np.where(contact, r["name"].astype(str), "")
    raw["電話番号"] = np.where(use_phone, phones, "")
    raw["メールアドレス"] = [
        _email(rng, k) if m else "" for k, m in zip(r["name_kana"].astype(str), use_mail, strict=True)
    ]
    age = adults.age[responded]
    raw["年齢"] = age.astype("int64")
    raw["性別"] = r["sex"].astype("string").to_numpy()
    raw["町丁目コード"] = r["town_code"].astype("string").to_numpy()
    raw["町丁目"] = r["town_name"].astype("string").to_numpy()
    # Item non-response: more on paper and with age; unhappy people skip 幸福度 more (mnar).
    skip = spec["item_missing"] * np.where(traits.paper[responded], spec["item_missing_paper"], 1.0) \
        * (1.0 + spec["item_missing_age"] * np.clip((age - 50) / 10, 0, None))
    for key, header in RAW_HEADERS.items():
        values = ans[key].to_numpy(float)
        p_skip = skip
        if key == "happiness" and spec["nonresponse"] == "mnar":
            p_skip = skip + spec["happiness_missing_unhappy"] * (h_latent[responded] < 4)
        values = np.where(rng.random(n) < p_skip, np.nan, values)
        raw[header] = pd.Series(values).astype("Int64")  # blank = no answer
    comments, planted = _comments(rng, spec, raw, ans, r, adults.people, ids)
    raw["自由記述"] = comments
    return raw, planted


def _comments(
    rng: np.random.Generator,
    spec: Mapping[str, Any],
    raw: pd.DataFrame,
    ans: pd.DataFrame,
    respondents: pd.DataFrame,
    pop: pd.DataFrame,
    ids: list[str],
) -> tuple[list[str], list[tuple[str, str, str]]]:
    """Free-text comments from the respondent's lowest/highest item, with planted PII."""
    n = len(raw)
    by_town = {t: g.index.to_numpy() for t, g in pop.groupby("town_code", sort=True)}
    item_values = ans[list(CATEGORY_KEYS)].to_numpy(float)
    labels = [c.name_ja for c in CATEGORIES]
    comments: list[str] = []
    planted: list[tuple[str, str, str]] = []
    for i in range(n):
        if rng.random() >= spec["comment_share"]:
            comments.append("")
            continue
        low, high = int(np.argmin(item_values[i])), int(np.argmax(item_values[i]))
        if item_values[i, low] <= 2 and rng.random() < 0.7:
            key = CATEGORY_KEYS[low]
            text = _SPECIFIC_LOW.get(key, _LOW.format(c=labels[low]))
        else:
            key = CATEGORY_KEYS[high]
            text = _SPECIFIC_HIGH.get(key, _HIGH.format(c=labels[high]))
        if rng.random() < spec["comment_phone_share"]:
            phone = str(respondents["phone"].iloc[i] or "") or _mobile(rng)
            text += f"詳しくは{phone}までご連絡ください。"
            planted.append((ids[i], "phone", phone))
        if rng.random() < spec["comment_neighbour_share"]:
            same_town = by_town.get(respondents["town_code"].iloc[i], np.arange(len(pop)))
            neighbour = str(pop["name"].iloc[int(rng.choice(same_town))])
            text += f"近所の{neighbour}さんにいつも助けてもらっています。"
            planted.append((ids[i], "neighbour_name", neighbour))
        comments.append(text)
    return comments, planted


# --------------------------------------------------------------------------------------
# Toy inputs for tests and benchmarks: a small towns frame and a minimal register with the
# canonical columns generate_survey needs. Not a substitute for generate_residents.

_TOY_SURNAMES = [("佐藤", "サトウ"), ("鈴木", "スズキ"), ("高橋", "タカハシ"), ("田中", "タナカ"),
                 ("伊藤", "イトウ"), ("渡辺", "ワタナベ"), ("山本", "ヤマモト"), ("中村", "ナカムラ"),
                 ("小林", "コバヤシ"), ("古賀", "コガ"), ("松本", "マツモト"), ("井上", "イノウエ")]
_TOY_GIVEN = {"男": [("太郎", "タロウ"), ("健一", "ケンイチ"), ("翔", "ショウ"), ("大輔", "ダイスケ"),
                    ("誠", "マコト")],
              "女": [("花子", "ハナコ"), ("陽子", "ヨウコ"), ("美咲", "ミサキ"), ("由美", "ユミ"), ("優子", "ユウコ")]}


def toy_towns(
    base_names: Mapping[str, int] | None = None, cell_m: float = 800.0,
    origin_lonlat: tuple[float, float] = (130.47, 33.72),
) -> gpd.GeoDataFrame:
    """Square towns on a grid (EPSG:6668): ``{base_name: n_chome}`` (0 = no 丁目 suffix).

    Columns: town_code, town_name, base_name, population (placeholder 0), geometry.
    """
    kanji = "一二三四五六七八九"
    spec = dict(base_names or {"花鶴丘": 3, "日吉": 2, "美明": 2, "駅東": 4, "千鳥": 3, "舞の里": 3,
                                "薦野": 0, "青柳": 0, "小竹": 0, "天神": 3})
    rows = []
    origin = gpd.GeoSeries.from_xy([origin_lonlat[0]], [origin_lonlat[1]], crs=CRS_GEOGRAPHIC)
    origin = origin.to_crs(CRS_METRIC).iloc[0]
    k = 0
    for b, (name, n_chome) in enumerate(spec.items()):
        for c in range(max(n_chome, 1)):
            col, row = k % 6, k // 6
            x0, y0 = origin.x + col * cell_m, origin.y + row * cell_m
            town = f"{name}{kanji[c]}丁目" if n_chome > 0 else name
            rows.append({"town_code": f"40223{b + 1:03d}{c + 1:03d}", "town_name": town, "base_name": name,
                         "population": 0, "geometry": box(x0, y0, x0 + cell_m, y0 + cell_m)})
            k += 1
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS_METRIC).to_crs(CRS_GEOGRAPHIC)


def toy_register(
    rng: np.random.Generator, towns: pd.DataFrame, n_people: int, reference_date: str = "2024-02-29"
) -> pd.DataFrame:
    """A minimal register (canonical columns) with older hillside towns, for tests.

    Columns: resident_code, name, name_kana, birth_date, sex, town_name, town_code, phone.
    """
    on = dt.date.fromisoformat(reference_date)
    n_towns = len(towns)
    town_idx = rng.choice(n_towns, size=n_people, p=rng.dirichlet(np.full(n_towns, 4.0)))
    older = rng.normal(0.0, 8.0, n_towns)  # town-level age shift (years)
    age = np.clip(rng.normal(47.0, 23.0, n_people) + older[town_idx], 0, 99).astype(int)
    birth = [on - dt.timedelta(days=int(365.25 * a + rng.integers(1, 365))) for a in age]
    sex = np.where(rng.random(n_people) < 0.52, "女", "男")
    surname = rng.integers(0, len(_TOY_SURNAMES), n_people)
    given = rng.integers(0, 5, n_people)
    names, kanas = [], []
    for s, g, x in zip(surname, given, sex, strict=True):
        sn, sk = _TOY_SURNAMES[s]
        gn, gk = _TOY_GIVEN[str(x)][g]
        names.append(f"{sn} {gn}")
        kanas.append(f"{sk} {gk}")
    phones = [f"092-9{int(rng.integers(10, 100))}-{int(rng.integers(1000, 10000))}" if rng.random() < 0.6 else ""
              for _ in range(n_people)]
    codes = rng.choice(10**11 - 10**10, size=n_people, replace=False) + 10**10
    t = towns.reset_index(drop=True)
    return pd.DataFrame(
        {
            "resident_code": pd.array([f"{c:011d}" for c in codes], dtype="string"),
            "name": pd.array(names, dtype="string"),
            "name_kana": pd.array(kanas, dtype="string"),
            "birth_date": pd.to_datetime(birth).astype("datetime64[ms]"),
            "sex": pd.array(sex, dtype="string"),
            "town_name": pd.array(t["town_name"].to_numpy()[town_idx], dtype="string"),
            "town_code": pd.array(t["town_code"].to_numpy()[town_idx], dtype="string"),
            "phone": pd.array(phones, dtype="string"),
        }
    )
