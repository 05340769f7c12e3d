"""Canary residents for leak tests: distinctive personal values planted in a register.

:func:`canary_residents` returns a small canonical residents table (schema of
data/raw_validated/residents.parquet) whose names, kana, phones, マイナンバー, 住民票コード
and addresses are unusual enough to be searched for, plus the list of canaries. The lead
can plant the same values into data/raw for a full-pipeline leak test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kogadx.idcodes import my_number_check_digit
from kogadx.privacy.leaks import Canary

# Rare surnames / given names so that a hit is never a coincidence.
_SURNAMES = [("勘解由小路", "カデノコウジ"), ("左衛門三郎", "サエモンサブロウ"), ("四月一日", "ワタヌキ"),
             ("小鳥遊", "タカナシ"), ("月見里", "ヤマナシ"), ("九十九", "ツクモ"), ("東海林", "ショウジ"),
             ("一尺八寸", "カマツカ"), ("十六夜", "イザヨイ"), ("五百旗頭", "イオキベ")]
_GIVEN = [("鶴之丞", "ツルノジョウ"), ("雅楽頭", "ウタノカミ"), ("綺羅々", "キララ"), ("翔鵬", "ショウホウ"),
          ("琥珀丸", "コハクマル"), ("瑠璃子", "ルリコ"), ("玄蕃", "ゲンバ"), ("紫苑", "シオン")]
TOWNS = [("花鶴丘一丁目", "40223001001"), ("花鶴丘二丁目", "40223001002"), ("日吉一丁目", "40223002001"),
         ("美明二丁目", "40223003002"), ("天神三丁目", "40223004003")]


def canary_residents(n_people: int = 12, seed: int = 0) -> tuple[pd.DataFrame, list[Canary]]:
    """A canonical residents frame with ``n_people`` distinctive people, and their canaries.

    Canaries per person: full name, kana name, phone, マイナンバー, 住民票コード, address
    (6 per person; 12 people → 72 canaries).
    """
    rng = np.random.default_rng(seed)
    rows = []
    canaries: list[Canary] = []
    for i in range(n_people):
        surname, surname_kana = _SURNAMES[i % len(_SURNAMES)]
        given, given_kana = _GIVEN[(i * 3 + i // len(_SURNAMES)) % len(_GIVEN)]
        first11 = f"{rng.integers(10**10, 10**11):011d}"
        my_number = first11 + str(my_number_check_digit(first11))
        resident_code = f"{rng.integers(10**10, 10**11):011d}"
        phone = f"090-{rng.integers(1000, 9999)}-{rng.integers(1000, 9999)}"
        town_name, town_code = TOWNS[i % len(TOWNS)]
        address = f"福岡県古賀市{town_name}{rng.integers(1, 40)}番{rng.integers(1, 30)}号"
        birth = pd.Timestamp("1930-01-01") + pd.Timedelta(days=int(rng.integers(0, 365 * 90)))
        rows.append({
            "my_number": my_number,
            "resident_code": resident_code,
            "name": f"{surname} {given}",
            "name_kana": f"{surname_kana} {given_kana}",
            "birth_date": birth,
            "sex": "男" if i % 2 == 0 else "女",
            "address": address,
            "town_name": town_name,
            "town_code": town_code,
            "household_id": f"{700000 + i // 2}",
            "relationship": "世帯主" if i % 2 == 0 else "妻",
            "phone": phone,
        })
        canaries += [
            Canary("name", f"{surname} {given}"),
            Canary("kana", f"{surname_kana} {given_kana}"),
            Canary("phone", phone),
            Canary("my_number", my_number),
            Canary("resident_code", resident_code),
            Canary("address", address),
        ]
    frame = pd.DataFrame(rows)
    frame["birth_date"] = frame["birth_date"].astype("datetime64[ms]")
    for column in frame.columns.drop("birth_date"):
        frame[column] = frame[column].astype("string")
    return frame, canaries
