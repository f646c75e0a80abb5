// A row-major float32 (or float16) matrix in WebAssembly memory and its kernels: the dot product
// of a query with every row (or with chosen rows: the approximate index's lists), four lanes at a time (WASM SIMD, 2 accumulators). Measured on the 2-core
// development machine, 1M x 128: about 25 ms per query, against 130 ms for the best plain
// JavaScript loop (4 accumulators) and 260 ms for the naive one; the SIMD loop is close to memory
// bandwidth, so splitting it across worker threads was not needed for the 100 ms target.
//
// The module is written out below, so no toolchain or dependency is needed. Rows are
// padded with zeros to a multiple of 8 floats (two 4-lane loads per step); padding adds nothing
// to a dot product.
//
// Memory layout: [0, 64 KiB) the query (float32); then `capacity` rows; then one float per row of
// scores (also where dotRows puts the row numbers it is given).
// Growing moves nothing: rows keep their offsets and only the scores region (scratch) moves.

const PAGE = 65536;
const QUERY_BYTES = PAGE;
/** WebAssembly (wasm32) memories stop at 4 GiB. */
const MAX_BYTES = 65536 * PAGE;

export function uleb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value) byte |= 0x80;
    out.push(byte);
  } while (value);
  return out;
}

export function sleb(value: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    if ((value === 0 && !(byte & 0x40)) || (value === -1 && byte & 0x40)) return [...out, byte];
    out.push(byte | 0x80);
  }
}

export const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
export const section = (id: number, bytes: number[]) => [id, ...uleb(bytes.length), ...bytes];
export const name = (text: string) => [...uleb(text.length), ...Array.from(text, (c) => c.charCodeAt(0))];

/**
 * Four functions, each f(query, rows, count, strideBytes, out) with byte offsets into the imported
 * memory and strideBytes the bytes per stored row (a multiple of 16):
 *   dots      out[r] = rows[r] . query                  rows float32
 *   dots16    the same, rows IEEE float16
 *   gather    out[i] = rows[out[i]] . query             out holds int32 row numbers, replaced in place
 *   gather16  the same, rows float16
 * The query is always float32. A float16 value widens to float32 exactly: sign moved to bit 31,
 * exponent and mantissa shifted by 13 and multiplied by 2^112 (which re-biases the exponent and
 * handles subnormals too); infinities and NaNs are not expected in unit vectors.
 */
