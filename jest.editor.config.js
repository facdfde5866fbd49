'use strict';
/**
 * The user's journey in n8n's editor, in headless Chromium (see scripts/test-editor.sh): one n8n,
 * one browser tab, steps in order. Run with `npm run test:editor`.
 */
module.exports = {
	// the end-to-end settings (ts-jest, one worker), with a shorter per-step timeout
	...require('./jest.e2e.config'),
	testMatch: ['<rootDir>/test/e2e-editor/**/*.e2e.test.ts'],
	testTimeout: 120000,
};
