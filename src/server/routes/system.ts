// Health, metrics, server facts, the OpenAPI document, its docs page, and the stub front page.
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.ts';
import { docsPage } from '../docs.ts';

const HTML_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  // Self-contained pages: inline styles only, no scripts, nothing from elsewhere.
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

export async function systemRoutes(app: FastifyInstance, context: ServerContext, spec: () => object): Promise<void> {
  // Answered without touching the model or the queue: it says whether the process is alive and how
  // loaded it is, and stays fast under load.
  const health = async () => ({ status: 'ok', version: context.version, uptimeSeconds: Math.round(process.uptime()), queue: context.queue.stats() });
  app.get('/health', { config: { scope: 'public' } }, health);
  app.get('/v1/health', { config: { scope: 'public' } }, health);

  app.get('/v1/metrics', { config: { scope: 'recognise' } }, async () => ({
    ...context.metrics.summary(),
    queue: context.queue.stats(),
    memory: { rssBytes: process.memoryUsage().rss },
  }));

  app.get('/v1/info', { config: { scope: 'recognise' } }, async () => {
    const stats = await context.gallery.stats();
    const threshold = context.recognizer.threshold;
    return {
      version: context.version,
      modelId: context.recognizer.modelId,
      embedders: context.visage.config.embedders,
      detector: context.visage.config.detector,
      threshold: Number.isFinite(threshold) ? threshold : null,
      strategy: context.recognizer.strategy,
      gallery: { subjects: stats.subjects, faces: stats.faces },
      lookalike: [...context.lookalike.keys()],
      limits: { ...context.limits, maxInputPixels: context.visage.config.maxInputPixels, maxFacesPerImage: context.visage.config.maxFaces },
      auth: context.openWithoutKeys && (!context.store || context.store.activeKeyCount() === 0) ? 'open (localhost, no keys)' : 'api-keys',
    };
  });

  app.get('/openapi.json', { config: { scope: 'public' } }, async () => spec());
  let docs: string | null = null;
  app.get('/docs', { config: { scope: 'public' } }, async (_request, reply) => reply.headers(HTML_HEADERS).send(docs ??= docsPage(spec() as never)));

  app.get('/', { config: { scope: 'public' } }, async (_request, reply) => reply.headers(HTML_HEADERS).send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Visage</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:3em auto;padding:0 1em;color:#222}</style></head>
<body><h1>Visage</h1>
<p>The web page (gallery with thumbnails, enrol by upload or webcam, recognise, verify, look-alike, live view) is not built yet: it is the next step of this server.</p>
<p>The REST API is here: <a href="/docs">API documentation</a> (<a href="/openapi.json">OpenAPI&nbsp;3 document</a>), <a href="/health">health</a>.</p>
</body></html>
`));
}
