// What every script of the Visage web page shares: the element lookup, the API key (kept in
// sessionStorage for this tab only), calls to the REST API (same origin) with their errors as
// exceptions, and building elements.
export const $ = (id) => document.getElementById(id);

export function headers() {
  const key = sessionStorage.getItem('visage-key');
  return key ? { 'x-api-key': key } : {};
}

/** Calls the API: `json` is sent as a JSON body; the answer is `{status, body}` (JSON, or a Blob). */
export async function request(path, options = {}) {
  const { json, ...rest } = options;
  const init = { ...rest, headers: { ...headers(), ...(options.headers ?? {}) } };
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers['content-type'] = 'application/json';
  }
  const res = await fetch(path, init);
  if (res.status === 401 || res.status === 403) $('key-form').hidden = false;
  const type = res.headers.get('content-type') ?? '';
  if (!res.ok) {
    const body = type.includes('json') ? await res.json() : { error: { message: res.statusText } };
    throw new Error(body.error?.message ?? `HTTP ${res.status}`);
  }
  return { status: res.status, body: type.includes('json') ? await res.json() : await res.blob() };
}

/** The answer's body only. */
export async function api(path, options = {}) {
  return (await request(path, options)).body;
}

export function element(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  const { dataset, ...rest } = props;
  Object.assign(node, rest);
  Object.assign(node.dataset, dataset ?? {});
  node.append(...children);
  return node;
}
