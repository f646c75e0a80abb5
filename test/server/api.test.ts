// The REST API on real photos through inject(): two bbt people enrolled by upload (multipart and
// base64 JSON), recognised in a bbt group photo, verify, detect, look-alike, subjects and faces,
// thumbnails, and the OpenAPI document against the routes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { createRecognizer, openSqliteGallery, type SqliteGallery } from '../../src/public/gallery.ts';
import { dataset, skipUnless } from '../helpers/datasets.ts';
import { post, startServer, testVisage, type TestServer } from './helpers.ts';

const skip = skipUnless('bbt', 'people') || skipUnless('bbt', 'group');
let server: TestServer;
let lookalike: SqliteGallery;
const bbt = (...parts: string[]) => readFile(dataset('bbt', ...parts));
const person = (name: string, n: number) => bbt('people', name, `${name}${n}.png`);

before(async () => {
  if (skip) return;
  const visage = await testVisage();
  // A look-alike gallery of three other people, built with the library (as `visage enroll` would).
  const { mkdtemp } = await import('node:fs/promises');
  const dir = await mkdtemp(path.join((await import('node:os')).tmpdir(), 'visage-lookalike-'));
  lookalike = await openSqliteGallery(path.join(dir, 'lookalike.db'));
  const builder = await createRecognizer({ visage, gallery: lookalike });
  for (const name of ['amy', 'bernadette', 'raj']) for (const n of [1, 2]) await builder.enroll(dataset('bbt', 'people', name, `${name}${n}.png`), name);
  await builder.close();
  server = await startServer({ openWithoutKeys: true, lookalike: { bbt: lookalike } });
});

after(async () => {
  if (skip) return;
  await server.close();
  await lookalike.close();
  await (await testVisage()).close();
});

test('subjects: create, duplicate refused, get by id and name, rename, list', { skip }, async () => {
  const { app } = server;
  const created = await app.inject({ method: 'POST', url: '/v1/subjects', payload: { name: 'Sheldon', metadata: { show: 'bbt' } } });
  assert.equal(created.statusCode, 201, created.body);
  assert.equal(created.json().name, 'Sheldon');
  assert.equal(created.headers.location, `/v1/subjects/${created.json().id}`);
  const duplicate = await app.inject({ method: 'POST', url: '/v1/subjects', payload: { name: 'sheldon' } });
  assert.equal(duplicate.statusCode, 409);
  assert.equal(duplicate.json().error.code, 'VISAGE_ERR_DUPLICATE_SUBJECT');
  const bad = await app.inject({ method: 'POST', url: '/v1/subjects', payload: { name: '   ' } });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().error.code, 'VISAGE_ERR_BAD_INPUT');
  const extra = await app.inject({ method: 'POST', url: '/v1/subjects', payload: { name: 'x', admin: true } });
  assert.equal(extra.statusCode, 400, 'unknown members refused');
  const id = created.json().id;
  assert.equal((await app.inject({ url: `/v1/subjects/${id}` })).json().name, 'Sheldon');
  assert.equal((await app.inject({ url: '/v1/subjects/sheldon' })).json().id, id);
  const missing = await app.inject({ url: '/v1/subjects/nobody' });
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.json().error.code, 'VISAGE_ERR_UNKNOWN_SUBJECT');
  const renamed = await app.inject({ method: 'PATCH', url: `/v1/subjects/${id}`, payload: { name: 'sheldon' } });
  assert.equal(renamed.statusCode, 200);
  assert.equal(renamed.json().name, 'sheldon');
  assert.equal((await app.inject({ method: 'POST', url: '/v1/subjects', payload: { name: 'penny' } })).statusCode, 201);
  const list = (await app.inject({ url: '/v1/subjects' })).json();
  assert.deepEqual(list.subjects.map((s: { name: string }) => s.name).sort(), ['penny', 'sheldon']);
});

