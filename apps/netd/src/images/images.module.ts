import { DynamicModule, Inject, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { ImagesController } from './images.controller';
import { ImagesService } from './images.service';

/** `docker import` uploads the rootfs tar as `text/plain`; only that route's body is a stream. */
const IMPORT_URL = /\/images\/create\?(?:.*&)?fromSrc=/;

/**
 * Image routes. The service is built framework-free (composition-root.ts) and handed in, like the others.
 * Tar uploads (/build, /images/load) arrive as application/x-tar and pass through as streams
 * (http/create-app.ts); `docker import` sends its tar as text/plain, which the app-wide parser
 * would read as JSON, so this module adds a text/plain parser that streams that one route and
 * parses JSON (as the app's `*` parser does) everywhere else.
 */
@Module({})
export class ImagesModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(HttpAdapterHost) private readonly host: HttpAdapterHost,
    @Inject(ImagesService) private readonly service: ImagesService,
  ) {}

  /** Build contexts still unpacked (a request the shutdown cut short) go with the daemon. */
  async onApplicationShutdown(): Promise<void> {
    await this.service.close();
  }

  static register(service: ImagesService): DynamicModule {
    return {
      module: ImagesModule,
      controllers: [ImagesController],
      providers: [{ provide: ImagesService, useValue: service }],
    };
  }

  onModuleInit(): void {
    const fastify = this.host.httpAdapter?.getInstance?.() as FastifyInstance | undefined;
    if (!fastify?.hasContentTypeParser || fastify.hasContentTypeParser('text/plain')) return;
    fastify.addContentTypeParser('text/plain', (req, payload, done) => {
      if (req.method === 'POST' && IMPORT_URL.test(req.url)) return done(null, payload);
      const limit = fastify.initialConfig.bodyLimit ?? 1024 * 1024;
      const chunks: Buffer[] = [];
      let size = 0;
      payload.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= limit) chunks.push(c);
      });
      payload.on('error', (e) => done(e, undefined));
      payload.on('end', () => {
        if (size > limit) return done(Object.assign(new Error('Request body is too large'), { statusCode: 413 }), undefined);
        const text = Buffer.concat(chunks).toString('utf8');
        if (text.trim() === '') return done(null, undefined);
        try {
          done(null, JSON.parse(text));
        } catch (e) {
          done(Object.assign(new Error(`invalid JSON: ${(e as Error).message}`), { statusCode: 400 }), undefined);
        }
      });
    });
  }
}
