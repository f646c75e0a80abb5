// The gallery module's public surface: the Gallery contract, the SQLite and PostgreSQL stores and
// openGallery() that picks one by the location, the search index and the portable export format.
export type {
  Gallery, GalleryChange, GalleryChanges, GalleryListener, GalleryStats, Subject, SubjectRef, Metadata, NewFace, StoredFace, FaceQuality,
  AddFacesOptions, MergeResult, ModelEmbeddings, ModelNegatives, ModelStats, ExportSummary, ImportSummary, TransferOptions,
} from './gallery.ts';
export { openGallery, isPostgresUrl } from './open.ts';
export type { GalleryOptions, OpenedGallery } from './open.ts';
export { openPostgresGallery, PostgresGallery, POSTGRES_SCHEMA_VERSION, CHANGE_CHANNEL } from './postgres/index.ts';
export type { PostgresGalleryOptions } from './postgres/index.ts';
export { copyGallery } from './copy.ts';
export type { CopyOptions, CopySummary } from './copy.ts';
export { openSqliteGallery, SqliteGallery } from './sqlite/index.ts';
export type { SqliteGalleryOptions } from './sqlite/index.ts';
export { SCHEMA_VERSION, APPLICATION_ID } from './sqlite/index.ts';
export { negativeExamples } from './negatives.ts';
export type { NegativeExample } from './negatives.ts';
export { SearchIndex } from './search.ts';
export type { FaceMatch, SubjectMatch, Identification, SubjectSearchOptions, IdentifyOptions, SearchOptions, SearchMode } from './search.ts';
export { contentHash, PORTABLE_FORMAT, PORTABLE_VERSION } from './portable.ts';
export type { PortableGallery, PortableSubject, PortableFace } from './portable.ts';
