'use strict';
/**
 * The queue-mode suite (issue 9): n8n in queue mode with PostgreSQL and Redis, started by
 * test/support/queueMode.js. Run with `npm run test:queue` (scripts/test-queue.sh).
 */
const e2e = require('./jest.e2e.config');

module.exports = {
	...e2e,
	testMatch: ['<rootDir>/test/e2e-queue/**/*.e2e.test.ts'],
	// the provisioned n8n installs and the e2e user folders are not part of the test code
	modulePathIgnorePatterns: ['<rootDir>/.cache/', '<rootDir>/.e2e/', '<rootDir>/.bench/'],
};
