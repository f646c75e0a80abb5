// Every embedder by id, described once: the model embedders (MODEL_EMBEDDERS, one registry model
// each) and the ensemble (their fusion). EmbedderId, createVisage's choices, the CLI's help and
// the models a configuration runs all derive from here.
import { MODEL_EMBEDDERS, ModelEmbedder, type Embedder, type ModelEmbedderId } from './embedder.ts';
import { ENSEMBLES, ENSEMBLE_IDS, createEnsembleEmbedder, isEnsembleId, type EnsembleId } from './ensemble.ts';
import type { Engine } from '../../runtime/engine.ts';
import { getModelSpec } from '../../models/registry.ts';
import { sourceInstalled } from '../../models/store.ts';

export type EmbedderId = ModelEmbedderId | EnsembleId;

export const EMBEDDER_IDS: readonly EmbedderId[] = Object.freeze([...(Object.keys(MODEL_EMBEDDERS) as ModelEmbedderId[]), ...ENSEMBLE_IDS]);

/** The model embedders an embedder runs: itself, or an ensemble's members. */
export function modelEmbedderIds(id: EmbedderId): ModelEmbedderId[] {
  return isEnsembleId(id) ? ENSEMBLES[id].map((m) => m.id as ModelEmbedderId) : [id];
}

/** The embedder matching uses by default where its models are installed: the fusion (see ensemble.ts). */
export const PREFERRED_EMBEDDER: EmbedderId = 'fusion';
/** The default where the fusion's optional package (faceplugin-face-recognition-js) is missing. */
export const FALLBACK_EMBEDDER: EmbedderId = 'faceapi-recognition';

/** Whether every model an embedder runs comes from an installed package. */
export function embedderInstalled(id: EmbedderId): boolean {
  return modelEmbedderIds(id).every((member) => sourceInstalled(getModelSpec(MODEL_EMBEDDERS[member].modelId)));
}

/**
 * The default embedders: the fusion when its members' packages are installed, else the ResNet
 * alone (its weights come with Visage's own dependencies). `installed`: a parameter for tests.
 */
export function defaultEmbedders(installed: (id: EmbedderId) => boolean = embedderInstalled): EmbedderId[] {
  return [installed(PREFERRED_EMBEDDER) ? PREFERRED_EMBEDDER : FALLBACK_EMBEDDER];
}

/**
 * Named presets: which embedders a configuration runs. 'accurate' is the fusion (the default where
 * its package is installed: 99.40% on LFW View 1 DevTest, 94.6% of known LFW probes named at 0.1%
 * of strangers); 'fast' the ResNet alone (99.10%, 69.7%), about 1.5 times the fusion's speed end
 * to end (bench:speed, 2026-12-07: 381 against 595 ms a 1920-px photo, face-api 2,194 ms).
 */
export const PRESETS = Object.freeze({
  accurate: Object.freeze([PREFERRED_EMBEDDER]),
  fast: Object.freeze([FALLBACK_EMBEDDER]),
} as const);
export type PresetId = keyof typeof PRESETS;
export const PRESET_IDS = Object.freeze(Object.keys(PRESETS) as PresetId[]);

/**
 * Embedders by id for one engine, each model embedder made once and shared (an ensemble's member
 * that is also asked for alone is the same object).
 */
export class EmbedderSet {
  private readonly models = new Map<string, ModelEmbedder>();
  constructor(private readonly engine: Engine) {}

  get(id: EmbedderId): Embedder {
    return isEnsembleId(id) ? createEnsembleEmbedder((member) => this.model(member), undefined, id) : this.model(id);
  }

  /** Every model embedder made so far. */
  modelEmbedders(): ModelEmbedder[] {
    return [...this.models.values()];
  }

  private model(id: string): ModelEmbedder {
    let embedder = this.models.get(id);
    if (!embedder) this.models.set(id, embedder = new ModelEmbedder(this.engine, id));
    return embedder;
  }
}

export { MODEL_EMBEDDERS, ModelEmbedder } from './embedder.ts';
