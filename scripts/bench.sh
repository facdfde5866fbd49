#!/usr/bin/env bash
# Benchmarks: cost per delivery, the duplicate memory at each size, and throughput and the memory's cost inside a real n8n (see BENCHMARKS.md).
#   npm run bench                 # full run (about 11 minutes on a 2-core machine)
#   BENCH_QUICK=1 npm run bench   # short run to try the harness
#   node bench/catchup.js         # the catch-up benchmark alone (after npm run build; about 2 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
START=$(date +%s)

if [ ! -d node_modules/autocannon ]; then
	echo "[bench] node_modules incomplete: npm ci"
	npm ci --no-audit --no-fund
fi

if pgrep -f "n8n/bin/n8n start" >/dev/null 2>&1; then
	echo "[bench] warning: another n8n is running on this machine; its load will lower the figures:" >&2
	pgrep -af "n8n/bin/n8n start" >&2 || true
fi

echo "[bench] npm run build"
npm run build >/dev/null

if [ "${BENCH_SKIP_N8N:-0}" != "1" ]; then
	export N8N_VERSION="${N8N_VERSION:-$(node -p "require('./scripts/provision-n8n').DEFAULT_VERSION")}"
	echo "[bench] provisioning n8n ${N8N_VERSION} (cached in .cache/n8n/${N8N_VERSION}; first time several minutes)"
	node scripts/provision-n8n.js "$N8N_VERSION" >/dev/null
fi

node bench/run.js
echo "[bench] done in $(( $(date +%s) - START )) s; report: BENCHMARKS.md, chart: bench/memory-scaling.svg"
