// The /docs page: the OpenAPI document rendered to plain HTML on the server (no script, nothing
// fetched from elsewhere): per operation its method, path, summary, scope, parameters, request
// body types and fields, answers, and its examples.
import { escapeXml as esc } from '../report/annotate.ts';

interface Operation {
  tags?: string[];
  summary?: string;
  description?: string;
  security?: unknown[];
  parameters?: { name: string; in: string; description?: string; required?: boolean }[];
  requestBody?: { content: Record<string, { example?: unknown; schema?: { properties?: Record<string, { type?: unknown; description?: string; format?: string; enum?: unknown[] }>; $ref?: string } }> };
  responses?: Record<string, { description?: string; $ref?: string; content?: Record<string, { example?: unknown }> }>;
}

interface Spec {
  info: { title: string; version: string; description?: string };
  tags?: { name: string; description?: string }[];
  paths: Record<string, Record<string, Operation | unknown[]>>;
  components: { responses: Record<string, { description?: string }> };
}

const METHODS = ['get', 'post', 'patch', 'put', 'delete'];

function paragraphs(text: string): string {
  return text.split(/\n\n+/).map((p) => `<p>${esc(p).replace(/`([^`]+)`/g, '<code>$1</code>')}</p>`).join('\n');
}

function fieldsOf(schema: NonNullable<Operation['requestBody']>['content'][string]['schema']): string {
  const props = schema?.properties;
  if (!props) return '';
  return `<ul>${Object.entries(props).map(([name, p]) => {
    const type = p.format === 'binary' ? 'file' : Array.isArray(p.type) ? p.type.join(' | ') : String(p.type ?? '');
    const choices = p.enum ? ` (${p.enum.join(', ')})` : '';
    return `<li><code>${esc(name)}</code> <span class="type">${esc(type)}${esc(choices)}</span>${p.description ? ` — ${esc(p.description)}` : ''}</li>`;
  }).join('')}</ul>`;
}

/** The first example of a request body or of the first successful answer, as a <pre> block. */
function examples(op: Operation): string {
  const out: string[] = [];
  const request = Object.entries(op.requestBody?.content ?? {}).find(([, c]) => c.example !== undefined);
  if (request) out.push(`<h4>Example request <code>${esc(request[0])}</code></h4><pre>${esc(JSON.stringify(request[1].example, null, 2))}</pre>`);
  for (const [status, answer] of Object.entries(op.responses ?? {})) {
    if (!status.startsWith('2')) continue;
    const found = Object.entries(answer.content ?? {}).find(([, c]) => c.example !== undefined);
    if (!found) continue;
    const text = typeof found[1].example === 'string' ? found[1].example : JSON.stringify(found[1].example, null, 2);
    out.push(`<h4>Example answer ${esc(status)} <code>${esc(found[0])}</code></h4><pre>${esc(text)}</pre>`);
    break;
  }
  return out.join('\n');
}

export function docsPage(spec: Spec): string {
  const sections: string[] = [];
  for (const tag of spec.tags ?? []) {
    const ops: string[] = [];
    for (const [route, item] of Object.entries(spec.paths)) {
      for (const method of METHODS) {
        const op = item[method] as Operation | undefined;
        if (!op || !op.tags?.includes(tag.name)) continue;
        const params = [...((item.parameters as Operation['parameters']) ?? []), ...(op.parameters ?? [])];
        const secured = (op.security?.length ?? 0) > 0;
        const body = op.requestBody
          ? `<h4>Request body</h4>${Object.entries(op.requestBody.content).map(([type, c]) => `<div><code>${esc(type)}</code>${fieldsOf(c.schema)}</div>`).join('')}`
          : '';
        const answers = Object.entries(op.responses ?? {}).map(([status, r]) => {
          const text = r.$ref ? spec.components.responses[r.$ref.split('/').pop()!]?.description ?? '' : r.description ?? '';
          return `<li><b>${esc(status)}</b> ${esc(text)}</li>`;
        }).join('');
        ops.push(`<section class="op" id="${esc(`${method}-${route}`)}">
<h3><span class="method ${method}">${method.toUpperCase()}</span> <code>${esc(route)}</code></h3>
<p>${esc(op.summary ?? '')}${secured ? '' : ' <span class="open">no key needed</span>'}</p>
${op.description ? paragraphs(op.description) : ''}
${params.length ? `<h4>Parameters</h4><ul>${params.map((p) => `<li><code>${esc(p.name)}</code> <span class="type">${esc(p.in)}</span>${p.description ? ` — ${esc(p.description)}` : ''}</li>`).join('')}</ul>` : ''}
${body}
<h4>Answers</h4><ul>${answers}</ul>
${examples(op)}
</section>`);
      }
    }
    sections.push(`<h2 id="${esc(tag.name)}">${esc(tag.name)}</h2><p>${esc(tag.description ?? '')}</p>${ops.join('\n')}`);
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(spec.info.title)}</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:56em;margin:2em auto;padding:0 1em;color:#222}
code{font:13px ui-monospace,monospace;background:#f3f3f3;padding:0 .25em;border-radius:3px}
.op{border:1px solid #ddd;border-radius:6px;padding:.2em 1em;margin:1em 0}
.method{display:inline-block;min-width:4.5em;text-align:center;color:#fff;border-radius:4px;font-size:13px;padding:.1em .4em}
.get{background:#1f6fd6}.post{background:#1fa34a}.patch{background:#b07d00}.delete{background:#d62828}
.type{color:#777;font-size:13px}.open{color:#1fa34a;font-size:13px}
h4{margin:.6em 0 .2em}ul{margin:.2em 0}
pre{font:12px ui-monospace,monospace;background:#f6f6f6;padding:.5em;border-radius:4px;max-height:24em;overflow:auto}
</style></head><body>
<h1>${esc(spec.info.title)} <small>${esc(spec.info.version)}</small></h1>
${paragraphs(spec.info.description ?? '')}
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI ${esc(String((spec as unknown as { openapi: string }).openapi))}).</p>
<nav>${(spec.tags ?? []).map((t) => `<a href="#${esc(t.name)}">${esc(t.name)}</a>`).join(' · ')}</nav>
${sections.join('\n')}
</body></html>
`;
}
