"""Function-based self-checks of PBL 00, 08 and 12 (#24): the right function passes; the value
that is right on the notebook's data, passed in or returned by a function, fails; a typical
mistake gets a hint that does not show the answer."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from kogadx.counter.queue import erlang_c
from kogadx.paths import SECURE_DIRS, SHAREABLE_DIRS
from kogadx.pbl import checks


def _constant(value):
    return lambda *args, **kwargs: value


def zone_of(path):
    text = str(path).replace("\\", "/")
    if any(text.startswith(f"{d}/") for d in SECURE_DIRS):
        return "安全管理区域"
    if any(text.startswith(f"{d}/") for d in SHAREABLE_DIRS):
        return "共有ゾーン"
    return "その他"


def utilisation(rate, service, servers):
    return rate * service / (60 * servers)


def mean_wait(rate, service, servers):
    lam, mu = rate / 60, 1 / service
    return erlang_c(servers, lam / mu) / (servers * mu - lam)


def counters_needed(rate, service, target):
    lam, mu = rate / 60, 1 / service
    c = int(lam / mu) + 1
    while erlang_c(c, lam / mu) * math.exp(-(c * mu - lam) * target) > 0.1:
        c += 1
    return c


def recall_at_budget(scores, is_analog, budget):
    order = np.argsort(-np.asarray(scores, float), kind="stable")
    k = math.ceil(budget * len(order))
    return float(np.asarray(is_analog)[order][:k].sum() / np.sum(is_analog))


def clauses_to_find(scores, is_analog, target):
    order = np.argsort(-np.asarray(scores, float), kind="stable")
    found = np.cumsum(np.asarray(is_analog)[order])
    return int(np.argmax(found >= target * found[-1])) + 1


def expected_recall(probabilities, budget):
    p = np.sort(np.asarray(probabilities, float))[::-1]
    return float(p[: math.ceil(budget * len(p))].sum() / p.sum())


@pytest.fixture()
def ranked():
    """A ranked list like notebook 12's: keyword-like tied scores plus model-like scores."""
    rng = np.random.default_rng(7)
    n = 600
    truth = rng.random(n) < 0.06
    return rng.normal(0, 1, n) + 2 * truth, rng.integers(0, 3, n) + truth, truth


def _call_cases(ranked):
    model, keywords, truth = ranked
    table = pd.DataFrame({"a": range(11), "b": range(11), "c": range(11)})
    probabilities = np.random.default_rng(1).beta(0.4, 4, 92)
    return {
        "check_zone_of": (lambda f: checks.check_zone_of(f, ["data/student/ride_requests.parquet"]), zone_of,
                          "共有ゾーン"),
        "check_table_shape": (lambda f: checks.check_table_shape(f, table), lambda d: d.shape, (11, 3)),
        "check_utilisation_function": (lambda f: checks.check_utilisation_function(f, 30.0, 6.0, 3), utilisation,
                                       utilisation(30.0, 6.0, 3)),
        "check_mean_wait_function": (lambda f: checks.check_mean_wait_function(f, 30.0, 6.0, 4), mean_wait,
                                     mean_wait(30.0, 6.0, 4)),
        "check_counters_function": (lambda f: checks.check_counters_function(f, 30.0, 6.0, 15.0), counters_needed,
                                    counters_needed(30.0, 6.0, 15.0)),
        "check_recall_at_budget": (lambda f: checks.check_recall_at_budget(f, model, truth, 0.1), recall_at_budget,
                                   recall_at_budget(model, truth, 0.1)),
        "check_clauses_to_find": (lambda f: checks.check_clauses_to_find(f, keywords, truth, 0.8), clauses_to_find,
                                  clauses_to_find(keywords, truth, 0.8)),
        "check_expected_recall": (lambda f: checks.check_expected_recall(f, probabilities, 0.1), expected_recall,
                                  expected_recall(probabilities, 0.1)),
    }


NEW_CHECKS = ["check_zone_of", "check_table_shape", "check_utilisation_function", "check_mean_wait_function",
              "check_counters_function", "check_recall_at_budget", "check_clauses_to_find", "check_expected_recall"]


@pytest.mark.parametrize("name", NEW_CHECKS)
def test_right_function_passes_copied_value_fails(name, ranked, capsys):
    call, right_function, right_value = _call_cases(ranked)[name]
    assert call(right_function) is True
    assert "✅ 正解" in capsys.readouterr().out
    assert call(right_value) is False  # the value itself (pasted from a printed cell)
    assert call(_constant(right_value)) is False  # a function that returns it
    out = capsys.readouterr().out
    assert "不正解" in out and "✅" not in out


def _hint(capsys) -> str:
    out = capsys.readouterr().out
    assert "不正解" in out and "ヒント" in out
    return out


def test_zone_of_is_decided_by_the_folder_not_the_word(capsys):
    def by_word(path):
        return "安全管理区域" if any(w in path for w in ("raw", "secure", "truth")) else zone_of(path)

    assert checks.check_zone_of(by_word) is False
    assert "置き場所のフォルダ" in _hint(capsys)

    def forgets_a_folder(path):
        return "その他" if path.startswith("data/raw_validated/") else zone_of(path)

    assert checks.check_zone_of(forgets_a_folder) is False
    assert "data/raw_validated/" in _hint(capsys)


