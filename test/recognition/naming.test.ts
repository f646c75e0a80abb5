import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { nameForImage, nameFromFileName } from '../../src/recognition/naming.ts';

test('nameFromFileName: the file name without a trailing number, underscores read as spaces', () => {
  const cases: [string, string | null][] = [
    ['Ada.jpg', 'Ada'],
    ['Ada_2.jpg', 'Ada'],
    ['Ada (3).png', 'Ada'],
    ['Ada-04.jpeg', 'Ada'],
    ['people/George_W_Bush_0001.jpg', 'George W Bush'],
    ['Ada_Lovelace.jpg', 'Ada Lovelace'],
    ['Zoë Saldaña 2.jpg', 'Zoë Saldaña'],
    ['R2D2.jpg', 'R2D2'],
    ['penny1.png', 'penny'],
    ['IMG_1234.jpg', null],
    ['DSC_0042.JPG', null],
    ['PXL_20240101_123456.jpg', null],
    ['0001.jpg', null],
    ['2.png', null],
    ['___.png', null],
  ];
  for (const [file, name] of cases) assert.equal(nameFromFileName(file), name, file);
});

test('nameForImage: a subfolder names the person; files directly in the folder are named after themselves', () => {
  const root = path.join('data', 'people');
  assert.equal(nameForImage(root, path.join(root, 'amy', 'amy1.png')), 'amy');
  assert.equal(nameForImage(root, path.join(root, 'amy', 'party', 'x.png')), 'amy');
  assert.equal(nameForImage(root, path.join(root, 'Howard_Wolowitz_2.png')), 'Howard Wolowitz');
  assert.equal(nameForImage(root, path.join(root, 'IMG_0001.png')), null);
});
