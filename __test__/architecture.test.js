'use strict';
// The layering rule of CONTRIBUTING.md, checked: within each crate, no module imports, directly
// or through others, a module that imports it. A loop means two files do one job between them,
// and each change to one drags the other along.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const CRATES = ['crates/kernel-core/src', 'crates/kernel-emulator/src', 'src'];

/** The modules of a flat `src/` folder and, for each, the sibling modules it names as `crate::x`. */
function moduleGraph(dir) {
  const files = fs.readdirSync(path.join(ROOT, dir)).filter((file) => file.endsWith('.rs'));
  const modules = files.map((file) => file.slice(0, -3)).filter((name) => name !== 'lib' && name !== 'main');
  const graph = new Map();
  for (const name of modules) {
    const source = fs.readFileSync(path.join(ROOT, dir, `${name}.rs`), 'utf8').replace(/\/\/[^\n]*/g, '');
    const named = new Set();
    for (const [, target] of source.matchAll(/crate::(\{[^}]*\}|\w+)/g)) {
      if (!target.startsWith('{')) named.add(target);
      else for (const [, part] of target.matchAll(/(?:^\{|,)\s*(\w+)/g)) named.add(part);
    }
    graph.set(name, new Set([...named].filter((other) => other !== name && modules.includes(other))));
  }
  return graph;
}

/** A path from `from` back to itself, if there is one. */
function loopThrough(graph, from) {
  const stack = [[from, [from]]];
  const seen = new Set();
  while (stack.length > 0) {
    const [at, route] = stack.pop();
    for (const next of graph.get(at)) {
      if (next === from) return [...route, from];
      if (!seen.has(next)) {
        seen.add(next);
        stack.push([next, [...route, next]]);
      }
    }
  }
  return undefined;
}

for (const dir of CRATES) {
  test(`${dir}: no module imports one that imports it`, () => {
    const graph = moduleGraph(dir);
    assert.ok(graph.size > 3, `found only ${graph.size} modules in ${dir}`);
    const loops = [...graph.keys()].map((name) => loopThrough(graph, name)).filter(Boolean);
    assert.deepEqual(loops.map((route) => route.join(' -> ')), []);
  });
}

test('the loop finder finds a loop', () => {
  const graph = new Map([
    ['a', new Set(['b'])],
    ['b', new Set(['c'])],
    ['c', new Set(['a'])],
    ['d', new Set(['a'])],
  ]);
  assert.deepEqual(loopThrough(graph, 'a'), ['a', 'b', 'c', 'a']);
  assert.equal(loopThrough(graph, 'd'), undefined);
});
