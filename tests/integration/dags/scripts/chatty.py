"""A training script that prints in two parts: the second only once ``--release`` names a file that exists.

The sensor-output test creates that file once a reschedule-mode sensor has shown the first part
while the job was still running, so the job cannot end before that has been seen.
"""

import argparse
import os
import time

parser = argparse.ArgumentParser()
parser.add_argument("--tag", default="chatty")
parser.add_argument("--release", default="")
args, _ = parser.parse_known_args()

print(f"{args.tag} first part", flush=True)
deadline = time.monotonic() + 90
while args.release and not os.path.exists(args.release) and time.monotonic() < deadline:
    time.sleep(0.2)
released = bool(args.release) and os.path.exists(args.release)
print(f"{args.tag} second part ({'released' if released else 'never released'})", flush=True)
print("loss=0.5", flush=True)
open(os.path.join(os.environ["SM_MODEL_DIR"], "model.txt"), "w").close()
