// The Visage web page: people with thumbnails, enrol by upload or by webcam pictures, a live webcam
// view recognising continuously, recognise with boxes and names drawn, verify, look-alike. Plain
// JavaScript over the REST API (same origin); the API key, when the server needs one, is kept in
// sessionStorage for this tab only.
import { activeCheck } from './liveness.js';
import { $, api, element } from './common.js';

const COLOURS = { known: '#1fa34a', unknown: '#d62828' };

function status(text) {
  $('status').textContent = text;
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

/**
 * Why a photo was not enrolled, in the page's words: the API's reasons name no control of this
 * page, and "several faces" has a way out here (the form's largest-face box, `largestLabel`).
 */
function skipText(r, largestLabel) {
  switch (r.reason) {
    case 'several-faces': return `${r.faces} faces in this photo; choose a photo of one person, or tick "${largestLabel}"`;
    case 'no-face': return 'no face found in this photo';
    case 'low-quality': return `the face is too small, turned away, blurred or has its eyes closed (${r.message})`;
    case 'already-enrolled': return 'already enrolled for this person';
    default: return r.message ?? r.reason;
  }
}

/** Enrols photos (File or Blob with a name) to the named person, created when new; lists the outcome per photo. */
async function enrol(name, files, largest, largestLabel, resultList) {
  name = name.trim();
  const existing = (await api('/v1/subjects')).subjects.find((s) => s.name.toLowerCase() === name.toLowerCase());
  const upload = new FormData();
  for (const { blob, filename } of files) upload.append('image', blob, filename);
  if (largest) upload.append('largest', 'true');
  // A new person is created by the enrolment itself (create=true), with their first face: photos
  // all skipped leave no empty person behind. A name of digits only would read as an id there.
  let target = existing ? `/v1/subjects/${existing.id}/faces` : `/v1/subjects/${encodeURIComponent(name)}/faces?create=true`;
  if (!existing && /^\d+$/.test(name)) {
    const subject = await api('/v1/subjects', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
    target = `/v1/subjects/${subject.id}/faces`;
  }
  const result = await api(target, { method: 'POST', body: upload });
  resultList.replaceChildren(...result.results.map((r) => element('li', {
    className: r.status, textContent: `${r.image}: ${r.status === 'added' ? `added to ${result.subject.name}` : `skipped: ${skipText(r, largestLabel)}`}`,
  })));
  resultList.dataset.added = String(result.added ?? result.results.filter((r) => r.status === 'added').length);
  await loadPeople();
  return result;
}

handle($('enrol-form'), async (data) => {
  const files = data.getAll('photos').map((file) => ({ blob: file, filename: file.name }));
  const result = await enrol(data.get('name'), files, Boolean(data.get('largest')), 'largest face of group photos', $('enrol-results'));
  // Done: an empty form for the next person (kept when nothing was added, to change and retry).
  if (result.added > 0) $('enrol-form').reset();
});

/** Draws the photo and, per face, its box and a label tag (as the server's annotated JPEG does). */
async function drawFaces(canvas, file, faces) {
  const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(bitmap, 0, 0);
  drawLabels(ctx, faces, 1, bitmap.width, bitmap.height);
}

/** Per face, its box and a label tag; boxes are in the analysed image's pixels, times `scale`. */
function drawLabels(ctx, faces, scale, canvasWidth, canvasHeight) {
  const shorter = Math.min(canvasWidth, canvasHeight);
  const stroke = Math.max(2, Math.round(shorter / 300));
  for (const face of faces) {
    const colour = face.name && !face.refused ? COLOURS.known : COLOURS.unknown;
    const [x, y, width, height] = [face.box.x, face.box.y, face.box.width, face.box.height].map((v) => v * scale);
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
    const tagX = Math.min(Math.max(0, x), Math.max(0, canvasWidth - tagWidth));
    ctx.fillStyle = colour;
    ctx.fillRect(tagX, tagY, tagWidth, tagHeight);
    ctx.fillStyle = '#fff';
    ctx.textBaseline = 'top';
    ctx.fillText(text, tagX + pad, tagY + pad);
    // The attributes, when asked for, in a second tag under the box.
    const extra = attributeText(face.attributes);
    if (extra) {
      const small = Math.max(10, Math.round(font * 0.75));
      ctx.font = `${small}px system-ui, sans-serif`;
      const width2 = ctx.measureText(extra).width + 2 * pad;
      const y2 = Math.min(y + height, canvasHeight - small - 2 * pad);
      const x2 = Math.min(Math.max(0, x), Math.max(0, canvasWidth - width2));
      ctx.fillStyle = 'rgba(0, 0, 0, 0.7)';
      ctx.fillRect(x2, y2, width2, small + 2 * pad);
      ctx.fillStyle = '#fff';
      ctx.fillText(extra, x2 + pad, y2 + pad);
    }
  }
}

/** A face's attributes in words: "34 y · male 0.97 · happy 0.81 · live 0.93". */
function attributeText(attributes) {
  if (!attributes) return '';
  const parts = [];
  if (attributes.age) parts.push(`${Math.round(attributes.age.value)} y`);
  if (attributes.gender) parts.push(`${attributes.gender.value} ${attributes.gender.confidence.toFixed(2)}`);
  if (attributes.emotion) parts.push(`${attributes.emotion.value} ${attributes.emotion.confidence.toFixed(2)}`);
  if (attributes.liveness) parts.push(`${attributes.liveness.value} ${attributes.liveness.score.toFixed(2)}`);
  return parts.join(' · ');
}

handle($('recognise-form'), async (data) => {
  const file = data.get('photo');
  const upload = new FormData();
  upload.append('image', file, file.name);
  const query = data.get('attributes') ? '?attributes=age,gender,emotion,liveness' : '';
  const result = await api(`/v1/recognise${query}`, { method: 'POST', body: upload });
  await drawFaces($('recognise-canvas'), file, result.faces);
  const list = $('recognise-attributes');
  list.replaceChildren(...result.faces.filter((f) => f.attributes).map((f) => element('li', { textContent: `${f.label}: ${attributeText(f.attributes)}` })));
  list.dataset.attributes = JSON.stringify(result.faces.map((f) => f.attributes ?? null));
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

// --- Webcam: the camera, the live view and enrolment from pictures -------------------------------

const camera = { stream: null, live: false, loop: null, shots: [], shotCount: 0 };
const video = $('camera-video');

function cameraControls() {
  const on = camera.stream !== null;
  $('camera-start').disabled = on;
  $('camera-stop').disabled = !on;
  $('live-toggle').disabled = !on;
  $('shot-one').disabled = !on;
  $('shot-burst').disabled = !on;
  $('active-check').disabled = !on;
  $('shots-enrol').disabled = camera.shots.length === 0;
  $('live-stage').hidden = !on;
}

$('camera-start').addEventListener('click', async () => {
  if (!navigator.mediaDevices?.getUserMedia) {
    status('No camera here: browsers allow it on https or localhost only.');
    return;
  }
  $('camera-start').disabled = true;
  try {
    camera.stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
    video.srcObject = camera.stream;
    await video.play();
    status('');
  } catch (error) {
    camera.stream = null;
    status(`Camera: ${error.message}`);
  }
  cameraControls();
});

function stopCamera() {
  setLive(false);
  for (const track of camera.stream?.getTracks() ?? []) track.stop();
  camera.stream = null;
  video.srcObject = null;
  cameraControls();
}
$('camera-stop').addEventListener('click', stopCamera);

/** The current video frame as a JPEG, `width` pixels wide (the video's own size when not given). */
function grabFrame(width, quality) {
  const scale = width ? Math.min(1, width / video.videoWidth) : 1;
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(video.videoWidth * scale);
  canvas.height = Math.round(video.videoHeight * scale);
  canvas.getContext('2d').drawImage(video, 0, 0, canvas.width, canvas.height);
  return new Promise((resolve, reject) => canvas.toBlob((blob) => (blob ? resolve({ blob, width: canvas.width }) : reject(new Error('could not encode the frame'))), 'image/jpeg', quality));
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The live view: one request in flight at a time. A downscaled JPEG of the current frame goes to
 * /v1/recognise; its answer is drawn over the video until the next one arrives. fps counts the
 * answers of the last 3 seconds (exposed as data-fps on #live-stats, the names as data-names on
 * #live-names); the figures start again when the frame size changes.
 */
async function liveLoop() {
  const overlay = $('live-canvas');
  const stats = $('live-stats');
  const names = $('live-names');
  let done = [];
  let frames = 0;
  let latencySum = 0;
  let width = 0;
  while (camera.live && camera.stream) {
    if (video.readyState < 2 || video.videoWidth === 0) { await sleep(50); continue; }
    const started = performance.now();
    try {
      const frame = await grabFrame(Number($('live-width').value), 0.8);
      // With "require a live face": the liveness model runs on each face, and a spoof is not named (label NOT LIVE).
      const live = $('live-require').checked ? '&requireLive=true&attributes=liveness' : '';
      const result = await api(`/v1/recognise?k=1${live}`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: frame.blob });
      if (!camera.live) break;
      if (frame.width !== width) { // a new frame size: the figures start again
        [done, frames, latencySum, width] = [[], 0, 0, frame.width];
      }
      const now = performance.now();
      frames += 1;
      latencySum += now - started;
      done.push(now);
      while (done.length > 1 && now - done[0] > 3000) done.shift();
      const fps = done.length > 1 ? (done.length - 1) / ((now - done[0]) / 1000) : 0;
      overlay.width = video.videoWidth;
      overlay.height = video.videoHeight;
      const ctx = overlay.getContext('2d');
      ctx.clearRect(0, 0, overlay.width, overlay.height);
      drawLabels(ctx, result.faces, video.videoWidth / frame.width, overlay.width, overlay.height);
      const labels = result.faces.map((f) => f.label);
      Object.assign(stats.dataset, { fps: fps.toFixed(2), frames: String(frames), latencyMs: String(Math.round(latencySum / frames)) });
      stats.textContent = `${fps.toFixed(1)} frames per second · ${Math.round(latencySum / frames)} ms per frame (mean of ${frames}) · ${frame.width} px frames`;
      names.dataset.names = JSON.stringify(labels);
      names.textContent = labels.length ? `In view: ${labels.join(', ')}` : 'Nobody in view.';
    } catch (error) {
      status(`Live view: ${error.message}`);
      if ($('key-form').hidden === false) { setLive(false); break; }
      await sleep(500);
    }
  }
}

function setLive(on) {
  camera.live = on && camera.stream !== null;
  $('live-toggle').checked = camera.live;
  if (camera.live && !camera.loop) {
    camera.loop = liveLoop().finally(() => { camera.loop = null; });
  }
  if (!camera.live) {
    const overlay = $('live-canvas');
    overlay.getContext('2d').clearRect(0, 0, overlay.width, overlay.height);
  }
}
$('live-toggle').addEventListener('change', (event) => setLive(event.target.checked));

function showShots() {
  $('shots').replaceChildren(...camera.shots.map((shot) => {
    const img = element('img', { src: shot.url, alt: shot.filename, title: `${shot.filename}: click to drop` });
    img.addEventListener('click', () => {
      URL.revokeObjectURL(shot.url);
      camera.shots = camera.shots.filter((s) => s !== shot);
      showShots();
    });
    return element('li', {}, img);
  }));
  $('shots').dataset.count = String(camera.shots.length);
  cameraControls();
}

async function takePicture() {
  const { blob } = await grabFrame(0, 0.92);
  camera.shotCount += 1;
  camera.shots.push({ blob, filename: `webcam-${camera.shotCount}.jpg`, url: URL.createObjectURL(blob) });
  showShots();
}

$('shot-one').addEventListener('click', () => takePicture().catch((error) => status(error.message)));
$('shot-burst').addEventListener('click', async () => {
  $('shot-burst').disabled = true;
  try {
    for (let i = 0; i < 5 && camera.stream; i++) {
      if (i > 0) await sleep(500);
      await takePicture();
    }
  } catch (error) {
    status(error.message);
  } finally {
    cameraControls();
  }
});

$('shots-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const data = new FormData(event.target);
  const button = $('shots-enrol');
  button.disabled = true;
  status('');
  try {
    // With "check liveness first": the person turns or blinks in front of the camera before the pictures are enrolled.
    if (data.get('live')) {
      const check = await activeCheck({ grabFrame, api, prompt: $('active-prompt'), result: $('active-result') });
      if (!check.live) {
        status(`Not enrolled: ${check.reason}`);
        return;
      }
    }
    const result = await enrol(data.get('name'), camera.shots, Boolean(data.get('largest')), 'largest face only', $('shots-results'));
    if (result.added > 0) event.target.querySelector('input[name=name]').value = '';
    for (const shot of camera.shots) URL.revokeObjectURL(shot.url);
    camera.shots = [];
    showShots();
  } catch (error) {
    status(error.message);
  } finally {
    cameraControls();
  }
});

$('active-check').addEventListener('click', async () => {
  $('active-check').disabled = true;
  status('');
  try {
    await activeCheck({ grabFrame, api, prompt: $('active-prompt'), result: $('active-result') });
  } catch (error) {
    status(error.message);
  } finally {
    cameraControls();
  }
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
