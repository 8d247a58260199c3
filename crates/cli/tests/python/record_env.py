"""A program a hook runs: appends its arguments and its HOOKSWITCH_*
variables to a file as one JSON line. Usage: record_env.py OUT_FILE ARGS..."""

import json
import os
import sys

fields = {k: v for k, v in os.environ.items() if k.startswith("HOOKSWITCH_")}
with open(sys.argv[1], "a", encoding="utf-8") as f:
    f.write(json.dumps({"argv": sys.argv[2:], "env": fields}) + "\n")