function dotsModule(): Uint8Array<ArrayBuffer> {
  const I32 = 0x7f, V128 = 0x7b;
  // params 0 query, 1 rows, 2 count, 3 strideBytes, 4 out; locals 5 j (query bytes), 6 acc0, 7 acc1, 8 row address, 9 scratch
  const get = (i: number) => [0x20, i];
  const set = (i: number) => [0x21, i];
  const tee = (i: number) => [0x22, i];
  const i32 = (value: number) => [0x41, ...sleb(value)];
  const splat = (lane: number[]) => [0xfd, 0x0c, ...lane, ...lane, ...lane, ...lane]; // v128.const, 4 equal lanes
  const add = [0x6a];
  const mulAdd = [0xfd, 0xe6, 0x01, 0xfd, 0xe4, 0x01]; // f32x4.mul, f32x4.add
  const zero = splat([0, 0, 0, 0]);
  const lane = (i: number) => [...get(6), 0xfd, 0x1f, i]; // f32x4.extract_lane
  const queryLoad = (offset: number) => [...get(0), ...get(5), ...add, 0xfd, 0x00, 2, ...uleb(offset)]; // v128.load
  const rowLoad32 = (offset: number) => [...get(8), ...get(5), ...add, 0xfd, 0x00, 2, ...uleb(offset)];
  const rowLoad16 = (offset: number) => [
    ...get(8), ...get(5), ...i32(1), 0x76, ...add, 0xfd, 0x04, 0, ...uleb(offset), //    v128.load16x4_u at row + j/2
    ...tee(9), ...splat([0x00, 0x80, 0, 0]), 0xfd, 0x4e, ...i32(16), 0xfd, 0xab, 0x01, // (h & 0x8000) << 16
    ...get(9), ...splat([0xff, 0x7f, 0, 0]), 0xfd, 0x4e, ...i32(13), 0xfd, 0xab, 0x01, //  (h & 0x7fff) << 13
    ...splat([0x00, 0x00, 0x80, 0x77]), 0xfd, 0xe6, 0x01, //                             * 2^112
    0xfd, 0x50, //                                                                       | sign
  ];
  const kernel = (half: boolean, gather: boolean) => {
    const rowLoad = half ? rowLoad16 : rowLoad32;
    const body = [
      ...vec([[1, I32], [2, V128], [1, I32], [1, V128]]),
      0x02, 0x40, 0x03, 0x40, //                      block, loop (rows)
      ...get(2), 0x45, 0x0d, 1, //                    count == 0 -> exit
      ...zero, ...set(6), ...zero, ...set(7),
      ...i32(0), ...set(5), //                        j = 0
      ...(gather
        ? [...get(1), ...get(4), 0x28, 2, 0, ...get(3), 0x6c, ...add, ...set(8)] // row address = rows + out[i] * strideBytes
        : [...get(1), ...set(8)]),
      0x03, 0x40, //                                  loop (columns), 8 values a step
      ...get(6), ...rowLoad(0), ...queryLoad(0), ...mulAdd, ...set(6),
      ...get(7), ...rowLoad(half ? 8 : 16), ...queryLoad(16), ...mulAdd, ...set(7),
      ...get(5), ...i32(32), ...add, ...tee(5), ...get(3), ...(half ? [...i32(1), 0x74] : []), 0x49, 0x0d, 0, // j < query bytes -> again
      0x0b,
      ...get(6), ...get(7), 0xfd, 0xe4, 0x01, ...set(6), // acc0 += acc1
      ...get(4), ...lane(0), ...lane(1), 0x92, ...lane(2), ...lane(3), 0x92, 0x92, 0x38, 2, 0, // *out = sum of lanes
      ...get(4), ...i32(4), ...add, ...set(4), //      out += 4
      ...(gather ? [] : [...get(1), ...get(3), ...add, ...set(1)]), // rows += strideBytes
      ...get(2), ...i32(1), 0x6b, ...set(2), //       count -= 1
      0x0c, 0, //                                     next row
      0x0b, 0x0b, 0x0b,
    ];
    return [...uleb(body.length), ...body];
  };
  const names = ['dots', 'dots16', 'gather', 'gather16'];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec([[I32], [I32], [I32], [I32], [I32]]), 0]])),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x00, 0x01]])),
    ...section(3, vec(names.map(() => [0]))),
    ...section(7, vec(names.map((exported, i) => [...name(exported), 0x00, i]))),
    ...section(10, vec([kernel(false, false), kernel(true, false), kernel(false, true), kernel(true, true)])),
  ]);
}

let compiled: WebAssembly.Module | undefined;

type DotsFunction = (query: number, rows: number, count: number, strideBytes: number, out: number) => void;

/** How rows are stored: 4 bytes a value, or IEEE half precision (2 bytes, about 3 decimal digits). */
export type Precision = 'float32' | 'float16';

const floatBits = new Float32Array(1);
const floatWord = new Uint32Array(floatBits.buffer);

/** float32 bits -> float16 bits, rounded to nearest even (overflow to infinity, underflow to zero). */
function halfBits(word: number): number {
  const sign = (word >>> 16) & 0x8000;
  const exponent = ((word >>> 23) & 0xff) - 112;
  let mantissa = word & 0x7fffff;
  if (exponent >= 31) return sign | 0x7c00;
  if (exponent <= 0) {
    if (exponent < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - exponent;
    let half = mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const middle = 1 << (shift - 1);
    if (rest > middle || (rest === middle && half & 1)) half++;
    return sign | half;
  }
  let half = (exponent << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++; // a carry into the exponent is right
  return sign | half;
}

/** The float32 value of `value` rounded to float16 (what a float16 matrix stores). */
export function roundToHalf(value: number): number {
  floatBits[0] = value;
  return halfValue(halfBits(floatWord[0]!));
}

let halfTable: Float32Array | undefined;
function halfValue(bits: number): number {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) {
      const exponent = (h >>> 10) & 0x1f, mantissa = h & 0x3ff;
      const magnitude = exponent === 0 ? mantissa * 2 ** -24 : exponent === 31 ? (mantissa ? NaN : Infinity) : (1 + mantissa / 1024) * 2 ** (exponent - 15);
      halfTable[h] = h & 0x8000 ? -magnitude : magnitude;
    }
  }
  return halfTable[bits]!;
}

