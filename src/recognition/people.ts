// "People to name" over a ClusterStore: a photo library's faces kept in a store that several
// processes share (the server's API nodes, workers), clustered with the CLI's own calls
// (clusterEmbedded, nameCluster, mergeClusters, splitCluster, notThisPerson) on the CLI's own state.
//
// Faces are added at any time (a request, a worker); whoever reads next finds the state older than
// the faces and clusters again (the earlier clusters' ids, names, merges and splits kept, as a
// second `visage cluster` run keeps them). Every change reads the state with its version and saves
// it only if no one saved in between, else does it again on the newer state (see cluster-store/).
import { VisageError, shown } from '../errors.ts';
import type { Gallery } from '../gallery/gallery.ts';
import { validName } from '../gallery/validate.ts';
import {
  clusterEmbedded, mergeClusters, nameCluster, notThisPerson, splitCluster,
  type ClusterReport, type ClusterStateFile, type EmbeddedFace, type EnrolledMatcher, type GateReason, type PhotoFace,
} from './clustering.ts';
import type { ClusterImage, ClusterRun, ClusterSnapshot, ClusterStore, StoredClusterFace } from './cluster-store/types.ts';
import { isFaceKey } from './cluster-store/types.ts';

/** Saves tried before a change gives up (others kept saving in between). */
const ATTEMPTS = 8;

export interface PeopleOptions {
  store: ClusterStore;
  gallery: Gallery;
  /** The embedder of the faces added (the server's matching embedder). */
  embedder: string;
  /** Who an enrolled face is (e.g. the server's Recognizer); default: the gallery at the embedder's default threshold. */
  matcher?: EnrolledMatcher;
}

/** What "People to name" shows: the clustering's groups (clusters largest first, named or not; faces of enrolled people; the rest) for the faces stored so far. */
export interface PeopleView extends Pick<ClusterReport, 'images' | 'faces' | 'clusters' | 'matched' | 'unclustered' | 'setAside' | 'setAsideCounts' | 'noFace'> {
  /** The embedder of the stored faces (null while there are none). */
  embedder: string | null;
  threshold: number | null;
  cohesion: number | null;
  /** The state's version (bumped by every change). */
  version: number;
}

export class PeopleClusters {
  readonly store: ClusterStore;
  private readonly gallery: Gallery;
  private readonly embedder: string;
  private readonly matcher: EnrolledMatcher | undefined;

  constructor(options: PeopleOptions) {
    this.store = options.store;
    this.gallery = options.gallery;
    this.embedder = options.embedder;
    this.matcher = options.matcher;
  }

  /** Adds the faces of images (see ClusterStore.addImages); they are clustered at the next read. */
  async addImages(images: readonly { image: ClusterImage; faces: readonly StoredClusterFace[] }[]): Promise<void> {
    await this.store.addImages(this.embedder, images);
  }

  /** The clustering under way in this process, if any: concurrent readers wait for it rather than doing it twice. */
  private clustering: Promise<ClusterSnapshot> | null = null;

  /** The snapshot, clustered again first when faces were added since the last clustering. */
  async current(): Promise<ClusterSnapshot> {
    const snap = await this.store.snapshot();
    if (!snap.embedder || (snap.state && snap.clusteredVersion >= snap.facesVersion)) return snap;
    this.clustering ??= this.recluster().finally(() => { this.clustering = null; });
    return this.clustering;
  }

