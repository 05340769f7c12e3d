import warnings

import numpy as np
import pandas as pd
import pytest

from kogadx.idcodes import is_luhn_valid, is_valid_my_number, my_number_check_digit
from kogadx.io import InputFileError, detect_encoding, read_text_table, write_json, write_parquet
from kogadx.params import read_params_file
from kogadx.rng import stream_rng
from kogadx.synth.residents import to_wareki


def test_my_number_check_digit_known_value():
    # 123456789018 is the example number used in the government's published specification.
    assert my_number_check_digit("12345678901") == 8
    assert is_valid_my_number("123456789018")
    assert not is_valid_my_number("123456789017")
    assert not is_valid_my_number("12345678901")


def test_luhn():
    assert is_luhn_valid("4111111111111111")
    assert not is_luhn_valid("4111111111111112")


def test_to_wareki_round_trip():
    import datetime as dt

    from kogadx.ingest.normalise import parse_japanese_date

    days = [dt.date(1926, 12, 25), dt.date(1989, 1, 7), dt.date(1989, 1, 8), dt.date(2019, 5, 1), dt.date(2000, 2, 29)]
    for day in days:
        assert parse_japanese_date(to_wareki(day)) == (day, "")
    assert to_wareki(dt.date(2019, 5, 1)) == "令和元年5月1日"


@pytest.mark.parametrize(("encoding", "expected"), [("cp932", "cp932"), ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig")])
def test_detect_encoding(tmp_path, encoding, expected):
    path = tmp_path / "t.csv"
    path.write_text("氏名,住所\n山田 太郎,古賀市駅東一丁目\n", encoding=encoding)
    assert detect_encoding(path) == expected
    frame, found = read_text_table(path)
    assert found == expected
    assert frame.columns.tolist() == ["氏名", "住所"]
    assert frame.iloc[0, 0] == "山田 太郎"


def test_detect_encoding_rejects_binary(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"\xff\xfe\x00\x81\xff\x80\x80")
    with pytest.raises(InputFileError, match="bad.csv"):
        detect_encoding(path)


def test_params_file_is_read_as_utf8(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("demo:\n  name: 古賀市\n", encoding="utf-8")
    assert read_params_file(path) == {"demo": {"name": "古賀市"}}


def test_project_params_have_every_stage_section():
    import yaml

    from tests.helpers import PROJECT_ROOT

    dvc = yaml.safe_load((PROJECT_ROOT / "dvc.yaml").read_text(encoding="utf-8"))
    params = read_params_file(PROJECT_ROOT / "params.yaml")
    for name, stage in dvc["stages"].items():
        for entry in stage.get("params", []):
            section = entry.split(".")[0] if isinstance(entry, str) else None
            if section:
                assert section in params, f"stage {name} reads params section {section!r} which is missing"


def test_stream_rng_is_independent_and_reproducible():
    a1 = stream_rng(1, "residents").random(5)
    a2 = stream_rng(1, "residents").random(5)
    b = stream_rng(1, "rides").random(5)
    assert np.array_equal(a1, a2)
    assert not np.allclose(a1, b)


def test_write_parquet_is_byte_identical(tmp_path):
    frame = pd.DataFrame({"町丁目": ["駅東一丁目", "天神二丁目"], "n": [1, 2]})
    write_parquet(frame, tmp_path / "a.parquet")
    write_parquet(frame, tmp_path / "b.parquet")
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()


def test_plotting_renders_japanese_without_missing_glyphs(tmp_path):
    from kogadx import plotting

    plt = plotting.setup()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph is a UserWarning: fail on it
        fig, ax = plt.subplots()
        ax.set_title("のるーと古賀 需要予測（時間帯別）")
        ax.set_xlabel("時刻")
        ax.plot([0, 1], [1, 2], label="予約件数")
        ax.legend()
        plotting.save_figure(fig, tmp_path / "fig.png")
        plt.close(fig)
    assert (tmp_path / "fig.png").stat().st_size > 1000


def test_plotting_would_warn_on_missing_glyph_without_setup():
    """The check above can fail: a font without Japanese glyphs warns."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with matplotlib.rc_context({"font.family": ["DejaVu Sans"]}):
        fig, ax = plt.subplots()
        ax.set_title("需要予測")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig.canvas.draw()
        plt.close(fig)
    assert any("missing from font" in str(w.message) for w in caught)


def test_metrics_json_stays_valid_json_with_nan_and_inf(tmp_path):
    import json
    import math

    path = write_json({"a": math.nan, "b": [1.0, math.inf], "c": 0.1 + 0.2}, tmp_path / "m.json")
    text = path.read_text(encoding="utf-8")
    assert "NaN" not in text and "Infinity" not in text
    assert json.loads(text) == {"a": None, "b": [1.0, None], "c": 0.3}
