'use strict';
/** Registry suite: n8n 2.40.7 installs the package from a local npm registry (see scripts/test-registry.sh). Run with `npm run test:registry`. */
module.exports = {
	// the end-to-end settings (ts-jest, one worker, long timeouts); its n8n instances and the registry run one after another
	...require('./jest.e2e.config'),
	testMatch: ['<rootDir>/test/e2e-registry/**/*.e2e.test.ts'],
};
