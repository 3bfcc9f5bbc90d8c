import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { AppModule } from '../app.module';
import type { Services } from '../composition-root';
import { API_VERSION, VERSION_PROBLEM, rewriteUrl } from './api-version';
import { ErrorFilter } from './error.filter';
import { upgradeHandler } from '../containers/streams';
import { BODY_LIMIT } from './limits';
import { UNIMPLEMENTED_ENDPOINTS, notImplementedMessage, unimplementedEndpoint } from './not-implemented';

export { BODY_LIMIT };

/** The Nest application with Docker's wire conventions; not listening (listeners.ts does that). */
export async function createApp(services: Services): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    rewriteUrl,
    bodyLimit: BODY_LIMIT,
    genReqId: () => Math.random().toString(36).slice(2, 10),
    routerOptions: { maxParamLength: 1024, ignoreTrailingSlash: true },
    // errors the router raises before any handler (a path with bad percent-encoding): Docker's body
    frameworkErrors: (err: Error & { statusCode?: number }, _req: unknown, reply: FastifyReply) => {
      const body = JSON.stringify({ message: err.message });
      // written raw: these answers skip the onSend hook, and Fastify would add a charset the docker client does not expect
      reply.hijack();
      reply.raw.writeHead(err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 400, {
        'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'Api-Version': API_VERSION,
      });
      reply.raw.end(body);
    },
  } as ConstructorParameters<typeof FastifyAdapter>[0]);
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(services), adapter, { logger: false });
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  // Docker clients send bodies with any or no content type; parse everything as JSON.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_req, body, done) => {
    const text = body as string;
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (e) {
      const err = new Error(`invalid JSON: ${(e as Error).message}`) as Error & { statusCode: number };
      err.statusCode = 400;
      done(err, undefined);
    }
  });
  // Tar uploads (/build, /images/load, /images/create?fromSrc=-) reach the handler as the raw
  // stream: they can be gigabytes and are unpacked as they arrive.
  // (docker-py sends its build context as application/tar)
  fastify.addContentTypeParser(['application/x-tar', 'application/tar', 'application/octet-stream'], (_req, payload, done) => done(null, payload));
  // attach and exec start arrive as `Connection: Upgrade` requests, which Node hands only to 'upgrade'.
  fastify.server.on('upgrade', upgradeHandler(() => services.containers, services.log));
  fastify.addHook('onRequest', (req, reply, done) => {
    reply.header('Api-Version', API_VERSION);
    reply.header('Docker-Experimental', 'false');
    reply.header('Ostype', 'linux');
    reply.header('Server', `netd (linux)`);
    if (req.url === '/_ping') {
      reply.header('Builder-Version', '');
      reply.header('Swarm', 'inactive');
    }
    const problem = (req.raw as unknown as Record<symbol, string | undefined>)[VERSION_PROBLEM];
    if (problem) return void reply.status(400).send({ message: problem });
    if (req.is404) {
      const endpoint = unimplementedEndpoint(req.method, req.url.split('?')[0]);
      if (endpoint) return void reply.status(501).send({ message: notImplementedMessage(endpoint) });
    }
    // docker cp sends its tar without a content type: the body is the raw stream whatever it says
    if (req.method === 'PUT' && req.routeOptions.url === '/containers/:id/archive') req.headers['content-type'] = 'application/x-tar';
    // dockerd answers HEAD only for /_ping; on a stream route it would hold a bodiless answer open forever
    if (req.method === 'HEAD' && req.routeOptions.url !== '/_ping' && req.routeOptions.url !== '/containers/:id/archive') return void reply.status(404).send({ message: 'page not found' });
    done();
  });
  // Docker clients parse an error body only when Content-Type is exactly application/json.
  fastify.addHook('onSend', (_req, reply, payload, done) => {
    const ct = reply.getHeader('content-type');
    if (typeof ct === 'string' && ct.startsWith('application/json')) reply.header('content-type', 'application/json');
    // Keep the connection so Node drains the rest of an oversized body instead of resetting
    // the socket under a client that is still writing (which would lose the 413).
    if (reply.statusCode === 413) reply.removeHeader('connection');
    done(null, payload);
  });
  // The access log, at debug: method, path, status and time only. Never the query (filters may
  // name secrets' holders), the headers (X-Registry-Auth carries credentials) or the body.
  const access = services.log.child({ component: 'api' });
  fastify.addHook('onResponse', (req, reply, done) => {
    if (access.isLevelEnabled('debug')) {
      access.debug({ method: req.method, path: req.originalUrl.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 }, 'request');
    }
    done();
  });
  // counted by route template, never the raw path: ids would explode the label set
  const { metrics } = services;
  if (metrics) {
    fastify.addHook('onResponse', (req, reply, done) => {
      metrics.observeRequest(req.method, req.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
      done();
    });
  }
  // a wildcard route (`GET /images/*`) would take these; a static route wins over it
  for (const [method, path] of UNIMPLEMENTED_ENDPOINTS) {
    if (path.includes('{') || method === 'HEAD') continue;
    fastify.route({ method: method as 'GET', url: path, handler: (_req, reply) => void reply.status(501).send({ message: notImplementedMessage(`${method} ${path}`) }) });
  }
  app.useGlobalFilters(new ErrorFilter(services.log));
  await app.init();
  await fastify.ready();
  return app;
}
