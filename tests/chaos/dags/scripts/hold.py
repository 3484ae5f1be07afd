"""A training script that holds until its test releases it: it waits for the file ``--gate``
names, then prints ``loss=<--loss>`` (each job its own value) and saves a model. A gate that
never opens ends it with an error after ``--limit`` seconds, so it never outlives its test.
"""

import argparse
import json
import os
import sys
import time

parser = argparse.ArgumentParser()
parser.add_argument("--gate", required=True)
parser.add_argument("--loss", type=float, required=True)
parser.add_argument("--limit", type=float, default=600)
args, _ = parser.parse_known_args()

deadline = time.monotonic() + args.limit
print(f"holding until {args.gate} exists", flush=True)
while not os.path.exists(args.gate):
    if time.monotonic() > deadline:
        sys.exit(f"{args.gate} did not appear within {args.limit}s")
    time.sleep(0.1)
print(f"loss={args.loss}", flush=True)
with open(os.path.join(os.environ["SM_MODEL_DIR"], "model.json"), "w") as handle:
    json.dump({"loss": args.loss}, handle)
