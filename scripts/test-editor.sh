#!/usr/bin/env bash
# The user's journey in n8n's editor, in a real headless Chromium (Debian's /usr/bin/chromium, driven
# by puppeteer-core): sign in, node panel, triggers, credential modal, publish, an execution with
# the Uplift CSV. One n8n 2.40.7 with this package installed, fake Uphance and Uplift on loopback.
#   npm run test:editor                          # installs chromium with apt-get when missing
#   EDITOR_DOCS_IMAGES=1 npm run test:editor     # also refresh docs/images/editor-*.png
#   npm run test:editor -- -t 'node panel'       # extra args go to jest
# On a failed step: .e2e/editor/failure-<step>.png and .txt; n8n's log: .e2e/editor/n8n.log.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/prepare-n8n.sh
# the journey is written against the editor of this n8n version
prepare_n8n test-editor "${EDITOR_N8N_VERSION:-$(default_n8n_version)}"

echo "[test-editor] chromium"
node -e "console.log(require('./test/support/browser').ensureChromium())"

echo "[test-editor] jest -c jest.editor.config.js (n8n ${N8N_VERSION}, headless Chromium)"
exec npx jest -c jest.editor.config.js --runInBand "$@"
