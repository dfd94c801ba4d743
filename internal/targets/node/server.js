// The Node.js CORS middlewares of crosscheck's conformance matrix, each
// configured from a crosscheck policy file through its own options and
// served on a loopback address.
//
// Usage: node server.js IMPL POLICY.json [CONFIG_ORIGINS]
//   IMPL: express-cors | hono | koa-cors | fastify-cors
//   CONFIG_ORIGINS: comma-separated origins to configure instead of the
//   policy's (how a test reproduces an advisory's configuration)
// Prints its base URL ("http://127.0.0.1:PORT") as the first stdout line and
// serves until killed. Behind the middleware an application answers every
// method and path with 200, the body "ok\n" and the headers X-Total-Count
// and X-Handler: called (so a probe shows whether the application ran).
// Exits 3 with "n/a: <why>" on stderr when the library cannot express the
// policy, 2 on any other failure.
'use strict';

const fs = require('fs');

function fail(code, msg) {
  process.stderr.write(msg + '\n');
  process.exit(code);
}

function announce(port) {
  process.stdout.write('http://127.0.0.1:' + port + '\n');
}

// patternToRegExp turns a crosscheck subdomain pattern
// ("https://*.example.com": one or more labels, never the apex) into the
// anchored, dot-escaped RegExp a careful user writes by hand: none of these
// libraries has a pattern syntax of its own.
function patternToRegExp(pattern) {
  const star = pattern.indexOf('*.');
  const escape = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const head = escape(pattern.slice(0, star));
  const tail = escape(pattern.slice(star + 2));
  return new RegExp('^' + head + '(?:[a-z0-9-]+\\.)+' + tail + '$');
}

// origins splits the policy's origins: all ("*"), the exact ones and the
// patterns as RegExps.
function origins(p) {
  const list = p.allowOrigins || [];
  return {
    all: list.includes('*'),
    exact: list.filter((o) => !o.includes('*')),
    patterns: list.filter((o) => o !== '*' && o.includes('*')).map(patternToRegExp),
  };
}

// allows is the check a user writes when a library takes only a function:
// exact comparison with the listed origins, the careful RegExp for patterns.
function allows(o, origin) {
  return o.exact.includes(origin) || o.patterns.some((re) => re.test(origin));
}

function appHeaders(set) {
  set('Content-Type', 'text/plain; charset=utf-8');
  set('X-Total-Count', '42');
  set('X-Handler', 'called');
}

// corsPackageOptions is the options object of the `cors` package, which
// @fastify/cors takes in the same shape: origin is the string for one
// origin, an array for several (RegExps for patterns), '*' for all.
function corsPackageOptions(p) {
  const o = origins(p);
  let origin;
  if (o.all) {
    origin = '*';
  } else {
    const list = [...o.exact, ...o.patterns];
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

// Express + cors: origin is the string for one origin, an array for several
// (RegExps for patterns), '*' for all.
function expressCors(p) {
  const express = require('express');
  const cors = require('cors');
  const opts = corsPackageOptions(p);
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.use(cors(opts));
  app.use((req, res) => {
    appHeaders((k, v) => res.set(k, v));
    res.status(200).send(req.method === 'HEAD' ? '' : 'ok\n');
  });
  return () => {
    const server = app.listen(0, '127.0.0.1', () => announce(server.address().port));
    server.on('error', (e) => fail(2, 'target: ' + e.message));
  };
}

// Hono's cors: origin is a string, an array of exact origins, or a function
// (origin) => allowed origin | null; only patterns need the function.
function hono(p) {
  const { Hono } = require('hono');
  const { cors } = require('hono/cors');
  const { serve } = require('@hono/node-server');
  const o = origins(p);
  let origin;
  if (o.all) {
    origin = '*';
  } else if (o.patterns.length === 0) {
    origin = o.exact.length === 1 ? o.exact[0] : o.exact;
  } else {
    origin = (reqOrigin) => (allows(o, reqOrigin) ? reqOrigin : null);
  }
  const opts = {
    origin,
    allowMethods: p.allowMethods,
    allowHeaders: p.allowHeaders,
    exposeHeaders: p.exposeHeaders,
    credentials: !!p.allowCredentials,
  };
  if (typeof p.maxAge === 'number') opts.maxAge = p.maxAge;
  const app = new Hono();
  app.use('*', cors(opts));
  app.all('*', (c) => {
    appHeaders((k, v) => c.header(k, v));
    return c.body(c.req.method === 'HEAD' ? null : 'ok\n', 200);
  });
  return () => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => announce(info.port));
    server.on('error', (e) => fail(2, 'target: ' + e.message));
  };
}

// @koa/cors: origin is a string (sent as is) or a function (ctx) => origin
// to allow | falsy; several origins and patterns need the function.
function koaCors(p) {
  const Koa = require('koa');
  const cors = require('@koa/cors');
  const o = origins(p);
  let origin;
  if (o.all) {
    origin = '*';
  } else if (o.exact.length === 1 && o.patterns.length === 0) {
    origin = o.exact[0];
  } else {
    origin = (ctx) => {
      const reqOrigin = ctx.get('Origin');
      return allows(o, reqOrigin) ? reqOrigin : '';
    };
  }
  const opts = {
    origin,
    allowMethods: p.allowMethods,
    allowHeaders: p.allowHeaders,
    exposeHeaders: p.exposeHeaders,
    credentials: !!p.allowCredentials,
  };
  if (typeof p.maxAge === 'number') opts.maxAge = p.maxAge;
  const app = new Koa();
  app.use(cors(opts));
  app.use((ctx) => {
    appHeaders((k, v) => ctx.set(k, v));
    ctx.status = 200;
    ctx.body = ctx.method === 'HEAD' ? '' : 'ok\n';
  });
  return () => {
    const server = app.listen(0, '127.0.0.1', () => announce(server.address().port));
    server.on('error', (e) => fail(2, 'target: ' + e.message));
  };
}

// @fastify/cors: origin is a string (sent as is), an array of strings and
// RegExps, or '*'. The plugin owns OPTIONS; the application answers the
// other methods (HEAD through fastify's automatic HEAD routes).
function fastifyCors(p) {
  const Fastify = require('fastify');
  const cors = require('@fastify/cors');
  const opts = corsPackageOptions(p);
  const app = Fastify({ logger: false });
  app.register(cors, opts);
  app.register(async (scope) => {
    scope.route({
      method: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'],
      url: '/*',
      handler: (req, reply) => {
        appHeaders((k, v) => reply.header(k, v));
        reply.code(200).send('ok\n');
      },
    });
  });
  return () => {
    app.listen({ port: 0, host: '127.0.0.1' }).then(
      () => announce(app.server.address().port),
      (e) => fail(2, 'target: ' + e.message),
    );
  };
}

const impls = {
  'express-cors': expressCors,
  hono,
  'koa-cors': koaCors,
  'fastify-cors': fastifyCors,
};

const [name, path, configOrigins] = process.argv.slice(2);
if (!impls[name] || !path) {
  fail(2, 'usage: node server.js IMPL POLICY.json (IMPL: ' + Object.keys(impls).join(', ') + ')');
}
let policy;
try {
  policy = JSON.parse(fs.readFileSync(path, 'utf8'));
} catch (e) {
  fail(2, 'target: policy ' + path + ': ' + e.message);
}
if (configOrigins) policy.allowOrigins = configOrigins.split(',');
let listen;
try {
  listen = impls[name](policy);
} catch (e) {
  fail(3, 'n/a: the library refuses this configuration: ' + e.message);
}
listen();
