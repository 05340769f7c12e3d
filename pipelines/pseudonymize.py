"""DVC stage pseudonymize: validated tables → pseudonymized tables, audit, 削除情報等 (secure zone).

python pipelines/pseudonymize.py TABLES POLICY PSEUDONYMIZED SECURE AUDIT [RAW]
(TABLES: the folder of validated tables and its SYNTHETIC_DEMO.json marker; SECURE: the secure-zone
folder that holds the key file pseudonym.key, if any, and receives deletion_info.json; RAW: the raw
folder ingest read, whose files must match the marker's hashes for the demo key — TABLES when left out.)
"""

import os
from pathlib import Path

from kogadx.compute import load_compute_params
from kogadx.io import open_table_files, read_folder_bytes, read_if_present
from kogadx.params import load_params
from kogadx.privacy.keys import DEMO_MARKER, ENV_VAR, KEY_FILE_NAME, KeyMaterial, check_synthetic_demo
from kogadx.privacy.params import PseudonymizeParams
from kogadx.privacy.stage import PseudonymizeInputs, check_secure_zone, run_pseudonymize
from kogadx.stage import parse_args, script_main, write_outputs


def main(argv: list[str] | None = None) -> None:
    args = parse_args("pseudonymize", argv, "tables", "policy", "pseudonymized", "secure", "audit", "raw?")
    check_secure_zone(args["secure"], args["pseudonymized"], args["audit"])
    folder, key_file, raw = args["tables"], args["secure"] / KEY_FILE_NAME, args.get("raw") or args["tables"]
    marker = read_if_present(folder / DEMO_MARKER, Path.read_bytes)
    demo = check_synthetic_demo(marker, read_folder_bytes(raw) if marker is not None else None, str(raw))
    inputs = PseudonymizeInputs(
        tables=open_table_files(folder), policy=args["policy"].read_bytes(),
        key=KeyMaterial(os.environ.get(ENV_VAR), read_if_present(key_file, Path.read_bytes), str(key_file)),
        synthetic_demo=demo, source=str(folder), policy_file=str(args["policy"]))
    write_outputs(run_pseudonymize(inputs, load_params(PseudonymizeParams), load_compute_params()), args)


if __name__ == "__main__":
    script_main(main)
