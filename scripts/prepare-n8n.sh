# Sourced by scripts/test-*.sh: dev dependencies when missing, a build, and a provisioned n8n.
#   ensure_dev_dependencies <log tag>      npm ci when node_modules is missing or older than the lock file
#   prepare_n8n <log tag> <n8n version>    that, a build, and n8n provisioned (scripts/provision-n8n.js)
# prepare_n8n exports N8N_VERSION for the tests and E2E_SKIP_BUILD=1 (test/support/n8nInstance.js then only packs).
ensure_dev_dependencies() {
	if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
		echo "[$1] dev dependencies missing or stale: npm ci"
		npm ci --no-audit --no-fund
	fi
}

prepare_n8n() {
	local tag=$1 version=$2
	ensure_dev_dependencies "$tag"
	echo "[$tag] npm run build"
	npm run build
	echo "[$tag] provisioning n8n ${version} (first time: several minutes; cached in .cache/n8n/${version})"
	node scripts/provision-n8n.js "$version" >/dev/null
	export N8N_VERSION=$version
	export E2E_SKIP_BUILD=1
}

default_n8n_version() {
	node -p "require('./scripts/provision-n8n').DEFAULT_VERSION"
}
