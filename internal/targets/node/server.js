// Express + cors, configured from a crosscheck policy file, served on a
// loopback address for crosscheck's conformance matrix.
//
// Usage: node server.js POLICY.json
// Prints its base URL ("http://127.0.0.1:PORT") as the first stdout line.
// Exits 3 with "n/a: <why>" on stderr when cors cannot express the policy.
'use strict';

const fs = require('fs');
const express = require('express');
const cors = require('cors');

function fail(code, msg) {
  process.stderr.write(msg + '\n');
  process.exit(code);
}

// patternToRegExp turns a crosscheck subdomain pattern
// ("https://*.example.com": one or more labels, never the apex) into the
// anchored, dot-escaped RegExp a careful cors user writes by hand: cors has
// no pattern syntax of its own, only RegExp (tested with .test()).
function patternToRegExp(pattern) {
  const star = pattern.indexOf('*.');
  const escape = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const head = escape(pattern.slice(0, star));
  const tail = escape(pattern.slice(star + 2));
  return new RegExp('^' + head + '(?:[a-z0-9-]+\\.)+' + tail + '$');
}

function corsOptions(p) {
  const origins = p.allowOrigins || [];
  let origin;
  if (origins.includes('*')) {
    origin = '*';
  } else {
    const list = origins.map((o) => (o.includes('*') ? patternToRegExp(o) : o));
    origin = list.length === 1 ? list[0] : list;
  }
  const opts = {
    origin,
    methods: p.allowMethods,
    allowedHeaders: p.allowHeaders,
    exposedHeaders: p.exposeHeaders,
    credentials: !!p.allowCredentials,
  };
  if (typeof p.maxAge === 'number') opts.maxAge = p.maxAge;
  return opts;
}

const path = process.argv[2];
if (!path) fail(2, 'usage: node server.js POLICY.json');
let policy;
try {
  policy = JSON.parse(fs.readFileSync(path, 'utf8'));
} catch (e) {
  fail(2, 'target: policy ' + path + ': ' + e.message);
}

const app = express();
app.disable('x-powered-by');
app.disable('etag');
app.use(cors(corsOptions(policy)));
app.use((req, res) => {
  res.set('Content-Type', 'text/plain; charset=utf-8');
  res.set('X-Total-Count', '42');
  res.set('X-Handler', 'called');
  res.status(200).send(req.method === 'HEAD' ? '' : 'ok\n');
});

const server = app.listen(0, '127.0.0.1', () => {
  const a = server.address();
  process.stdout.write('http://127.0.0.1:' + a.port + '\n');
});
server.on('error', (e) => fail(2, 'target: ' + e.message));
