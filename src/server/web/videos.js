// The web page's video section: upload a video (POST /v1/videos), follow its job as it runs, then
// show who appears when: a strip per person (a bar per track on the video's time axis, each
// track's best face), like the HTML summary of `visage video --out`. Recent videos can be opened
// again. Plain JavaScript over the REST API; the API key as app.js keeps it (sessionStorage).
//
// A job is followed through its event stream (GET /v1/videos/{id}/events, Server-Sent Events):
// people appearing and leaving are listed as the server sends them, progress as it comes, and the
// last event carries the job with its result. The stream is read with fetch() and a body reader,
// not EventSource, which cannot send the x-api-key header that the route asks for. When the
// stream cannot be had (an old server, a proxy that buffers or cuts it, a network error), the job
// is polled once a second instead.
import { $, api, element, headers } from './common.js';


const clock = (s) => `${Math.floor(s / 60)}:${(s % 60).toFixed(1).padStart(4, '0')}`;
/** Blob URLs of thumbnails (fetched with the key), dropped when another video is shown. */
let blobs = [];
/** The job followed now, its polling timer, the reader of its event stream, and the job as last seen. */
const current = { id: null, timer: null, stream: null, job: null };
/** Lines of the live list kept (a camera followed for hours adds a line per person coming and going). */
const MAX_LIVE_LINES = 200;

function say(text) {
  $('video-status').textContent = text;
}

async function blobUrl(path) {
  try {
    const url = URL.createObjectURL(await api(path));
    blobs.push(url);
    return url;
  } catch {
    return null;
  }
}

function showProgress(job) {
  const p = job.progress;
  const bar = $('video-progress');
  bar.hidden = job.state === 'completed' && !job.error;
  if (p?.percent != null) bar.value = p.percent; else bar.removeAttribute('value');
  const parts = [`${job.source}: ${job.state}`];
  if (p) {
    parts.push(`${p.seconds.toFixed(1)} s${p.duration != null ? ` of ${p.duration.toFixed(1)} s` : ''}`, `${p.frames} frames`);
    if (p.speed != null) parts.push(`${p.speed.toFixed(2)}x real time`);
    if (p.etaSeconds != null && job.state === 'running') parts.push(`ETA ${p.etaSeconds} s`);
  }
  if (job.error) parts.push(`failed: ${job.error.message}`);
  const line = $('video-progress-text');
  line.textContent = parts.join(', ');
  line.dataset.state = job.state;
  line.dataset.percent = String(p?.percent ?? '');
  line.dataset.frames = String(p?.frames ?? 0);
  $('video-cancel').hidden = !(job.state === 'queued' || job.state === 'running');
}

