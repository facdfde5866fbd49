'use strict';
/** Unit and in-process integration tests (no n8n). The end-to-end suite has jest.e2e.config.js. */
// Every unit test runs in a process whose zone is not UTC (the workers inherit it), so code that
// reads a time in the local zone fails here (nodes/shared/time.ts; test/unit/time.test.ts checks it).
process.env.TZ = 'Asia/Tokyo';
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/test/unit'],
	testMatch: ['**/*.test.ts'],
	transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }] },
	testTimeout: 30000,
};
