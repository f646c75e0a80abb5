// visage keys and visage serve as a user runs them: keys made, listed and revoked in the server
// file beside the gallery; serve refuses a non-loopback address without keys, and serves,
// answers and stops on SIGTERM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { VISAGE_ARGS } from '../helpers/cli.ts';

const bin = VISAGE_ARGS;
const visage = (args: string[]) => spawnSync(process.execPath, [...bin, ...args], { encoding: 'utf8', timeout: 120_000 });

test('visage keys create, list, revoke: the secret printed once, stored hashed beside the gallery', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'visage-keys-'));
  try {
    const db = path.join(dir, 'people.db');
    const created = visage(['keys', 'create', '--scope', 'recognise', '--name', 'kiosk', '--db', db]);
    assert.equal(created.status, 0, created.stderr);
    const key = created.stdout.trim();
    assert.match(key, /^vsk_[\w-]{43}$/);
    assert.match(created.stderr, /only time it is shown/);
    assert.ok(existsSync(path.join(dir, 'people.server.db')));
    const admin = JSON.parse(visage(['keys', 'create', '--scope', 'admin', '--db', db, '--json']).stdout);
    assert.equal(admin.scope, 'admin');
    const list = JSON.parse(visage(['keys', 'list', '--db', db, '--json']).stdout);
    assert.deepEqual(list.map((k: { name: string; scope: string }) => [k.name, k.scope]), [['kiosk', 'recognise'], ['admin key', 'admin']]);
    assert.ok(list.every((k: Record<string, unknown>) => !('key' in k)));
    const table = visage(['keys', 'list', '--db', db]);
    assert.doesNotMatch(table.stdout, new RegExp(key.slice(12)), 'the secret is never listed');
    assert.equal(visage(['keys', 'revoke', String(list[0].id), '--db', db]).status, 0);
    assert.equal(JSON.parse(visage(['keys', 'list', '--db', db, '--json']).stdout).length, 1);
    assert.equal(JSON.parse(visage(['keys', 'list', '--all', '--db', db, '--json']).stdout).length, 2);
    const unknown = visage(['keys', 'revoke', '99', '--db', db]);
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /no key with id 99/);
    assert.equal(visage(['keys', 'create', '--scope', 'root', '--db', db]).status, 2);
    assert.equal(visage(['keys', 'list', '--db', path.join(dir, 'none.db')]).status, 1);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('visage serve refuses a non-loopback address while there is no key', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'visage-serve-'));
  try {
    const res = visage(['serve', '--host', '0.0.0.0', '--db', path.join(dir, 'g.db')]);
    assert.equal(res.status, 2);
    assert.match(res.stderr, /without an API key: create one first/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('visage serve listens on localhost, answers, and stops on SIGTERM', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'visage-serve-'));
  const child = spawn(process.execPath, [...bin, 'serve', '--port', '0', '--db', path.join(dir, 'g.db')], { stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    let stderr = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start in 120 s: ${stderr}`)), 120_000);
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const match = /serving (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
        if (match) { clearTimeout(timer); resolve(match[1]!); }
      });
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`exited ${code}: ${stderr}`)); });
    });
    assert.match(stderr, /no API keys: open to this machine only/);
    assert.equal((await (await fetch(`${url}/health`)).json()).status, 'ok');
    const created = await fetch(`${url}/v1/subjects`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Ada' }) });
    assert.equal(created.status, 201);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
});

test('visage serve --help names the flags as they are: --model NAME=FILE, made by visage train DIR --model FILE', () => {
  const help = visage(['serve', '--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--model NAME=FILE\s+a trained classifier \(visage train DIR --model FILE\.visage\)/);
  assert.doesNotMatch(help.stdout, /--out FILE/);
  const train = visage(['train', '--help']);
  assert.match(train.stdout, /--model /, 'train writes its model with --model');
});

test('visage serve started by npx stops when npx is killed (npm does not pass the kill on)', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'visage-serve-'));
  // A stand-in for npm exec: a parent that starts the server with npx's environment, prints its
  // pid once it serves, then is killed without a chance to pass anything on.
  const parentScript = `
    const { spawn } = require('node:child_process');
    const child = spawn(process.execPath, JSON.parse(process.argv[1]), { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, npm_command: 'exec' } });
    child.stderr.on('data', (d) => { if (/serving http/.test(String(d))) console.log(child.pid); });
    setInterval(() => {}, 1000);`;
  const parent = spawn(process.execPath, ['-e', parentScript, JSON.stringify([...bin, 'serve', '--port', '0', '--db', path.join(dir, 'g.db')])], { stdio: ['ignore', 'pipe', 'inherit'] });
  let serverPid = 0;
  try {
    serverPid = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no start in 120 s')), 120_000);
      parent.stdout.once('data', (chunk: Buffer) => { clearTimeout(timer); resolve(Number(String(chunk).trim())); });
    });
    const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };
    assert.ok(alive(serverPid));
    parent.kill('SIGKILL');
    const deadline = Date.now() + 10_000;
    while (alive(serverPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    assert.ok(!alive(serverPid), 'the server outlived npx by 10 s');
  } finally {
    if (parent.exitCode === null) parent.kill('SIGKILL');
    if (serverPid) { try { process.kill(serverPid, 'SIGKILL'); } catch { /* gone */ } }
    await rm(dir, { recursive: true, force: true });
  }
});
