"""DVC stage anonymize: a pseudonymized table → anonymized release (k-anonymity, l-diversity).

python pipelines/anonymize.py TABLE HIERARCHIES ANONYMIZED METRICS
"""

from kogadx.io import read_parquet
from kogadx.params import load_params
from kogadx.privacy.params import AnonymizeParams
from kogadx.privacy.stage import AnonymizeInputs, run_anonymize
from kogadx.stage import parse_args, script_main, write_outputs


def main(argv: list[str] | None = None) -> None:
    args = parse_args("anonymize", argv, "table", "hierarchies", "anonymized", "metrics")
    inputs = AnonymizeInputs(table=read_parquet(args["table"]), hierarchies=args["hierarchies"].read_bytes())
    write_outputs(run_anonymize(inputs, load_params(AnonymizeParams)), args)


if __name__ == "__main__":
    script_main(main)
