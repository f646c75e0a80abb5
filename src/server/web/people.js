// "People to name" on the Visage web page: photos added to /v1/clusters, their faces grouped by
// person as strips of thumbnails; name a cluster, merge it with another, split selected faces off,
// or say "not this person" of selected faces. Plain JavaScript over the REST API (same origin),
// with the API key app.js keeps in sessionStorage.
import { $, element as el, request as call } from './common.js';

/** Faces shown per strip (the count says how many there are). */
const SHOWN = 24;
/** Images per request (the server's default maxImages). */
const BATCH = 10;

function say(text) {
  $('clusters-status').textContent = text;
}

/** Object URLs of the thumbnails shown, freed when the view is drawn again. */
let urls = [];

async function thumbnail(face) {
  const img = el('img', { alt: face.file, title: `${face.file} (${face.key})`, width: 72, height: 72, dataset: { key: face.key } });
  call(face.thumbnail).then(({ body }) => {
    const url = URL.createObjectURL(body);
    urls.push(url);
    img.src = url;
  }).catch(() => img.classList.add('missing'));
  img.addEventListener('click', () => img.classList.toggle('selected'));
  return img;
}

const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

const selected = (row) => [...row.querySelectorAll('img.selected')].map((img) => img.dataset.key);

/** Runs a change, then draws the view again; errors go to the status line. */
async function act(button, change) {
  button.disabled = true;
  say('');
  try {
    const message = await change();
    await load();
    if (message) say(message);
  } catch (error) {
    say(error.message);
  } finally {
    button.disabled = false;
  }
}

async function strip(faces, size) {
  const div = el('div', { className: 'strip' });
  for (const face of faces.slice(0, SHOWN)) div.append(await thumbnail(face));
  if (size > SHOWN) div.append(el('span', { className: 'more', textContent: `+${size - SHOWN}` }));
  return div;
}

function notButton(row, subject) {
  const button = el('button', { type: 'button', className: 'danger', textContent: `Not ${subject}` });
  button.addEventListener('click', () => act(button, async () => {
    const keys = selected(row);
    if (keys.length === 0) throw new Error('select the faces that are not this person (click them) first');
    for (const key of keys) await call(`/v1/clusters/faces/${key}/not`, { method: 'POST', json: { subject } });
    return `${plural(keys.length, 'face')} kept as not ${subject}`;
  }));
  return button;
}

async function clusterRow(cluster, all) {
  const row = el('li', { className: 'cluster', dataset: { id: cluster.id } });
  const title = el('strong', { textContent: cluster.subject ? `${cluster.subject}` : cluster.id });
  const tools = el('div', { className: 'row' });
  const nameInput = el('input', { placeholder: 'Who is this?', maxLength: 200, value: cluster.subject ?? '' });
  const name = el('button', { type: 'button', textContent: cluster.subject ? 'Rename' : 'Name' });
  name.addEventListener('click', () => act(name, async () => {
    const subject = nameInput.value.trim();
    if (!subject) throw new Error('type a name first');
    const { body } = await call(`/v1/clusters/${cluster.id}/name`, { method: 'POST', json: { subject } });
    return `${cluster.id} is ${body.subject}: ${plural(body.added, 'face')} enrolled${body.skipped ? `, ${body.skipped} already` : ''}`;
  }));
  const others = all.filter((c) => c.id !== cluster.id);
  const mergeSelect = el('select', {}, el('option', { value: '', textContent: 'merge with…' }), ...others.map((c) => el('option', { value: c.id, textContent: `${c.subject ?? c.id} (${c.size})` })));
  const merge = el('button', { type: 'button', textContent: 'Merge' });
  merge.addEventListener('click', () => act(merge, async () => {
    if (!mergeSelect.value) throw new Error('choose the cluster to merge into this one');
    await call(`/v1/clusters/${cluster.id}/merge`, { method: 'POST', json: { clusters: [mergeSelect.value] } });
    return `${mergeSelect.value} merged into ${cluster.id}`;
  }));
  const split = el('button', { type: 'button', textContent: 'Split selected off' });
  split.addEventListener('click', () => act(split, async () => {
    const faces = selected(row);
    if (faces.length === 0) throw new Error('select the faces to split off (click them) first');
    const { body } = await call(`/v1/clusters/${cluster.id}/split`, { method: 'POST', json: { faces } });
    return `${plural(faces.length, 'face')} moved to ${body.newCluster}`;
  }));
  tools.append(nameInput, name, mergeSelect, merge, split);
  if (cluster.subject) tools.append(notButton(row, cluster.subject));
  row.append(el('p', {}, title, ` · ${plural(cluster.size, 'face')}`), tools, await strip(cluster.faces, cluster.size));
  return row;
}

async function load() {
  const unnamed = $('clusters-unnamed').checked;
  const { body: view } = await call(`/v1/clusters?faces=${SHOWN}${unnamed ? '&unnamed=true' : ''}`);
  for (const url of urls) URL.revokeObjectURL(url);
  urls = [];
  const list = $('clusters-list');
  const rows = [];
  for (const cluster of view.clusters) rows.push(await clusterRow(cluster, view.clusters));
  for (const group of view.matched) {
    const row = el('li', { className: 'cluster matched' });
    row.append(el('p', {}, el('strong', { textContent: group.subject }), ` · ${plural(group.size, 'face')} of an enrolled person`), el('div', { className: 'row' }, notButton(row, group.subject)), await strip(group.faces, group.size));
    rows.push(row);
  }
  list.replaceChildren(...rows);
  $('clusters-summary').textContent = view.images
    ? `${plural(view.images, 'photo')}, ${plural(view.faces, 'face')}: ${plural(view.unnamedClusters, 'cluster')} to name, ${view.matched.length} enrolled ${view.matched.length === 1 ? 'person' : 'people'} found, ${plural(view.unclusteredCount, 'face')} on their own, ${view.setAside.length} set aside by the quality gate.`
    : 'No photos yet.';
}

async function addPhotos(files) {
  let queued = 0;
  for (let i = 0; i < files.length; i += BATCH) {
    const form = new FormData();
    for (const file of files.slice(i, i + BATCH)) form.append('image', file, file.name);
    say(`adding photos ${i + 1}-${Math.min(files.length, i + BATCH)} of ${files.length}…`);
    const { status, body } = await call('/v1/clusters', { method: 'POST', body: form });
    if (status === 202) queued++;
    else {
      const failed = body.results.filter((r) => r.status === 'failed');
      if (failed.length) say(`${failed.length} photo(s) not read: ${failed.map((r) => r.image).join(', ')}`);
    }
  }
  if (queued) say(`${files.length} photos queued as ${queued} job(s): the clusters fill in as workers do them (Refresh)`);
  else if (!$('clusters-status').textContent.includes('not read')) say('');
}

$('clusters-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const button = event.submitter ?? $('clusters-form').querySelector('button');
  await act(button, async () => {
    const files = [...$('clusters-photos').files];
    if (files.length === 0) throw new Error('choose photos first');
    await addPhotos(files);
    $('clusters-photos').value = '';
    return '';
  });
});
$('clusters-refresh').addEventListener('click', () => act($('clusters-refresh'), async () => ''));
$('clusters-unnamed').addEventListener('change', () => load().catch((error) => say(error.message)));
$('key-form').addEventListener('submit', () => setTimeout(() => load().catch((error) => say(error.message)), 0));

load().catch((error) => say(error.message));
