// /v1/keys: API keys, for admin keys only (the same store as `visage keys`).
import type { FastifyInstance } from 'fastify';
import { VisageError, shown } from '../../errors.ts';
import type { ServerContext } from '../context.ts';
import type { Scope } from '../store.ts';
import { schemas } from '../schemas.ts';

export async function keyRoutes(app: FastifyInstance, context: ServerContext): Promise<void> {
  const store = () => {
    if (!context.store) throw new VisageError('VISAGE_ERR_NOT_FOUND', 'this server keeps no API keys');
    return context.store;
  };

  app.get('/v1/keys', { config: { scope: 'admin' } }, async () => ({ keys: await store().listKeys({ includeRevoked: true }) }));

  app.post('/v1/keys', { config: { scope: 'admin' }, schema: { body: schemas.keyCreate } }, async (request, reply) => {
    const { scope, name } = request.body as { scope: Scope; name?: string };
    reply.code(201);
    return store().createKey(scope, name);
  });

  app.delete<{ Params: { id: string } }>('/v1/keys/:id', { config: { scope: 'admin' } }, async (request) => {
    if (!/^\d{1,15}$/.test(request.params.id)) throw new VisageError('VISAGE_ERR_BAD_INPUT', `a key id is a whole number, got ${shown(request.params.id)}`);
    const revoked = await store().revokeKey(Number(request.params.id));
    if (!revoked) throw new VisageError('VISAGE_ERR_NOT_FOUND', `no API key with id ${request.params.id}`);
    return { revoked };
  });
}
