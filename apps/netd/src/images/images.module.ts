import { DynamicModule, Module } from '@nestjs/common';
import { ImagesController } from './images.controller';
import { ImagesService } from './images.service';

/**
 * Image routes. The service is built framework-free (runtime.ts) and handed in, like the others.
 * Tar uploads (/build, /images/load, /images/create?fromSrc=-) need a content-type parser that
 * passes the body through as a stream for application/x-tar (see the note in images.controller.ts).
 */
@Module({})
export class ImagesModule {
  static register(service: ImagesService): DynamicModule {
    return {
      module: ImagesModule,
      controllers: [ImagesController],
      providers: [{ provide: ImagesService, useValue: service }],
    };
  }
}
