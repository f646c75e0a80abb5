// Examples for the OpenAPI document, one or more per route: answers of this server (inject()) over
// the bbt photos of the shared datasets: sheldon enrolled from bbt/people with create=true,
// bbt/group/faceapi_bbt3.jpg recognised, the bbt gallery served as a look-alike gallery and a
// classifier trained on bbt/people (visage train) served as "bbt"; shortened (a few faces of five,
// numbers rounded). The key, metrics and health figures come from the same runs.

const sheldon = { id: 1, name: 'sheldon', metadata: {}, created: '2026-12-07T00:24:04.919Z', faceCount: 2 };
const box = { x: 19.84, y: 0, width: 125.07, height: 130.02 };
const quality = { size: 125.07, sharpness: 1616.76, frontalness: 0.9706 };
const face = {
  id: 1, subjectId: 1, subjectName: 'sheldon', sourceFile: 'upload:sheldon1.png',
  contentHash: 'a65431669582d888bd0c63f1edfe4092254daa53b992d4825fa704f93d1595bf', box, quality,
  created: '2026-12-07T00:24:04.920Z', models: ['faceapi-recognition'], thumbnail: '/v1/subjects/1/faces/1/thumbnail',
};
const apiKey = { id: 1, name: 'kiosk', scope: 'recognise', prefix: 'vsk_krG6jW', created: '2026-12-07T00:24:06.321Z', lastUsed: null, revoked: null };
const BBT = ['amy', 'bernadette', 'howard', 'leonard', 'penny', 'raj', 'sheldon', 'stuart'];
const queue = { running: 0, waiting: 0, maxWaiting: 64, completed: 5, refused: 0, abandoned: 0 };
const uploads = { heldBytes: 0, peakBytes: 2097152, maxBytes: 110729626, refused: 0 };