/** Rows of `dim` values (float32 or float16) with dot-product kernels over all rows or chosen ones. */
export class DotMatrix {
  readonly dim: number;
  /** Values per row in memory: dim rounded up to a multiple of 8. */
  readonly stride: number;
  readonly precision: Precision;
  private readonly valueBytes: number;
  private memory: WebAssembly.Memory;
  private readonly dots: DotsFunction;
  private readonly gather: DotsFunction;
  private rowCount = 0;
  private capacity: number;

  constructor(dim: number, initialCapacity = 1024, precision: Precision = 'float32') {
    if (!Number.isInteger(dim) || dim <= 0) throw new RangeError(`dimension must be a positive integer, got ${dim}`);
    this.dim = dim;
    this.stride = Math.ceil(dim / 8) * 8;
    this.precision = precision;
    this.valueBytes = precision === 'float16' ? 2 : 4;
    if (this.stride * 4 > QUERY_BYTES) throw new RangeError(`dimension ${dim} is above the ${QUERY_BYTES / 4} supported`);
    compiled ??= new WebAssembly.Module(dotsModule());
    this.capacity = Math.max(16, initialCapacity);
    this.memory = new WebAssembly.Memory({ initial: Math.ceil(this.bytesFor(this.capacity) / PAGE) });
    const { exports } = new WebAssembly.Instance(compiled, { env: { memory: this.memory } });
    this.dots = exports[precision === 'float16' ? 'dots16' : 'dots'] as DotsFunction;
    this.gather = exports[precision === 'float16' ? 'gather16' : 'gather'] as DotsFunction;
  }

  get rows(): number {
    return this.rowCount;
  }

  /** Bytes the matrix's memory holds now (rows reserved, query and scores included). */
  get bytes(): number {
    return this.memory.buffer.byteLength;
  }

  private get rowBytes(): number {
    return this.stride * this.valueBytes;
  }

  /** Bytes of memory needed for `capacity` rows (query, rows, scores). */
  private bytesFor(capacity: number): number {
    return QUERY_BYTES + capacity * (this.rowBytes + 4);
  }

  /** The most rows one matrix holds (a WebAssembly memory stops at 4 GiB). */
  get maxRows(): number {
    return Math.floor((MAX_BYTES - QUERY_BYTES) / (this.rowBytes + 4));
  }

  /** Makes room for `total` rows (amortised doubling). Throws RangeError past 4 GiB. */
  reserve(total: number): void {
    if (total <= this.capacity) return;
    let capacity = Math.max(total, this.capacity * 2);
    if (this.bytesFor(capacity) > MAX_BYTES) capacity = Math.max(total, this.maxRows);
    const bytes = this.bytesFor(capacity);
    if (bytes > MAX_BYTES) {
      throw new RangeError(`${total} rows of ${this.dim} ${this.precision} values need ${(bytes / 2 ** 30).toFixed(1)} GiB, above the 4 GiB a WebAssembly memory holds`);
    }
    const pages = Math.ceil(bytes / PAGE) - this.memory.buffer.byteLength / PAGE;
    if (pages > 0) this.memory.grow(pages);
    this.capacity = capacity;
  }

  /** The row storage (stride values per row); a fresh view: memory growth detaches old ones. */
  private storage(): Float32Array | Uint16Array {
    return this.precision === 'float16'
      ? new Uint16Array(this.memory.buffer, QUERY_BYTES, this.capacity * this.stride)
      : new Float32Array(this.memory.buffer, QUERY_BYTES, this.capacity * this.stride);
  }

