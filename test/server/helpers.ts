// Shared by the server tests: a server over a temporary gallery, multipart bodies, crafted images.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance, InjectOptions } from 'fastify';
import sharp from 'sharp';
import { createVisage, type Visage } from '../../src/index.ts';
import { openSqliteGallery, type SqliteGallery } from '../../src/public/gallery.ts';
import { buildApp, SqliteServerStore, type AppOptions } from '../../src/server/index.ts';

export interface TestServer {
  app: FastifyInstance;
  gallery: SqliteGallery;
  store: SqliteServerStore;
  dir: string;
  close(): Promise<void>;
}

let shared: Promise<Visage> | null = null;
/** One Visage per test file (models load once); the server's defaults: 20 faces, 40 MP. */
export function testVisage(): Promise<Visage> {
  shared ??= createVisage({ maxFaces: 20, maxInputPixels: 40_000_000 });
  return shared;
}

export async function startServer(options: Partial<AppOptions> = {}): Promise<TestServer> {
  const dir = await mkdtemp(path.join(tmpdir(), 'visage-server-'));
  const visage = await testVisage();
  const gallery = await openSqliteGallery(path.join(dir, 'g.db'));
  const store = SqliteServerStore.open(path.join(dir, 'g.server.db'));
  const app = await buildApp({ visage, gallery, store, ...options });
  return {
    app, gallery, store, dir,
    async close() {
      await app.close();
      await gallery.close();
      store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A multipart/form-data body and its content type, made by the platform's own FormData. */
export async function multipart(parts: Record<string, string | { data: Buffer; filename?: string } | { data: Buffer; filename?: string }[]>): Promise<{ payload: Buffer; headers: Record<string, string> }> {
  const form = new FormData();
  for (const [name, value] of Object.entries(parts)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      if (typeof v === 'string') form.append(name, v);
      else form.append(name, new Blob([new Uint8Array(v.data)]), v.filename ?? 'image.jpg');
    }
  }
  const request = new Request('http://localhost/', { method: 'POST', body: form });
  return { payload: Buffer.from(await request.arrayBuffer()), headers: { 'content-type': request.headers.get('content-type')! } };
}

export async function post(app: FastifyInstance, url: string, parts: Parameters<typeof multipart>[0], headers: Record<string, string> = {}) {
  const body = await multipart(parts);
  return app.inject({ method: 'POST', url, payload: body.payload, headers: { ...body.headers, ...headers } } as InjectOptions);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (const byte of data) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4); length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/**
 * A decompression bomb: a valid PNG header announcing width × height pixels, with a few bytes of
 * data. Whoever decodes it first and checks the size later allocates gigabytes.
 */
export function pngBomb(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0); ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; ihdr[9] = 2; // 8-bit RGB
  const idat = Buffer.from([0x78, 0x9c, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01]);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]);
}

/** A plain grey JPEG of the given size (no face). */
export function greyJpeg(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 128, g: 128, b: 128 } } }).jpeg().toBuffer();
}

export type { Visage };
