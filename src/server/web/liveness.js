// The webcam's active liveness check: a few seconds of frames while the person turns their head
// or blinks, sent to POST /v1/liveness, where the library decides (a blink or a head turn seen in
// the landmarks of the frames, and the passive liveness model on the same faces). A printed photo
// or a still on a screen gives the same landmarks in every frame and is refused.

/** Frames sent and the time between them: 10 frames over about 3 seconds (the server takes 10 images a request by default). */
export const FRAMES = 10;
export const SPACING_MS = 300;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs the check: `grabFrame(width, quality)` gives the current camera frame as { blob }, `api` is
 * the page's fetch wrapper. The prompt and the countdown go to `prompt`; the verdict to `result`
 * (its data-live, data-active and data-passive attributes too). Resolves with the API's answer.
 */
export async function activeCheck({ grabFrame, api, prompt, result, challenge = 'either' }) {
  result.textContent = '';
  for (const key of ['live', 'active', 'passive']) delete result.dataset[key];
  const asked = challenge === 'blink' ? 'Blink slowly' : challenge === 'turn' ? 'Turn your head slowly left and right' : 'Turn your head slowly left and right, or blink slowly';
  const frames = [];
  try {
    for (let i = 0; i < FRAMES; i++) {
      if (i > 0) await sleep(SPACING_MS);
      prompt.textContent = `${asked}… ${Math.ceil(((FRAMES - i) * SPACING_MS) / 1000)}`;
      frames.push(await grabFrame(480, 0.85));
    }
    prompt.textContent = 'Checking…';
    const form = new FormData();
    frames.forEach((frame, i) => form.append('image', frame.blob, `frame-${i + 1}.jpg`));
    form.append('challenge', challenge);
    const answer = await api('/v1/liveness', { method: 'POST', body: form });
    const passive = answer.passive ? `; model ${answer.passive.value} ${answer.passive.score.toFixed(2)}` : '';
    const moves = `head turn ${answer.active.turn.yawRange}°, ${answer.active.blink.blinks} blink${answer.active.blink.blinks === 1 ? '' : 's'}`;
    result.textContent = answer.live ? `LIVE (${moves}${passive})` : `NOT LIVE: ${answer.reason}`;
    result.className = `verdict ${answer.live ? 'same' : 'different'}`;
    result.dataset.live = String(answer.live);
    result.dataset.active = String(answer.active.passed);
    result.dataset.passive = answer.passive?.value ?? '';
    return answer;
  } finally {
    prompt.textContent = '';
  }
}
