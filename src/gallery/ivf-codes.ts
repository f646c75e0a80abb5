// CodeLists: the IVF index's own copy of the faces, one byte a value, list by list. A list's codes
// lie together in memory, so scoring a probed list reads one run of bytes; the index's float32 or
// float16 matrix is not reordered (its rows keep their numbers) and is read only to re-score the
// few best candidates at full precision. That is what lets the index be built beside a live
// matrix, in the background, while searches go on exactly.
//
// A code is the face minus the mean face, divided per dimension by a scale (the largest absolute
// value of that dimension in the training sample over 127), rounded to a signed byte. The query is
// multiplied by the same scales and rounded to 16 bits, so a row's approximate score is
// sum_j query16_j * code_j (i32x4.dot_i16x8_s: 8 values per instruction), which ranks rows as
// query . face does up to rounding: query . mean is the same for every row.
//
// Memory (one WebAssembly memory): [0, 64 KiB) the query (int16); then SCRATCH float scores; then
// the lists' segments. A list that outgrows its segment moves to a segment twice as long at the end
// (the old one is left empty: `wastedBytes`).
import { sleb, uleb, vec, section, name } from './dot-kernel.ts';

const PAGE = 65536;
const QUERY_BYTES = PAGE;
/** Scores one kernel call writes at most: a longer list is scored in pieces. */
export const SCRATCH_ROWS = 65536;
const CODES_START = QUERY_BYTES + SCRATCH_ROWS * 4;
const MAX_BYTES = 65536 * PAGE;

/**
 * codes(query, rows, count, strideBytes, out): out[r] = sum_j query[j] * rows[r][j] as float32,
 * query int16, rows int8 (strideBytes values each). The module is made for one stride, its column
 * loop written out (constant offsets, two accumulators): a third of the instructions of the loop
 * with index arithmetic it replaced.
 */
function codesModule(stride: number): Uint8Array<ArrayBuffer> {
  const I32 = 0x7f, V128 = 0x7b;
  // params 0 query, 1 rows, 2 count, 3 strideBytes, 4 out; locals 5 (unused), 6 acc0, 7 acc1
  const get = (i: number) => [0x20, i];
  const set = (i: number) => [0x21, i];
  const i32 = (value: number) => [0x41, ...sleb(value)];
  const zero = [0xfd, 0x0c, ...new Array(16).fill(0)];
  const add = [0x6a];
  const codeLoad = (offset: number) => [...get(1), 0xfd, 0x01, 0, ...uleb(offset)]; // v128.load8x8_s rows + offset
  const queryLoad = (offset: number) => [...get(0), 0xfd, 0x00, 0, ...uleb(offset)]; // v128.load query + offset
  const dotAdd = [0xfd, 0xba, 0x01, 0xfd, 0xae, 0x01]; // i32x4.dot_i16x8_s, i32x4.add
  const lane = (i: number) => [...get(6), 0xfd, 0x1b, i]; // i32x4.extract_lane
  const columns: number[] = [];
  for (let j = 0; j < stride; j += 8) {
    const acc = (j / 8) % 2 === 0 ? 6 : 7;
    columns.push(...get(acc), ...codeLoad(j), ...queryLoad(2 * j), ...dotAdd, ...set(acc));
  }
  const body = [
    ...vec([[1, I32], [2, V128]]),
    0x02, 0x40, 0x03, 0x40, //                      block, loop (rows)
    ...get(2), 0x45, 0x0d, 1, //                    count == 0 -> exit
    ...zero, ...set(6), ...zero, ...set(7),
    ...columns,
    ...get(6), ...get(7), 0xfd, 0xae, 0x01, ...set(6),
    ...get(4), ...lane(0), ...lane(1), ...add, ...lane(2), ...add, ...lane(3), ...add, 0xb2, 0x38, 2, 0, // *out = (float) sum of lanes
    ...get(4), ...i32(4), ...add, ...set(4),
    ...get(1), ...get(3), ...add, ...set(1),
    ...get(2), ...i32(1), 0x6b, ...set(2),
    0x0c, 0,
    0x0b, 0x0b, 0x0b,
  ];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec([[I32], [I32], [I32], [I32], [I32]]), 0]])),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x00, 0x01]])),
    ...section(3, vec([[0]])),
    ...section(7, vec([[...name('codes'), 0x00, 0]])),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ]);
}

/** Compiled kernels by stride. */
const compiled = new Map<number, WebAssembly.Module>();
type CodesFunction = (query: number, rows: number, count: number, strideBytes: number, out: number) => void;

export class CodeLists {
  readonly dim: number;
  /** Bytes per code: dim rounded up to a multiple of 16. */
  readonly stride: number;
  private readonly mean: Float32Array;
  /** Per dimension: the value one code step stands for. */
  private readonly scale: Float32Array;
  private readonly inverse: Float32Array;
  private memory: WebAssembly.Memory;
  private readonly kernel: CodesFunction;
  /** Per list: where its segment starts (in codes from CODES_START) and how many codes it holds. */
  private readonly start: Float64Array;
  private readonly capacity: Int32Array;
  /** Codes reserved so far (segments end to end). */
  private used = 0;
  private wasted = 0;
  private readonly code: Int8Array;

