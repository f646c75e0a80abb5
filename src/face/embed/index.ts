// Every embedder by id, described once: the model embedders (MODEL_EMBEDDERS, one registry model
// each) and the ensemble (their fusion). EmbedderId, createVisage's choices, the CLI's help and
// the models a configuration runs all derive from here.
import { MODEL_EMBEDDERS, ModelEmbedder, type Embedder, type ModelEmbedderId } from './embedder.ts';
import { ENSEMBLE_ID, ENSEMBLE_MEMBERS, createEnsembleEmbedder } from './ensemble.ts';
import type { Engine } from '../../runtime/engine.ts';

export type EmbedderId = ModelEmbedderId | typeof ENSEMBLE_ID;

export const EMBEDDER_IDS: readonly EmbedderId[] = Object.freeze([...(Object.keys(MODEL_EMBEDDERS) as ModelEmbedderId[]), ENSEMBLE_ID]);

/** The model embedders an embedder runs: itself, or an ensemble's members. */
export function modelEmbedderIds(id: EmbedderId): ModelEmbedderId[] {
  return id === ENSEMBLE_ID ? ENSEMBLE_MEMBERS.map((m) => m.id as ModelEmbedderId) : [id];
}

/**
 * Embedders by id for one engine, each model embedder made once and shared (an ensemble's member
 * that is also asked for alone is the same object).
 */
export class EmbedderSet {
  private readonly models = new Map<string, ModelEmbedder>();
  constructor(private readonly engine: Engine) {}

  get(id: EmbedderId): Embedder {
    return id === ENSEMBLE_ID ? createEnsembleEmbedder((member) => this.model(member)) : this.model(id);
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
