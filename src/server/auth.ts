// Who may call what. Every route declares the scope it needs (`config.scope`): 'public' (health,
// the OpenAPI document, the docs page), 'recognise' (read-only calls: recognise, verify, detect,
// look-alike, listing people and faces, metrics) or 'admin' (every write: subjects, faces, keys;
// admin keys may also make recognise calls). A route that declares nothing needs admin.
//
// A key comes as `Authorization: Bearer <key>` or `X-API-Key: <key>`. No key: 401; a key that is
// unknown or revoked: 401; a key without the scope: 403. The check runs when the request arrives,
// before its body is read, so a caller without a key cannot make the server parse an upload.
//
// A server with no active key at all is open only when `openWithoutKeys` is set, which
// `visage serve` does only when it listens on a loopback address. Even then it answers only
// requests whose Host is a loopback name and whose Origin, when sent, is one too ("null", sent by
// sandboxed frames and file:// pages, is refused): a web page
// elsewhere cannot drive it from a browser on the same machine (DNS rebinding, cross-site form
// posts). Creating the first key closes it at the next request.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { refuse } from './refuse.ts';
import type { ApiKeyInfo, Scope, ServerStore } from './store.ts';

export type RouteScope = Scope | 'public';

declare module 'fastify' {
  interface FastifyContextConfig {
    scope?: RouteScope;
  }
  interface FastifyRequest {
    /** The key the request was made with (null: an open server, or a public route). */
    apiKey: ApiKeyInfo | null;
  }
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_NAMES.has(host.toLowerCase()) || /^127(\.\d{1,3}){3}$/.test(host) || host.toLowerCase().endsWith('.localhost');
}

/** The host name of a Host header or an Origin URL, without port; null when unreadable. */
function hostName(value: string, isOrigin: boolean): string | null {
  try {
    return new URL(isOrigin ? value : `http://${value}`).hostname;
  } catch {
    return null;
  }
}

export function keyFromRequest(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match) return match[1]!;
  }
  const apiKey = request.headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey.trim()) return apiKey.trim();
  return null;
}

export interface AuthOptions {
  store: ServerStore | null;
  openWithoutKeys: boolean;
}

/** The onRequest hook enforcing the scopes. */
export function authHook(options: AuthOptions) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    request.apiKey = null;
    const needed: RouteScope = request.routeOptions.config?.scope ?? 'admin';
    if (needed === 'public') return undefined;
    const key = keyFromRequest(request);
    if (key === null) {
      if (options.openWithoutKeys && (!options.store || (await options.store.activeKeyCount()) === 0)) {
        const host = hostName(request.headers.host ?? '', false);
        const origin = request.headers.origin;
        if (!host || !isLoopbackHost(host)) return refuse(request, reply, 'VISAGE_ERR_FORBIDDEN', 'this server has no API keys and answers only to localhost');
        // "Origin: null" comes from a sandboxed frame, a file:// page or a redirect chain: a page
        // of unknown origin, refused like any other that is not this machine's.
        if (typeof origin === 'string') {
          const originHost = origin === 'null' ? null : hostName(origin, true);
          if (!originHost || !isLoopbackHost(originHost)) return refuse(request, reply, 'VISAGE_ERR_FORBIDDEN', 'cross-origin request refused (this open server answers only pages of this machine)');
        }
        return undefined;
      }
      reply.header('www-authenticate', 'Bearer realm="visage"');
      return refuse(request, reply, 'VISAGE_ERR_UNAUTHORIZED');
    }
    const info = (await options.store?.findKey(key)) ?? null;
    if (!info) {
      reply.header('www-authenticate', 'Bearer realm="visage", error="invalid_token"');
      return refuse(request, reply, 'VISAGE_ERR_UNAUTHORIZED', 'unknown or revoked API key');
    }
    if (needed === 'admin' && info.scope !== 'admin') return refuse(request, reply, 'VISAGE_ERR_FORBIDDEN', `this call needs an admin key; key ${info.id} has scope ${info.scope}`);
    request.apiKey = info;
    return undefined;
  };
}
