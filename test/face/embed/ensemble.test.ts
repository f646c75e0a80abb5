import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createVisage, type Visage } from '../../../src/visage.ts';
import { resolveConfig, type EmbedderId } from '../../../src/config.ts';
import type { Embedder } from '../../../src/face/embed/embedder.ts';
import { cosine } from '../../../src/face/match/index.ts';
import { ENSEMBLE_MEMBERS, EnsembleEmbedder, createEnsembleEmbedder } from '../../../src/face/embed/ensemble.ts';
import { isVisageError } from '../../../src/errors.ts';
import { dataset, skipUnless } from '../../helpers/datasets.ts';

const skip = skipUnless('lfw-view1', 'images');
const lfw = (name: string, n: number) => dataset('lfw-view1', 'images', name, `${name}_${String(n).padStart(4, '0')}.jpg`);
const memberIds = ENSEMBLE_MEMBERS.map((m) => m.id as EmbedderId);

/** An embedder that is only an id and a size, for the checks that need no model. */
const fake = (id: string, size = 3): Embedder => ({
  id, size,
  align: () => { throw new Error('not used'); },
  embedFaces: () => { throw new Error('not used'); },
});

const refusedAs = (code: string, pattern: RegExp) => (error: unknown) => {
  assert.ok(isVisageError(error), `a VisageError, got ${error}`);
  assert.equal((error as { code: string }).code, code);
  assert.match((error as Error).message, pattern);
  return true;
};

test('the fitted members are two known embedders whose weights sum to 1; "ensemble" is an embedder option', () => {
  assert.equal(ENSEMBLE_MEMBERS.length, 2);
  assert.equal(ENSEMBLE_MEMBERS[0]!.id, 'faceapi-recognition');
  assert.ok(Math.abs(ENSEMBLE_MEMBERS.reduce((sum, m) => sum + m.weight, 0) - 1) < 1e-9);
  assert.deepEqual(resolveConfig({ embedders: ['ensemble', 'faceapi-recognition'] }).embedders, ['ensemble', 'faceapi-recognition']);
});

test('unknown members, a member twice, weights not summing to 1 or negative are refused with VISAGE_ERR_BAD_OPTION', () => {
  const embedderFor = (id: string) => fake(id);
  assert.throws(() => createEnsembleEmbedder(embedderFor, [{ id: 'nope', weight: 0.5 }, { id: 'faceapi-recognition', weight: 0.5 }]),
    refusedAs('VISAGE_ERR_BAD_OPTION', /unknown ensemble member "nope"; known: faceapi-recognition/));
  assert.throws(() => createEnsembleEmbedder(embedderFor, [{ id: 'ensemble', weight: 0.5 }, { id: 'faceapi-recognition', weight: 0.5 }]),
    refusedAs('VISAGE_ERR_BAD_OPTION', /unknown ensemble member "ensemble"/));
  assert.throws(() => createEnsembleEmbedder(embedderFor, [{ id: 'human-faceres', weight: 0.5 }, { id: 'human-faceres', weight: 0.5 }]),
    refusedAs('VISAGE_ERR_BAD_OPTION', /twice/));
  assert.throws(() => createEnsembleEmbedder(embedderFor, [{ id: 'human-faceres', weight: 0.5 }, { id: 'faceapi-recognition', weight: 0.6 }]),
    refusedAs('VISAGE_ERR_BAD_OPTION', /sum to 1/));
  assert.throws(() => createEnsembleEmbedder(embedderFor, [{ id: 'human-faceres', weight: -0.5 }, { id: 'faceapi-recognition', weight: 1.5 }]),
    refusedAs('VISAGE_ERR_BAD_OPTION', />= 0/));
  assert.throws(() => createEnsembleEmbedder(embedderFor, [{ id: 'human-faceres', weight: 1 }]),
    refusedAs('VISAGE_ERR_BAD_OPTION', /at least two/));
});

test('fuse: unit length, and the dot product of two fused vectors is the weighted sum of the member cosines', () => {
  const ensemble = new EnsembleEmbedder([fake('faceapi-recognition', 3), fake('human-faceres', 2)], [0.7, 0.3]);
  assert.equal(ensemble.size, 5);
  // Members need not arrive normalised: each part is normalised before weighting.
  const a = ensemble.fuse([[1, 2, 2], [3, 4]]), b = ensemble.fuse([[0, 0, 5], [4, 3]]);
  const dot = a.reduce((sum, x, i) => sum + x * b[i]!, 0);
  assert.ok(Math.abs(Math.hypot(...a) - 1) < 1e-6 && Math.abs(Math.hypot(...b) - 1) < 1e-6);
  assert.ok(Math.abs(dot - (0.7 * (2 / 3) + 0.3 * (24 / 25))) < 1e-6, `dot ${dot}`);
  assert.throws(() => ensemble.fuse([[1, 2], [3, 4]]), refusedAs('VISAGE_ERR_BAD_OPTION', /faceapi-recognition embedding has 2 numbers, expected 3/));
});

