// The ensemble embedder: two embedders' similarities fused with fitted weights, as an embedder of
// its own. Its embedding is the concatenation of sqrt(w_i) x e_i over its members, each e_i the
// member's L2-normalised embedding (with flip if configured) and the weights summing to 1, so
//   cosine(ensemble a, ensemble b) = sum_i w_i x cosine(e_i a, e_i b)
// — the fused similarity — and the vector has unit length: matching code needs no special case.
import type { FivePoints, RgbImage } from '../../types.ts';
import { VisageError } from '../../errors.ts';
import { MODEL_EMBEDDERS, type Embedder, type EmbeddedFaces, type SharedEmbeddings } from './embedder.ts';
import { getModelSpec } from '../../models/registry.ts';

export const ENSEMBLE_ID = 'ensemble';
/** The ResNet and Faceplugin's ArcFace-style network, fused (see FUSION_MEMBERS). */
export const FUSION_ID = 'fusion';

export interface EnsembleMember {
  /** A model embedder id (MODEL_EMBEDDERS). */
  readonly id: string;
  /** Weight of this member's cosine in the fused similarity; the weights sum to 1. */
  readonly weight: number;
}

/**
 * The ResNet and FaceRes, weighted as fitted by `npm run fit:ensemble` (bench/fit-ensemble.ts):
 * w = 0.00..1.00 in steps of 0.01 on the ResNet, 1 - w on the partner, keeping the w of best
 * accuracy on LFW View 1 DevTrain (2,200 pairs) at DevTrain's best threshold, ties broken by
 * DevTrain AUC; Visage's pipeline with flip, the face nearest the image centre. Fitted:
 *   w = 0.99 (refitted 2026-11-23 with dlib's chip, DevTrain-only; before: 0.97 with face-api's chip)
 *   ResNet alone:     DevTrain 99.32% (AUC 0.99973), DevTest 99.10% (AUC 0.99926, TAR@FAR0.1% 97.8%)
 *   ensemble:         DevTrain 99.36% (AUC 0.99974), DevTest 99.00% (AUC 0.99928, TAR@FAR0.1% 98.2%)
 *   along w:          0.94-0.96 99.27%, 0.97-0.98 99.32%, 1.00 (the ResNet alone) 99.32% on DevTrain
 * On DevTest the ensemble is one pair below the ResNet alone, so it is an option, not the default.
 * The partner's small weight is scale, not neglect: FaceRes's cosines spread about 2.5 times as
 * widely as the ResNet's (same/different-person means 0.71/0.39 against 0.96/0.84 on DevTrain).
 */
export const ENSEMBLE_MEMBERS: readonly EnsembleMember[] = Object.freeze([
  Object.freeze({ id: 'faceapi-recognition', weight: 0.99 }),
  Object.freeze({ id: 'human-faceres', weight: 0.01 }),
]);

/**
 * The ResNet and Faceplugin's 512-d network (`faceplugin-feature`): the default embedder where that
 * network's package is installed. Fitted by `npm run fit:ensemble` (bench/fit-ensemble.ts) on LFW
 * View 1 DevTrain only (2,200 pairs), Visage's pipeline with flip, the face nearest the centre:
 * each member's cosine z-scored with its DevTrain mean and standard deviation (ResNet 0.8975 /
 * 0.0658, faceplugin-feature 0.3283 / 0.3401), z-weights on a grid of 0.01 kept where DevTrain
 * accuracy is best (0.52 / 0.48; 14 grid points tie, AUC breaks the tie), then turned into the
 * cosine weights below (w proportional to z-weight / sd), run of 2026-12-07:
 *   ResNet alone:      DevTrain 99.32% (AUC 0.99973), DevTest 99.10% (AUC 0.99926, TAR@FAR0.1% 97.8%)
 *   faceplugin alone:  DevTrain 99.41% (AUC 0.99933), DevTest 99.10% (AUC 0.99787, TAR@FAR0.1% 97.6%)
 *   fusion:            DevTrain 99.64% (AUC 0.99988), DevTest 99.40% (AUC 0.99926, TAR@FAR0.1% 99.0%)
 * Adding FaceRes as a third member reached 99.68% on DevTrain (one pair more, lower AUC 0.99986):
 * within one training pair the fit prefers fewer members, so FaceRes is left out.
 */
