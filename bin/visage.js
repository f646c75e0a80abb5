#!/usr/bin/env node
// Visage is written in TypeScript and runs from source through tsx's loader.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