test('enrol by upload: multipart files and base64 JSON; thumbnails; a group photo is skipped', { skip }, async () => {
  const { app } = server;
  const sheldon = await post(app, '/v1/subjects/sheldon/faces', {
    image: await Promise.all([1, 2, 3].map(async (n) => ({ data: await person('sheldon', n), filename: `../../etc/sheldon${n}.png` }))),
  });
  assert.equal(sheldon.statusCode, 201, sheldon.body);
  assert.equal(sheldon.json().added, 3);
  assert.equal(sheldon.json().subject.faceCount, 3);
  // The client's file name is kept as a bare name, never a path.
  assert.deepEqual(sheldon.json().results.map((r: { image: string }) => r.image), ['sheldon1.png', 'sheldon2.png', 'sheldon3.png']);
  const penny = await server.app.inject({
    method: 'POST', url: '/v1/subjects/penny/faces',
    payload: { images: [(await person('penny', 1)).toString('base64'), `data:image/png;base64,${(await person('penny', 2)).toString('base64')}`, (await person('penny', 3)).toString('base64')] },
  });
  assert.equal(penny.statusCode, 201, penny.body);
  assert.equal(penny.json().added, 3);
  const again = await post(app, '/v1/subjects/penny/faces', { image: { data: await person('penny', 1) } });
  assert.equal(again.statusCode, 200);
  assert.equal(again.json().results[0].reason, 'already-enrolled');
  const group = await post(app, '/v1/subjects/penny/faces', { image: { data: await bbt('group', 'faceapi_bbt3.jpg') } });
  assert.equal(group.statusCode, 200);
  assert.equal(group.json().results[0].reason, 'several-faces');

  const faces = (await app.inject({ url: '/v1/subjects/sheldon/faces' })).json().faces;
  assert.equal(faces.length, 3);
  assert.equal(faces[0].sourceFile, 'upload:sheldon1.png');
  const thumb = await app.inject({ url: faces[0].thumbnail });
  assert.equal(thumb.statusCode, 200);
  assert.equal(thumb.headers['content-type'], 'image/jpeg');
  const meta = await sharp(thumb.rawPayload).metadata();
  assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', 128, 128]);
  assert.equal((await app.inject({ url: '/v1/subjects/sheldon/thumbnail' })).statusCode, 200);
  assert.equal((await app.inject({ url: '/v1/subjects/penny/faces/999999/thumbnail' })).statusCode, 404);
  assert.equal((await app.inject({ url: '/v1/subjects/unknown-person/faces' })).statusCode, 404);
});

test('recognise: both enrolled people named in a bbt group photo, everyone else UNKNOWN', { skip }, async () => {
  const photo = await bbt('group', 'faceapi_bbt3.jpg');
  const viaMultipart = await post(server.app, '/v1/recognise', { image: { data: photo, filename: 'group.jpg' } });
  assert.equal(viaMultipart.statusCode, 200, viaMultipart.body);
  const result = viaMultipart.json();
  assert.equal(result.faces.length, 5, 'sheldon, howard, leonard, penny, raj');
  const labels = result.faces.map((f: { label: string }) => f.label);
  assert.equal(labels.filter((l: string) => l === 'sheldon').length, 1, labels.join(', '));
  assert.equal(labels.filter((l: string) => l === 'penny').length, 1, labels.join(', '));
  assert.equal(labels.filter((l: string) => l === 'UNKNOWN').length, 3, labels.join(', '));
  for (const face of result.faces) {
    assert.ok(face.box.width > 20 && face.candidates.length <= 3);
    assert.equal(face.name === null, face.label === 'UNKNOWN');
  }
  // The same image as raw bytes and as base64 JSON gives the same answer.
  const raw = await server.app.inject({ method: 'POST', url: '/v1/recognise?k=1', payload: photo, headers: { 'content-type': 'image/jpeg' } });
  assert.deepEqual(raw.json().faces.map((f: { label: string }) => f.label), labels);
  assert.ok(raw.json().faces.every((f: { candidates: unknown[] }) => f.candidates.length === 1));
  const json = await server.app.inject({ method: 'POST', url: '/v1/recognise', payload: { image: photo.toString('base64'), threshold: 1 } });
  assert.ok(json.json().faces.every((f: { label: string }) => f.label === 'UNKNOWN'), 'threshold 1: nobody');
  // Each named face is the person: its crop matches that person's enrolment photos.
  const sheldonFace = result.faces.find((f: { label: string }) => f.label === 'sheldon');
  const crop = await sharp(photo).extract({ left: Math.round(sheldonFace.box.x), top: Math.round(sheldonFace.box.y), width: Math.round(sheldonFace.box.width), height: Math.round(sheldonFace.box.height) }).png().toBuffer();
  const check = await post(server.app, '/v1/verify', { image: { data: crop }, subject: 'sheldon' });
  assert.equal(check.json().same, true);
  const annotated = await server.app.inject({ method: 'POST', url: '/v1/recognise?annotate=true', payload: photo, headers: { 'content-type': 'image/jpeg' } });
  assert.equal(annotated.headers['content-type'], 'image/jpeg');
  const size = await sharp(annotated.rawPayload).metadata();
  assert.deepEqual([size.width, size.height], [result.width, result.height]);
});

