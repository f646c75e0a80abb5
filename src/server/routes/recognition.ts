// Read-only calls on images: recognise, verify, detect, look-alike. Each runs its inference
// through the queue (context.ts) and hands the library bytes only, never a path.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { VisageError, shown } from '../../errors.ts';
import { largestFaceIndex } from '../../recognition/index.ts';
import { defaultThreshold } from '../../face/match/index.ts';
import { DECISION_STRATEGIES, type DecisionStrategy } from '../../face/match/index.ts';
import { annotateImage, type Annotation } from '../../report/annotate.ts';
import type { Face } from '../../types.ts';
import { booleanField, field, numberField, oneImage, readInput, type RequestInput } from '../images.ts';
import { imageRoute, infer, type ServerContext } from '../context.ts';
import { subjectRefFromText } from '../../gallery/validate.ts';
import { ATTRIBUTE_NAMES, type AttributeName } from '../../attributes/heads.ts';

/** `attributes=age,gender,emotion,liveness` (any of them), as a form field or query parameter. */
function attributesField(request: FastifyRequest, input: RequestInput): AttributeName[] | undefined {
  const value = field(request, input, 'attributes');
  if (value === undefined || value === '') return undefined;
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const name of names) {
    if (!ATTRIBUTE_NAMES.includes(name as AttributeName)) throw new VisageError('VISAGE_ERR_BAD_INPUT', `attributes takes ${ATTRIBUTE_NAMES.join(', ')}, got ${shown(name)}`);
  }
  return names as AttributeName[];
}

function strategyField(request: FastifyRequest, input: RequestInput): DecisionStrategy | undefined {
  const value = field(request, input, 'strategy');
  if (value === undefined || value === '') return undefined;
  if (!DECISION_STRATEGIES.includes(value as DecisionStrategy)) {
    throw new VisageError('VISAGE_ERR_BAD_INPUT', `strategy must be one of ${DECISION_STRATEGIES.join(', ')}, got ${shown(value)}`);
  }
  return value as DecisionStrategy;
}

function largestFace(faces: Face[], what: string): Face {
  const i = largestFaceIndex(faces);
  if (i < 0) throw new VisageError('VISAGE_ERR_BAD_INPUT', `no face found in ${what}`);
  return faces[i]!;
}

const round = (v: number) => Math.round(v * 10000) / 10000;

export async function recognitionRoutes(app: FastifyInstance, context: ServerContext): Promise<void> {
  const { recognizer, visage } = context;
  const modelId = recognizer.modelId;

  // Every face of the image: its box, the person (or UNKNOWN) and the k nearest people.
  // `annotate=true` answers the image itself (JPEG) with boxes and names drawn.
  app.post('/v1/recognise', imageRoute(context, 'recognise'), async (request, reply) => {
    const input = await readInput(request, context.limits);
    const image = oneImage(input, 'image');
    const threshold = numberField(request, input, 'threshold', -1, 1);
    const k = numberField(request, input, 'k', 1, 50, true);
    const strategy = strategyField(request, input);
    const annotate = booleanField(request, input, 'annotate') ?? false;
    const attributes = attributesField(request, input);
    const requireLive = booleanField(request, input, 'requireLive');
    const result = await infer(context, request, () => recognizer.identify(image.data, { threshold, k, strategy, ...(attributes ? { attributes } : {}), requireLive }));
    const faces = result.faces.map((f) => ({ ...f, label: f.refused ? 'NOT LIVE' : f.name ?? 'UNKNOWN' }));
    if (annotate) {
      const annotations: Annotation[] = faces.map((f) => ({
        box: f.box, label: f.label, detail: f.similarity === null ? undefined : f.similarity.toFixed(2), kind: f.name ? 'known' : 'unknown',
      }));
      const jpeg = await infer(context, request, () => annotateImage(image.data, annotations, { maxSide: 1920 }));
      return reply.type('image/jpeg').send(jpeg);
    }
    return { ...result, faceLimit: visage.config.maxFaces, faces };
  });

  // Two images (a, b), or one image and an enrolled subject (image + subject: compared with the
  // subject's closest face).
  app.post('/v1/verify', imageRoute(context, 'recognise'), async (request) => {
    const input = await readInput(request, context.limits);
    // One face against one (or a subject's closest face): the pair threshold, not the gallery's
    // (without one given, the recognizer picks the colour or grey one after seeing the images).
    const threshold = numberField(request, input, 'threshold', -1, 1);
    if (threshold === undefined) defaultThreshold(modelId, 'pair');
    const subjectText = field(request, input, 'subject');
    const requireLive = booleanField(request, input, 'requireLive');
    if (subjectText === undefined || subjectText === '') {
      const a = oneImage(input, 'a'), b = oneImage(input, 'b');
      return infer(context, request, () => recognizer.verify(a.data, b.data, { threshold, requireLive }));
    }
    const image = input.files.has('image') ? oneImage(input, 'image') : oneImage(input, 'a');
    return infer(context, request, () => recognizer.verifySubject(image.data, subjectRefFromText(subjectText), { threshold, requireLive }));
  });

  // Faces only: boxes and detector scores (no landmarks or embeddings: the cheap call).
  app.post('/v1/detect', imageRoute(context, 'recognise'), async (request) => {
    const input = await readInput(request, context.limits);
    const image = oneImage(input, 'image');
    const minScore = numberField(request, input, 'minScore', 0, 1);
    const result = await infer(context, request, () => visage.detect(image.data, { minScore }));
    return { ...result, faceLimit: visage.config.maxFaces };
  });

  app.get('/v1/lookalike', { config: { scope: 'recognise' } }, async () => ({
    galleries: await Promise.all([...context.lookalike.values()].map(async ({ name, recognizer: r }) => {
      const stats = await r.gallery.stats();
      return { name, subjects: stats.subjects, faces: stats.faces };
    })),
  }));

  // The nearest people of a look-alike gallery to the largest face of the image, with the
  // similarity as a percentage (cosine × 100, floored at 0). No threshold: everyone has a nearest.
  app.post<{ Params: { gallery: string } }>('/v1/lookalike/:gallery', imageRoute(context, 'recognise'), async (request) => {
    const entry = context.lookalike.get(request.params.gallery);
    if (!entry) {
      const known = [...context.lookalike.keys()];
      throw new VisageError('VISAGE_ERR_NOT_FOUND', `no look-alike gallery "${request.params.gallery}"${known.length ? `; known: ${known.join(', ')}` : ' (the server was started without any)'}`);
    }
    const input = await readInput(request, context.limits);
    const image = oneImage(input, 'image');
    const k = numberField(request, input, 'k', 1, 50, true) ?? 5;
    const analysis = await infer(context, request, () => visage.analyze(image.data));
    const face = largestFace(analysis.faces, 'the image');
    const match = await entry.recognizer.identifyEmbedding(face.embeddings[entry.recognizer.modelId]!, { k, threshold: 1 });
    return {
      gallery: entry.name, modelId: entry.recognizer.modelId,
      face: { box: face.box, faces: analysis.faces.length },
      matches: match.candidates.map((c) => ({ ...c, percent: round(Math.max(0, c.similarity) * 100) })),
    };
  });
}
