// All TF op translators by TF op name.
import { convOps } from './conv.ts';
import { elementwiseOps, type OpHandler } from './elementwise.ts';
import { matmulOps } from './matmul.ts';
import { poolOps } from './pool.ts';
import { reduceOps } from './reduce.ts';
import { shapeOps } from './shape.ts';

export type { OpHandler } from './elementwise.ts';

export const tfOps: Readonly<Record<string, OpHandler>> = {
  ...elementwiseOps,
  ...convOps,
  ...matmulOps,
  ...poolOps,
  ...reduceOps,
  ...shapeOps,
};