test('verify: two photos, or a photo and a subject', { skip }, async () => {
  const same = await post(server.app, '/v1/verify', { a: { data: await person('sheldon', 4) }, b: { data: await person('sheldon', 5) } });
  assert.equal(same.statusCode, 200, same.body);
  assert.equal(same.json().same, true);
  const different = await server.app.inject({ method: 'POST', url: '/v1/verify', payload: { a: (await person('sheldon', 4)).toString('base64'), b: (await person('penny', 4)).toString('base64') } });
  assert.equal(different.json().same, false);
  assert.ok(different.json().similarity < different.json().threshold);
  const subject = await post(server.app, '/v1/verify', { image: { data: await person('penny', 5) }, subject: 'penny' });
  assert.equal(subject.json().same, true, subject.body);
  assert.equal(subject.json().subject.name, 'penny');
  const wrong = await post(server.app, '/v1/verify', { image: { data: await person('penny', 5) }, subject: 'sheldon' });
  assert.equal(wrong.json().same, false);
  const missing = await post(server.app, '/v1/verify', { a: { data: await person('penny', 5) } });
  assert.equal(missing.statusCode, 400);
  assert.match(missing.json().error.message, /no image "b"/);
});

test('detect and look-alike', { skip }, async () => {
  const detect = await server.app.inject({ method: 'POST', url: '/v1/detect', payload: await bbt('group', 'faceapi_bbt3.jpg'), headers: { 'content-type': 'image/jpeg' } });
  assert.equal(detect.statusCode, 200);
  assert.equal(detect.json().faces.length, 5);
  const galleries = (await server.app.inject({ url: '/v1/lookalike' })).json().galleries;
  assert.deepEqual(galleries, [{ name: 'bbt', subjects: 3, faces: 6 }]);
  const look = await post(server.app, '/v1/lookalike/bbt', { image: { data: await person('amy', 5) }, k: '3' });
  assert.equal(look.statusCode, 200, look.body);
  const matches = look.json().matches;
  assert.equal(matches.length, 3);
  assert.equal(matches[0].name, 'amy');
  assert.ok(matches[0].percent > matches[1].percent && matches[0].percent <= 100);
  const unknown = await post(server.app, '/v1/lookalike/celebrities', { image: { data: await person('amy', 5) } });
  assert.equal(unknown.statusCode, 404);
});

test('faces and subjects deleted with their thumbnails', { skip }, async () => {
  const { app } = server;
  const faces = (await app.inject({ url: '/v1/subjects/penny/faces' })).json().faces;
  const gone = await app.inject({ method: 'DELETE', url: `/v1/subjects/penny/faces/${faces[0].id}` });
  assert.equal(gone.statusCode, 200);
  assert.equal((await app.inject({ url: faces[0].thumbnail })).statusCode, 404);
  assert.equal((await app.inject({ method: 'DELETE', url: `/v1/subjects/sheldon/faces/${faces[1].id}` })).statusCode, 404, 'a face of someone else');
  const created = await app.inject({ method: 'POST', url: '/v1/subjects', payload: { name: 'temp' } });
  await post(app, '/v1/subjects/temp/faces', { image: { data: await person('howard', 1) } });
  const tempFaces = (await app.inject({ url: '/v1/subjects/temp/faces' })).json().faces;
  assert.ok(await server.store.getThumbnail(tempFaces[0].id, tempFaces[0].contentHash));
  const deleted = await app.inject({ method: 'DELETE', url: `/v1/subjects/${created.json().id}` });
  assert.equal(deleted.json().deletedFaces, 1);
  assert.equal(await server.store.getThumbnail(tempFaces[0].id, tempFaces[0].contentHash), null);
  const stats = await server.gallery.stats();
  assert.deepEqual([stats.subjects, stats.faces], [2, 5]);
});

