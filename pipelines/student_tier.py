"""DVC stage student_tier: pseudonymized ride log → the students' tier, and its re-identification risk.

python pipelines/student_tier.py RIDES STOPS POLICY STUDENT METRICS
"""

from kogadx.io import read_parquet
from kogadx.params import load_params
from kogadx.privacy.params import StudentTierParams
from kogadx.privacy.stage import StudentTierInputs, run_student_tier
from kogadx.stage import parse_args, script_main, write_outputs


def main(argv: list[str] | None = None) -> None:
    args = parse_args("student_tier", argv, "rides", "stops", "policy", "student", "metrics")
    inputs = StudentTierInputs(rides=read_parquet(args["rides"]), stops=read_parquet(args["stops"]),
                               policy=args["policy"].read_bytes(), policy_file=str(args["policy"]))
    write_outputs(run_student_tier(inputs, load_params(StudentTierParams)), args)


if __name__ == "__main__":
    script_main(main)
