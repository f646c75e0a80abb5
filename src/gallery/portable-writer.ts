// Writing a portable gallery file (portable.ts) as a store exports it: subject by subject, so that
// a large gallery never becomes one giant string, into a temporary file beside the target that is
// renamed over it only when complete: a failed export never leaves a half-written file.
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { VisageError } from '../errors.ts';
import type { ExportSummary, ModelStats } from './gallery.ts';
import { PORTABLE_FORMAT, PORTABLE_VERSION, type PortableSubject } from './portable.ts';

export class PortableFileWriter {
  private readonly target: string;
  private readonly temporary: string;
  private fd: number | null;
  private models: ModelStats[] = [];
  private subjects = 0;
  private faces = 0;

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

  /** The file's head: call once, before the subjects. */
  begin(models: ModelStats[]): void {
    this.models = models;
    const head = { format: PORTABLE_FORMAT, version: PORTABLE_VERSION, exported: new Date().toISOString(), models };
    writeSync(this.fd!, `${JSON.stringify(head).slice(0, -1)},"subjects":[\n`);
  }

  addSubject(subject: PortableSubject): void {
    writeSync(this.fd!, `${this.subjects > 0 ? ',\n' : ''}${JSON.stringify(subject)}`);
    this.subjects++;
    this.faces += subject.faces.length;
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
    return { file: this.target, subjects: this.subjects, faces: this.faces, models: this.models };
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
