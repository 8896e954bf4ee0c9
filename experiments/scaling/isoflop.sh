#!/bin/sh
# IsoFLOP profiles (Hoffmann et al. 2022, approach 2): experiments/scaling/kjv_isoflop.json's
# width sweep at each compute budget, then `gradlab fit --form isoflop` on all of them.
#
#   experiments/scaling/isoflop.sh OUT_DIR [GRADLAB] [BUDGETS]
#
# BUDGETS (default "1e10 3e10 1e11") are train.flops_budget values, C = 6 N D with N the
# non-embedding parameters; each budget's sweep goes to OUT_DIR/C=<budget>/, every row to
# OUT_DIR/sweep.jsonl, the fit to OUT_DIR/isoflop.json. Finished points are skipped on a rerun.
set -eu
out=${1:?usage: isoflop.sh OUT_DIR [GRADLAB] [BUDGETS]}
gradlab=${2:-build/native/gradlab}
budgets=${3:-1e10 3e10 1e11}
mkdir -p "$out"
for c in $budgets; do
  "$gradlab" sweep experiments/scaling/kjv_isoflop.json --set "train.flops_budget=$c" \
    --threads "${GRADLAB_THREADS:-2}" --quiet --out "$out/C=$c"
done
cat "$out"/C=*/sweep.jsonl >"$out/sweep.jsonl"
"$gradlab" fit "$out/sweep.jsonl" --form isoflop --x n_params_non_embedding,flops_budget \
  --y final_validation_loss --window 5 --bootstrap 200 --out "$out/isoflop.json" >/dev/null
/usr/bin/python3 -c "
import json, sys
r = json.load(open(sys.argv[1]))
for b in r['budgets']:
    print(f\"C = {b['C']:.3g}: N_opt = {b.get('N_opt', float('nan')):.4g}, loss_opt = {b.get('loss_opt', float('nan')):.4f}, used {b['used']}\")
p, ci = r['parameters'], r.get('bootstrap', {}).get('intervals', {})
print(f\"N_opt ~ C^{p['a']:.3f} {ci.get('a', '')}, D_opt ~ C^{p['b']:.3f}\")" "$out/isoflop.json"
