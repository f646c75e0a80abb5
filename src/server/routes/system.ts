// Health, metrics, server facts, the OpenAPI document, its docs page, and the web page.
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.ts';
import { docsPage } from '../docs.ts';
import { defaultEmbedders } from '../../face/embed/index.ts';
import { syncHealth } from '../sync.ts';

const HTML_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  // Self-contained pages: inline styles only, no scripts, nothing from elsewhere.
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

/** The web page: its own script, style and the API only; pictures from the API or made in the page (blob:). */
const PAGE_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'cache-control': 'no-cache',
};

export async function systemRoutes(app: FastifyInstance, context: ServerContext, spec: () => object): Promise<void> {
  // Answered without touching the model, the queue or the database: it says whether the process is
  // alive and how loaded it is, and stays fast under load. On a shared (PostgreSQL) gallery, `sync`
  // says where this node's index stands (src/server/sync.ts).
  const health = async () => ({
    status: 'ok', version: context.version, uptimeSeconds: Math.round(process.uptime()), queue: context.queue.stats(), uploads: context.buffered.stats(),
    ...syncHealth(context.recognizer),
  });
  app.get('/health', { config: { scope: 'public' } }, health);
  app.get('/v1/health', { config: { scope: 'public' } }, health);

  app.get('/v1/metrics', { config: { scope: 'recognise' } }, async () => ({
    ...context.metrics.summary(),
    queue: context.queue.stats(),
    uploads: context.buffered.stats(),
    eventLoop: context.metrics.eventLoop(),
    memory: { rssBytes: process.memoryUsage().rss },
  }));

  app.get('/v1/info', { config: { scope: 'recognise' } }, async () => {
    const stats = await context.gallery.stats();
    const threshold = context.recognizer.threshold;
    return {
      version: context.version,
      modelId: context.recognizer.modelId,
      embedders: context.visage.config.embedders,
      // The default on this installation: a gallery built with another embedder is matched with
      // its own until reindexed (visage gallery reindex), and modelId then differs from it.
      defaultEmbedder: defaultEmbedders()[0],
      detector: context.visage.config.detector,
      threshold: Number.isFinite(threshold) ? threshold : null,
      strategy: context.recognizer.strategy,
      gallery: { subjects: stats.subjects, faces: stats.faces },
      lookalike: [...context.lookalike.keys()],
      limits: { ...context.limits, maxInputPixels: context.visage.config.maxInputPixels, maxFacesPerImage: context.visage.config.maxFaces },
      auth: context.openWithoutKeys && (!context.store || (await context.store.activeKeyCount()) === 0) ? 'open (localhost, no keys)' : 'api-keys',
    };
  });

  app.get('/openapi.json', { config: { scope: 'public' } }, async () => spec());
  let docs: string | null = null;
  app.get('/docs', { config: { scope: 'public' } }, async (_request, reply) => reply.headers(HTML_HEADERS).send(docs ??= docsPage(spec() as never)));

  // The web page: fixed files of src/server/web, read once; no request names a file.
  const web = (name: string) => readFileSync(new URL(`../web/${name}`, import.meta.url));
  const page = { html: web('index.html'), js: web('app.js'), css: web('style.css'), people: web('people.js'), videos: web('videos.js'), liveness: web('liveness.js'), common: web('common.js') };
  app.get('/', { config: { scope: 'public' } }, async (_request, reply) => reply.headers(PAGE_HEADERS).type('text/html; charset=utf-8').send(page.html));
  app.get('/app.js', { config: { scope: 'public' } }, async (_request, reply) => reply.headers(PAGE_HEADERS).type('text/javascript; charset=utf-8').send(page.js));
  app.get('/people.js', { config: { scope: 'public' } }, async (_request, reply) => reply.headers(PAGE_HEADERS).type('text/javascript; charset=utf-8').send(page.people));
  app.get('/videos.js', { config: { scope: 'public' } }, async (_request, reply) => reply.headers(PAGE_HEADERS).type('text/javascript; charset=utf-8').send(page.videos));
  app.get('/liveness.js', { config: { scope: 'public' } }, async (_request, reply) => reply.headers(PAGE_HEADERS).type('text/javascript; charset=utf-8').send(page.liveness));
  app.get('/common.js', { config: { scope: 'public' } }, async (_request, reply) => reply.headers(PAGE_HEADERS).type('text/javascript; charset=utf-8').send(page.common));
  app.get('/style.css', { config: { scope: 'public' } }, async (_request, reply) => reply.headers(PAGE_HEADERS).type('text/css; charset=utf-8').send(page.css));
}
