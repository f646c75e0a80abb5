// Folders of images with symbolic links: links to folders and files are followed, a link back to
// a folder above ends instead of looping, a dangling link is passed over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { imagesUnder, listFolder, scanFolder } from '../../../src/face/image/files.ts';
import { readLabelledFolder } from '../../../src/classify/dataset.ts';
import { dataset, skipUnless } from '../../helpers/datasets.ts';

const skip = skipUnless('orl', 's1');
const orl = (...parts: string[]) => dataset('orl', ...parts);

test('scanFolder follows links to folders and to files, reads a folder reached twice once, and passes over dangling links', { skip }, async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'visage-links-'));
  try {
    await mkdir(path.join(root, 'own'));
    await copyFile(orl('s1', '1.png'), path.join(root, 'own', '1.png'));
    await symlink(orl('s2'), path.join(root, 'linked'), 'dir');            // a folder kept elsewhere
    await symlink(orl('s3', '1.png'), path.join(root, 'one.png'));         // a file kept elsewhere
    await symlink(root, path.join(root, 'own', 'up'), 'dir');               // a cycle: back to the root
    await symlink(path.join(root, 'own'), path.join(root, 'same'), 'dir');  // a second way into own/
    await symlink(path.join(root, 'nowhere'), path.join(root, 'dangling.png'));
    await symlink(path.join(root, 'nowhere'), path.join(root, 'dangling-folder'));
    await symlink(orl('s4'), path.join(root, '.hidden'), 'dir');

    const images = await imagesUnder(root);
    const expected = [
      path.join(root, 'linked', '1.png'), // ORL s2: ten images, sorted by name
      ...['10', '2', '3', '4', '5', '6', '7', '8', '9'].map((n) => path.join(root, 'linked', `${n}.png`)),
      path.join(root, 'one.png'),
      path.join(root, 'own', '1.png'),
    ];
    assert.deepEqual(images, expected);
    assert.deepEqual((await scanFolder(root)).videos, []);

    // The folder given may itself be a link.
    await symlink(root, path.join(os.tmpdir(), `${path.basename(root)}-link`), 'dir');
    try {
      assert.equal((await imagesUnder(path.join(os.tmpdir(), `${path.basename(root)}-link`))).length, expected.length);
    } finally {
      await rm(path.join(os.tmpdir(), `${path.basename(root)}-link`));
    }

    assert.deepEqual((await listFolder(root)).map((e) => `${e.name}:${e.kind}`),
      ['linked:folder', 'one.png:file', 'own:folder', 'same:folder']);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('readLabelledFolder takes a person folder that is a link, named after the link', { skip }, async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'visage-links-'));
  try {
    await mkdir(path.join(root, 'kept'));
    await copyFile(orl('s1', '1.png'), path.join(root, 'kept', '1.png'));
    await symlink(orl('s5'), path.join(root, 'ada'), 'dir');
    await symlink(path.join(root, 'nowhere'), path.join(root, 'grace'), 'dir');
    const data = await readLabelledFolder(root, { minClasses: 2 });
    assert.deepEqual(data.classes, ['ada', 'kept']);
    assert.equal(data.images.filter((i) => i.label === 'ada').length, 10);
    assert.ok(data.images.every((i) => i.label !== 'ada' || i.file.startsWith(path.join(root, 'ada') + path.sep)));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