  /** `expected[list]`: about how many codes each list will hold (segments are sized from it). */
  constructor(dim: number, mean: Float32Array, spread: Float32Array, expected: ArrayLike<number>) {
    this.dim = dim;
    this.stride = Math.ceil(dim / 16) * 16;
    if (this.stride * 2 > QUERY_BYTES) throw new RangeError(`dimension ${dim} is above the ${QUERY_BYTES / 2} supported`);
    this.mean = mean;
    this.scale = Float32Array.from(spread, (s) => (s > 0 ? s / 127 : 1));
    this.inverse = Float32Array.from(this.scale, (s) => 1 / s);
    const lists = expected.length;
    this.start = new Float64Array(lists);
    this.capacity = new Int32Array(lists);
    let total = 0;
    for (let list = 0; list < lists; list++) {
      this.start[list] = total;
      this.capacity[list] = Math.ceil(expected[list]! * 1.2) + 16;
      total += this.capacity[list]!;
    }
    this.used = total;
    let module = compiled.get(this.stride);
    if (!module) compiled.set(this.stride, module = new WebAssembly.Module(codesModule(this.stride)));
    this.memory = new WebAssembly.Memory({ initial: Math.ceil(this.bytesFor(total) / PAGE) });
    this.kernel = (new WebAssembly.Instance(module, { env: { memory: this.memory } }).exports as { codes: CodesFunction }).codes;
    this.code = new Int8Array(this.stride);
  }

  /** Bytes the codes' memory holds (query, scratch, segments with their free room). */
  get bytes(): number {
    return this.memory.buffer.byteLength;
  }

  /** Bytes of segments left behind by lists that moved. */
  get wastedBytes(): number {
    return this.wasted * this.stride;
  }

  private bytesFor(codes: number): number {
    return CODES_START + codes * this.stride;
  }

  private address(list: number, pos: number): number {
    return CODES_START + (this.start[list]! + pos) * this.stride;
  }

  /** Writes the code of `vector` (dim floats) at position `pos` of `list` (growing its segment). */
  put(list: number, pos: number, vector: Float32Array, size: number): void {
    if (pos >= this.capacity[list]!) this.grow(list, size);
    const code = this.code;
    for (let j = 0; j < this.dim; j++) {
      const value = Math.round((vector[j]! - this.mean[j]!) * this.inverse[j]!);
      code[j] = value > 127 ? 127 : value < -127 ? -127 : value;
    }
    new Int8Array(this.memory.buffer, this.address(list, pos), this.stride).set(code);
  }

  /** Copies the code at `from` over the code at `to` (same list). */
  move(list: number, from: number, to: number): void {
    const at = this.address(list, from);
    new Uint8Array(this.memory.buffer).copyWithin(this.address(list, to), at, at + this.stride);
  }

  /** Sets the query for the next scan() calls. */
  setQuery(query: Float32Array): void {
    let largest = 0;
    for (let j = 0; j < this.dim; j++) largest = Math.max(largest, Math.abs(query[j]! * this.scale[j]!));
    const factor = largest > 0 ? 32767 / largest : 0;
    const view = new Int16Array(this.memory.buffer, 0, this.stride);
    for (let j = 0; j < this.dim; j++) view[j] = Math.round(query[j]! * this.scale[j]! * factor);
    view.fill(0, this.dim);
  }

  /**
   * Approximate scores (in the query's own units: only their order means anything) of codes
   * [from, from + count) of `list`, count <= SCRATCH_ROWS. A view, valid until the next call.
   */
  scan(list: number, from: number, count: number): Float32Array {
    this.kernel(0, this.address(list, from), count, this.stride, QUERY_BYTES);
    return new Float32Array(this.memory.buffer, QUERY_BYTES, count);
  }

  private grow(list: number, size: number): void {
    const capacity = Math.max(16, this.capacity[list]! * 2);
    const bytes = this.bytesFor(this.used + capacity);
    if (bytes > MAX_BYTES) throw new RangeError(`the approximate index's codes need ${(bytes / 2 ** 30).toFixed(1)} GiB, above the 4 GiB a WebAssembly memory holds`);
    const pages = Math.ceil(bytes / PAGE) - this.memory.buffer.byteLength / PAGE;
    if (pages > 0) this.memory.grow(pages);
    const from = this.address(list, 0);
    const start = this.used;
    new Uint8Array(this.memory.buffer).copyWithin(CODES_START + start * this.stride, from, from + size * this.stride);
    this.wasted += this.capacity[list]!;
    this.start[list] = start;
    this.capacity[list] = capacity;
    this.used += capacity;
  }
}
