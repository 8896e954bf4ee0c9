#!/bin/sh
# Fit the Chinchilla form (or GRADLAB_FIT_FORM) on the smaller models of an N x D sweep and predict the validation loss
# of the largest model's runs before looking at them (docs/kinds/scaling.md).
#
#   experiments/scaling/predict.sh SWEEP_DIR [GRADLAB]
#   GRADLAB_FIT_FORM=kaplan_nd experiments/scaling/predict.sh SWEEP_DIR   (default: chinchilla)
#
# SWEEP_DIR is the --out folder of `gradlab sweep experiments/scaling/kjv_nd_grid.json`; the
# fit is written to SWEEP_DIR/predict.json and its holdout block (measured vs predicted loss,
# relative errors) printed.
set -eu
dir=${1:?usage: predict.sh SWEEP_DIR [GRADLAB]}
gradlab=${2:-build/native/gradlab}
rows="$dir/sweep.jsonl"
[ -s "$rows" ] || { echo "predict.sh: $rows is missing or empty" >&2; exit 2; }
# The largest N in the sweep: its runs are held out.
largest=$(/usr/bin/python3 -c "
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print(max(r['n_params_non_embedding'] for r in rows if r.get('status') == 'completed'))" "$rows")
"$gradlab" fit "$rows" --form "${GRADLAB_FIT_FORM:-chinchilla}" --x n_params_non_embedding,tokens \
  --y final_validation_loss --holdout "n_params_non_embedding>=$largest" --bootstrap 100 \
  --out "$dir/predict.json" >/dev/null
/usr/bin/python3 -c "
import json, sys
r = json.load(open(sys.argv[1]))
h = r['holdout']
print('fitted on', r['n_points'], 'runs; held out', h['rule'])
for row in h['rows']:
    print(f\"  {row['id']}: measured {row['y']:.4f}, predicted {row['predicted']:.4f}, error {100 * row['relative_error']:+.2f}%\")
print(f\"max |error| {100 * h['max_abs_relative_error']:.2f}%, mean {100 * h['mean_abs_relative_error']:.2f}%\")" "$dir/predict.json"