export const EXAMPLES = {
  recognise: {
    width: 594, height: 383, modelId: 'fusion', threshold: 0.9038, strategy: 'mean-template', faceLimit: 20,
    faces: [
      {
        box: { x: 39.83, y: 30.06, width: 53.6, height: 68.59 }, score: 0.9657, quality: { size: 53.6, sharpness: 102.68, frontalness: 0.9785 },
        name: 'sheldon', subjectId: 1, similarity: 0.955, candidates: [{ subjectId: 1, name: 'sheldon', similarity: 0.955 }], label: 'sheldon',
        threshold: 0.9045, thresholdReason: 'small-face',
      },
      {
        box: { x: 152.29, y: 86.03, width: 56.19, height: 71.9 }, score: 0.9557, quality: { size: 56.19, sharpness: 157.33, frontalness: 0.9215 },
        name: null, subjectId: null, similarity: 0.8118, candidates: [{ subjectId: 1, name: 'sheldon', similarity: 0.8118 }], label: 'UNKNOWN',
        threshold: 0.9044, thresholdReason: 'small-face',
      },
    ],
  },
  verify: {
    same: true, similarity: 0.9714, threshold: 0.926, modelId: 'faceapi-recognition',
    a: { box, faces: 1 }, b: { box: { x: 32.46, y: 0, width: 115.08, height: 126.05 }, faces: 1 },
  },
  detect: {
    width: 594, height: 383,
    faces: [{ box: { x: 39.83, y: 30.06, width: 53.6, height: 68.59 }, score: 0.9657 }, { box: { x: 152.29, y: 86.03, width: 56.19, height: 71.9 }, score: 0.9557 }],
  },
  lookalikeList: { galleries: [{ name: 'bbt', subjects: 8, faces: 40 }] },
  lookalike: {
    gallery: 'bbt', modelId: 'faceapi-recognition', face: { box: { x: 24.44, y: 0, width: 117.72, height: 133.83 }, faces: 1 },
    matches: [{ subjectId: 6, name: 'raj', similarity: 0.9841, percent: 98.4084 }, { subjectId: 8, name: 'stuart', similarity: 0.8875, percent: 88.7482 }],
  },
  classifiers: {
    classifiers: [{ name: 'bbt', kind: 'logistic', classes: BBT, embedders: ['faceapi-recognition'], threshold: 0.3833, created: '2026-12-07T00:24:26.376Z' }],
  },
  classify: {
    model: 'bbt', classes: BBT, threshold: 0.3833, width: 594, height: 383, faceLimit: 20,
    faces: [
      { box: { x: 39.83, y: 30.06, width: 53.6, height: 68.59 }, score: 0.9657, label: 'sheldon', top: 'sheldon', probability: 0.602, confidence: 0.602 },
      { box: { x: 152.29, y: 86.03, width: 56.19, height: 71.9 }, score: 0.9557, label: 'howard', top: 'howard', probability: 0.6372, confidence: 0.6372 },
    ],
  },
  subjects: { subjects: [sheldon] },
  subjectCreate: { name: 'sheldon', metadata: { team: 'physics' } },
  subject: sheldon,
  subjectRename: { name: 'Sheldon Cooper' },
  renamed: { ...sheldon, name: 'Sheldon Cooper' },
  subjectDeleted: { deleted: { ...sheldon, faceCount: 1 }, deletedFaces: 1 },
  faces: { subject: sheldon, faces: [face] },
  enrolled: {
    subject: { ...sheldon, faceCount: 1 }, created: true, added: 1, skipped: 1,
    results: [
      { image: 'sheldon1.png', status: 'added', subject: 'sheldon', faces: 1, faceId: 1, box, quality, contentHash: face.contentHash, subjectId: 1, thumbnail: '/v1/subjects/1/faces/1/thumbnail' },
      { image: 'faceapi_bbt3.jpg', status: 'skipped', subject: 'sheldon', reason: 'several-faces', message: '5 faces found; an enrolment photo shows one person', faces: 5, contentHash: 'c8f33d868c23246c383ba3e558a6ea9d737b6abcf1f8b0cd24e4b439c7fe3e03', subjectId: 1, thumbnail: null },
    ],
  },
  nothingEnrolled: {
    subject: null, created: false, added: 0, skipped: 1,
    results: [{ image: 'faceapi_bbt3.jpg', status: 'skipped', subject: 'leonard', reason: 'several-faces', message: '5 faces found; an enrolment photo shows one person', faces: 5, contentHash: 'c8f33d868c23246c383ba3e558a6ea9d737b6abcf1f8b0cd24e4b439c7fe3e03', subjectId: null, thumbnail: null }],
  },
  faceDeleted: { deleted: { ...face, id: 2, sourceFile: 'upload:sheldon2.png', thumbnail: null } },
  keys: { keys: [apiKey] },
  keyCreate: { scope: 'recognise', name: 'kiosk' },
  keyCreated: { ...apiKey, key: 'vsk_krG6jWrpnrrTqf2UrdR7IyHmEEGgc52dMyoxk2rN_ao' },
  // The revocation time is illustrative (the run revoked no key); the shape is the route's.
  keyRevoked: { revoked: { ...apiKey, revoked: '2026-12-07T09:12:44.107Z' } },
  info: {
    version: '0.1.0', modelId: 'faceapi-recognition', embedders: ['faceapi-recognition'], defaultEmbedder: 'fusion', detector: 'blazeface', threshold: 0.9677, strategy: 'mean-template',
    gallery: { subjects: 1, faces: 2 }, lookalike: [],
    limits: { maxBodyBytes: 33554432, maxImageBytes: 15728640, maxImages: 10, maxQueue: 64, maxBufferedBytes: 110729626, maxInputPixels: 40000000, maxFacesPerImage: 20 },
    auth: 'open (localhost, no keys)',
  },
  metrics: {
    uptimeSeconds: 3, requests: 11,
    routes: [{ route: 'POST /v1/recognise', count: 3, byStatus: { 200: 1, 415: 2 }, meanMs: 247.49, p50Ms: 9.64, p90Ms: 731.8, p99Ms: 731.8, maxMs: 731.8 }],
    queue, uploads, eventLoop: { p50Ms: 10.1, p99Ms: 48.3, maxMs: 96.5 }, memory: { rssBytes: 349167616 },
  },
  health: { status: 'ok', version: '0.1.0', uptimeSeconds: 5, queue, uploads },
  /** POST /v1/liveness on 10 frames of media/hamilton_clip.mp4 (a singer turning his head). */
  liveness: {
    live: true,
    active: {
      passed: true, challenge: 'either', frames: 10, faceFrames: 10,
      turn: { passed: true, yawMin: -19.4, yawMax: 19.3, yawRange: 38.7 },
      blink: { passed: false, blinks: 0, method: 'eye-model', signal: [0, 0, 0, 0, 0, 0.001, 0, 0.016, 0.001, 0] },
    },
    passive: { value: 'live', score: 0.9834, threshold: 0.0215, model: 'faceplugin-liveness', frames: 10 },
  },
  /** Error answers, one per status the document lists. */
  errors: {
    400: { error: { code: 'VISAGE_ERR_IMAGE_DECODE', message: 'cannot decode image image buffer (2500 bytes): VipsJpeg: premature end of JPEG image' } },
    401: { error: { code: 'VISAGE_ERR_UNAUTHORIZED', message: 'an API key is needed (Authorization: Bearer <key> or X-API-Key)' } },
    403: { error: { code: 'VISAGE_ERR_FORBIDDEN', message: 'this API key does not allow this call' } },
    404: { error: { code: 'VISAGE_ERR_UNKNOWN_SUBJECT', message: 'no subject named "penny"; pass create=true (POST /v1/subjects/{name}/faces?create=true) to create it with its first face' } },
    409: { error: { code: 'VISAGE_ERR_DUPLICATE_SUBJECT', message: 'a subject named "sheldon" exists' } },
    413: { error: { code: 'VISAGE_ERR_IMAGE_TOO_LARGE', message: 'image image buffer (67 bytes) is 60000x60000 (3600 megapixels), more than the limit of 40 (maxInputPixels)' } },
    415: { error: { code: 'VISAGE_ERR_VIDEO_NOT_IMAGE', message: 'the data given (51958 bytes) is a video (MP4), not an image: this reads still images; videos are read by visage video' } },
    422: { error: { code: 'VISAGE_ERR_NOT_LIVE', message: 'the face did not pass the liveness check (faceplugin-liveness live score 0.012 < 0.05): a photo or a screen?' } },
    503: { error: { code: 'VISAGE_ERR_BUSY', message: 'the server is busy; try again shortly' } },
  } as Record<number, unknown>,
};
