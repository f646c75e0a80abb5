// The Visage web page: people with thumbnails, enrol by upload, recognise with boxes and names
// drawn, verify, look-alike. Plain JavaScript over the REST API (same origin); the API key, when
// the server needs one, is kept in sessionStorage for this tab only.
const $ = (id) => document.getElementById(id);
const COLOURS = { known: '#1fa34a', unknown: '#d62828' };

function headers() {
  const key = sessionStorage.getItem('visage-key');
  return key ? { 'x-api-key': key } : {};
}

function status(text) {
  $('status').textContent = text;
}

async function api(path, options = {}) {
  const res = await fetch(path, { ...options, headers: { ...headers(), ...(options.headers ?? {}) } });
  if (res.status === 401 || res.status === 403) {
    $('key-form').hidden = false;
  }
  const type = res.headers.get('content-type') ?? '';
  if (!res.ok) {
    const body = type.includes('json') ? await res.json() : { error: { message: res.statusText } };
    throw new Error(body.error?.message ?? `HTTP ${res.status}`);
  }
  return type.includes('json') ? res.json() : res.blob();
}

/** Runs a form's action with its button disabled and errors shown. */
function handle(form, action) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = form.querySelector('button');
    button.disabled = true;
    status('');
    try {
      await action(new FormData(form));
    } catch (error) {
      status(error.message);
    } finally {
      button.disabled = false;
    }
  });
}

function element(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  const { dataset, ...rest } = props;
  Object.assign(node, rest);
  Object.assign(node.dataset, dataset ?? {});
  node.append(...children);
  return node;
}

async function thumbnailUrl(subjectId) {
  try {
    return URL.createObjectURL(await api(`/v1/subjects/${subjectId}/thumbnail`));
  } catch {
    return null;
  }
}

async function loadPeople() {
  const { subjects } = await api('/v1/subjects');
  const list = $('people-list');
  list.replaceChildren();
  for (const subject of subjects) {
    const url = await thumbnailUrl(subject.id);
    const picture = url ? element('img', { src: url, alt: subject.name }) : element('span', { className: 'blank', title: 'no thumbnail' });
    const remove = element('button', { className: 'danger', textContent: 'delete', type: 'button' });
    remove.addEventListener('click', async () => {
      if (!confirm(`Delete ${subject.name} and their faces?`)) return;
      try {
        await api(`/v1/subjects/${subject.id}`, { method: 'DELETE' });
        await loadPeople();
      } catch (error) {
        status(error.message);
      }
    });
    list.append(element('li', { dataset: { name: subject.name } },
      picture,
      element('p', { className: 'name', textContent: subject.name }),
      element('p', { className: 'faces', textContent: `${subject.faceCount} face${subject.faceCount === 1 ? '' : 's'}` }),
      remove));
  }
  if (subjects.length === 0) list.append(element('li', { textContent: 'Nobody is enrolled yet.' }));
}

handle($('enrol-form'), async (data) => {
  const name = data.get('name').trim();
  const existing = (await api('/v1/subjects')).subjects.find((s) => s.name.toLowerCase() === name.toLowerCase());
  const subject = existing ?? await api('/v1/subjects', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
  const upload = new FormData();
  for (const file of data.getAll('photos')) upload.append('image', file, file.name);
  if (data.get('largest')) upload.append('largest', 'true');
  const result = await api(`/v1/subjects/${subject.id}/faces`, { method: 'POST', body: upload });
  $('enrol-results').replaceChildren(...result.results.map((r) => element('li', {
    className: r.status, textContent: `${r.image}: ${r.status === 'added' ? `added to ${result.subject.name}` : `skipped (${r.message ?? r.reason})`}`,
  })));
  await loadPeople();
});

/** Draws the photo and, per face, its box and a label tag (as the server's annotated JPEG does). */
async function drawFaces(canvas, file, faces) {
  const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(bitmap, 0, 0);
  const shorter = Math.min(bitmap.width, bitmap.height);
  const stroke = Math.max(2, Math.round(shorter / 300));
  for (const face of faces) {
    const colour = face.name ? COLOURS.known : COLOURS.unknown;
    const { x, y, width, height } = face.box;
    ctx.lineWidth = stroke;
    ctx.strokeStyle = colour;
    ctx.strokeRect(x, y, width, height);
    const text = face.similarity === null ? face.label : `${face.label} ${face.similarity.toFixed(2)}`;
    const font = Math.round(Math.min(Math.max(width / 5.5, shorter / 45, 11), shorter / 12, 64));
    ctx.font = `${font}px system-ui, sans-serif`;
    const pad = Math.max(2, Math.round(font * 0.25));
    const tagWidth = ctx.measureText(text).width + 2 * pad;
    const tagHeight = font + 2 * pad;
    const tagY = y - tagHeight >= 0 ? y - tagHeight : y;
    const tagX = Math.min(Math.max(0, x), Math.max(0, bitmap.width - tagWidth));
    ctx.fillStyle = colour;
    ctx.fillRect(tagX, tagY, tagWidth, tagHeight);
    ctx.fillStyle = '#fff';
    ctx.textBaseline = 'top';
    ctx.fillText(text, tagX + pad, tagY + pad);
  }
}

handle($('recognise-form'), async (data) => {
  const file = data.get('photo');
  const upload = new FormData();
  upload.append('image', file, file.name);
  const result = await api('/v1/recognise', { method: 'POST', body: upload });
  await drawFaces($('recognise-canvas'), file, result.faces);
  const names = result.faces.map((f) => f.label);
  $('recognise-caption').textContent = result.faces.length
    ? `${result.faces.length} face${result.faces.length === 1 ? '' : 's'}: ${names.join(', ')} (threshold ${result.threshold.toFixed(3)})`
    : 'No face found.';
  $('recognise-caption').dataset.names = JSON.stringify(names);
  $('recognise-figure').hidden = false;
});

handle($('verify-form'), async (data) => {
  const upload = new FormData();
  upload.append('a', data.get('a'), data.get('a').name);
  upload.append('b', data.get('b'), data.get('b').name);
  const result = await api('/v1/verify', { method: 'POST', body: upload });
  const verdict = $('verify-result');
  verdict.className = `verdict ${result.same ? 'same' : 'different'}`;
  verdict.textContent = `${result.same ? 'Same person' : 'Different people'}: similarity ${result.similarity.toFixed(3)} ${result.same ? '≥' : '<'} threshold ${result.threshold.toFixed(3)}`;
});

async function loadLookalike() {
  const { galleries } = await api('/v1/lookalike');
  $('lookalike-gallery').replaceChildren(...galleries.map((g) => element('option', { value: g.name, textContent: `${g.name} (${g.subjects} people)` })));
  $('lookalike-none').hidden = galleries.length > 0;
  $('lookalike-form').querySelector('button').disabled = galleries.length === 0;
}

handle($('lookalike-form'), async (data) => {
  const file = data.get('photo');
  const upload = new FormData();
  upload.append('image', file, file.name);
  const result = await api(`/v1/lookalike/${encodeURIComponent(data.get('gallery'))}`, { method: 'POST', body: upload });
  $('lookalike-results').replaceChildren(...result.matches.map((m) => element('li', { textContent: `${m.name}: ${m.percent.toFixed(1)}%` })));
});

$('key-form').addEventListener('submit', (event) => {
  event.preventDefault();
  sessionStorage.setItem('visage-key', $('key').value.trim());
  $('key').value = '';
  $('key-form').hidden = true;
  start();
});

async function start() {
  try {
    await Promise.all([loadPeople(), loadLookalike()]);
    status('');
  } catch (error) {
    status(error.message);
  }
}

start();
