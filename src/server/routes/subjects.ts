// /v1/subjects: enrolled people and their faces (create, list, get, rename, delete; add faces
// from uploaded images, list, delete, thumbnail).
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { StoredFace } from '../../gallery/gallery.ts';
import { VisageError, shown } from '../../errors.ts';
import { subjectRefFromText, validName } from '../../gallery/validate.ts';
import { booleanField, faceThumbnail, readInput } from '../images.ts';
import { imageRoute, infer, type ServerContext } from '../context.ts';
import { schemas } from '../schemas.ts';
import { lowQualityError, qualityFields } from '../quality.ts';


function faceId(text: string): number {
  if (!/^\d{1,15}$/.test(text)) throw new VisageError('VISAGE_ERR_BAD_INPUT', `a face id is a whole number, got ${shown(text)}`);
  return Number(text);
}

/** A stored face as the API shows it: the source file reduced to its name (never a server path). */
function faceJson(face: StoredFace, thumbnail: boolean) {
  const source = face.sourceFile === null ? null : face.sourceFile.startsWith('upload:') ? face.sourceFile : path.basename(face.sourceFile);
  return {
    id: face.id, subjectId: face.subjectId, subjectName: face.subjectName, sourceFile: source, contentHash: face.contentHash,
    box: face.box, quality: face.quality, created: face.created, models: face.models,
    thumbnail: thumbnail ? `/v1/subjects/${face.subjectId}/faces/${face.id}/thumbnail` : null,
  };
}

