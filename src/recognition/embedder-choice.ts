// Which embedder a recognizer matches with. Asked for: that one. Otherwise the default, unless the
// gallery was built with another embedder and the default cannot match its faces yet (a gallery
// enrolled before the default became the fusion): then the gallery's own embedder, so existing
// galleries keep answering as before until `visage gallery reindex` adds the default's vectors.
import type { Gallery } from '../gallery/gallery.ts';
import { EMBEDDER_IDS, defaultEmbedders, embedderInstalled, modelEmbedderIds, MODEL_EMBEDDERS, type EmbedderId } from '../face/embed/index.ts';
import { getModelSpec } from '../models/registry.ts';
import { installHint } from '../models/store.ts';
import { resolveConfig, type VisageConfig } from '../config.ts';

export interface EmbedderChoice {
  /** The embedders to configure; the first is the one matching uses. */
  embedders: EmbedderId[];
  /** 'configured': asked for; 'default': the default; 'gallery': the gallery's own, in place of the default. */
  reason: 'configured' | 'default' | 'gallery';
  /** The default embedder on this installation. */
  defaultEmbedder: EmbedderId;
  /**
   * With reason 'gallery': a sentence saying so and how to move to the default. With reason
   * 'default' on a gallery built with an embedder whose package is missing: which package to install.
   */
  note?: string;
}

/**
 * The embedders createVisage options ask for: `embedders`, or a preset's; undefined when neither is
 * given (the default, or the gallery's own, decides). Bad or conflicting options fail here.
 */
export function requestedEmbedders(options: Partial<VisageConfig> | undefined): EmbedderId[] | undefined {
  if (!options) return undefined;
  const resolved = resolveConfig(options);
  return options.embedders !== undefined || options.preset !== undefined ? [...resolved.embedders] : undefined;
}

/**
 * Chooses the embedders for `gallery`; `requested` (an option or flag) wins when given.
 * `installed`: whether an embedder's model packages are installed (a parameter for tests).
 */
export async function chooseEmbedders(gallery: Gallery, requested: readonly EmbedderId[] | undefined, installed: (id: EmbedderId) => boolean = embedderInstalled): Promise<EmbedderChoice> {
  const defaults = defaultEmbedders(installed);
  const defaultEmbedder = defaults[0]!;
  if (requested && requested.length > 0) return { embedders: [...requested], reason: 'configured', defaultEmbedder };
  const stats = await gallery.stats();
  const count = (id: string) => stats.models.find((m) => m.modelId === id)?.count ?? 0;
  const covered = count(defaultEmbedder);
  if (stats.faces === 0 || covered >= stats.faces) return { embedders: defaults, reason: 'default', defaultEmbedder };
  let best: EmbedderId | undefined;
  for (const id of EMBEDDER_IDS) {
    if (id === defaultEmbedder || !installed(id)) continue;
    if (count(id) > covered && (best === undefined || count(id) > count(best))) best = id;
  }
  if (!best) {
    const missing = missingEmbedder(stats.models.map((m) => m.modelId), count, covered, installed);
    if (!missing) return { embedders: defaults, reason: 'default', defaultEmbedder };
    return {
      embedders: defaults,
      reason: 'default',
      defaultEmbedder,
      note: `the gallery was built with ${missing.id} (${count(missing.id)} of ${stats.faces} faces; ${covered} have ${defaultEmbedder}, the default here), `
        + `whose model package is not installed: ${missing.hints.join(' && ')}; until then only faces with ${defaultEmbedder} vectors can be matched`,
    };
  }
  return {
    embedders: [best],
    reason: 'gallery',
    defaultEmbedder,
    note: `the gallery was built with ${best} (${count(best)} of ${stats.faces} faces; ${covered} have ${defaultEmbedder}, the default): `
      + `matching with ${best}; to move to ${defaultEmbedder}: visage gallery reindex --embedders ${defaultEmbedder},${best}`,
  };
}

/** The embedder covering most of the gallery's faces (more than `covered`) that cannot run here, with the installs it needs. */
function missingEmbedder(modelIds: readonly string[], count: (id: string) => number, covered: number, installed: (id: EmbedderId) => boolean): { id: string; hints: string[] } | undefined {
  let best: EmbedderId | undefined;
  for (const id of EMBEDDER_IDS) {
    if (!modelIds.includes(id) || installed(id) || count(id) <= covered) continue;
    if (best === undefined || count(id) > count(best)) best = id;
  }
  if (!best) return undefined;
  const specs = modelEmbedderIds(best).filter((member) => !installed(member)).map((member) => getModelSpec(MODEL_EMBEDDERS[member].modelId));
  return { id: best, hints: [...new Set(specs.map(installHint))] };
}
