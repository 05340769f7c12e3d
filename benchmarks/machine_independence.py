"""Are the pipeline's outputs the same bytes on another machine?

A clean clone of this commit is made in a temporary folder and the whole pipeline (every
stage but ``report``, whose HTML and screenshots are not compared) is run there as another
CPU would run it: NumPy without its AVX-512 code paths, OpenBLAS forced to another kernel
family and LightGBM / BLAS on one thread. Every output hash is then compared with the
committed ``dvc.lock`` (made on the machine that committed it).

    python benchmarks/machine_independence.py [--variant haswell|sandybridge]

Writes ``benchmarks/results/machine_independence_<variant>.json``. Takes about as long as ``make run``
(5–8 minutes on 2 cores). Run ``make run`` and commit ``dvc.lock`` first.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
VARIANTS = {
    "haswell": {"NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR", "OPENBLAS_CORETYPE": "Haswell",
                "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"},
    "sandybridge": {"NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR X86_V3",
                    "OPENBLAS_CORETYPE": "Sandybridge", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"},
}


def out_hashes(lock: dict) -> dict[str, str]:
    """Output path → hash for every stage but report."""
    return {out["path"]: out.get("md5", "") for name, stage in lock["stages"].items() if name != "report"
            for out in stage.get("outs", [])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--variant", choices=sorted(VARIANTS), default="haswell")
    args = parser.parse_args()
    committed = yaml.safe_load(subprocess.run(["git", "show", "HEAD:dvc.lock"], cwd=ROOT, check=True,
                                              capture_output=True, text=True).stdout)
    with tempfile.TemporaryDirectory() as tmp:
        clone = Path(tmp) / "clone"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        env = {**os.environ, **VARIANTS[args.variant],
               "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
               "PYTHONPATH": str(clone / "src"), "MLFLOW_TRACKING_URI": f"sqlite:///{clone / 'mlflow.db'}"}
        stages = [name for name in committed["stages"] if name != "report"]
        started = time.perf_counter()
        subprocess.run([str(Path(sys.executable).with_name("dvc")), "repro", "--force", *stages], cwd=clone,
                       env=env, check=True, capture_output=True)
        seconds = time.perf_counter() - started
        reproduced = yaml.safe_load((clone / "dvc.lock").read_text(encoding="utf-8"))
    expected, got = out_hashes(committed), out_hashes(reproduced)
    differing = sorted(p for p in expected if expected[p] != got.get(p))
    result = {
        "variant": args.variant, "environment": VARIANTS[args.variant],
        "machine": f"{platform.platform()} / {platform.processor() or platform.machine()} / cpus={os.cpu_count()}",
        "outputs_compared": len(expected), "outputs_differing": differing, "repro_seconds": round(seconds, 1),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"machine_independence_{args.variant}.json").write_text(
        json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"{args.variant}: {len(expected) - len(differing)}/{len(expected)} outputs identical; differing: {differing}")
    sys.exit(1 if differing else 0)


if __name__ == "__main__":
    main()
