'use strict';
// Copies what tsc does not emit into dist/: node and credential icons (light and dark SVG)
// and the codex files (X.node.json) that n8n reads next to each node.
const path = require('path');
const { task, src, dest } = require('gulp');

function copyAssets() {
	return src(['nodes/**/*.{png,svg,json}', 'credentials/**/*.{png,svg}', 'icons/**/*.{png,svg}'], {
		base: '.',
		encoding: false,
	}).pipe(dest(path.resolve('dist')));
}

task('build:assets', copyAssets);
