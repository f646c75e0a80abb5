// POST /v1/liveness: a few seconds of webcam frames (several "image" files, in time order), and
// whether a live person is in front of the camera: the active check (a blink or a head turn) and
// the passive liveness model, by the library's checkLiveness (src/recognition/liveness.ts).
import type { FastifyInstance } from 'fastify';
import { VisageError, shown } from '../../errors.ts';
import { ACTIVE_CHALLENGES, type ActiveChallenge } from '../../face/liveness/active.ts';
import { checkLiveness } from '../../recognition/liveness.ts';
import { booleanField, field, readInput } from '../images.ts';
import { imageRoute, infer, type ServerContext } from '../context.ts';

export async function livenessRoutes(app: FastifyInstance, context: ServerContext): Promise<void> {
  app.post('/v1/liveness', imageRoute(context, 'recognise'), async (request) => {
    const input = await readInput(request, context.limits);
    const challenge = field(request, input, 'challenge') || undefined;
    if (challenge !== undefined && !ACTIVE_CHALLENGES.includes(challenge as ActiveChallenge)) {
      throw new VisageError('VISAGE_ERR_BAD_INPUT', `challenge must be one of ${ACTIVE_CHALLENGES.join(', ')}, got ${shown(challenge)}`);
    }
    const passive = booleanField(request, input, 'passive');
    const frames = input.files.get('image') ?? [];
    if (input.files.size > 1 || frames.length === 0) throw new VisageError('VISAGE_ERR_BAD_INPUT', 'send the frames as "image" files, in time order');
    // One queue job for the whole sequence: its frames are one question.
    return infer(context, request, () => checkLiveness(context.visage, frames.map((f) => f.data), {
      ...(challenge ? { challenge: challenge as ActiveChallenge } : {}), ...(passive !== undefined ? { passive } : {}),
    }));
  });
}
