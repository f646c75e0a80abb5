// Writing a portable gallery file (portable.ts) as a store exports it: subject by subject, so that
// a large gallery never becomes one giant string, into a temporary file beside the target that is
// renamed over it only when complete: a failed export never leaves a half-written file.
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { VisageError } from '../errors.ts';
import type { ExportSummary, ModelStats } from './gallery.ts';
import { PORTABLE_FORMAT, PORTABLE_VERSION, PORTABLE_VERSION_WITHOUT_NEGATIVES, type PortableSubject } from './portable.ts';

export class PortableFileWriter {
  private readonly target: string;
  private readonly temporary: string;
  private fd: number | null;
  private models: ModelStats[] = [];
  private subjects = 0;
  private faces = 0;
  private negatives = 0;

  /** Opens the temporary file; a place that cannot be written is VISAGE_ERR_BAD_INPUT. */
  constructor(private readonly file: string) {
    this.target = path.resolve(file);
    this.temporary = `${this.target}.${process.pid}.tmp`;
    try {
      this.fd = openSync(this.temporary, 'w');
    } catch (error) {
      throw this.cannotWrite(error);
    }
  }

  /** The file's head: call once, before the subjects, saying whether any subject has negative examples. */
  begin(models: ModelStats[], withNegatives: boolean): void {
    this.models = models;
    const version = withNegatives ? PORTABLE_VERSION : PORTABLE_VERSION_WITHOUT_NEGATIVES;
    const head = { format: PORTABLE_FORMAT, version, exported: new Date().toISOString(), models };
    writeSync(this.fd!, `${JSON.stringify(head).slice(0, -1)},"subjects":[\n`);
  }

  /** One subject; `negatives` is left out when empty (a version-1 file has none). */
  addSubject(subject: PortableSubject): void {
    if (subject.negatives?.length === 0) delete subject.negatives;
    writeSync(this.fd!, `${this.subjects > 0 ? ',\n' : ''}${JSON.stringify(subject)}`);
    this.subjects++;
    this.faces += subject.faces.length;
    this.negatives += subject.negatives?.length ?? 0;
  }

  /** Ends the file and puts it in place; on failure nothing is left behind. */
  finish(): ExportSummary {
    try {
      writeSync(this.fd!, '\n]}\n');
    } finally {
      this.close();
    }
    try {
      renameSync(this.temporary, this.target);
    } catch (error) {
      rmSync(this.temporary, { force: true });
      throw this.cannotWrite(error);
    }
    return { file: this.target, subjects: this.subjects, faces: this.faces, negatives: this.negatives, models: this.models };
  }

  /** After a failure: the temporary file is removed (safe to call more than once). */
  abort(): void {
    this.close();
    rmSync(this.temporary, { force: true });
  }

  private close(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    closeSync(fd);
  }

  private cannotWrite(error: unknown): VisageError {
    return new VisageError('VISAGE_ERR_BAD_INPUT', `cannot write ${this.file} (${(error as Error).message})`, { cause: error });
  }
}
