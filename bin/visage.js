#!/usr/bin/env node
// The visage command runs the compiled CLI in dist/ (npm run build; npm install runs it through prepare).
try {
  await import('../dist/cli/main.js');
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('dist')) throw error;
  console.error('visage: the compiled CLI (dist/) is missing: run npm run build');
  process.exitCode = 1;
}