export const FUSION_MEMBERS: readonly EnsembleMember[] = Object.freeze([
  Object.freeze({ id: 'faceapi-recognition', weight: 0.848 }),
  Object.freeze({ id: 'faceplugin-feature', weight: 0.152 }),
]);

/** The ResNet, Faceplugin's network and expo's MobileFaceNet, fused (see FUSION3_MEMBERS). */
export const FUSION3_ID = 'fusion3';

/**
 * The ResNet, Faceplugin's 512-d network and expo's MobileFaceNet (`expo-mobilefacenet`, 192-d):
 * the default embedder where both optional packages are installed. Fitted as FUSION_MEMBERS was,
 * `npm run fit:ensemble -- --members faceplugin-feature,expo-mobilefacenet,human-faceres`, z-weights
 * on a grid of 0.05 (0.45 / 0.25 / 0.30; MobileFaceNet's DevTrain mean / sd 0.3783 / 0.3906), run
 * of 2026-12-07 (the other rows of the same run are in FUSION_MEMBERS' comment):
 *   MobileFaceNet alone:        DevTrain 99.59% (AUC 0.99924), DevTest 99.10% (AUC 0.99933, TAR@FAR0.1% 98.0%)
 *   ResNet + MobileFaceNet:     DevTrain 99.73% (AUC 0.99975), DevTest 99.40% (AUC 0.99957, TAR@FAR0.1% 98.0%)
 *   fusion3 (these three):      DevTrain 99.73% (AUC 0.99985), DevTest 99.40% (AUC 0.99945, TAR@FAR0.1% 99.2%)
 * Best DevTrain accuracy (two pairs above `fusion`, 99.64%), and of the sets that reach it the
 * higher AUC: the fit's rule chooses it. Adding FaceRes as a fourth member gets weight 0.
 */
export const FUSION3_MEMBERS: readonly EnsembleMember[] = Object.freeze([
  Object.freeze({ id: 'faceapi-recognition', weight: 0.82 }),
  Object.freeze({ id: 'faceplugin-feature', weight: 0.088 }),
  Object.freeze({ id: 'expo-mobilefacenet', weight: 0.092 }),
]);

/** Every named ensemble: its id and members. */
export const ENSEMBLES = Object.freeze({
  [ENSEMBLE_ID]: ENSEMBLE_MEMBERS,
  [FUSION_ID]: FUSION_MEMBERS,
  [FUSION3_ID]: FUSION3_MEMBERS,
} as const);

export type EnsembleId = keyof typeof ENSEMBLES;
export const ENSEMBLE_IDS = Object.freeze(Object.keys(ENSEMBLES) as EnsembleId[]);

export function isEnsembleId(id: string): id is EnsembleId {
  return Object.hasOwn(ENSEMBLES, id);
}

/** How far the weights may sum from 1 (they are written with two decimals). */
const WEIGHT_SUM_TOLERANCE = 1e-6;

function bad(message: string): never {
  throw new VisageError('VISAGE_ERR_BAD_OPTION', message);
}

/** Checks a member list: known model embedders, each once, weights >= 0 summing to 1. */
export function checkEnsembleMembers(members: readonly EnsembleMember[]): void {
  if (!Array.isArray(members) || members.length < 2) bad('an ensemble needs at least two members');
  const known = Object.keys(MODEL_EMBEDDERS);
  for (const { id, weight } of members) {
    if (!known.includes(id)) bad(`unknown ensemble member "${id}"; known: ${known.join(', ')}`);
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) bad(`ensemble member ${id}: weight must be a number >= 0, got ${JSON.stringify(weight)}`);
  }
  if (new Set(members.map((m) => m.id)).size !== members.length) bad('an ensemble lists a member twice');
  const sum = members.reduce((total, m) => total + m.weight, 0);
  if (Math.abs(sum - 1) > WEIGHT_SUM_TOLERANCE) bad(`ensemble weights must sum to 1, got ${sum}`);
}

