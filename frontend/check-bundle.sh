#!/usr/bin/env bash
# Rebuild the workbench bundle with this machine's Node and npm, and fail if it differs from the committed files.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
npm run build
git diff --exit-code -- ../src/sps_rules/workbench/static/
test -z "$(git status --porcelain -- ../src/sps_rules/workbench/static/)"
echo "workbench bundle: up to date"
