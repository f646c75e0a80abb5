// visage models list | prepare
import { parseArgs } from 'node:util';
import { MODELS, getModelSpec } from '../../models/registry.ts';
import { ModelStore, MODEL_DIR_ENV, installHint, sourceInstalled } from '../../models/store.ts';
import { VisageError } from '../../errors.ts';
import { progress } from '../progress.ts';
import { faceCheckInEffect, ONET_CHECK } from '../../face/quality/face-check.ts';
import { defaultEmbedders, PREFERRED_EMBEDDER } from '../../face/embed/index.ts';
import { formatJson } from '../json.ts';

export const modelsHelp = `Usage: visage models <list|prepare> [options]

  list               every model: id, role, input, source package, and whether it is converted;
                     a converted file whose size or first bytes differ from what was written is
                     listed as damaged, with the command that converts it again
  prepare            convert models to ONNX now (for offline images and containers); models whose
                     optional source package is not installed are skipped unless named in --only

Options:
  --dir DIR          folder of converted models (default: $${MODEL_DIR_ENV}, else ~/.cache/visage/models)
  --only ID[,ID...]  prepare only these models
  --force            convert again even when a current conversion is cached
  --verify           list: also read every converted file whole and compare its sha256 with the
                     one recorded at conversion (slower: about 0.1 s per 100 MB); exit status 1
                     when a model is damaged
  --json             print JSON instead of a table
  -h, --help         this help
`;

export async function modelsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      dir: { type: 'string' },
      only: { type: 'string' },
      force: { type: 'boolean', default: false },
      verify: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [sub] = positionals;
  if (values.help || !sub) {
    process.stdout.write(modelsHelp);
    return values.help ? 0 : 2;
  }
  const store = new ModelStore(values.dir);
  if (sub === 'list') return listModels(store, values.json, values.verify);
  if (sub === 'prepare') {
    const ids = values.only ? values.only.split(',').map((s) => s.trim()).filter(Boolean) : MODELS.map((m) => m.id);
    return prepareModels(store, ids, values.force, values.json, !values.only);
  }
  throw new VisageError('VISAGE_ERR_USAGE', `unknown subcommand "models ${sub}" (try: visage models --help)`);
}

// The whole-file hash is left to --verify: a list that reads every model (hundreds of MB) would
// take seconds from a cold disk, while the size and first bytes already catch truncated,
// emptied and overwritten files.
async function listModels(store: ModelStore, json: boolean, verify: boolean): Promise<number> {
  const rows = [];
  let damaged = 0;
  for (const spec of MODELS) {
    let status: string;
    let problem: string | undefined;
    try {
      if (spec.source.optional && !sourceInstalled(spec)) status = `optional: ${installHint(spec)}`;
      else {
        const found = await store.inspect(spec, { hash: verify });
        if (found.state === 'damaged') {
          damaged++;
          problem = found.problem;
          status = `damaged (${found.problem}): run ${store.prepareCommand(spec)}`;
        } else status = found.state === 'ready' ? 'ready' : 'not converted';
      }
    } catch (error) {
      status = error instanceof VisageError ? `unavailable: ${error.message}` : String(error);
    }
    const size = spec.input.size ? `${spec.input.size[0]}x${spec.input.size[1]}` : `any (x${spec.input.sizeMultiple ?? 1})`;
    rows.push({
      id: spec.id, role: spec.role, input: `${size}x${spec.input.channels} ${spec.input.colour}`,
      embeddingSize: spec.embeddingSize ?? null, package: spec.source.package, file: spec.source.file,
      licence: spec.source.licence, status, ...(problem ? { problem } : {}), title: spec.title,
    });
  }
  const code = verify && damaged ? 1 : 0;
  const faceCheck = faceCheckInEffect('on');
  const defaultEmbedder = defaultEmbedders()[0]!;
  if (json) {
    process.stdout.write(formatJson({ dir: store.dir, models: rows, faceCheck, defaultEmbedder }));
    return code;
  }
  printTable(['id', 'role', 'input', 'package', 'status'], rows.map((r) => [r.id, r.role, r.input, r.package, r.status]));
  process.stdout.write(`\nconverted models folder: ${store.dir}\n`);
  process.stdout.write(faceCheck === 'onet'
    ? `face check (faceCheck 'on'): onet, MTCNN's O-Net (${ONET_CHECK.model})\n`
    : `face check (faceCheck 'on'): landmarks; the stronger O-Net check needs ${installHint(getModelSpec(ONET_CHECK.model))}\n`);
  process.stdout.write(defaultEmbedder === PREFERRED_EMBEDDER
    ? `default embedder: ${PREFERRED_EMBEDDER} (the ResNet and Faceplugin's network)\n`
    : `default embedder: ${defaultEmbedder}; the more accurate ${PREFERRED_EMBEDDER} needs ${installHint(getModelSpec('faceplugin-feature'))}\n`);
  return code;
}

async function prepareModels(store: ModelStore, ids: string[], force: boolean, json: boolean, skipOptional: boolean): Promise<number> {
  const specs = ids.map(getModelSpec);
  const bar = progress(specs.length, 'converting');
  const results: { id: string; status: string; path?: string; bytes?: number; transposes?: number; convertMs?: number; error?: string }[] = [];
  let failed = 0;
  for (const spec of specs) {
    if (skipOptional && spec.source.optional && !sourceInstalled(spec)) {
      results.push({ id: spec.id, status: `skipped (optional: ${installHint(spec)})` });
      bar.tick(spec.id);
      continue;
    }
    try {
      const cached = force ? null : await store.cached(spec);
      const info = cached ?? await store.convert(spec);
      results.push({ id: spec.id, status: cached ? 'cached' : 'converted', path: info.path, bytes: info.bytes, transposes: info.transposes, convertMs: cached ? 0 : info.convertMs });
    } catch (error) {
      failed++;
      results.push({ id: spec.id, status: 'failed', error: (error as Error).message });
    }
    bar.tick(spec.id);
  }
  bar.done();
  if (json) {
    process.stdout.write(formatJson({ dir: store.dir, models: results }));
  } else {
    printTable(['id', 'status', 'MB', 'transposes', 'ms'], results.map((r) => [
      r.id, r.status === 'failed' ? `failed: ${r.error}` : r.status,
      r.bytes ? (r.bytes / 1e6).toFixed(1) : '', r.transposes ?? '', r.convertMs ? String(r.convertMs) : '',
    ]));
    process.stdout.write(`\nconverted models folder: ${store.dir}\n`);
  }
  return failed ? 1 : 0;
}

export function printTable(header: string[], rows: (string | number)[][]): void {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  for (const row of cells) process.stdout.write(`${row.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()}\n`);
}
