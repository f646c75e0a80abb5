// /v1/classify: faces named by a trained classifier (`visage train` -> .visage file) instead of
// the gallery. Each model is run on embeddings made the way it was trained (its pipeline and
// embedders); the server's Visage is reused when it already makes them, else the app makes one
// with the model's settings and the server's limits.
import type { FastifyInstance } from 'fastify';
import type { ClassifierModel } from '../../classify/model.ts';
import type { Visage } from '../../visage.ts';
import { VisageError } from '../../errors.ts';
import { numberField, oneImage, readInput } from '../images.ts';
import { imageRoute, infer, type ServerContext } from '../context.ts';

export interface ServedClassifier {
  name: string;
  model: ClassifierModel;
  visage: Visage;
}

export async function classifyRoutes(app: FastifyInstance, context: ServerContext, classifiers: Map<string, ServedClassifier>): Promise<void> {
  app.get('/v1/classifiers', { config: { scope: 'recognise' } }, async () => ({
    classifiers: [...classifiers.values()].map(({ name, model }) => ({
      name, kind: model.kind, classes: model.classes, embedders: model.embedders, threshold: model.threshold, created: model.file.created,
    })),
  }));

  app.post<{ Params: { model: string } }>('/v1/classify/:model', imageRoute(context, 'recognise'), async (request) => {
    const served = classifiers.get(request.params.model);
    if (!served) {
      const known = [...classifiers.keys()];
      throw new VisageError('VISAGE_ERR_NOT_FOUND', `no classifier "${request.params.model}"${known.length ? `; known: ${known.join(', ')}` : ' (the server was started without --model)'}`);
    }
    const input = await readInput(request, context.limits);
    const image = oneImage(input, 'image');
    const threshold = numberField(request, input, 'threshold', -1, 1);
    const analysis = await infer(context, request, () => served.visage.analyze(image.data));
    return {
      model: served.name, classes: served.model.classes, threshold: threshold ?? served.model.threshold,
      width: analysis.width, height: analysis.height, faceLimit: served.visage.config.maxFaces,
      faces: analysis.faces.map((face) => {
        const p = served.model.predict(face.embeddings, threshold);
        return { box: face.box, score: face.score, label: p.label, top: p.top, probability: p.probability, confidence: p.confidence };
      }),
    };
  });
}
