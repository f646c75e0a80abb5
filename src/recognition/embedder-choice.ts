// Which embedder a recognizer matches with. Asked for: that one. Otherwise the default, unless the
// gallery was built with another embedder and the default cannot match its faces yet (a gallery
// enrolled before the default became the fusion): then the gallery's own embedder, so existing
// galleries keep answering as before until `visage gallery reindex` adds the default's vectors.
import type { Gallery } from '../gallery/gallery.ts';
import { EMBEDDER_IDS, defaultEmbedders, embedderInstalled, type EmbedderId } from '../face/embed/index.ts';
import { resolveConfig, type VisageConfig } from '../config.ts';

export interface EmbedderChoice {
  /** The embedders to configure; the first is the one matching uses. */
  embedders: EmbedderId[];
  /** 'configured': asked for; 'default': the default; 'gallery': the gallery's own, in place of the default. */
  reason: 'configured' | 'default' | 'gallery';
  /** The default embedder on this installation. */
  defaultEmbedder: EmbedderId;
  /** With reason 'gallery': a sentence saying so and how to move to the default. */
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

/** Chooses the embedders for `gallery`; `requested` (an option or flag) wins when given. */
export async function chooseEmbedders(gallery: Gallery, requested: readonly EmbedderId[] | undefined): Promise<EmbedderChoice> {
  const defaults = defaultEmbedders();
  const defaultEmbedder = defaults[0]!;
  if (requested && requested.length > 0) return { embedders: [...requested], reason: 'configured', defaultEmbedder };
  const stats = await gallery.stats();
  const count = (id: string) => stats.models.find((m) => m.modelId === id)?.count ?? 0;
  const covered = count(defaultEmbedder);
  if (stats.faces === 0 || covered >= stats.faces) return { embedders: defaults, reason: 'default', defaultEmbedder };
  let best: EmbedderId | undefined;
  for (const id of EMBEDDER_IDS) {
    if (id === defaultEmbedder || !embedderInstalled(id)) continue;
    if (count(id) > covered && (best === undefined || count(id) > count(best))) best = id;
  }
  if (!best) return { embedders: defaults, reason: 'default', defaultEmbedder };
  return {
    embedders: [best],
    reason: 'gallery',
    defaultEmbedder,
    note: `the gallery was built with ${best} (${count(best)} of ${stats.faces} faces; ${covered} have ${defaultEmbedder}, the default): `
      + `matching with ${best}; to move to ${defaultEmbedder}: visage gallery reindex --embedders ${defaultEmbedder},${best}`,
  };
}
