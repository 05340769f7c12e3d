"""DVC stage report: render the HTML reports for policy staff and check them in Chromium."""

from kogadx.params import load_params, read_params_file
from kogadx.paths import find_project_root
from kogadx.reporting.params import ReportParams
from kogadx.reporting.stage import ReportInputs, run_report
from kogadx.stage import parse_args, script_main, write_outputs

READ = ("templates", "metrics", "figures", "features", "pseudonymized", "privacy", "review")


def main(argv: list[str] | None = None) -> None:
    args = parse_args("report", argv, *READ, "reports", "screenshots")
    # The templates read the files themselves: the stage gets the paths (see ReportInputs).
    inputs = ReportInputs(*(args[slot] for slot in READ), all_params=read_params_file(), root=find_project_root())
    write_outputs(run_report(inputs, load_params(ReportParams)), args)


if __name__ == "__main__":
    script_main(main)