/** Who appears when: one row per person (label), a bar per track, the tracks' best faces. */
async function showTimeline(job) {
  for (const url of blobs) URL.revokeObjectURL(url);
  blobs = [];
  const result = job.result;
  const box = $('video-timeline');
  box.replaceChildren();
  if (!result) return;
  const from = result.video.from ?? 0;
  const span = Math.max(result.seconds, 1e-3);
  const pct = (t) => Math.min(100, Math.max(0, ((t - from) / span) * 100));
  const known = result.people.filter((p) => p.subject).length;
  box.append(element('p', { className: 'hint', textContent: `${result.tracks.length} track(s) in ${result.seconds.toFixed(1)} s of video (${result.frames} frames, ${result.speed.toFixed(2)}x real time): ${known} known, ${result.people.length - known} stranger(s)${result.stopped ? '; stopped early' : ''}` }));
  const people = new Map();
  for (const track of result.tracks) people.set(track.label, [...(people.get(track.label) ?? []), track]);
  const table = element('div', { className: 'timeline' });
  const ticks = element('div', { className: 'ticks' });
  for (let i = 0; i <= 10; i++) {
    const tick = element('span', { textContent: clock(from + (span * i) / 10) });
    tick.style.left = `${i * 10}%`;
    ticks.append(tick);
  }
  table.append(element('div', { className: 'who' }), ticks);
  for (const [label, tracks] of people) {
    const isKnown = tracks[0].subject !== null;
    const seconds = tracks.reduce((s, t) => s + (t.end - t.start), 0);
    const face = tracks.find((t) => t.thumbnail)?.thumbnail;
    const who = element('div', { className: `who ${isKnown ? 'known' : 'unknown'}`, dataset: { label } });
    if (face) {
      const url = await blobUrl(face);
      if (url) who.append(element('img', { src: url, alt: '' }));
    }
    who.append(element('div', {}, element('span', { textContent: label }), element('small', { textContent: `${tracks.length} track${tracks.length > 1 ? 's' : ''}, ${seconds.toFixed(1)} s` })));
    const lane = element('div', { className: 'lane' });
    const axis = element('div', { className: 'axis' });
    const strip = element('div', { className: 'strip' });
    for (const track of tracks) {
      const bar = element('span', { className: `bar ${isKnown ? 'known' : 'unknown'}`, title: `track ${track.id}: ${clock(track.start)}–${clock(track.end)}, ${track.frames} frames, vote ${(track.confidence * 100).toFixed(0)}%` });
      bar.style.left = `${pct(track.start)}%`;
      bar.style.width = `max(3px, ${(pct(track.end) - pct(track.start)).toFixed(2)}%)`;
      axis.append(bar);
      if (track.thumbnail) {
        const url = await blobUrl(track.thumbnail);
        if (url) strip.append(element('img', { src: url, alt: `track ${track.id}`, title: `track ${track.id} at ${clock(track.start)}` }));
      }
    }
    lane.append(axis, strip);
    table.append(who, lane);
  }
  box.append(table);
  const csv = element('button', { type: 'button', textContent: 'Download timeline.csv' });
  csv.addEventListener('click', async () => {
    try {
      const url = URL.createObjectURL(await api(job.links.timelineCsv));
      const link = element('a', { href: url, download: `timeline-${job.id.slice(0, 8)}.csv` });
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (error) {
      say(error.message);
    }
  });
  box.append(element('p', {}, csv));
}

/** The list of people appearing and leaving, made once under the progress line. */
function liveList() {
  let list = $('video-live');
  if (!list) {
    list = element('ol', { id: 'video-live', className: 'results live' });
    $('video-progress-text').after(list);
  }
  return list;
}

/** One line of the live list for a track-start / track-end event (the JSON of `visage video --events`). */
function showLive(type, data) {
  const list = liveList();
  const track = data.track ?? {};
  let text;
  if (type === 'track-start') text = `${clock(data.time)} someone appears (track ${track.id})`;
  else if (type === 'track-end') {
    const stays = track.segments?.length > 1 ? `, ${track.segments.length} stays` : '';
    const vote = track.subject ? `vote ${Math.round((track.confidence ?? 0) * 100)}%` : track.reason === 'low-quality' ? 'faces too poor to name' : 'nobody enrolled matched';
    text = `${clock(data.time)} ${track.label} left (track ${track.id}: ${clock(track.start)}–${clock(track.end)}, ${track.frames} frame${track.frames === 1 ? '' : 's'}${stays}, ${vote})`;
  } else if (type === 'dropped') text = `${data.missed} earlier event(s) no longer kept by the server`;
  else return;
  const known = type === 'track-end' ? (track.subject ? 'known' : 'unknown') : '';
  list.append(element('li', { className: known, textContent: text, dataset: { type, track: String(track.id ?? ''), state: current.job?.state ?? '' } }));
  while (list.children.length > MAX_LIVE_LINES) list.firstElementChild.remove();
}

/**
 * Reads GET /v1/videos/{id}/events until its last event (done, failed, cancelled), passing each
 * event on; resolves with that last event, or null when the stream ended without one. Throws when
 * the stream cannot be opened.
 */
async function readEvents(id, signal, onEvent) {
  const res = await fetch(`/v1/videos/${id}/events`, { headers: { ...headers(), accept: 'text/event-stream' }, signal });
  if (res.status === 401 || res.status === 403) $('key-form').hidden = false;
  if (!res.ok || !res.body || !(res.headers.get('content-type') ?? '').startsWith('text/event-stream')) throw new Error(`no event stream (HTTP ${res.status})`);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return null;
    text += value;
    for (let end = text.indexOf('\n\n'); end >= 0; end = text.indexOf('\n\n')) {
      const block = text.slice(0, end);
      text = text.slice(end + 2);
      let type = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const content = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') type = content;
        else if (field === 'data') data.push(content);
      }
      if (!data.length) continue;
      const event = { type, data: JSON.parse(data.join('\n')) };
      if (type === 'done' || type === 'failed' || type === 'cancelled') {
        await reader.cancel().catch(() => undefined);
        return event;
      }
      onEvent(event);
    }
  }
}

