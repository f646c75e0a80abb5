// Child process of bench/engine.ts: loads the default models into a fresh engine and prints
// how long that took, measured inside the process (after Node and the TypeScript loader started).
const started = performance.now();
const { Engine } = await import('../src/runtime/engine.ts');
const { modelIdsOf } = await import('../src/visage.ts');
const dir = process.argv[2];
const engine = await Engine.create({ modelDir: dir });
const imported = performance.now();
await Promise.all(modelIdsOf().map((id) => engine.session(id)));
const loaded = performance.now();
await engine.close();
process.stdout.write(`${JSON.stringify({ importMs: imported - started, loadMs: loaded - imported, totalMs: loaded - started })}\n`);