test('OpenAPI: every route is documented and every documented path is a route; docs page and web page files', { skip }, async () => {
  const spec = (await server.app.inject({ url: '/openapi.json' })).json();
  assert.equal(spec.openapi, '3.1.0');
  const documented = new Set<string>();
  for (const [p, item] of Object.entries(spec.paths as Record<string, Record<string, unknown>>)) {
    for (const method of Object.keys(item)) if (method !== 'parameters') documented.add(`${method.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`);
  }
  const routes = new Set(server.app.visageRoutes.map((r) => `${r.method} ${r.url}`));
  assert.deepEqual([...routes].filter((r) => !documented.has(r)), [], 'routes missing from the document');
  assert.deepEqual([...documented].filter((r) => !routes.has(r)), [], 'documented paths without a route');
  const docs = await server.app.inject({ url: '/docs' });
  assert.equal(docs.statusCode, 200);
  assert.match(docs.headers['content-type'] as string, /text\/html/);
  assert.match(docs.body, /\/v1\/recognise/);
  assert.doesNotMatch(docs.body, /<script|https?:\/\/(?!localhost)/, 'nothing fetched from elsewhere');
  const home = await server.app.inject({ url: '/' });
  assert.match(home.body, /<script type="module" src="\/app.js">/);
  assert.match(home.headers['content-security-policy'] as string, /script-src 'self'/);
  assert.match(home.body, /<script type="module" src="\/people.js">/);
  for (const [url, type] of [['/app.js', /javascript/], ['/people.js', /javascript/], ['/style.css', /text\/css/]] as const) {
    const res = await server.app.inject({ url });
    assert.equal(res.statusCode, 200);
    assert.match(res.headers['content-type'] as string, type);
  }
});

test('enrol into a subject that does not exist: 404 naming create=true; with create=true it is created with its first face, and not when every photo is skipped', { skip }, async () => {
  const { app } = server;
  const missing = await post(app, '/v1/subjects/leonard/faces', { image: { data: await person('leonard', 1) } });
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.json().error.code, 'VISAGE_ERR_UNKNOWN_SUBJECT');
  assert.match(missing.json().error.message, /no subject named "leonard"; pass create=true/);
  // Every photo skipped: nobody created, subject null.
  const group = await post(app, '/v1/subjects/leonard/faces?create=true', { image: { data: await bbt('group', 'faceapi_bbt3.jpg') } });
  assert.equal(group.statusCode, 200, group.body);
  assert.deepEqual([group.json().subject, group.json().created, group.json().added], [null, false, 0]);
  assert.equal(group.json().results[0].reason, 'several-faces');
  assert.equal(group.json().results[0].message, '5 faces found; an enrolment photo shows one person', 'no command-line flag in an API reason');
  assert.equal((await app.inject({ url: '/v1/subjects/leonard' })).statusCode, 404);
  // A face added: created, with the thumbnail under its new id.
  const created = await post(app, '/v1/subjects/leonard/faces?create=true', { image: [{ data: await person('leonard', 1), filename: 'leonard1.png' }, { data: await person('leonard', 2), filename: 'leonard2.png' }] });
  assert.equal(created.statusCode, 201, created.body);
  const body = created.json();
  assert.deepEqual([body.subject.name, body.subject.faceCount, body.created, body.added], ['leonard', 2, true, 2]);
  assert.equal(body.results[0].thumbnail, `/v1/subjects/${body.subject.id}/faces/${body.results[0].faceId}/thumbnail`);
  assert.equal((await app.inject({ url: body.results[0].thumbnail })).statusCode, 200);
  // Existing now: create=true changes nothing, created is false.
  const more = await post(app, '/v1/subjects/Leonard/faces?create=true', { image: { data: await person('leonard', 3) } });
  assert.deepEqual([more.statusCode, more.json().created, more.json().subject.faceCount], [201, false, 3]);
  // An unknown id is not created; create must be a boolean.
  const byId = await post(app, '/v1/subjects/999999/faces?create=true', { image: { data: await person('leonard', 4) } });
  assert.equal(byId.statusCode, 404);
  assert.match(byId.json().error.message, /no subject with id 999999/);
  const bad = await post(app, '/v1/subjects/howard/faces?create=maybe', { image: { data: await person('howard', 1) } });
  assert.equal(bad.statusCode, 400);
  assert.equal((await app.inject({ method: 'DELETE', url: `/v1/subjects/${body.subject.id}` })).statusCode, 200);
});