/** A job at its end: its state and who appears when. */
async function showFinal(job) {
  current.job = job;
  showProgress(job);
  await showTimeline(job);
  await loadRecent();
}

async function follow(id) {
  clearTimeout(current.timer);
  current.stream?.abort();
  current.id = id;
  current.job = null;
  $('video-timeline').replaceChildren();
  liveList().replaceChildren();
  liveList().dataset.mode = '';
  // The event stream first; polling when it cannot be had or ends without the job's last event.
  const stream = new AbortController();
  current.stream = stream;
  try {
    current.job = await api(`/v1/videos/${id}`);
    if (current.id !== id) return;
    showProgress(current.job);
    liveList().dataset.mode = 'events';
    const last = await readEvents(id, stream.signal, ({ type, data }) => {
      if (current.id !== id) return;
      if (type === 'progress') {
        current.job = { ...current.job, state: current.job.state === 'queued' ? 'running' : current.job.state, progress: data };
        showProgress(current.job);
      } else showLive(type, data);
    });
    if (current.id !== id) return;
    if (last && (last.data.result || last.data.error || last.data.progress === null)) return await showFinal(last.data);
  } catch (error) {
    if (stream.signal.aborted || current.id !== id) return;
  }
  liveList().dataset.mode = 'polling';
  const poll = async () => {
    if (current.id !== id) return;
    try {
      const job = await api(`/v1/videos/${id}`);
      if (current.id !== id) return;
      current.job = job;
      showProgress(job);
      const final = job.state === 'completed' || job.state === 'cancelled';
      // A cancelled video keeps what it saw: shown once its result is in.
      if (final && (job.result || job.error || job.progress === null)) return await showFinal(job);
    } catch (error) {
      say(error.message);
    }
    current.timer = setTimeout(poll, 1000);
  };
  await poll();
}

async function loadRecent() {
  const list = $('video-recent');
  try {
    const { videos } = await api('/v1/videos?limit=10');
    list.replaceChildren(...videos.map((video) => {
      const open = element('button', { type: 'button', className: 'link', textContent: video.source ?? video.id });
      open.addEventListener('click', () => follow(video.id));
      const state = video.error ? `failed: ${video.error.message}` : video.state + (video.tracks != null ? `, ${video.tracks} track(s)` : '');
      return element('li', { dataset: { id: video.id } }, open, ` ${state} (${new Date(video.created).toLocaleString()})`);
    }));
  } catch {
    list.replaceChildren();
  }
}

$('video-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.target;
  const button = form.querySelector('button[type="submit"]');
  const data = new FormData(form);
  const file = data.get('video');
  if (!(file instanceof File) || file.size === 0) return say('choose a video');
  const upload = new FormData();
  upload.append('fps', String(data.get('fps')));
  upload.append('video', file, file.name);
  button.disabled = true;
  say('uploading…');
  try {
    const job = await api('/v1/videos', { method: 'POST', body: upload });
    say('');
    showProgress(job);
    // Followed in the background: the form is free again once the upload is in.
    void follow(job.id);
  } catch (error) {
    say(error.message);
  } finally {
    button.disabled = false;
  }
});

$('video-cancel').addEventListener('click', async () => {
  if (!current.id) return;
  try {
    showProgress(await api(`/v1/videos/${current.id}/cancel`, { method: 'POST' }));
  } catch (error) {
    say(error.message);
  }
});

loadRecent();
