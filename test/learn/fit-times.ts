// Fit time of each classifier kind at the two sizes that matter (not a test; run by hand):
//   node --import tsx test/learn/fit-times.ts
// 500 x 128-d x 5 classes (celeb5-like with faceapi-recognition) and 400 x 1152-d x 40 classes
// (ORL-like with an ensemble of embedders). CPU time is printed beside wall time because the
// machine may be shared. Default options throughout.
import { fit, CLASSIFIER_KINDS } from '../../src/learn/index.ts';
import { clusters } from './synthetic.ts';

const sets = [
  { name: '500 x 128-d x 5', data: clusters({ d: 128, counts: new Array(5).fill(100), noise: 1.5, seed: 1 }) },
  { name: '400 x 1152-d x 40', data: clusters({ d: 1152, counts: new Array(40).fill(10), noise: 1.5, seed: 2 }) },
];
fit('logistic', sets[0].data.X.slice(50, 150), sets[0].data.y.slice(50, 150)); // warm the JIT
for (const { name, data } of sets) {
  for (const kind of CLASSIFIER_KINDS) {
    const cpu = process.cpuUsage();
    const start = performance.now();
    const model = fit(kind, data.X, data.y);
    const wall = performance.now() - start;
    const used = process.cpuUsage(cpu);
    const extra = kind === 'mlp' ? ` (${JSON.stringify(model.toJSON().epochs)})` : '';
    console.log(`${name.padEnd(18)} ${kind.padEnd(9)} wall ${wall.toFixed(0).padStart(6)} ms  cpu ${((used.user + used.system) / 1000).toFixed(0).padStart(6)} ms${extra}`);
  }
}
