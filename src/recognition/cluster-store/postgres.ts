// The cluster store in a PostgreSQL gallery's schema (tables.ts), on the gallery's connections:
// every API node and worker on that database sees the same faces and clusters.
import type pg from 'pg';
import { VisageError } from '../../errors.ts';
import { mapPostgresError } from '../../gallery/postgres/errors.ts';
import type { ClusterStateFile, EmbeddedFace, PhotoFace } from '../clustering.ts';
import { faceFromRow, vectorBytes } from './codec.ts';
import type { ClusterImage, ClusterRun, ClusterSnapshot, ClusterStore, StoredClusterFace } from './types.ts';

type Sql = { query(text: string, values?: unknown[]): Promise<pg.QueryResult> };

export class PostgresClusterStore implements ClusterStore {
  constructor(private readonly pool: pg.Pool, private readonly schema: string, private readonly location: string) {}

  /** Runs `work` on one connection (in a transaction when asked); the tables are named in the gallery's schema. */
  private async run<T>(work: (sql: Sql) => Promise<T>, transaction = false): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw mapPostgresError(error, this.location, 5000);
    }
    const sql: Sql = { query: (text, values) => client.query(text.replace(/\bcluster_(state|images|faces)\b/g, `${this.schema}.cluster_$1`), values) };
    try {
      if (!transaction) return await work(sql);
      await client.query('BEGIN');
      try {
        const result = await work(sql);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    } catch (error) {
      if (error instanceof VisageError) throw error;
      throw mapPostgresError(error, this.location, 5000);
    } finally {
      client.release();
    }
  }

  async snapshot(): Promise<ClusterSnapshot> {
    return this.run(async (sql) => {
      const row = (await sql.query('SELECT * FROM cluster_state WHERE id = 1')).rows[0];
      return {
        embedder: row.embedder, state: row.state as ClusterStateFile | null, run: row.run as ClusterRun | null,
        version: row.version, facesVersion: row.faces_version, clusteredVersion: row.clustered_version,
      };
    });
  }

  async addImages(embedder: string, images: readonly { image: ClusterImage; faces: readonly StoredClusterFace[] }[]): Promise<void> {
    await this.run(async (sql) => {
      const { embedder: current } = (await sql.query('SELECT embedder FROM cluster_state WHERE id = 1 FOR UPDATE')).rows[0] as { embedder: string | null };
      if (current && current !== embedder) {
        throw new VisageError('VISAGE_ERR_BAD_INPUT', `the clusters were made with embedder ${current}, this server embeds with ${embedder}; DELETE /v1/clusters to start again with it`);
      }
      let stored = 0;
      for (const item of images) {
        await sql.query('INSERT INTO cluster_images (content_hash, name, faces) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [item.image.contentHash, item.image.name, item.image.faces]);
        for (const f of item.faces) {
          stored += (await sql.query('INSERT INTO cluster_faces (key, record, vector, thumbnail) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
            [f.face.key, JSON.stringify(f.face), vectorBytes(f.vector), f.thumbnail ? Buffer.from(f.thumbnail) : null])).rowCount ?? 0;
        }
      }
      if (stored > 0 || !current) await sql.query('UPDATE cluster_state SET embedder = $1, faces_version = faces_version + $2 WHERE id = 1', [embedder, stored > 0 ? 1 : 0]);
    }, true);
  }

  async faces(keys?: readonly string[]): Promise<EmbeddedFace[]> {
    const rows = await this.run(async (sql) => (keys
      ? await sql.query('SELECT record, vector FROM cluster_faces WHERE key = ANY($1::text[]) ORDER BY array_position($1::text[], key)', [[...keys]])
      : await sql.query('SELECT record, vector FROM cluster_faces ORDER BY seq')).rows as { record: PhotoFace; vector: Buffer }[]);
    return rows.map((r) => faceFromRow(r.record, r.vector));
  }

  async images(): Promise<ClusterImage[]> {
    return this.run(async (sql) => (await sql.query('SELECT content_hash AS "contentHash", name, faces FROM cluster_images ORDER BY added, name')).rows as ClusterImage[]);
  }

  async thumbnail(key: string): Promise<Uint8Array | null> {
    return this.run(async (sql) => ((await sql.query('SELECT thumbnail FROM cluster_faces WHERE key = $1', [key])).rows[0]?.thumbnail as Buffer | undefined) ?? null);
  }

  async save(expectedVersion: number, state: ClusterStateFile, run: ClusterRun | null, clusteredVersion: number): Promise<boolean> {
    return this.run(async (sql) => ((await sql.query('UPDATE cluster_state SET state = $1, run = $2, version = version + 1, clustered_version = $3 WHERE id = 1 AND version = $4',
      [JSON.stringify(state), run ? JSON.stringify(run) : null, clusteredVersion, expectedVersion])).rowCount ?? 0) === 1);
  }

  async clear(): Promise<void> {
    await this.run(async (sql) => {
      await sql.query('DELETE FROM cluster_faces');
      await sql.query('DELETE FROM cluster_images');
      await sql.query('UPDATE cluster_state SET embedder = NULL, state = NULL, run = NULL, version = version + 1, faces_version = 0, clustered_version = 0 WHERE id = 1');
    }, true);
  }
}