test('a video upload is 415 VISAGE_ERR_VIDEO_NOT_IMAGE with a message that says so (multipart, JSON base64, raw video/mp4 body)', { skip: skip || skipUnless('media', 'tiny5frames.mp4') }, async () => {
  const { app } = server;
  const clip = await readFile(dataset('media', 'tiny5frames.mp4'));
  const expected = `the data given (${clip.length} bytes) is a video (MP4), not an image: this reads still images; videos are read by visage video`;
  for (const res of [
    await post(app, '/v1/recognise', { image: { data: clip, filename: 'clip.mp4' } }),
    await app.inject({ method: 'POST', url: '/v1/detect', payload: { image: clip.toString('base64') } }),
    await post(app, '/v1/subjects/sheldon/faces', { image: { data: clip, filename: 'clip.mp4' } }),
  ]) {
    assert.equal(res.statusCode, 415, res.body);
    assert.deepEqual(res.json(), { error: { code: 'VISAGE_ERR_VIDEO_NOT_IMAGE', message: expected } });
  }
  const raw = await app.inject({ method: 'POST', url: '/v1/recognise', headers: { 'content-type': 'video/mp4' }, payload: clip });
  assert.equal(raw.statusCode, 415, raw.body);
  assert.deepEqual(raw.json(), { error: { code: 'VISAGE_ERR_VIDEO_NOT_IMAGE', message: 'the request body is a video (video/mp4), not an image: this reads still images; videos are read by visage video' } });
  assert.equal((await app.inject({ url: '/v1/subjects/sheldon' })).json().faceCount, 3, 'nothing enrolled');
});

test('OpenAPI: every operation has an example (request, parameter or answer), JSON answers all do; create=true is documented', { skip }, async () => {
  const spec = (await server.app.inject({ url: '/openapi.json' })).json();
  const withoutExample: string[] = [];
  const jsonWithout: string[] = [];
  const hasExample = (content: Record<string, { example?: unknown; examples?: unknown }> | undefined) => Object.values(content ?? {}).some((c) => c.example !== undefined || c.examples !== undefined);
  for (const [p, item] of Object.entries(spec.paths as Record<string, Record<string, any>>)) {
    for (const [method, op] of Object.entries(item)) {
      if (method === 'parameters') continue;
      const parameters = [...(item.parameters ?? []), ...(op.parameters ?? [])];
      const answers = Object.entries(op.responses as Record<string, any>).filter(([status]) => status.startsWith('2'));
      for (const [status, answer] of answers) {
        if (answer.content?.['application/json'] && answer.content['application/json'].example === undefined) jsonWithout.push(`${method} ${p} ${status}`);
      }
      const some = hasExample(op.requestBody?.content) || parameters.some((x: { example?: unknown }) => x.example !== undefined) || answers.some(([, a]) => hasExample(a.content));
      if (!some) withoutExample.push(`${method} ${p}`);
    }
  }
  assert.deepEqual(withoutExample, []);
  assert.deepEqual(jsonWithout, []);
  for (const [name, response] of Object.entries(spec.components.responses as Record<string, any>)) {
    assert.ok(response.content['application/json'].example?.error?.code, `${name} has an example error`);
  }
  assert.match(spec.components.responses.E415.description, /VISAGE_ERR_VIDEO_NOT_IMAGE/);
  const enrol = spec.paths['/v1/subjects/{subject}/faces'].post;
  const create = enrol.parameters.find((x: { name: string }) => x.name === 'create');
  assert.deepEqual([create.in, create.schema.type, create.schema.default], ['query', 'boolean', false]);
  assert.match(enrol.description, /create=true/);
  // Options a route reads from the body as well as the query are in its body schemas too.
  for (const type of ['multipart/form-data', 'application/json']) {
    const recogniseBody = spec.paths['/v1/recognise'].post.requestBody.content[type].schema.properties;
    for (const name of ['image', 'threshold', 'k', 'strategy', 'annotate', 'attributes', 'requireLive']) assert.ok(recogniseBody[name], `recognise ${type}: ${name}`);
    assert.ok(spec.paths['/v1/verify'].post.requestBody.content[type].schema.properties.image, `verify ${type}: image (with subject)`);
  }
  // The examples are what the routes answer: the recognise example has the answer's members.
  const answer = (await post(server.app, '/v1/recognise', { image: { data: await bbt('group', 'faceapi_bbt3.jpg') } })).json();
  const example = spec.paths['/v1/recognise'].post.responses['200'].content['application/json'].example;
  assert.deepEqual(Object.keys(example).sort(), Object.keys(answer).sort());
  assert.deepEqual(Object.keys(example.faces[0]).sort(), Object.keys(answer.faces[0]).sort());
  // The /docs page shows them.
  const docs = (await server.app.inject({ url: '/docs' })).body;
  assert.match(docs, /Example request <code>application\/json<\/code><\/h4><pre>\{\n  &quot;name&quot;: &quot;sheldon&quot;/);
  assert.ok((docs.match(/<h4>Example answer 2\d\d /g) ?? []).length >= 25, 'an example answer for most operations');
});