let visage: Visage;
before(async () => {
  if (!skip) visage = await createVisage({ embedders: ['ensemble', ...memberIds] });
});
after(async () => { await visage?.close(); });

const embeddingsOf = async (file: string) => {
  const { faces } = await visage.analyze(file);
  assert.equal(faces.length, 1, `one face in ${file}`);
  return faces[0]!.embeddings;
};

test('on real faces: unit length, the fused cosine equals the weighted member cosines, the same person is closer', { skip }, async () => {
  const a1 = await embeddingsOf(lfw('Aaron_Peirsol', 1));
  const a2 = await embeddingsOf(lfw('Aaron_Peirsol', 2));
  const b = await embeddingsOf(lfw('Aaron_Sorkin', 1));
  const size = visage.config.embedders.filter((id) => id !== 'ensemble').reduce((sum, id) => sum + a1[id]!.length, 0);
  for (const e of [a1, a2, b]) {
    assert.equal(e['ensemble']!.length, size);
    assert.ok(Math.abs(Math.hypot(...e['ensemble']!) - 1) < 1e-5);
  }
  for (const [x, y] of [[a1, a2], [a1, b], [a2, b]] as const) {
    const fused = cosine(x['ensemble']!, y['ensemble']!);
    const weighted = ENSEMBLE_MEMBERS.reduce((sum, m) => sum + m.weight * cosine(x[m.id]!, y[m.id]!), 0);
    assert.ok(Math.abs(fused - weighted) < 1e-5, `fused ${fused}, weighted ${weighted}`);
  }
  const same = cosine(a1['ensemble']!, a2['ensemble']!), different = cosine(a1['ensemble']!, b['ensemble']!);
  assert.ok(same > different + 0.05, `same ${same}, different ${different}`);
});

test('the ensemble alone gives the same embedding as beside its members (which it then reuses)', { skip }, async () => {
  const alone = await createVisage({ embedders: ['ensemble'] });
  try {
    const { faces } = await alone.analyze(lfw('Aaron_Peirsol', 1));
    assert.deepEqual(Object.keys(faces[0]!.embeddings), ['ensemble']);
    const beside = await embeddingsOf(lfw('Aaron_Peirsol', 1));
    assert.ok(cosine(faces[0]!.embeddings['ensemble']!, beside['ensemble']!) > 0.99999);
  } finally {
    await alone.close();
  }
});

test('a model shared by the ensemble and a member asked for alone runs once per image', { skip }, async () => {
  const { Engine } = await import('../../../src/runtime/engine.ts');
  const { ModelEmbedder } = await import('../../../src/face/embed/embedder.ts');
  const { loadImage } = await import('../../../src/face/image/decode.ts');
  const probe = await createVisage();
  const engine = await Engine.create();
  try {
    const file = lfw('Aaron_Peirsol', 1);
    const five = (await probe.analyze(file, { embed: false })).faces[0]!.landmarks.five;
    const image = await loadImage(file);
    const runs = new Map<string, number>();
    const counted = (id: string) => {
      const embedder = new ModelEmbedder(engine, id);
      const embed = embedder.embed.bind(embedder);
      embedder.embed = (crops, flip) => { runs.set(id, (runs.get(id) ?? 0) + 1); return embed(crops, flip); };
      return embedder;
    };
    const members = new Map(memberIds.map((id) => [id, counted(id)]));
    const ensemble = createEnsembleEmbedder((id) => members.get(id as EmbedderId)!);
    const shared = new Map();
    const fused = await ensemble.embedFaces(image, [five], true, shared);
    const alone = await members.get('faceapi-recognition')!.embedFaces(image, [five], true, shared);
    assert.deepEqual(Object.fromEntries(runs), Object.fromEntries(memberIds.map((id) => [id, 1])));
    // Without the shared results each call runs its models again.
    await ensemble.embedFaces(image, [five], true);
    assert.equal(runs.get('faceapi-recognition'), 2);
    assert.equal(alone.embeddings[0]!.length, 128);
    assert.ok(Math.abs(cosine(fused.embeddings[0]!, fused.embeddings[0]!) - 1) < 1e-5);
  } finally {
    await engine.close();
    await probe.close();
  }
});
