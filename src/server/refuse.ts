// Refusals answered before any work (no key, a wrong key, too large, busy): cheap, and in turns.
// Under a flood most requests are refused, and what each refusal costs is what a cheap request
// (/health) waits behind; so they are answered from the hook that decides them, without the error
// handler's round or an Error object, at most REFUSALS_PER_TURN per turn of the event loop, and
// the rest of a refused body is dropped as it comes, never kept.
import type { IncomingMessage } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCodes, type ErrorCode } from '../errors.ts';

/** How long the rest of a refused body is read and dropped before the connection is cut. */
const LINGER_MS = 2000;

/**
 * After an answer given before the body was read (413, 503, a bad part), the rest of the body is
 * read and dropped, never kept, for at most LINGER_MS; then the connection is cut. Closing at once
 * would make the client's system discard the answer (a TCP reset while it is still sending), so it
 * would see "connection reset" instead of 413 or 503.
 */
export function discardRestOfBody(raw: IncomingMessage): void {
  // A request received whole (a GET, a body already in) has nothing left to drop: its connection stays.
  if (raw.complete || raw.readableEnded) return;
  const timer = setTimeout(() => { if (typeof raw.socket?.destroy === 'function') raw.socket.destroy(); }, LINGER_MS);
  timer.unref();
  raw.once('end', () => clearTimeout(timer));
  raw.once('close', () => clearTimeout(timer));
  raw.resume();
}

/** Refusals answered per turn of the event loop. */
const REFUSALS_PER_TURN = 32;
let refusalsThisTurn = 0;
let turnScheduled = false;
const waitingRefusals: (() => void)[] = [];

function nextTurn(): void {
  refusalsThisTurn = 0;
  turnScheduled = false;
  for (const resume of waitingRefusals.splice(0, REFUSALS_PER_TURN)) {
    refusalsThisTurn++;
    resume();
  }
  if (refusalsThisTurn > 0) {
    turnScheduled = true;
    setImmediate(nextTurn);
  }
}

/**
 * Waits for this refusal's turn: at most REFUSALS_PER_TURN are answered per turn of the event
 * loop. A thousand requests arriving at once are read in one go; answering all their refusals in
 * that same go would keep a request that arrived meanwhile (/health, a list) waiting behind all of
 * them (measured: 300-375 ms with 1,000). In turns, the loop reads what came in between.
 */
function refusalTurn(): Promise<void> | undefined {
  if (!turnScheduled) {
    turnScheduled = true;
    setImmediate(nextTurn);
  }
  if (refusalsThisTurn < REFUSALS_PER_TURN && waitingRefusals.length === 0) {
    refusalsThisTurn++;
    return undefined;
  }
  return new Promise((resolve) => waitingRefusals.push(resolve));
}

/**
 * A refusal answered from the hook itself, without the error handler's round: under a flood of
 * requests most are refused, and what each refusal costs is what a cheap request (/health) waits
 * behind. The answer is the one the error handler would give.
 */
export async function refuse(request: FastifyRequest, reply: FastifyReply, code: ErrorCode, message: string = ErrorCodes[code].message): Promise<FastifyReply> {
  await refusalTurn();
  const status = ErrorCodes[code].status;
  if (status === 503) reply.header('retry-after', '1');
  discardRestOfBody(request.raw);
  return reply.code(status).type('application/json; charset=utf-8').send(`{"error":${JSON.stringify({ code, message })}}`);
}
