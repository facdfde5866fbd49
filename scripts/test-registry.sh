#!/usr/bin/env bash
# The registry suite: this package installed the way users install it, by n8n 2.40.7's own
# community-package installer from an npm registry (verdaccio 6.8.0 on loopback, which n8n reaches
# as https://registry.npmjs.org from its own mount namespace; see test/support/verdaccio.js):
#   (a) Settings > Community Nodes > Install (POST /rest/community-packages), a signed delivery runs;
#   (b) a newer version published and installed through the update endpoint (PATCH), duplicates
#       still recognised; (c) N8N_COMMUNITY_PACKAGES at start-up (the Docker path) and
#       N8N_REINSTALL_MISSING_PACKAGES after the package files are lost.
#   npm run test:registry
#   npm run test:registry -- -t 'update'     # extra args go to jest
# Needs root (unshare --mount), openssl and util-linux (installed with apt-get when missing).
# verdaccio is installed once into .cache/verdaccio ($N8N_E2E_CACHE_DIR/verdaccio). Logs: .e2e/registry*/.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS

missing=()
command -v openssl >/dev/null || missing+=(openssl)
command -v unshare >/dev/null || missing+=(util-linux)
if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "[test-registry] missing ${missing[*]}; install them (apt-get install -y ${missing[*]}) or run as root" >&2
		exit 1
	fi
	echo "[test-registry] apt-get install -y ${missing[*]}"
	apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [ "$(id -u)" != 0 ]; then
	echo "[test-registry] this suite runs n8n in its own mount namespace (unshare --mount): run it as root" >&2
	exit 1
fi

source scripts/prepare-n8n.sh
# the suite is about n8n 2.40.7's installer (N8N_COMMUNITY_PACKAGES needs n8n >= 2.21)
prepare_n8n test-registry 2.40.7

echo "[test-registry] jest -c jest.registry.config.js (n8n ${N8N_VERSION}, package from a local registry)"
status=0
npx jest -c jest.registry.config.js --runInBand "$@" || status=$?
echo "[test-registry] run time $((SECONDS - start)) s (build, provisioning check and jest)"
exit $status
