'use strict';
/** Unit and in-process integration tests (no n8n). The end-to-end suite has jest.e2e.config.js. */
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/test/unit'],
	testMatch: ['**/*.test.ts'],
	transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }] },
	testTimeout: 30000,
};
