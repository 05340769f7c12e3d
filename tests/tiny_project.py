"""A tiny, complete copy of the project in which `dvc repro` has run, with canaries planted.

Built once per test session (see the ``tiny_project`` fixture in conftest.py):
1. copy the project's files (git ls-files) into a temporary folder, `git init`;
2. write params for a tiny city (2 % scale, a three-month ride period, 24 months of energy);
3. `dvc repro synthesize`, then copy ``data/raw`` to ``data/raw_canary`` and plant canary
   values of every personal-data kind in it (as a city analyst would point the pipeline at a
   real export: `ingest.raw_dir: data/raw_canary`);
4. `dvc repro` the rest, with stdout/stderr kept in ``logs/repro.log``.
The leak-guard test then searches every shareable file for the canaries.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import yaml

from kogadx.idcodes import luhn_check_digit, my_number_check_digit
from kogadx.privacy.leaks import Canary
from tests.helpers import PROJECT_ROOT, TEST_KEY_HEX, merge_params

TINY_OVERRIDES = {
    "synthesize": {
        "scale": 0.02,
        "rides": {"start": "2024-07-01", "end": "2024-09-30", "weather_start": "2022-10-01",
                  "weather_end": "2024-09-30"},
        "energy": {"start": "2022-10", "end": "2024-09"},
    },
    "features": {"start": "2024-07-01", "end": "2024-09-30"},
    # 8 daily origins (3 only calibrate): enough to exercise the protocol at a tiny scale
    "forecast": {"horizons": [24], "origins": [[24, 8, 24]], "warmup": 3, "num_boost_round": 40, "train_window": 1344},
    "co2": {"period": {"start": "2022-10", "end": "2024-09"}, "baseline": {"holdout_months": 6},
            "mv": {"default_baseline_start": "2022-10"}},
    "wellbeing": {"drivers": {"n_bootstrap": 20, "n_bootstrap_lgbm": 3}, "sae": {"n_replicates": 10}},
    "regulation_scan": {"cv_folds": 2, "calibration_folds": 2, "features": "char", "hash_features_log2": 16,
                        "bootstrap_reps": 100},
    "counter": {"replications": 4},
    # A tiny ride log has too few solo rides to calibrate speed: fix the calibrated values.
    "dispatch": {"scenarios": {"fleet_sizes": [2, 4], "demand_factors": [1.0, 1.5]}, "bootstrap_draws": 200,
                 "replications": {"n": 3},
                 "grid": {"fleet_sizes": [2, 4], "demand_factors": [1.0, 6.0]},
                 "frontier": {"move_weights": [0.0, 2.0]},
                 "travel": {"speed_kmh": 19.0}, "rules": {"dwell_min": 2.0}},
}


def _run(cmd: list[str], cwd: Path, env: dict[str, str], log: Path) -> None:
    with log.open("a", encoding="utf-8") as fh:
        fh.write(f"$ {' '.join(cmd)}\n")
        fh.flush()
        result = subprocess.run(cmd, cwd=cwd, env=env, stdout=fh, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed in {cwd}; see {log}:\n" + log.read_text(encoding="utf-8")[-4000:])


def _valid_my_number(seed: int) -> str:
    body = f"{(7_310_000_000 + seed * 7919) % 10**11:011d}"
    return body + str(my_number_check_digit(body))


def _card(seed: int) -> str:
    body = f"49{(seed * 104_729) % 10**13:013d}"
    return body + str(luhn_check_digit(body))


def plant_canaries(raw: Path, n_per_table: int = 8) -> list[Canary]:
    """Overwrite personal fields of a few records in every raw table with unique canaries.

    Values stay valid for the data contracts, so the rows flow through the whole pipeline.
    """
    canaries: list[Canary] = []
    surnames = ["鬼塚", "轟木", "霧ヶ峰", "鷹取", "榊原", "鳳凰院", "雲母", "百目鬼", "東海林", "勘解由小路"]
    givens = ["権兵衛", "綺羅星", "瑠璃丸", "鶴之丞", "紫苑", "鼎子", "燈子", "十兵衛", "八千代", "乙女"]
    kana_s = ["オニヅカ", "トドロキ", "キリガミネ", "タカトリ", "サカキバラ", "ホウオウイン", "キララ", "ドウメキ",
              "ショウジ", "カデノコウジ"]
    kana_g = ["ゴンベエ", "キラボシ", "ルリマル", "ツルノジョウ", "シオン", "カナエコ", "トウコ", "ジュウベエ",
              "ヤチヨ", "オトメ"]

    def name(i: int) -> tuple[str, str]:
        return f"{surnames[i % 10]} {givens[(i * 3) % 10]}", f"{kana_s[i % 10]} {kana_g[(i * 3) % 10]}"

    def phone(i: int) -> str:
        return f"092-555-{1000 + i:04d}"

    def read(path: Path) -> tuple[pd.DataFrame, str]:
        from kogadx.io import detect_encoding

        encoding = detect_encoding(path)
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding), encoding

    def write(frame: pd.DataFrame, path: Path, encoding: str) -> None:
        with path.open("w", encoding=encoding, newline="") as fh:
            frame.to_csv(fh, index=False, lineterminator="\r\n")

    # Residents register: name, kana, my number, resident code, address, phone.
    path = raw / "residents.csv"
    residents, encoding = read(path)
    clean = residents[~residents.duplicated(keep=False)].index[:n_per_table]
    for k, row in enumerate(clean):
        full, kana = name(k)
        my_number, code = _valid_my_number(k), f"{8_800_000_000 + k:011d}"
        address = residents.at[row, "住所"]
        town = address.split("古賀市", 1)[1]
        town = town[: next(i for i, ch in enumerate(town) if ch.isdigit())]
        planted_address = f"福岡県古賀市{town}{77 + k}番{66 + k}号"
        residents.loc[row, ["氏名", "氏名カナ", "個人番号", "住民票コード", "住所", "電話番号"]] = [
            full, kana, my_number, code, planted_address, phone(k)]
        canaries += [Canary("name", full), Canary("kana", kana), Canary("my_number", my_number),
                     Canary("resident_code", code), Canary("address", planted_address), Canary("phone", phone(k))]
    write(residents, path, encoding)

    # Bus members: name, phone, address, card number.
    path = raw / "rides" / "members.csv"
    members, encoding = read(path)
    for k, row in enumerate(members.index[:n_per_table]):
        full, _ = name(k + 20)
        card = _card(k + 1)
        members.loc[row, ["氏名", "電話番号", "支払方法", "クレジットカード番号"]] = [
            full, phone(k + 20), "クレジットカード", card]
        canaries += [Canary("name", full), Canary("phone", phone(k + 20)), Canary("card_number", card)]
    write(members, path, encoding)

    # Survey: contact name, phone, e-mail, and personal details inside the free-text comment.
    path = raw / "survey" / "wellbeing_survey.csv"
    survey, encoding = read(path)
    for k, row in enumerate(survey.index[:n_per_table]):
        full, _ = name(k + 40)
        email = f"canary.koga{k:02d}@example.org"
        survey.loc[row, ["氏名", "電話番号", "メールアドレス"]] = [full, phone(k + 40), email]
        comment_phone = f"090-5550-{2000 + k:04d}"
        neighbour = residents.at[clean[k % len(clean)], "氏名"]
        survey.at[row, "自由記述"] = f"バスが少ない。隣の{neighbour}さんも困っている。連絡は{comment_phone}まで。"
        canaries += [Canary("name", full), Canary("phone", phone(k + 40)), Canary("email", email),
                     Canary("phone_in_comment", comment_phone)]
    write(survey, path, encoding)

    # Business contacts (GX×DX): contact person's name, phone, e-mail.
    path = raw / "energy" / "businesses.csv"
    businesses, encoding = read(path)
    for k, row in enumerate(businesses.index[:n_per_table]):
        full, _ = name(k + 60)
        email = f"canary.biz{k:02d}@example.org"
        businesses.loc[row, ["担当者氏名", "電話番号", "メールアドレス"]] = [full, phone(k + 60), email]
        canaries += [Canary("name", full), Canary("phone", phone(k + 60)), Canary("email", email)]
    write(businesses, path, encoding)
    # 現況届 households (issue #22): applicant's name, phone and 住民票コード.
    path = raw / "counter" / "households.csv"
    households, encoding = read(path)
    for k, row in enumerate(households.index[:n_per_table]):
        full, _ = name(k + 80)
        code = f"{8_800_100_000 + k:011d}"
        households.loc[row, ["氏名", "電話番号", "住民票コード"]] = [full, phone(k + 80), code]
        canaries += [Canary("name", full), Canary("phone", phone(k + 80)), Canary("resident_code", code)]
    write(households, path, encoding)
    # Keep only distinct values (the neighbour names repeat register canaries on purpose).
    return list({(c.kind, c.value): c for c in canaries}.values())


SHAREABLE = ("data/pseudonymized", "data/anonymized", "data/student", "data/features", "models", "metrics", "reports",
             "mlflow.db", "mlartifacts", "logs", "notebooks",
             "data/student_bundle")  # the PBL student bundle (#24)


def build_tiny_project(root: Path, policy_override: tuple[str, str] | None = None) -> tuple[Path, list[Canary]]:
    """Build the tiny project under ``root``; returns (project path, planted canaries).

    ``policy_override`` = (line in policy.yaml, replacement) to weaken the policy on purpose.
    """
    project = root / "project"
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                           cwd=PROJECT_ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    for rel in filter(None, files):
        source = PROJECT_ROOT / rel
        # data/ holds pipeline outputs, except the git-tracked inputs under data/regulation (corpus, labels)
        generated = rel.startswith(("data/", "models/", "reports/", "metrics/", "benchmarks/results"))
        if source.is_file() and (not generated or rel.startswith("data/regulation/")):
            target = project / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    params = yaml.safe_load((project / "params.yaml").read_text(encoding="utf-8"))
    merge_params(params, TINY_OVERRIDES)
    (project / "params.yaml").write_text(yaml.safe_dump(params, allow_unicode=True, sort_keys=False), encoding="utf-8")
    if policy_override:
        policy = project / "src" / "kogadx" / "privacy" / "policy.yaml"
        text = policy.read_text(encoding="utf-8")
        old, new = policy_override
        assert old in text, f"policy line not found: {old}"
        policy.write_text(text.replace(old, new, 1), encoding="utf-8")

    env = {k: v for k, v in os.environ.items() if k not in ("KOGADX_PARAMS", "KOGADX_ROOT", "KOGADX_MLFLOW_ARTIFACTS")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["MLFLOW_TRACKING_URI"] = f"sqlite:///{(project / 'mlflow.db').as_posix()}"
    env["PYTHONPATH"] = str(project / "src")  # the copy's code, not the installed checkout
    # data/raw_canary is a copy of the synthetic raw folder with other values planted: its copied
    # SYNTHETIC_DEMO.json no longer matches the files, so (as for real data) a real key is needed.
    env["KOGADX_PSEUDONYM_KEY"] = TEST_KEY_HEX
    log = project / "logs" / "repro.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    git = ["git", "-c", "user.email=ci@example.invalid", "-c", "user.name=CI"]
    _run(["git", "init", "-q"], project, env, log)
    _run([*git, "add", "-A"], project, env, log)
    _run([*git, "commit", "-qm", "tiny project"], project, env, log)
    dvc = str(Path(sys.executable).with_name("dvc"))
    _run([dvc, "repro", "synthesize"], project, env, log)
    shutil.copytree(project / "data" / "raw", project / "data" / "raw_canary")
    canaries = plant_canaries(project / "data" / "raw_canary")
    params["ingest"]["raw_dir"] = "data/raw_canary"
    (project / "params.yaml").write_text(yaml.safe_dump(params, allow_unicode=True, sort_keys=False), encoding="utf-8")
    _run([dvc, "repro"], project, env, log)
    return project, canaries


def save_tiny_project(root: Path, canaries: list[Canary]) -> None:
    """Record the planted canaries beside a built tiny project, so other test workers reuse it."""
    import json

    payload = [{"kind": c.kind, "value": c.value} for c in canaries]
    (root / "canaries.json").write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")


def load_tiny_project(root: Path) -> tuple[Path, list[Canary]]:
    """The (project, canaries) pair of a tiny project another worker built under ``root``."""
    import json

    payload = json.loads((root / "canaries.json").read_text(encoding="utf-8"))
    return root / "project", [Canary(kind=c["kind"], value=c["value"]) for c in payload]
