"""DVC stage student_bundle: shareable outputs → one minimal, measured folder per PBL theme.

python pipelines/student_bundle.py PROJECT BUNDLE METRICS
(PROJECT: the project root; the files read are kogadx.pbl.bundle.theme_sources(), listed in dvc.yaml deps.)
"""

from kogadx.params import load_params
from kogadx.pbl.bundle import theme_sources
from kogadx.pbl.params import StudentBundleParams
from kogadx.pbl.stage import StudentBundleInputs, run_student_bundle
from kogadx.stage import parse_args, script_main, write_outputs


def main(argv: list[str] | None = None) -> None:
    args = parse_args("student_bundle", argv, "project", "bundle", "metrics")
    files = {}
    for source in theme_sources():
        path = args["project"] / source
        found = sorted(p for p in path.rglob("*") if p.is_file()) if source.endswith("/") else [path]
        files.update({p.relative_to(args["project"]).as_posix(): p.read_bytes() for p in found})
    write_outputs(run_student_bundle(StudentBundleInputs(files=files), load_params(StudentBundleParams)), args)


if __name__ == "__main__":
    script_main(main)