def test_table_shape_hints(capsys):
    assert checks.check_table_shape(lambda d: (d.shape[1], d.shape[0])) is False
    assert "逆" in _hint(capsys)
    assert checks.check_table_shape(len) is False
    assert "タプル" in _hint(capsys)


def test_queue_hints_do_not_show_the_answer(capsys):
    assert checks.check_utilisation_function(lambda r, s, c: r * s / 60, 30.0, 6.0, 3) is False
    assert "窓口数で割ります" in _hint(capsys)
    assert checks.check_mean_wait_function(lambda r, s, c: mean_wait(r, s, c) / 60, 30.0, 6.0, 4) is False
    out = _hint(capsys)
    assert "分で返します" in out and f"{mean_wait(30.0, 6.0, 4):.2f}" not in out
    assert checks.check_counters_function(lambda r, s, t: counters_needed(r, s, t) + 1, 30.0, 6.0, 15.0) is False
    assert "もっと少ない" in _hint(capsys)
    assert checks.check_counters_function(lambda r, s, t: counters_needed(r, s, t) - 1, 30.0, 6.0, 15.0) is False
    assert "目標を超えます" in _hint(capsys)


def test_recall_hints(ranked, capsys):
    model, _, truth = ranked

    def precision(s, t, b):
        k = math.ceil(b * len(s))
        return float(np.asarray(t)[np.argsort(-np.asarray(s))][:k].sum() / k)

    assert checks.check_recall_at_budget(precision, model, truth) is False
    assert "適合率" in _hint(capsys)

    def floor_budget(s, t, b):
        return float(np.asarray(t)[np.argsort(-np.asarray(s))][: int(b * len(s))].sum() / np.sum(t))

    assert checks.check_recall_at_budget(floor_budget, model, truth) is False
    assert "切り上げ" in _hint(capsys)
    assert checks.check_clauses_to_find(lambda s, t, g: clauses_to_find(s, t, g) - 1, model, truth) is False
    assert "1 件足りません" in _hint(capsys)
    assert checks.check_expected_recall(lambda p, b: expected_recall(p, b) * np.sum(p)) is False
    assert "件数" in _hint(capsys)


def test_ties_are_accepted_in_any_order(capsys):
    """Keyword counts tie a lot: reading tied clauses in any order is right, not only one order."""
    scores = np.array([2.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    truth = np.array([True, False, False, True, False, False, True, False, False, False])

    def reverse_ties(s, t, b):  # reads tied clauses from the last one
        order = np.lexsort((-np.arange(len(s)), -np.asarray(s)))
        return float(np.asarray(t)[order][: math.ceil(b * len(s))].sum() / np.sum(t))

    assert checks.check_recall_at_budget(recall_at_budget, scores, truth, 0.3) is True
    assert checks.check_recall_at_budget(reverse_ties, scores, truth, 0.3) is True
    assert checks.check_recall_at_budget(_constant(1.0), scores, truth, 0.3) is False
    capsys.readouterr()


@pytest.mark.parametrize("name", NEW_CHECKS)
def test_new_checks_never_raise(name, capsys):
    func = getattr(checks, name)
    assert func(None) is False
    assert "まだ答えが入っていません" in capsys.readouterr().out
    assert func(lambda *a: 1 / 0) is False
    out = capsys.readouterr().out
    assert "あなたの関数がエラー" in out and "ZeroDivisionError" in out


def test_table_shape_reads_the_path_itself_and_a_missing_file_is_a_setup_problem(tmp_path, monkeypatch, capsys):
    from kogadx.io import write_parquet

    (tmp_path / "dvc.yaml").write_text("stages: {}\n", encoding="utf-8")
    monkeypatch.setenv("KOGADX_ROOT", str(tmp_path))
    assert checks.check_table_shape(lambda d: d.shape, "data/student/ride_requests.parquet") is False
    out = capsys.readouterr().out
    assert "準備の問題" in out and "不正解" not in out
    write_parquet(pd.DataFrame({"a": range(13), "b": range(13)}), tmp_path / "data/student/ride_requests.parquet")
    assert checks.check_table_shape(lambda d: d.shape, "data/student/ride_requests.parquet") is True
    assert checks.check_table_shape(_constant((13, 2)), "data/student/ride_requests.parquet") is False
    capsys.readouterr()


def test_load_regulation_review_reads_the_staff_sheet_from_the_root(tmp_path):
    from kogadx.pbl import data
    from kogadx.regulation.review import REVIEW_SHEET

    (tmp_path / "dvc.yaml").write_text("stages: {}\n", encoding="utf-8")
    with pytest.raises(FileNotFoundError, match="review.xlsx がありません"):
        data.load_regulation_review(root=tmp_path)
    target = tmp_path / "reports/regulation/review.xlsx"
    target.parent.mkdir(parents=True)
    with pd.ExcelWriter(target, engine="openpyxl") as writer:
        pd.DataFrame({"順位": [1, 2], "確率": [0.4, 0.1]}).to_excel(writer, sheet_name=REVIEW_SHEET, index=False)
        pd.DataFrame({"類型": ["目視規制"]}).to_excel(writer, sheet_name="類型別件数", index=False)
    review = data.load_regulation_review(root=tmp_path)
    assert list(review.columns) == ["順位", "確率"] and review["確率"].tolist() == [0.4, 0.1]
