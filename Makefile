# Koga City DX workbench — sugar over the venv and `dvc repro`.
# Windows/Anaconda users: see README (conda env create -f environment.yml; dvc repro; pytest).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
export PATH := $(CURDIR)/$(BIN):$(PATH)

.DEFAULT_GOAL := help
.PHONY: help install run test lint bench ui lab instructor-pack student-bundle pdf lock clean

help: ## この一覧を表示 (list targets)
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-10s %s\n", $$1, $$2}'

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(PY) requirements.lock pyproject.toml
	$(PY) -m pip install --quiet --upgrade pip uv==0.13.9
	# Byte-compile at install: with PYTHONDONTWRITEBYTECODE set (as on the shared machine) every
	# stage would otherwise recompile pandas, sklearn, dvc, ... from source on each start (#25).
	$(BIN)/uv pip install --python $(PY) --quiet --compile-bytecode -r requirements.lock
	$(BIN)/uv pip install --python $(PY) --quiet --no-deps -e .
	@touch $(STAMP)

install: $(STAMP) ## .venv を作成して依存関係をインストール (lock から)

run: $(STAMP) ## パイプライン全体を実行 (dvc repro) し、出力の場所を表示
	$(BIN)/dvc repro
	@$(BIN)/kogadx summary

test: $(STAMP) ## テスト一式 (unit / pipeline / data / notebooks)
	$(BIN)/pytest -q -n auto --maxprocesses 4 --dist loadscope

lint: $(STAMP) ## ruff (スタイル・import 順・複雑さ) と mypy (型検査, src/)
	$(BIN)/ruff check src tests pipelines benchmarks
	$(BIN)/mypy

bench: $(STAMP) ## ベンチマーク (速度・品質、結果は benchmarks/results/)
	$(PY) benchmarks/run_all.py

ui: $(STAMP) ## MLflow UI を http://127.0.0.1:5000 で起動
	$(BIN)/mlflow ui --backend-store-uri sqlite:///$(CURDIR)/mlflow.db --host 127.0.0.1 --port 5000

LAB_ROOT := notebooks/pbl

lab: $(STAMP) ## JupyterLab を起動 (学生用ノートブック notebooks/pbl/ だけを開く。カーネル登録込み、.py はそのまま開ける)
	$(PY) -m kogadx.pbl.lab
	$(BIN)/jupyter lab --notebook-dir=$(LAB_ROOT)

instructor-pack: $(STAMP) ## 教員用パッケージ (解答例・模範解答・ルーブリック・課題テンプレート) を dist/ に zip で作成
	$(PY) -m kogadx.pbl.instructor --out dist/kogadx-pbl-instructor.zip

student-bundle: $(STAMP) ## 学生用データ (テーマごとの最小の抜き出しと一意な記録の割合) を data/student_bundle/<テーマ>/ に作成
	$(BIN)/dvc repro student_bundle
	@echo "学生用データ: data/student_bundle/<テーマ>/ (各 README.md に一意な記録の割合、metrics/student_bundle.json)"

pdf: $(STAMP) ## レポートを A4 PDF に印刷 (ヘッドレス Chromium、reports/pdf/)
	$(BIN)/dvc repro report
	$(PY) -m kogadx.reporting.pdf --out-dir reports/pdf reports/norute.html reports/co2.html reports/wellbeing.html reports/privacy.html reports/regulation.html reports/counter.html

lock: ## requirements.lock を pyproject.toml から再生成
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 --quiet -o requirements.lock

clean: ## 生成物を削除 (data/, models/, metrics/, reports/ は DVC 管理のため残す)
	rm -rf .pytest_cache build src/*.egg-info