  /** Appends `count` rows of `dim` floats each, read contiguously from `source` at `offset`. */
  append(source: Float32Array, count: number, offset = 0): void {
    this.reserve(this.rowCount + count);
    const data = this.storage();
    if (data instanceof Uint16Array) {
      const words = new Uint32Array(source.buffer, source.byteOffset, source.length);
      for (let r = 0; r < count; r++) {
        const at = (this.rowCount + r) * this.stride;
        const from = offset + r * this.dim;
        for (let j = 0; j < this.dim; j++) data[at + j] = halfBits(words[from + j]!);
        data.fill(0, at + this.dim, at + this.stride);
      }
    } else if (this.stride === this.dim) {
      data.set(source.subarray(offset, offset + count * this.dim), this.rowCount * this.stride);
    } else {
      for (let r = 0; r < count; r++) {
        const at = (this.rowCount + r) * this.stride;
        data.set(source.subarray(offset + r * this.dim, offset + (r + 1) * this.dim), at);
        data.fill(0, at + this.dim, at + this.stride);
      }
    }
    this.rowCount += count;
  }

  /** Copies the last row over row `index` and drops the last row (order is not kept). */
  swapRemove(index: number): void {
    const last = this.rowCount - 1;
    if (index !== last) {
      const data = this.storage();
      data.copyWithin(index * this.stride, last * this.stride, (last + 1) * this.stride);
    }
    this.rowCount = last;
  }

  /** Overwrites row `index` (< rows) with `vector` (dim floats). */
  setRow(index: number, vector: ArrayLike<number>): void {
    const data = this.storage();
    const at = index * this.stride;
    if (data instanceof Uint16Array) {
      for (let j = 0; j < this.dim; j++) {
        floatBits[0] = vector[j]!;
        data[at + j] = halfBits(floatWord[0]!);
      }
    } else {
      for (let j = 0; j < this.dim; j++) data[at + j] = vector[j]!;
    }
  }

  /** Sets the row count to `rows` (rows past the old count are zero-filled). */
  resize(rows: number): void {
    this.reserve(rows);
    if (rows > this.rowCount) this.storage().fill(0, this.rowCount * this.stride, rows * this.stride);
    this.rowCount = rows;
  }

  clear(): void {
    this.rowCount = 0;
  }

  /** Row `index` (dim floats, float16 values widened), copied. */
  row(index: number): Float32Array {
    const data = this.storage();
    const at = index * this.stride;
    if (data instanceof Float32Array) return data.slice(at, at + this.dim);
    const out = new Float32Array(this.dim);
    for (let j = 0; j < this.dim; j++) out[j] = halfValue(data[at + j]!);
    return out;
  }

  private setQuery(query: Float32Array): void {
    const queryView = new Float32Array(this.memory.buffer, 0, this.stride);
    queryView.set(query.subarray(0, this.dim));
    queryView.fill(0, this.dim);
  }

  private get scoresOffset(): number {
    return QUERY_BYTES + this.capacity * this.rowBytes;
  }

  /**
   * Dot products of `query` (dim floats) with every row. The result is a view into the matrix's
   * memory, valid until the next call or append.
   */
  dotAll(query: Float32Array): Float32Array {
    this.setQuery(query);
    const scoresOffset = this.scoresOffset;
    if (this.rowCount > 0) this.dots(0, QUERY_BYTES, this.rowCount, this.rowBytes, scoresOffset);
    return new Float32Array(this.memory.buffer, scoresOffset, this.rowCount);
  }

  /**
   * Dot products of `query` with the rows numbered in `rows` (each < this.rows, at most as many
   * numbers as rows reserved): result[i] = row rows[i] . query. A view, valid until the next call.
   */
  dotRows(query: Float32Array, rows: Int32Array): Float32Array {
    const count = rows.length;
    if (count > this.capacity) throw new RangeError(`${count} row numbers, more than the ${this.capacity} rows reserved`);
    this.setQuery(query);
    const scoresOffset = this.scoresOffset;
    new Int32Array(this.memory.buffer, scoresOffset, count).set(rows);
    if (count > 0) this.gather(0, QUERY_BYTES, count, this.rowBytes, scoresOffset);
    return new Float32Array(this.memory.buffer, scoresOffset, count);
  }
}
