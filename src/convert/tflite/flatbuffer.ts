// A minimal FlatBuffers reader: tables, scalars, strings, vectors and unions, which is all the
// TFLite schema needs. Layout (flatbuffers.dev, "internals"): the buffer starts with a uoffset
// to the root table; a table starts with a soffset back to its vtable; a vtable is
// [vtable bytes, table bytes, field offsets...] (u16 each, 0 = field absent, use the default);
// offsets to strings, vectors and sub-tables are uoffsets relative to where they are stored;
// vectors and strings start with a u32 length. Everything is little-endian.

export class FlatTable {
  private readonly vtable: number;
  private readonly vtableSize: number;

  constructor(private readonly view: DataView, readonly pos: number) {
    if (pos < 0 || pos + 4 > view.byteLength) throw new Error(`flatbuffer: table offset ${pos} outside the buffer`);
    this.vtable = pos - view.getInt32(pos, true);
    if (this.vtable < 0 || this.vtable + 4 > view.byteLength) throw new Error(`flatbuffer: vtable offset ${this.vtable} outside the buffer`);
    this.vtableSize = view.getUint16(this.vtable, true);
  }

  /** Absolute position of field `index`, or 0 when the field is absent. */
  private field(index: number): number {
    const at = 4 + 2 * index;
    if (at >= this.vtableSize) return 0;
    const offset = this.view.getUint16(this.vtable + at, true);
    return offset === 0 ? 0 : this.pos + offset;
  }

  private deref(at: number): number {
    const target = at + this.view.getUint32(at, true);
    if (target + 4 > this.view.byteLength) throw new Error(`flatbuffer: offset ${target} outside the buffer`);
    return target;
  }

  has(index: number): boolean {
    return this.field(index) !== 0;
  }

  int8(index: number, fallback = 0): number { const at = this.field(index); return at ? this.view.getInt8(at) : fallback; }
  uint8(index: number, fallback = 0): number { const at = this.field(index); return at ? this.view.getUint8(at) : fallback; }
  bool(index: number, fallback = false): boolean { const at = this.field(index); return at ? this.view.getUint8(at) !== 0 : fallback; }
  int32(index: number, fallback = 0): number { const at = this.field(index); return at ? this.view.getInt32(at, true) : fallback; }
  uint32(index: number, fallback = 0): number { const at = this.field(index); return at ? this.view.getUint32(at, true) : fallback; }
  float32(index: number, fallback = 0): number { const at = this.field(index); return at ? this.view.getFloat32(at, true) : fallback; }
  uint64(index: number, fallback = 0n): bigint { const at = this.field(index); return at ? this.view.getBigUint64(at, true) : fallback; }

  string(index: number): string | undefined {
    const bytes = this.vectorBytes(index, 1);
    return bytes && new TextDecoder().decode(bytes);
  }

  table(index: number): FlatTable | undefined {
    const at = this.field(index);
    return at ? new FlatTable(this.view, this.deref(at)) : undefined;
  }

  /** Start and length of a vector field, or undefined when absent. */
  private vector(index: number): { start: number; length: number } | undefined {
    const at = this.field(index);
    if (!at) return undefined;
    const pos = this.deref(at);
    return { start: pos + 4, length: this.view.getUint32(pos, true) };
  }

  /** The bytes of a vector of `elementSize`-byte scalars (a view, not a copy). */
  vectorBytes(index: number, elementSize: number): Uint8Array | undefined {
    const v = this.vector(index);
    if (!v) return undefined;
    const end = v.start + v.length * elementSize;
    if (end > this.view.byteLength) throw new Error(`flatbuffer: vector of ${v.length} outside the buffer`);
    return new Uint8Array(this.view.buffer, this.view.byteOffset + v.start, v.length * elementSize);
  }

  int32s(index: number): number[] {
    const v = this.vector(index);
    return v ? Array.from({ length: v.length }, (_, i) => this.view.getInt32(v.start + 4 * i, true)) : [];
  }

  float32s(index: number): number[] {
    const v = this.vector(index);
    return v ? Array.from({ length: v.length }, (_, i) => this.view.getFloat32(v.start + 4 * i, true)) : [];
  }

  int64s(index: number): bigint[] {
    const v = this.vector(index);
    return v ? Array.from({ length: v.length }, (_, i) => this.view.getBigInt64(v.start + 8 * i, true)) : [];
  }

  tables(index: number): FlatTable[] {
    const v = this.vector(index);
    return v ? Array.from({ length: v.length }, (_, i) => new FlatTable(this.view, this.deref(v.start + 4 * i))) : [];
  }
}

/** The root table of a flatbuffer. */
export function flatRoot(bytes: Uint8Array): FlatTable {
  if (bytes.byteLength < 8) throw new Error('flatbuffer: too short');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return new FlatTable(view, view.getUint32(0, true));
}

/** The 4-byte file identifier after the root offset ("TFL3" for TFLite). */
export function flatIdentifier(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes.subarray(4, 8));
}
