#!/usr/bin/env bash
# web/tests/run.sh — the browser lab's tests (./lab test runs this after web/build.sh):
#   wasm-api.mjs  the Embind API under node, and native vs WASM parity (needs build/native)
#   browser.mjs   every page in headless Chromium under a strict CSP (playwright-core)
#   svm.mjs       the SVM margin lab (svm.html) the same way
#   generalisation.mjs  the random-labels and double-descent pages the same way
#   embed.mjs     the lab embedded in course pages on other origins (docs/embedding.md's examples,
#                 web/examples/course-page.html, the message API, sizes, lazy starts)
#   phenomena.mjs the catapult and mode-connectivity pages the same way
#   central-flow.mjs  the central-flow page the same way as browser.mjs (and its rows against the
#                 native CLI)
#   grokking.mjs  the grokking and sparse-parity pages the same way
#   scaling.mjs   the scaling-laws page the same way: its live grid, its fits against the native
#                 `gradlab fit` on the same rows, a dropped sweep.jsonl and a bad one
#   eos-optimisers.mjs  the EoS page's optimiser choice: each optimiser's own threshold line, λ₁(P⁻¹H), per-layer
#   decoders.mjs  property tests: random / truncated / extreme URL hashes and dropped files
# Ends with one "N passed, M failed" line for both; exits non-zero on any failure.
#   GRADLAB_WEB_DIR (default build/web), GRADLAB_WEB_TEST_FILTER (run tests whose name has it)
set -uo pipefail
WEB=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
ROOT=$(dirname "$WEB")
SITE=${GRADLAB_WEB_DIR:-$ROOT/build/web}
ARTIFACTS=${GRADLAB_WEB_TEST_ARTIFACTS:-$ROOT/build/web-tests}
export NODE_PATH="$WEB/node_modules${NODE_PATH:+:$NODE_PATH}"

if [ ! -f "$SITE/js/gradlab_web.js" ]; then
  echo "web/tests/run.sh: $SITE is not a built lab (run ./lab build)"
  echo "0 passed, 1 failed"
  exit 1
fi
if [ ! -d "$WEB/node_modules/playwright-core" ]; then
  echo "web/tests/run.sh: playwright-core is missing from web/node_modules (run ./lab setup)"
  echo "0 passed, 1 failed"
  exit 1
fi

passed=0
failed=0
for suite in wasm-api browser embed svm generalisation phenomena grokking central-flow scaling eos-optimisers decoders; do
  echo "---- web/tests/$suite.mjs"
  log=$(mktemp /tmp/gradlab-web-"$suite".XXXXXX.log)
  node "$WEB/tests/$suite.mjs" "$SITE" "$ARTIFACTS" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
  rm -f "$log"
  if [ -n "$line" ]; then
    p=$(sed -E 's/^([0-9]+) passed.*/\1/' <<<"$line")
    f=$(sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/' <<<"$line")
  else
    p=0
    f=1
  fi
  [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
  passed=$((passed + p))
  failed=$((failed + f))
done
echo "screenshots: $ARTIFACTS"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