export class EnsembleEmbedder implements Embedder {
  readonly size: number;
  readonly weights: readonly number[];
  private readonly scales: number[];

  /** `members` (embedders) in the order of `weights`; use createEnsembleEmbedder to build from ids. */
  constructor(readonly members: readonly Embedder[], weights: readonly number[], readonly id: string = ENSEMBLE_ID) {
    if (members.length !== weights.length) bad(`ensemble: ${members.length} members but ${weights.length} weights`);
    checkEnsembleMembers(members.map((m, i) => ({ id: m.id, weight: weights[i]! })));
    this.weights = Object.freeze([...weights]);
    this.scales = weights.map(Math.sqrt);
    this.size = members.reduce((total, m) => total + m.size, 0);
  }

  /** The first member's crop: the one quality is measured on and alignedCrops reports. */
  align(image: RgbImage, face: FivePoints): RgbImage {
    return this.members[0]!.align(image, face);
  }

  async embedFaces(image: RgbImage, faces: FivePoints[], flip: boolean, shared?: SharedEmbeddings): Promise<EmbeddedFaces> {
    const parts: EmbeddedFaces[] = [];
    for (const member of this.members) parts.push(await member.embedFaces(image, faces, flip, shared));
    return this.combine(parts);
  }

  /** Fuses the members' results for the same faces (one per member, in member order). */
  combine(parts: readonly EmbeddedFaces[]): EmbeddedFaces {
    if (parts.length !== this.members.length) bad(`ensemble: ${parts.length} member results for ${this.members.length} members`);
    const first = parts[0]!;
    return {
      embeddings: first.embeddings.map((_, face) => this.fuse(parts.map((p) => p.embeddings[face]!))),
      crops: first.crops,
    };
  }

  /** One face's ensemble embedding from its members' embeddings (in member order). */
  fuse(memberEmbeddings: readonly ArrayLike<number>[]): Float32Array {
    if (memberEmbeddings.length !== this.members.length) bad(`ensemble: ${memberEmbeddings.length} embeddings for ${this.members.length} members`);
    const out = new Float32Array(this.size);
    let offset = 0;
    memberEmbeddings.forEach((embedding, i) => {
      const member = this.members[i]!;
      if (embedding.length !== member.size) bad(`ensemble: ${member.id} embedding has ${embedding.length} numbers, expected ${member.size}`);
      // Normalised again here so the fused vector is unit length whatever the caller passes.
      let sum = 0;
      for (let k = 0; k < embedding.length; k++) sum += embedding[k]! * embedding[k]!;
      const scale = sum > 0 ? this.scales[i]! / Math.sqrt(sum) : 0;
      for (let k = 0; k < embedding.length; k++) out[offset + k] = embedding[k]! * scale;
      offset += member.size;
    });
    return out;
  }
}

/**
 * The named ensemble `id` (default: 'ensemble', the ResNet and FaceRes) or, with `members`, an
 * ensemble of those. `embedderFor` supplies each member's embedder, so a caller that also runs a
 * member on its own can share it.
 */
export function createEnsembleEmbedder(embedderFor: (id: string) => Embedder, members?: readonly EnsembleMember[], id: string = ENSEMBLE_ID): EnsembleEmbedder {
  const list = members ?? (isEnsembleId(id) ? ENSEMBLES[id] : bad(`unknown ensemble "${id}"; known: ${ENSEMBLE_IDS.join(', ')}`));
  checkEnsembleMembers(list);
  return new EnsembleEmbedder(list.map((m) => embedderFor(m.id)), list.map((m) => m.weight), id);
}

/**
 * The named ensemble as a fuser only: `fuse()` over member vectors computed elsewhere (a cache),
 * its members known by id and size, running no model.
 */
export function ensembleFuser(id: EnsembleId): EnsembleEmbedder {
  const sized = (member: string): Embedder => ({
    id: member,
    size: getModelSpec(MODEL_EMBEDDERS[member as keyof typeof MODEL_EMBEDDERS].modelId).embeddingSize!,
    align: () => bad('an ensemble fuser runs no model'),
    embedFaces: () => bad('an ensemble fuser runs no model'),
  });
  return createEnsembleEmbedder(sized, undefined, id);
}
