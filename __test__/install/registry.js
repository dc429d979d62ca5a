'use strict';
// A minimal npm registry on 127.0.0.1 that serves only the tarballs in one folder (what
// `npm run pack:all` wrote): a packument per package name and the tarballs themselves. Any
// other name is a 404, so an install from it cannot pick up anything that was not packed here.

const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

/** Reads each tarball's package.json: { name, version, manifest, file, bytes }. */
function readTarballs(dir) {
  return fs
    .readdirSync(dir)
    .filter((file) => file.endsWith('.tgz'))
    .map((file) => {
      const full = path.join(dir, file);
      const manifest = JSON.parse(execFileSync('tar', ['-xzOf', full, 'package/package.json'], { encoding: 'utf8' }));
      return { name: manifest.name, version: manifest.version, manifest, file, bytes: fs.readFileSync(full) };
    });
}

/** The registry document npm asks for by package name, with each version's dist fields. */
function packument(name, tarballs, baseUrl) {
  const versions = {};
  for (const tarball of tarballs.filter((t) => t.name === name)) {
    versions[tarball.version] = {
      ...tarball.manifest,
      _id: `${name}@${tarball.version}`,
      dist: {
        tarball: `${baseUrl}/-/tarballs/${tarball.file}`,
        integrity: `sha512-${crypto.createHash('sha512').update(tarball.bytes).digest('base64')}`,
        shasum: crypto.createHash('sha1').update(tarball.bytes).digest('hex'),
      },
    };
  }
  const latest = Object.keys(versions).sort().pop();
  return { name, 'dist-tags': { latest }, versions };
}

/** Starts the registry; resolves to { url, requested, close }. `requested` lists the names npm asked for. */
async function startRegistry(dir) {
  const tarballs = readTarballs(dir);
  const requested = [];
  const server = http.createServer((req, res) => {
    const url = decodeURIComponent(req.url.split('?')[0]);
    const baseUrl = `http://127.0.0.1:${server.address().port}`;
    const file = url.startsWith('/-/tarballs/') ? tarballs.find((t) => `/-/tarballs/${t.file}` === url) : undefined;
    if (file) {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': file.bytes.length });
      res.end(file.bytes);
      return;
    }
    const name = url.slice(1);
    requested.push(name);
    if (req.method === 'GET' && tarballs.some((t) => t.name === name)) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(packument(name, tarballs, baseUrl)));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"error":"not found"}');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
    requested,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

module.exports = { startRegistry, readTarballs };
