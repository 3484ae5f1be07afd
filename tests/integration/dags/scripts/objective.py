"""A training script with a known optimum, for tuning tests: loss = (x-3)^2 + (log10(lr)+2)^2.

Follows SageMaker's script-mode contract: hyperparameters arrive as ``--name value`` arguments,
the model goes to SM_MODEL_DIR, metrics are printed for MetricDefinitions to pick up.
"""

import argparse
import json
import math
import os

parser = argparse.ArgumentParser()
parser.add_argument("--x", type=float, default=0.0)
parser.add_argument("--lr", type=float, default=1.0)
parser.add_argument("--epochs", type=int, default=3)
args, _ = parser.parse_known_args()

target = (args.x - 3) ** 2 + (math.log10(args.lr) + 2) ** 2
for epoch in range(1, args.epochs + 1):
    # converges towards the target from above, so intermediate values are meaningful
    print(f"epoch={epoch} loss={target + 1.0 / epoch:.6f}", flush=True)
print(f"final loss={target:.6f}", flush=True)
with open(os.path.join(os.environ["SM_MODEL_DIR"], "model.json"), "w") as handle:
    json.dump({"x": args.x, "lr": args.lr, "loss": target}, handle)
