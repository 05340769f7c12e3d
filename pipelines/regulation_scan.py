"""DVC stage regulation_scan: grouped CV, fit, scan a corpus folder, the staff review workbook."""

from kogadx.io import read_folder
from kogadx.params import load_params
from kogadx.regulation.loaders import CORPUS_SUFFIXES
from kogadx.regulation.params import RegulationScanParams
from kogadx.regulation.stage import RegulationScanInputs, run_regulation_scan
from kogadx.stage import parse_args, script_main, write_outputs


def main(argv: list[str] | None = None) -> None:
    args = parse_args("regulation_scan", argv, "corpus", "model", "review", "plots", "metrics")
    corpus = read_folder(args["corpus"], CORPUS_SUFFIXES)  # unreadable files and outward links: refused
    inputs = RegulationScanInputs(corpus=corpus.files, corpus_name=str(args["corpus"]), refused=corpus.refused)
    write_outputs(run_regulation_scan(inputs, load_params(RegulationScanParams)), args)


if __name__ == "__main__":
    script_main(main)
