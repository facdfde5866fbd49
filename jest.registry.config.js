'use strict';
/** Registry suite: n8n 2.40.7 installs the package from a local npm registry (see scripts/test-registry.sh). Run with `npm run test:registry`. */
module.exports = {
	rootDir: __dirname,
	testEnvironment: 'node',
	testMatch: ['<rootDir>/test/e2e-registry/**/*.e2e.test.ts'],
	transform: {
		'^.+\\.ts$': [
			'ts-jest',
			{
				tsconfig: {
					module: 'commonjs',
					target: 'es2020',
					lib: ['es2020', 'es2022.error', 'dom'],
					strict: true,
					esModuleInterop: true,
					skipLibCheck: true,
					types: ['node', 'jest'],
				},
			},
		],
	},
	// one file; its n8n instances and the registry run one after another
	maxWorkers: 1,
	testTimeout: 300000,
	slowTestThreshold: 60,
	verbose: true,
};
