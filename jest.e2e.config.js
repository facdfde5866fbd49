'use strict';
/** End-to-end tests: a real n8n (see scripts/test-e2e.sh), real HTTP. Run with `npm run test:e2e`. */
module.exports = {
	rootDir: __dirname,
	testEnvironment: 'node',
	testMatch: ['<rootDir>/test/e2e/**/*.e2e.test.ts'],
	// the n8n installs and user folders hold package.json files Jest would otherwise index
	modulePathIgnorePatterns: ['<rootDir>/.cache/', '<rootDir>/.e2e/'],
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
	// one n8n per test file; files run one after another
	maxWorkers: 1,
	testTimeout: 300000,
	slowTestThreshold: 60,
	verbose: true,
};