  private async recluster(): Promise<ClusterSnapshot> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const snap = await this.store.snapshot();
      if (!snap.embedder || (snap.state && snap.clusteredVersion >= snap.facesVersion)) return snap;
      const faces = await this.store.faces();
      const images = await this.store.images();
      const { report, state } = await clusterEmbedded(
        { faces, images: images.length, noFace: [], errors: [], analysed: 0, fromCache: 0 },
        { embedder: snap.embedder, state: snap.state, thread: true, ...(snap.embedder === this.embedder && this.matcher ? { matcher: this.matcher } : { gallery: this.gallery }) },
      );
      const run: ClusterRun = {
        threshold: report.threshold, cohesion: report.cohesion,
        matched: report.matched.map((m) => ({ subject: m.subject, faces: m.faces.map((f) => ({ key: f.key, similarity: f.similarity })) })),
        setAside: report.setAside.map((f) => ({ key: f.key, reasons: f.reasons })),
      };
      await this.store.save(snap.version, state, run, snap.facesVersion);
    }
    throw new VisageError('VISAGE_ERR_BUSY', 'the clusters kept changing while being clustered; try again shortly');
  }

  async view(): Promise<PeopleView> {
    const snap = await this.current();
    const faces = await this.store.faces();
    const images = await this.store.images();
    const byKey = new Map(faces.map((f) => [f.face.key, f.face]));
    const placed = new Set<string>();
    const pick = (key: string) => { placed.add(key); return byKey.get(key); };
    const clusters = (snap.state?.clusters ?? [])
      .map((c) => ({ id: c.id, subject: c.subject ?? null, faces: c.faces.map(pick).filter((f): f is PhotoFace => f !== undefined) }))
      .filter((c) => c.faces.length > 0)
      .sort((a, b) => b.faces.length - a.faces.length || (a.id < b.id ? -1 : 1));
    const matched = (snap.run?.matched ?? []).map((m) => ({
      subject: m.subject,
      faces: m.faces.filter((f) => byKey.has(f.key) && !placed.has(f.key)).map((f) => ({ ...pick(f.key)!, similarity: f.similarity })),
    })).filter((m) => m.faces.length > 0);
    const setAsideCounts: Record<GateReason, number> = { small: 0, blurred: 0, 'turned-away': 0, 'low-score': 0, 'eyes-closed': 0 };
    const setAside = (snap.run?.setAside ?? []).filter((f) => byKey.has(f.key) && !placed.has(f.key)).map((f) => {
      for (const r of f.reasons) setAsideCounts[r]++;
      return { ...pick(f.key)!, reasons: f.reasons };
    });
    return {
      embedder: snap.embedder, threshold: snap.run?.threshold ?? null, cohesion: snap.run?.cohesion ?? null,
      images: images.length, faces: faces.length,
      clusters, matched, unclustered: faces.filter((f) => !placed.has(f.face.key)).map((f) => f.face),
      setAside, setAsideCounts, noFace: images.filter((i) => i.faces === 0).map((i) => i.name), version: snap.version,
    };
  }

  /** Does `change` on the current state and saves it, again on a newer state when another writer saved first. */
  private async change<T>(change: (state: ClusterStateFile, run: ClusterRun | null) => Promise<{ state: ClusterStateFile; run?: ClusterRun | null; result: T }>): Promise<T> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const snap = await this.current();
      if (!snap.state) throw new VisageError('VISAGE_ERR_UNKNOWN_CLUSTER', 'there are no clusters yet: add photos first (POST /v1/clusters)');
      const done = await change(snap.state, snap.run);
      if (await this.store.save(snap.version, done.state, done.run === undefined ? snap.run : done.run, snap.clusteredVersion)) return done.result;
    }
    throw new VisageError('VISAGE_ERR_BUSY', 'the clusters kept changing meanwhile; try again shortly');
  }

  private lookup = (keys: readonly string[]): Promise<EmbeddedFace[]> => this.store.faces(keys);

  /** Enrols the cluster's faces as `person` (created, or added to) and records the name. */
  async name(id: string, person: string): Promise<{ cluster: string; subject: string; added: number; skipped: number }> {
    if (typeof person !== 'string') throw new VisageError('VISAGE_ERR_BAD_INPUT', 'give the person\'s name');
    validName(person.trim());
    return this.change(async (state) => {
      const named = await nameCluster(state, id, person.trim(), this.gallery, this.lookup);
      const subject = named.state.clusters.find((c) => c.id === id)!.subject!;
      return { state: named.state, result: { cluster: id, subject, added: named.added, skipped: named.skipped } };
    });
  }

  /** Puts the faces of clusters `from` into cluster `into`. */
  async merge(into: string, from: readonly string[]): Promise<{ cluster: string; merged: string[] }> {
    if (from.length === 0) throw new VisageError('VISAGE_ERR_BAD_INPUT', 'name the clusters to merge into this one');
    return this.change(async (state) => {
      let next = state;
      for (const other of from) next = mergeClusters(next, into, other);
      return { state: next, result: { cluster: into, merged: [...from] } };
    });
  }

  /** Moves `faces` (keys) of cluster `id` to a new cluster, kept apart from the rest from now on. */
  async split(id: string, faces: readonly string[]): Promise<{ cluster: string; newCluster: string }> {
    for (const key of faces) if (!isFaceKey(key)) throw new VisageError('VISAGE_ERR_BAD_INPUT', `${shown(String(key))} is not a face key (16 hex digits, a dash, the face's index)`);
    return this.change(async (state) => {
      const split = splitCluster(state, id, faces);
      return { state: split.state, result: { cluster: id, newCluster: split.newId } };
    });
  }

  /**
   * "Not this person": the face is kept as a negative example of `person` (default: the name of its
   * cluster, or the enrolled person it was matched to), so identify and clustering never give it
   * to them again.
   */
  async notThisPerson(key: string, person?: string): Promise<{ face: string; subject: string }> {
    if (!isFaceKey(key)) throw new VisageError('VISAGE_ERR_UNKNOWN_FACE', `no face ${shown(String(key))} (a face key is 16 hex digits, a dash, the face's index)`);
    return this.change(async (state, run) => {
      if ((await this.store.faces([key])).length === 0) throw new VisageError('VISAGE_ERR_UNKNOWN_FACE', `no face ${key} among the clustered photos`);
      const who = person?.trim() || state.clusters.find((c) => c.faces.includes(key))?.subject
        || run?.matched.find((m) => m.faces.some((f) => f.key === key))?.subject;
      if (!who) throw new VisageError('VISAGE_ERR_BAD_INPUT', `face ${key} is in no named cluster: say whom it is not ("subject")`);
      const subject = (await this.gallery.getSubject(who)).name;
      const next = await notThisPerson(state, key, subject, this.gallery, this.lookup);
      const nextRun = run && {
        ...run,
        matched: run.matched.map((m) => (m.subject.toLowerCase() === subject.toLowerCase() ? { ...m, faces: m.faces.filter((f) => f.key !== key) } : m)),
      };
      return { state: next, run: nextRun, result: { face: key, subject } };
    });
  }

  async clear(): Promise<void> {
    await this.store.clear();
  }
}
