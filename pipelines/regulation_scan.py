"""DVC stage regulation_scan: grouped CV at a review budget, fit (+ the city's decisions), scan a corpus folder."""

from kogadx.io import read_folder
from kogadx.params import load_params
from kogadx.regulation.learning import read_labels
from kogadx.regulation.loaders import CORPUS_SUFFIXES
from kogadx.regulation.params import RegulationScanParams
from kogadx.regulation.stage import RegulationScanInputs, run_regulation_scan
from kogadx.stage import parse_args, script_main, write_outputs


def main(argv: list[str] | None = None) -> None:
    args = parse_args("regulation_scan", argv, "corpus", "city_labels", "model", "review", "plots", "metrics")
    corpus = read_folder(args["corpus"], CORPUS_SUFFIXES)  # unreadable files and outward links: refused
    labels = read_labels(args["city_labels"].read_bytes(), str(args["city_labels"]))
    inputs = RegulationScanInputs(corpus=corpus.files, corpus_name=str(args["corpus"]), city_labels=labels,
                                  refused=corpus.refused)
    write_outputs(run_regulation_scan(inputs, load_params(RegulationScanParams)), args)


if __name__ == "__main__":
    script_main(main)
