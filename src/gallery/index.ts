// The gallery module's public surface: the Gallery contract, the SQLite store, the search index
// and the portable export format.
export type {
  Gallery, GalleryChange, GalleryChanges, GalleryListener, GalleryStats, Subject, SubjectRef, Metadata, NewFace, StoredFace, FaceQuality,
  AddFacesOptions, MergeResult, ModelEmbeddings, ModelStats, ExportSummary, ImportSummary,
} from './gallery.ts';
export { openSqliteGallery, SqliteGallery } from './sqlite/index.ts';
export type { SqliteGalleryOptions } from './sqlite/index.ts';
export { SCHEMA_VERSION, APPLICATION_ID } from './sqlite/index.ts';
export { SearchIndex } from './search.ts';
export type { FaceMatch, SubjectMatch, Identification, SubjectSearchOptions, IdentifyOptions } from './search.ts';
export { contentHash, PORTABLE_FORMAT, PORTABLE_VERSION } from './portable.ts';
export type { PortableGallery, PortableSubject, PortableFace } from './portable.ts';
