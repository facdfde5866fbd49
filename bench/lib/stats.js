'use strict';
/** Small statistics and timing helpers shared by the benchmark scripts (no dependencies). */

function median(values) {
	const v = [...values].sort((a, b) => a - b);
	if (v.length === 0) return NaN;
	const mid = v.length >> 1;
	return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** Spread of the middle half, relative to the median: a noise indicator for a set of rounds. */
function iqrRel(values) {
	const v = [...values].sort((a, b) => a - b);
	if (v.length < 4) return 0;
	const q = (p) => v[Math.min(v.length - 1, Math.max(0, Math.round(p * (v.length - 1))))];
	return (q(0.75) - q(0.25)) / median(v);
}

function nowNs() {
	return process.hrtime.bigint();
}

/** Microseconds, nanoseconds or milliseconds, whichever reads best. */
function fmtTime(us) {
	if (!Number.isFinite(us)) return 'n/a';
	if (us < 1) return `${(us * 1000).toFixed(0)} ns`;
	if (us < 1000) return `${us < 10 ? us.toFixed(2) : us < 100 ? us.toFixed(1) : us.toFixed(0)} µs`;
	return `${(us / 1000).toFixed(us < 10000 ? 2 : 1)} ms`;
}

function fmtBytes(n) {
	if (n < 1024) return `${n} B`;
	if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
	return `${(n / 1024 / 1024).toFixed(2)} MiB`;
}

function fmtRatio(r) {
	return Number.isFinite(r) ? `${r.toFixed(2)}×` : 'n/a';
}

module.exports = { median, iqrRel, nowNs, fmtTime, fmtBytes, fmtRatio };
