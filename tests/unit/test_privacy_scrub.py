"""Free-text scrubbing of phones, e-mails, card/マイナンバー digit runs and register names."""

from __future__ import annotations

import pandas as pd

from kogadx.privacy.scrub import (
    TAG_CARD,
    TAG_EMAIL,
    TAG_MY_NUMBER,
    TAG_NAME,
    TAG_PHONE,
    build_name_matcher,
    scrub_series,
    scrub_text,
)


def test_each_kind_is_tagged():
    names = build_name_matcher(["山田 太郎", "林 花子"], ["ヤマダ タロウ"])
    text = ("山田太郎です。携帯０９０－１２３４－５６７８、自宅 092-943-1234、"
            "mail: taro.y@example.co.jp、カード 4111 1111 1111 1111、番号 1234 5678 9012。"
            "やまだ たろう / 林さん / 林業")
    out = scrub_text(text, names)
    for tag in (TAG_NAME, TAG_PHONE, TAG_EMAIL, TAG_CARD, TAG_MY_NUMBER):
        assert tag in out
    for secret in ("山田", "1234", "5678", "943", "example", "4111", "9012", "やまだ"):
        assert secret not in out
    assert out.count(TAG_PHONE) == 2
    assert "林業" in out  # one-character surname only before an honorific


def test_ordinary_numbers_and_dates_survive():
    text = "2024年2月29日 10:30 に 1,200円、バス停 12 番、人数 35 人"
    assert scrub_text(text) == text


def test_series_keeps_missing_and_index():
    values = pd.Series(["電話 0940-12-3456", None, "特になし"], index=[5, 6, 7], dtype="string")
    out = scrub_series(values)
    assert out.index.tolist() == [5, 6, 7]
    assert out.iloc[0] == f"電話 {TAG_PHONE}" and pd.isna(out.iloc[1]) and out.iloc[2] == "特になし"
