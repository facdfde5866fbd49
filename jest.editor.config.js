'use strict';
/**
 * The user's journey in n8n's editor, in headless Chromium (see scripts/test-editor.sh): one n8n,
 * one browser tab, steps in order. Run with `npm run test:editor`.
 */
module.exports = {
	rootDir: __dirname,
	testEnvironment: 'node',
	testMatch: ['<rootDir>/test/e2e-editor/**/*.e2e.test.ts'],
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
	maxWorkers: 1,
	testTimeout: 120000,
	slowTestThreshold: 60,
	verbose: true,
};