export async function subjectRoutes(app: FastifyInstance, context: ServerContext): Promise<void> {
  const { gallery, recognizer, store } = context;
  const hasThumbnail = async (face: StoredFace) => (await store?.getThumbnail(face.id, face.contentHash)) != null;

  app.get('/v1/subjects', { config: { scope: 'recognise' } }, async () => ({ subjects: await gallery.listSubjects() }));

  app.post('/v1/subjects', { config: { scope: 'admin' }, schema: { body: schemas.subjectCreate } }, async (request, reply) => {
    const { name, metadata } = request.body as { name: string; metadata?: Record<string, unknown> };
    const subject = await gallery.addSubject(name, metadata);
    reply.code(201).header('location', `/v1/subjects/${subject.id}`);
    return subject;
  });

  app.get<{ Params: { subject: string } }>('/v1/subjects/:subject', { config: { scope: 'recognise' } }, async (request) => gallery.getSubject(subjectRefFromText(request.params.subject)));

  app.patch<{ Params: { subject: string } }>('/v1/subjects/:subject', { config: { scope: 'admin' }, schema: { body: schemas.subjectRename } }, async (request) => {
    const { name } = request.body as { name: string };
    return gallery.renameSubject(subjectRefFromText(request.params.subject), name);
  });

  app.delete<{ Params: { subject: string } }>('/v1/subjects/:subject', { config: { scope: 'admin' } }, async (request) => {
    const subject = await gallery.getSubject(subjectRefFromText(request.params.subject));
    const faces = await gallery.listFaces(subject.id);
    const result = await gallery.deleteSubject(subject.id);
    store?.forgetThumbnails(faces.map((f) => f.id));
    return { deleted: subject, deletedFaces: result.deletedFaces };
  });

  app.get<{ Params: { subject: string } }>('/v1/subjects/:subject/faces', { config: { scope: 'recognise' } }, async (request) => {
    const subject = await gallery.getSubject(subjectRefFromText(request.params.subject));
    const faces = await gallery.listFaces(subject.id);
    return { subject, faces: await Promise.all(faces.map(async (f) => faceJson(f, await hasThumbnail(f)))) };
  });

  // Enrol: every uploaded image adds the one face it shows (see chooseEnrolmentFace); an image
  // that shows none, several or a poor face is reported as skipped, with the reason. A subject
  // that does not exist is a 404 unless create=true (as CompreFace does): then it is created with
  // its first face added, so that a request whose photos are all skipped leaves no empty subject.
  // A request whose every photo fails the quality gate answers 422 VISAGE_ERR_LOW_QUALITY (quality.ts).
  app.post<{ Params: { subject: string } }>('/v1/subjects/:subject/faces', imageRoute(context, 'admin'), async (request, reply) => {
    const ref = subjectRefFromText(request.params.subject);
    const create = booleanField(request, null, 'create') ?? false;
    let subject = await gallery.findSubject(ref);
    if (!subject) {
      if (typeof ref === 'number') throw new VisageError('VISAGE_ERR_UNKNOWN_SUBJECT', `no subject with id ${ref} (create=true creates a subject by name, not by id)`);
      if (!create) throw new VisageError('VISAGE_ERR_UNKNOWN_SUBJECT', `no subject named ${shown(ref)}; pass create=true (POST /v1/subjects/{name}/faces?create=true) to create it with its first face`);
      validName(ref);
    }
    const input = await readInput(request, context.limits);
    const largest = booleanField(request, input, 'largest') ?? false;
    const requireLive = booleanField(request, input, 'requireLive');
    const quality = qualityFields(request, input);
    const uploads = input.files.get('image') ?? [];
    if (uploads.length === 0 || input.files.size > 1) {
      throw new VisageError('VISAGE_ERR_BAD_INPUT', 'send the images as "image" (multipart files, or base64 in "image"/"images")');
    }
    const existed = subject !== null;
    const results = [];
    for (const [i, upload] of uploads.entries()) {
      const sourceFile = `upload:${upload.filename ?? `image-${i + 1}`}`;
      const outcome = await infer(context, request, () => recognizer.enroll(upload.data, subject?.name ?? String(ref), { largest, sourceFile, requireLive, quality }));
      if (!subject && outcome.status === 'added') subject = await gallery.getSubject(outcome.subject);
      let thumbnail: string | null = null;
      if (outcome.status === 'added' && outcome.faceId !== undefined && outcome.box && store && subject) {
        try {
          await store.putThumbnail(outcome.faceId, outcome.contentHash, await faceThumbnail(upload.data, outcome.box, context.visage.config.maxInputPixels));
          thumbnail = `/v1/subjects/${subject.id}/faces/${outcome.faceId}/thumbnail`;
        } catch (error) {
          request.log.warn({ err: error }, 'thumbnail not made');
        }
      }
      results.push({ image: upload.filename ?? `image-${i + 1}`, ...outcome, subjectId: subject?.id ?? null, thumbnail });
    }
    const refused = lowQualityError(results);
    if (refused) throw refused;
    const added = results.filter((r) => r.status === 'added').length;
    reply.code(added > 0 ? 201 : 200);
    return {
      subject: subject ? await gallery.getSubject(subject.id) : null,
      created: !existed && subject !== null,
      added, skipped: results.length - added, results,
    };
  });

  const findFace = async (subjectText: string, faceText: string) => {
    const subject = await gallery.getSubject(subjectRefFromText(subjectText));
    const id = faceId(faceText);
    const face = (await gallery.listFaces(subject.id)).find((f) => f.id === id);
    if (!face) throw new VisageError('VISAGE_ERR_UNKNOWN_FACE', `subject ${subject.name} has no face ${id}`);
    return face;
  };

  app.delete<{ Params: { subject: string; face: string } }>('/v1/subjects/:subject/faces/:face', { config: { scope: 'admin' } }, async (request) => {
    const face = await findFace(request.params.subject, request.params.face);
    await gallery.deleteFace(face.id);
    store?.forgetThumbnails([face.id]);
    return { deleted: faceJson(face, false) };
  });

  const sendThumbnail = (reply: import('fastify').FastifyReply, jpeg: Buffer) =>
    reply.type('image/jpeg').header('cache-control', 'private, max-age=300').send(jpeg);

  app.get<{ Params: { subject: string; face: string } }>('/v1/subjects/:subject/faces/:face/thumbnail', { config: { scope: 'recognise' } }, async (request, reply) => {
    const face = await findFace(request.params.subject, request.params.face);
    const jpeg = await store?.getThumbnail(face.id, face.contentHash);
    if (!jpeg) throw new VisageError('VISAGE_ERR_NOT_FOUND', `face ${face.id} has no thumbnail (faces enrolled outside the server have none)`);
    return sendThumbnail(reply, jpeg);
  });

  // The subject's picture: the thumbnail of its best-quality face that has one.
  app.get<{ Params: { subject: string } }>('/v1/subjects/:subject/thumbnail', { config: { scope: 'recognise' } }, async (request, reply) => {
    const subject = await gallery.getSubject(subjectRefFromText(request.params.subject));
    const faces = (await gallery.listFaces(subject.id)).sort((a, b) => (b.quality?.size ?? 0) - (a.quality?.size ?? 0));
    for (const face of faces) {
      const jpeg = await store?.getThumbnail(face.id, face.contentHash);
      if (jpeg) return sendThumbnail(reply, jpeg);
    }
    throw new VisageError('VISAGE_ERR_NOT_FOUND', `${subject.name} has no face with a thumbnail`);
  });
}
