"""DVC stage synthesize: the synthetic Koga's raw exports and the generators' truth.

python pipelines/synthesize.py RAW_DIR TRUTH_DIR
(The city is built on the reference geography shipped in kogadx/geo/data; file names of the
exports follow params ingest.towns_file / ingest.weather_file.)
"""

from __future__ import annotations

from kogadx.params import load_params
from kogadx.stage import parse_args, script_main, write_outputs
from kogadx.synth.params import SynthesizeStageParams
from kogadx.synth.stage import SynthesizeInputs, run_synthesize


def main(argv: list[str] | None = None) -> None:
    args = parse_args("synthesize", argv, "raw", "truth")
    write_outputs(run_synthesize(SynthesizeInputs.embedded(), load_params(SynthesizeStageParams)), args)


if __name__ == "__main__":
    script_main(main)
