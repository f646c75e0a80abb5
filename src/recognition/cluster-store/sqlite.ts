// The cluster store in the server's SQLite file (tables.ts), on the server store's connection.
// Writes are IMMEDIATE transactions tried again while another process holds the file's lock, as the
// server store's own writes are (busy_timeout 0: waiting would stop the whole server).
import type Database from 'better-sqlite3';
import { VisageError } from '../../errors.ts';
import { retriedOnFile } from '../../gallery/sqlite/busy.ts';
import type { ClusterStateFile, EmbeddedFace } from '../clustering.ts';
import { faceFromRow, vectorBytes } from './codec.ts';
import type { ClusterImage, ClusterRun, ClusterSnapshot, ClusterStore, StoredClusterFace } from './types.ts';

interface StateRow { embedder: string | null; state: string | null; run: string | null; version: number; faces_version: number; clustered_version: number }

export class SqliteClusterStore implements ClusterStore {
  constructor(private readonly db: Database.Database, private readonly location: string, private readonly busyTimeoutMs: number) {}

  private async retried<T>(work: () => T): Promise<T> {
    return retriedOnFile(this.db, 'server file', this.location, this.busyTimeoutMs, work);
  }

  private write<T>(work: () => T): Promise<T> {
    return this.retried(() => this.db.transaction(work).immediate());
  }

  async snapshot(): Promise<ClusterSnapshot> {
    const row = await this.retried(() => this.db.prepare('SELECT * FROM cluster_state WHERE id = 1').get() as StateRow);
    return {
      embedder: row.embedder, state: row.state ? JSON.parse(row.state) as ClusterStateFile : null, run: row.run ? JSON.parse(row.run) as ClusterRun : null,
      version: row.version, facesVersion: row.faces_version, clusteredVersion: row.clustered_version,
    };
  }

  async addImages(embedder: string, images: readonly { image: ClusterImage; faces: readonly StoredClusterFace[] }[]): Promise<void> {
    await this.write(() => {
      const { embedder: current } = this.db.prepare('SELECT embedder FROM cluster_state WHERE id = 1').get() as { embedder: string | null };
      if (current && current !== embedder) {
        throw new VisageError('VISAGE_ERR_BAD_INPUT', `the clusters were made with embedder ${current}, this server embeds with ${embedder}; DELETE /v1/clusters to start again with it`);
      }
      const image = this.db.prepare('INSERT OR IGNORE INTO cluster_images (content_hash, name, faces, added) VALUES (?, ?, ?, ?)');
      const face = this.db.prepare('INSERT OR IGNORE INTO cluster_faces (key, record, vector, thumbnail) VALUES (?, ?, ?, ?)');
      let stored = 0;
      for (const item of images) {
        image.run(item.image.contentHash, item.image.name, item.image.faces, new Date().toISOString());
        for (const f of item.faces) stored += face.run(f.face.key, JSON.stringify(f.face), vectorBytes(f.vector), f.thumbnail ? Buffer.from(f.thumbnail) : null).changes;
      }
      if (stored > 0 || !current) this.db.prepare('UPDATE cluster_state SET embedder = ?, faces_version = faces_version + ? WHERE id = 1').run(embedder, stored > 0 ? 1 : 0);
    });
  }

  async faces(keys?: readonly string[]): Promise<EmbeddedFace[]> {
    const rows = await this.retried(() => {
      if (!keys) return this.db.prepare('SELECT record, vector FROM cluster_faces ORDER BY seq').all() as { record: string; vector: Buffer }[];
      const select = this.db.prepare('SELECT record, vector FROM cluster_faces WHERE key = ?');
      return keys.map((k) => select.get(k) as { record: string; vector: Buffer } | undefined).filter((r) => r !== undefined);
    });
    return rows.map((r) => faceFromRow(r.record, r.vector));
  }

  async images(): Promise<ClusterImage[]> {
    return this.retried(() => this.db.prepare('SELECT content_hash AS contentHash, name, faces FROM cluster_images ORDER BY added, name').all() as ClusterImage[]);
  }

  async thumbnail(key: string): Promise<Uint8Array | null> {
    const row = await this.retried(() => this.db.prepare('SELECT thumbnail FROM cluster_faces WHERE key = ?').get(key) as { thumbnail: Buffer | null } | undefined);
    return row?.thumbnail ?? null;
  }

  async save(expectedVersion: number, state: ClusterStateFile, run: ClusterRun | null, clusteredVersion: number): Promise<boolean> {
    const { changes } = await this.write(() => this.db.prepare('UPDATE cluster_state SET state = ?, run = ?, version = version + 1, clustered_version = ? WHERE id = 1 AND version = ?')
      .run(JSON.stringify(state), run ? JSON.stringify(run) : null, clusteredVersion, expectedVersion));
    return changes === 1;
  }

  async clear(): Promise<void> {
    await this.write(() => {
      this.db.exec('DELETE FROM cluster_faces; DELETE FROM cluster_images;');
      this.db.prepare('UPDATE cluster_state SET embedder = NULL, state = NULL, run = NULL, version = version + 1, faces_version = 0, clustered_version = 0 WHERE id = 1').run();
    });
  }
}
