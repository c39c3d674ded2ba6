// OpenECMO console: plain JavaScript, no build step. Draws the live stream from /ws on canvases,
// sends commands to /api, and keeps nothing the server does not confirm: a setting shows as
// pending until the control core has taken it. What the page itself must guard (the stream to
// the server, the alarm sound in this browser) it alarms on by itself.
'use strict';

const $ = (id) => document.getElementById(id);
const state = {
  user: null, role: null, mode: 'live', status: null, pending: new Map(),
  lastWaveWall: 0, lastWaveRecv: 0, lastMsg: 0, ws: null, wsRetry: 500, events: [], eventIds: new Set(),
  trendSpan: 300, trendEnd: null, audioPausedUntil: 0, localPauseUntil: 0,
  online: false, lost: false, lostSince: 0, entered: false, locked: false, relogin: false,
};
// Sample-to-screen latency, measured when a sample is drawn (server and browser share a clock
// on one machine; across machines the offset is estimated from the first samples).
const lat = { n: 0, sum: 0, max: 0, samples: [] };
window.__ecmo = { state, lat };

// ------------------------------------------------------------------ HTTP
async function api(method, path, body) {
  const opt = { method, headers: {}, credentials: 'same-origin' };
  if (body !== undefined) { opt.headers['Content-Type'] = 'application/json'; opt.body = JSON.stringify(body); }
  const r = await fetch(path, opt);
  let j = null;
  try { j = await r.json(); } catch (_) { j = null; }
  return { status: r.status, ok: r.ok, body: j };
}

function toast(text, ok) {
  const t = $('toast');
  t.textContent = text;
  t.className = 'toast ' + (ok ? 'ok' : 'err');
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.textContent = ''; t.className = 'toast'; }, ok ? 4000 : 8000);
}

// ------------------------------------------------------------------ login
async function boot() {
  let r;
  try { r = await api('GET', '/api/session'); } catch (_) { setTimeout(boot, 1000); return; }
  if (r.ok && r.body.must_change) showPasswordChange(''); else if (r.ok) enter(r.body); else showLogin();
}
// A one-time password (the first administrator's): the server allows nothing else until it is
// changed, so the page asks for a new one before anything.
function showPasswordChange(old) {
  $('app').hidden = true; $('login').hidden = true; $('pwchange').hidden = false;
  $('pw-old').value = old;
  (old ? $('pw-new') : $('pw-old')).focus();
}
$('pw-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  if ($('pw-new').value !== $('pw-again').value) { $('pw-error').textContent = 'the two new passwords differ'; return; }
  const r = await api('POST', '/api/password', { old: $('pw-old').value, new: $('pw-new').value });
  if (r.ok) {
    for (const id of ['pw-old', 'pw-new', 'pw-again']) $(id).value = '';
    $('pw-error').textContent = ''; $('pwchange').hidden = true; enter(r.body);
  } else { $('pw-error').textContent = (r.body && r.body.error) || ('not changed (' + r.status + ')'); }
});
function showLogin(note) {
  $('app').hidden = true; $('login').hidden = false;
  $('login-note').hidden = !note; $('login-note').textContent = note || '';
  $('login-user').focus();
}
$('login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  audio.unlock();
  const r = await api('POST', '/api/login', { user: $('login-user').value, password: $('login-pass').value });
  if (r.ok && r.body.must_change) {
    const old = $('login-pass').value; $('login-pass').value = ''; $('login-error').textContent = '';
    showPasswordChange(old);
  } else if (r.ok) {
    $('login-pass').value = ''; $('login-error').textContent = '';
    if (state.entered) location.reload(); else enter(r.body);
  } else { $('login-error').textContent = (r.body && r.body.error) || ('login failed (' + r.status + ')'); }
});
// Logging out stops this screen's monitoring: it asks first, and sits away from PAUSE AUDIO.
$('logout').addEventListener('click', () => confirmDialog('Log out',
  'Log out of this screen? It stops showing the patient and sounding alarms here. The pump and the other screens are not affected.',
  null, async () => {
    await api('POST', '/api/logout');
    if (state.ws) { state.ws.onclose = null; state.ws.close(); }
    location.reload();
  }, 'To leave the screen without stopping monitoring, use Lock instead.'));

async function enter(sess) {
  state.entered = true;
  state.user = sess.user; state.role = sess.role;
  $('login').hidden = true; $('app').hidden = false;
  $('who').textContent = sess.user + ' (' + sess.role + ')';
  document.body.dataset.role = sess.role;
  $('tab-instructor').hidden = sess.role !== 'instructor';
  $('tab-users').hidden = sess.role !== 'instructor';
  $('readonly-note').hidden = sess.role !== 'viewer';
  buildTiles();
  audio.show();
  const st = await api('GET', '/api/state');
  if (st.ok) {
    state.mode = st.body.mode;
    document.body.dataset.mode = st.body.mode;
    $('mode-badge').textContent = st.body.mode === 'replay' ? 'REPLAY' : 'LIVE';
    $('mode-badge').classList.toggle('replay', st.body.mode === 'replay');
    $('replay-bar').hidden = st.body.mode !== 'replay';
    if (st.body.status) onStatus(st.body.status);
  }
  sizeCanvases();
  connect();
  loadEvents();
  loadTrends();
  setInterval(() => { if (state.trendEnd === null) loadTrends(); }, 5000);
  if (sess.role === 'instructor') loadUsers();
  setInterval(tickClock, 250);
  setInterval(supervise, 250);
  requestAnimationFrame(frame);
}

// ------------------------------------------------------------------ stream and its supervision
function connect() {
  const proto = location.protocol === 'https:' ? 'wss://' : 'ws://';
  const ws = new WebSocket(proto + location.host + '/ws');
  state.ws = ws;
  ws.onopen = () => { state.wsRetry = 500; state.online = true; setConn('connected', 'ok'); };
  ws.onmessage = (m) => {
    let msg;
    try { msg = JSON.parse(m.data); } catch (_) { return; }
    state.lastMsg = performance.now();
    if (msg.k === 'w') onWaves(msg.d);
    else if (msg.k === 's') onStatus(msg.d);
    else if (msg.k === 'a') onApplied(msg.d);
    else if (msg.k === 'e') onEvent({ id: null, e: msg.d });
    if (state.lost && msg.k === 's') streamBack();
  };
  ws.onclose = () => {
    if (state.ws !== ws) return;
    state.online = false;
    setConn('disconnected', 'bad');
    streamLost('the connection to the console server closed');
    setTimeout(reconnect, state.wsRetry);
    state.wsRetry = Math.min(state.wsRetry * 2, 4000);
  };
}
// After a lost stream: ask whether this session still stands before opening a socket again. A
// server that restarted has forgotten every session (401): this screen goes to the log-in,
// once, instead of knocking on the socket forever.
async function reconnect() {
  let r;
  try { r = await api('GET', '/api/session'); } catch (_) { r = null; }
  if (!r) { setTimeout(reconnect, state.wsRetry); state.wsRetry = Math.min(state.wsRetry * 2, 4000); return; }
  if (r.status === 401) {
    state.relogin = true;
    audio.update(null, false);
    showLogin('The console server restarted or this session ended: this screen is NOT monitoring. Log in again.');
    return;
  }
  connect();
}
function setConn(text, cls) { const c = $('conn'); c.textContent = text; c.className = 'conn ' + cls; }

// The page's own technical alarm: no stream from the server. Raised at once when the socket
// closes, and by the watchdog when nothing has arrived for LOST_MS on an open socket (a hung
// server). High priority: the screen no longer knows what the pump does.
const LOST_MS = 1500;
const LOCAL_LOST = {
  id: 'connection_lost', req: 'CON-3', priority: 'high', technical: true, local: true,
  text: 'CONNECTION TO CONSOLE LOST — values and alarms are stale',
  action: 'Check the pump and patient at the bedside; check the console server and network. This screen reconnects by itself.',
  active: true, latched: false, acknowledged: false,
};
function streamLost(why) {
  if (state.relogin) return;
  if (!state.lost) {
    state.lost = true; state.lostSince = Date.now(); LOCAL_LOST.why = why;
    // The burst starts now, even if a high-priority alarm of the server's was sounding.
    audio.update(null, false);
  }
  document.body.classList.add('stale');
  // "LIVE" beside "disconnected" would contradict itself: the values are the last ones received.
  $('mode-badge').textContent = 'NO DATA';
  renderAlarms();
}
function streamBack() {
  state.lost = false;
  document.body.classList.remove('stale');
  $('mode-badge').textContent = state.mode === 'replay' ? 'REPLAY' : 'LIVE';
  setConn('connected', 'ok');
  renderAlarms();
}
function supervise() {
  if (!state.entered || state.relogin) return;
  const quiet = state.lastMsg && performance.now() - state.lastMsg > LOST_MS;
  if ((quiet || (state.ws && state.ws.readyState !== 1)) && !state.lost) {
    setConn(quiet ? 'no data' : 'disconnected', 'bad');
    streamLost(quiet ? 'no data from the console server for ' + (LOST_MS / 1000) + ' s' : 'the connection closed');
  }
}

// ------------------------------------------------------------------ waveforms
// Channel: [index in sample, colour, smallest span shown, hardest limits of the scale]
// The scale follows the trace: at each sweep it takes the range of the last sweep, with a
// margin, never narrower than the channel's smallest span (a flat line stays a flat line, not
// magnified noise), never wider than its limits. A sample off the present scale is drawn at
// its edge and the channel says CLIPPED until the scale takes it in.
const CH = {
  p_art: [2, '#ff5c5c', 40, -20, 300, [0, 200]],
  p_drain: [3, '#5cb0ff', 40, -500, 100, [-100, 20]],
  p_pre: [4, '#ffad5c', 60, -100, 800, [0, 400]],
  p_post: [5, '#ffe14d', 60, -100, 800, [0, 400]],
  flow: [6, '#3ddc84', 1, -3, 12, [0, 8]],
};
const SWEEP_S = 6; // seconds across the screen
const waves = [];
let queue = [];
function sizeCanvases() {
  waves.length = 0;
  document.querySelectorAll('.wave').forEach((el) => {
    const cv = el.querySelector('canvas');
    const dpr = window.devicePixelRatio || 1;
    cv.width = Math.max(10, Math.floor(cv.clientWidth * dpr));
    cv.height = Math.max(10, Math.floor(cv.clientHeight * dpr));
    const ctx = cv.getContext('2d');
    const [, , , , , init] = CH[el.dataset.ch];
    const w = { ch: el.dataset.ch, el, cv, ctx, lastX: null, lastY: null, dpr, lo: init[0], hi: init[1], smin: Infinity, smax: -Infinity, clipped: 0 };
    ctx.fillStyle = '#000'; ctx.fillRect(0, 0, cv.width, cv.height);
    waves.push(w);
    labelWave(w);
  });
  sizeTrend();
}
function sizeTrend() {
  const tc = $('trend');
  const wrap = tc.parentElement;
  const n = typeof shownPanels === 'function' ? shownPanels().length : 4;
  const need = Math.max(wrap.clientHeight, n * 72 + 20);
  tc.style.height = need + 'px';
  tc.width = tc.clientWidth * (window.devicePixelRatio || 1);
  tc.height = need * (window.devicePixelRatio || 1);
}
window.addEventListener('resize', () => { sizeCanvases(); drawTrends(); });

function onWaves(batch) {
  state.lastWaveRecv = performance.now();
  for (const s of batch) queue.push(s);
}

function niceStep(span) {
  const raw = span / 4;
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}
// A new scale from the sweep just drawn.
function rescale(w) {
  const [, , span, lim0, lim1] = CH[w.ch];
  if (!isFinite(w.smin)) return;
  let lo = w.smin, hi = w.smax;
  const pad = Math.max((hi - lo) * 0.1, span * 0.05);
  lo -= pad; hi += pad;
  if (hi - lo < span) { const c = (hi + lo) / 2; lo = c - span / 2; hi = c + span / 2; }
  const st = niceStep(hi - lo);
  lo = Math.max(lim0, Math.floor(lo / st) * st);
  hi = Math.min(lim1, Math.ceil(hi / st) * st);
  if (lo !== w.lo || hi !== w.hi) { w.lo = lo; w.hi = hi; labelWave(w); }
  w.smin = Infinity; w.smax = -Infinity;
}
function labelWave(w) {
  const names = { p_art: 'Arterial pressure', p_drain: 'Drainage pressure', p_pre: 'Pre-oxygenator pressure', p_post: 'Post-oxygenator pressure', flow: 'Circuit flow' };
  const unit = w.ch === 'flow' ? 'L/min' : 'mmHg';
  w.cv.setAttribute('aria-label', names[w.ch] + ' waveform, scale ' + w.lo + ' to ' + w.hi + ' ' + unit);
  w.el.dataset.lo = w.lo; w.el.dataset.hi = w.hi;
}
function yOf(w, v) {
  const h = w.cv.height;
  const pad = 4 * w.dpr;
  return h - pad - ((v - w.lo) / (w.hi - w.lo)) * (h - 2 * pad);
}
function gridOf(w) {
  const st = niceStep(w.hi - w.lo);
  const g = [];
  for (let v = Math.ceil(w.lo / st) * st; v <= w.hi + 1e-9; v += st) g.push(Math.round(v * 100) / 100);
  return g;
}
function drawGrid(w, x0, x1) {
  const ctx = w.ctx;
  ctx.fillStyle = '#000';
  ctx.fillRect(x0, 0, x1 - x0, w.cv.height);
  ctx.strokeStyle = '#24323f'; ctx.lineWidth = 1;
  for (const g of gridOf(w)) {
    const y = Math.round(yOf(w, g)) + 0.5;
    ctx.beginPath(); ctx.moveTo(x0, y); ctx.lineTo(x1, y); ctx.stroke();
  }
}
function setClip(w, dir) {
  const c = w.el.querySelector('.clip');
  const text = dir > 0 ? '▲ CLIPPED' : (dir < 0 ? '▼ CLIPPED' : '');
  if (c.textContent !== text) { c.textContent = text; c.hidden = !dir; }
}

function frame() {
  const now = Date.now();
  const drawn = queue; queue = [];
  for (const w of waves) {
    const [idx, col] = CH[w.ch];
    const ctx = w.ctx, W = w.cv.width;
    for (const s of drawn) {
      const v = s[idx];
      const x = ((s[0] % SWEEP_S) / SWEEP_S) * W;
      if (w.lastX !== null && x < w.lastX) {
        // The sweep wraps: the next one is drawn on the scale of this one.
        w.lastX = null; w.lastY = null;
        rescale(w);
        if (!w.clipHold) setClip(w, 0);
        w.clipHold = false;
        drawGrid(w, 0, W);
      }
      const gap = 14 * w.dpr;
      const from = w.lastX === null ? x : w.lastX;
      drawGrid(w, Math.floor(from) + 1, Math.min(W, Math.ceil(x + gap)));
      if (x + gap > W) drawGrid(w, 0, x + gap - W);
      if (v === null || !isFinite(v)) { w.lastX = x; w.lastY = null; continue; }
      if (v < w.smin) w.smin = v;
      if (v > w.smax) w.smax = v;
      let y = yOf(w, v);
      if (v > w.hi) { y = yOf(w, w.hi); setClip(w, 1); w.clipHold = true; w.clipped++; }
      else if (v < w.lo) { y = yOf(w, w.lo); setClip(w, -1); w.clipHold = true; w.clipped++; }
      ctx.strokeStyle = col; ctx.lineWidth = 2 * w.dpr; ctx.lineJoin = 'round';
      ctx.beginPath();
      if (w.lastX !== null && w.lastY !== null) ctx.moveTo(w.lastX, w.lastY); else ctx.moveTo(x, y);
      ctx.lineTo(x, y); ctx.stroke();
      w.lastX = x; w.lastY = y;
    }
    // Scale: the gridlines' values, on a strip at the right.
    ctx.fillStyle = '#000'; ctx.fillRect(W - 46 * w.dpr, 0, 46 * w.dpr, w.cv.height);
    ctx.fillStyle = '#a9b6c3'; ctx.font = (14 * w.dpr) + 'px sans-serif'; ctx.textAlign = 'right';
    const grid = gridOf(w);
    let lastY = -1e9;
    for (const g of grid.slice().reverse()) {
      const y = Math.min(w.cv.height - 2 * w.dpr, Math.max(13 * w.dpr, yOf(w, g) + 5 * w.dpr));
      if (y - lastY < 15 * w.dpr) continue;
      ctx.fillText(String(g), W - 4 * w.dpr, y); lastY = y;
    }
  }
  for (const s of drawn) {
    const l = now - s[1];
    lat.n++; lat.sum += l; if (l > lat.max) lat.max = l;
    lat.samples.push(l); if (lat.samples.length > 2000) lat.samples.shift();
  }
  if (drawn.length) state.lastWaveWall = now;
  // A frozen trace must never look live (CON-3). A paused or finished replay and a training
  // scenario that has not started say what they are instead.
  const st = state.status || {};
  const rp = st.replay, tr = st.training;
  let cover = '';
  if (tr && !tr.started) cover = 'SCENARIO NOT STARTED — waiting for the instructor';
  else if (rp && rp.ended) cover = 'END OF RECORDING';
  else if (rp && !rp.playing) cover = 'RECORDING PAUSED';
  else if (state.lost) cover = 'NO DATA — CONNECTION LOST';
  else if (state.lastWaveRecv && performance.now() - state.lastWaveRecv > LOST_MS) cover = 'NO DATA';
  if ($('stale').textContent !== cover || $('stale').hidden !== !cover) {
    $('stale').textContent = cover;
    $('stale').hidden = !cover;
    $('stale').className = 'stale' + (rp || (tr && !tr.started) ? ' info' : '');
    document.querySelector('.main').classList.toggle('no-data', !!cover && !rp);
  }
  tickAudioPause();
  requestAnimationFrame(frame);
}

// ------------------------------------------------------------------ numerics
const fmt = (v, d) => (v === null || v === undefined || !isFinite(v)) ? '---' : Number(v).toFixed(d);
function hms(t) {
  t = Math.max(0, Math.floor(t));
  const h = Math.floor(t / 3600), m = Math.floor(t / 60) % 60, s = t % 60;
  return h + ':' + String(m).padStart(2, '0') + ':' + String(s).padStart(2, '0');
}
const param = (s, name) => ((s && s.params) || []).find((x) => x.name === name);
const swOn = (s, name) => { const x = ((s && s.switches) || []).find((y) => y.name === name); return x ? x.on : false; };
function lim(s, name) { const x = param(s, name); return x ? fmtParam(x, x.value) : null; }
const range = (a, b) => (a !== null && b !== null) ? a + '–' + b : '';
const art = (a) => a ? fmt(a.sys, 0) + '/' + fmt(a.dia, 0) : '---/---';

// Every tile: [key, label (HTML), unit, colour class, size, value(n, s), second line(n, s),
// limits(n, s)]. Limits are the control core's alarm and intervention limits in force; a
// reading the control core does not alarm on says so.
const VENT_MODE = { volume_control: 'VC', pressure_control: 'PC', spontaneous: 'SPONT' };
// The ECG monitor: no rate to count in VF or asystole; the rhythm and any chest compressions
// under the number.
// Short, as a bedside monitor writes them: the second line beside the number has about nine
// characters at 1024x768 (the layout test checks that none is cut).
const RHYTHM = { sinus: 'sinus', vf: 'V-FIB', asystole: 'ASYSTOLE', pea: 'PEA' };
const hrValue = (n) => n.rhythm === 'vf' ? 'VF' : (n.rhythm === 'asystole' ? 'ASYST' : fmt(n.hr_bpm, 0));
// Compressions first: the tile's number already says VF or ASYST, and a long rhythm name would
// push the compression rate out of the tile.
const rhythmSub = (n) => (n.cpr_per_min ? 'CPR ' + fmt(n.cpr_per_min, 0) + '/min · ' : '') + (n.rhythm ? RHYTHM[n.rhythm] || n.rhythm : '');
const TILES = [
  ['flow', 'FLOW', 'L/min', 'c-flow', 'big', (n) => fmt(n.flow_lpm, 2),
    (n, s, p) => 'index ' + fmt(n.flow_index, 2) + ' L/min/m²' + (p && p.mode === 'flow' && param(s, 'flow_target') ? ' · target ' + lim(s, 'flow_target') : ''),
    (n, s) => 'alarm ' + range(lim(s, 'alarm.flow_low'), lim(s, 'alarm.flow_high'))],
  ['speed', 'SPEED', 'rpm', 'c-speed', 'big', (n) => fmt(n.speed_rpm, 0), speedSub,
    (n, s) => s && s.modes && s.modes.includes('zero_flow') ? 'backflow min ' + lim(s, 'limit.backflow') : 'flow/speed mismatch ' + lim(s, 'alarm.flow_mismatch') + ' L/min'],
  ['mode', 'PUMP', '', 'c-mode', 'wide', modeValue, modeSub, () => ''],
  ['bubble', 'BUBBLE DET.', '', 'c-mode', '', (n) => n.bubble === true ? 'AIR' : (n.bubble === false ? 'clear' : '---'),
    (n, s, p) => p && p.bubble_stop ? 'stopped, clamped' : '', (n, s) => swOn(s, 'intervention.bubble') ? 'stop & clamp on air' : 'AUTO-STOP OFF'],
  ['pdrain', 'P DRAIN', 'mmHg', 'c-drain', '', (n) => fmt(n.p_drain_mmhg, 0), () => '', (n, s) => 'suction ' + lim(s, 'limit.suction')],
  ['ppre', 'P PRE', 'mmHg', 'c-pre', '', (n) => fmt(n.p_pre_mmhg, 0), () => '', (n, s) => 'return ≤ ' + lim(s, 'limit.return_pressure')],
  ['ppost', 'P POST', 'mmHg', 'c-post', '', (n) => fmt(n.p_post_mmhg, 0), () => '', (n, s) => 'return ≤ ' + lim(s, 'limit.return_pressure')],
  ['dp', 'ΔP OXY', 'mmHg', 'c-dp', '', (n) => fmt(n.delta_p_mmhg, 0), () => '', (n, s) => '≤ ' + lim(s, 'alarm.delta_p_high') + ', rise ' + lim(s, 'alarm.delta_p_rise_per_hour') + '/h'],
  ['artu', 'ART R RADIAL', 'mmHg', 'c-art', 'mid', (n) => art(n.art_upper), (n) => 'mean ' + fmt(n.art_upper ? n.art_upper.mean : null, 0), () => 'monitor: no limit'],
  ['artl', 'ART FEMORAL', 'mmHg', 'c-art', 'mid', (n) => art(n.art_lower), (n) => 'mean ' + fmt(n.art_lower ? n.art_lower.mean : null, 0), () => 'monitor: no limit'],
  ['hr', 'HR', 'bpm', 'c-art', '', hrValue, rhythmSub, () => 'monitor: no limit'],
  ['cvp', 'CVP', 'mmHg', 'c-drain', '', (n) => fmt(n.cvp_mmhg, 0), () => '', () => 'monitor: no limit'],
  ['spo2', 'SpO<sub>2</sub>', '% R hand', 'c-sao2', '', (n) => fmt(n.spo2_pct, 0), () => '', () => 'monitor: no limit'],
  ['av', 'AORTIC VALVE', 'VA', 'c-art', '', (n) => n.av_open_pct == null ? '---' : (n.av_open_pct < 50 ? 'CLOSED' : 'opens'),
    (n) => n.av_open_pct == null ? '' : fmt(n.av_open_pct, 0) + ' % of beats · PP ' + fmt(n.pulse_pressure_mmhg, 0) + ' mmHg', (n, s) => 'alarm PP < ' + lim(s, 'alarm.pulse_pressure_low') + ' mmHg'],
  ['sau', 'SaO<sub>2</sub> up', '%', 'c-sao2', '', (n) => fmt(n.sao2_upper_pct, 0), () => '', (n, s) => '≥ ' + lim(s, 'alarm.sao2_upper_low')],
  ['sal', 'SaO<sub>2</sub> low', '%', 'c-sao2', '', (n) => fmt(n.sao2_lower_pct, 0), () => '', () => 'no limit'],
  ['svo2', 'SvO<sub>2</sub>', '% drain', 'c-svo2', '', (n) => fmt(n.svo2_pct, 0), () => '', () => 'no limit'],
  ['post', 'POST-OXY', 'SO<sub>2</sub>/PO<sub>2</sub>', 'c-post', 'mid', (n) => fmt(n.sat_post_pct, 0) + '/' + fmt(n.po2_post_mmhg, 0), () => '',
    (n, s) => '≥ ' + lim(s, 'alarm.post_oxy_so2_low') + ' % / ≥ ' + lim(s, 'alarm.post_oxy_po2_low')],
  ['pco2', 'PCO<sub>2</sub> post', 'mmHg', 'c-gas', '', (n) => fmt(n.pco2_post_mmhg, 0), (n, s) => swOn(s, 'auto_sweep') ? 'target ' + lim(s, 'pco2_target') : '', () => 'no limit'],
  ['hb', 'Hb / Hct', 'g/dL / %', 'c-hb', 'mid', (n) => fmt(n.hb_g_dl, 1) + '/' + fmt(n.hct_pct, 0), () => '', () => 'no limit'],
  ['temp', 'T ART / VEN', '°C', 'c-temp', 'mid', (n) => fmt(n.temp_c, 1) + '/' + fmt(n.temp_ven_c, 1), () => '',
    (n, s) => 'art ' + range(lim(s, 'alarm.temperature_low'), lim(s, 'alarm.temperature_high'))],
  ['heater', 'HEATER WATER', '°C', 'c-temp', '', (n) => fmt(n.heater_water_c, 1), (n, s) => 'set ' + (lim(s, 'heater') || '---'), () => ''],
  ['sweep', 'SWEEP', 'L/min', 'c-gas', '', (n) => fmt(n.sweep_lpm, 1), gasSub, () => ''],
  ['fdo2', 'FdO<sub>2</sub>', '%', 'c-gas', '', (n) => fmt(n.fdo2_pct, 0), () => '', () => ''],
  // The patient's ventilator, read only (it is not this console's): shown while one is connected.
  ['vent', 'VENTILATOR', 'read only', 'c-gas', 'wide', (n) => n.vent ? VENT_MODE[n.vent.mode] + ' ' + fmt(n.vent.rate_bpm, 0) + '/min' : '---',
    (n) => n.vent ? 'PEEP ' + fmt(n.vent.peep_cmh2o, 0) + ' · Pplat ' + fmt(n.vent.pplat_cmh2o, 0) + ' · VT ' + fmt(n.vent.vt_ml, 0) + ' mL · FiO₂ ' + fmt(n.vent.fio2_pct, 0) + ' %' : '',
    () => 'ventilator alarms on the ventilator'],
  ['batt', 'BATTERY', '%', 'c-batt', '', (n) => fmt(n.battery_pct, 0), (n) => (n.mains === false ? 'ON BATTERY · ' : '') + fmt(n.battery_min, 0) + ' min', (n, s) => '≥ ' + lim(s, 'alarm.battery_low') + ' %'],
];
// A safety intervention's reduction first: it is what the operator must see, and the line is
// cut at the tile's end.
function speedSub(n, s, p) {
  const t = [];
  if (p && p.reduction_rpm > 0) t.push('−' + fmt(p.reduction_rpm, 0) + ' intervention');
  if (p) t.push('driving ' + fmt(p.rpm_command, 0));
  if (p && p.mode === 'rpm' && !p.bubble_stop) t.push('target ' + lim(s, 'rpm_target'));
  return t.join(' · ');
}
// The pump tile shows what the control core drives, not what was set: after a bubble stop the
// setting still says RPM 3600 while the pump stands clamped.
function modeValue(n, s, p) {
  if (!p) return ((s && s.mode) || '---').toUpperCase();
  if (p.bubble_stop) return 'BUBBLE STOP';
  return p.mode.toUpperCase().replace('_', ' ') + (p.flow_fallback ? ' (fallback)' : '');
}
function modeSub(n, s, p) {
  if (!p) return swOn(s, 'return_clamp') ? 'RETURN CLAMPED' : '';
  const t = [p.clamp_closed ? 'RETURN CLAMPED' : 'clamp open'];
  if (s && p.mode !== s.mode) t.push('set: ' + s.mode.toUpperCase());
  if (p.backflow_guard) t.push('backflow guard');
  return t.join(' · ');
}
function gasSub(n, s, p) {
  const auto = swOn(s, 'auto_sweep') ? 'auto PCO2' : 'manual';
  if (!p) return auto;
  return auto + ' · gas ' + (p.gas_supply === 'flowing' ? 'on' : 'OFF');
}
function buildTiles() {
  const host = $('numerics');
  if (host.children.length) return;
  for (const [key, label, unit, cls, size] of TILES) {
    const d = document.createElement('div');
    d.className = 'num ' + cls + (size ? ' ' + size : '');
    d.dataset.n = key;
    d.setAttribute('role', 'group');
    d.innerHTML = '<span class="nl"></span><span class="nv"></span><span class="ns"></span><span class="nlim"></span>';
    d.children[0].innerHTML = label + (unit ? ' <small>' + unit + '</small>' : '');
    d.setAttribute('aria-label', d.children[0].textContent);
    d.children[1].id = 'n-' + key;
    d.children[2].id = 'n-' + key + '-sub';
    d.children[3].id = 'n-' + key + '-lim';
    host.appendChild(d);
  }
  const rb = document.createElement('button');
  rb.id = 'restart'; rb.className = 'btn restart'; rb.hidden = true;
  rb.textContent = 'Restart pump…';
  rb.onclick = restartAfterBubble;
  document.querySelector('.num[data-n="mode"]').appendChild(rb);
}

function onStatus(st) {
  state.status = st;
  const n = st.numerics || {};
  const s = st.settings || {};
  const p = n.pump || null;
  const tr = st.training;
  const blank = tr && !tr.started;
  $('simtime').textContent = 'T+' + hms(st.t);
  for (const [key, , , , , val, sub, lims] of TILES) {
    const v = blank ? '---' : val(n, s, p);
    const e = $('n-' + key);
    if (e.textContent !== v) e.textContent = v;
    $('n-' + key + '-sub').textContent = blank ? '' : sub(n, s, p);
    $('n-' + key + '-lim').textContent = lims(n, s, p);
  }
  // The aortic valve tile is VA's: the engine sends no opening fraction without VA support,
  // and a VV screen should not carry a VA hint that reads like a finding.
  document.querySelector('.num[data-n="av"]').hidden = n.av_open_pct == null;
  document.querySelector('.num[data-n="vent"]').hidden = !n.vent;
  const mt = document.querySelector('.num[data-n="mode"]');
  mt.classList.toggle('stopped', !!(p && (p.bubble_stop || p.rpm_command === 0)));
  const bt = document.querySelector('.num[data-n="bubble"]');
  bt.classList.toggle('air', n.bubble === true || !!(p && p.bubble_stop));
  const rb = $('restart');
  rb.hidden = !(p && p.bubble_stop);
  rb.disabled = !(p && p.restart_possible) || !canControl();
  rb.title = p && p.bubble_stop && !p.restart_possible ? 'Air is still at the bubble detector: de-air the circuit first' : '';
  renderPatient(st);
  // Pump unit link (ecmo serve --device): absent for the in-process twin.
  const ul = $('unit-link');
  if (st.link) {
    ul.hidden = false;
    ul.textContent = 'UNIT ' + st.link.label;
    ul.className = 'unitlink ' + (st.link.up ? 'up' : 'down');
    ul.title = st.link.device + ' · sessions ' + st.link.sessions;
  } else {
    ul.hidden = true;
  }
  renderBanner(st);
  renderReplay(st.replay);
  renderAlarms();
  renderControls(s);
  renderInjections(st.injections || []);
}
window.__ecmo.onStatus = onStatus;
function renderPatient(st) {
  const pt = st.patient;
  $('patient').textContent = pt ? ('Patient ' + pt.id + ' · ' + pt.configuration + ' · ' + fmt(pt.weight_kg, 0) + ' kg · BSA ' + fmt(pt.bsa_m2, 2) + ' m²') : 'Patient —';
}
function renderBanner(st) {
  const b = $('banner');
  let text = '';
  const tr = st.training;
  if (tr && !tr.started) text = 'Training scenario "' + tr.scenario + '" has not started: the instructor starts it. No values are shown until then.';
  else if (tr && tr.ended) text = 'Training scenario "' + tr.scenario + '" has ended.';
  else if (tr && tr.paused) text = 'Training scenario paused by the instructor.';
  b.textContent = text; b.hidden = !text;
}
function tickClock() {
  const d = new Date();
  $('clock').textContent = d.toLocaleTimeString('en-GB');
}

// ------------------------------------------------------------------ alarms
const PRIO_ORDER = { high: 3, medium: 2, low: 1 };
// IEC 60601-1-8 priority indicators besides colour: !!! high, !! medium, ! low.
const SYM = { high: '!!!', medium: '!!', low: '!' };
// Which numerics (data-n of the tile) each alarm of the control core is about.
const NUM_OF_ALARM = {
  suction: ['pdrain', 'flow'], return_pressure_high: ['ppost', 'ppre'], backflow: ['flow'],
  flow_low: ['flow'], flow_high: ['flow'], delta_p_high: ['dp'], delta_p_rising: ['dp'],
  oxygenator_failure: ['post', 'dp'], oxygenator_performance_falling: ['post'],
  flow_speed_mismatch: ['flow', 'speed'], pump_stopped: ['speed', 'flow', 'mode'],
  temperature_low: ['temp'], temperature_high: ['temp'], sa_o2_upper_low: ['sau'],
  mains_power_lost: ['batt'], battery_low: ['batt'], battery_critical: ['batt'],
  auto_sweep_at_limit: ['sweep', 'pco2'], zero_flow_deviation: ['flow'],
  flow_sensor_fault: ['flow'], pressure_sensor_fault: ['pdrain', 'ppre', 'ppost'],
  speed_sensor_fault: ['speed'], bubble: ['bubble', 'mode'], air_detected: ['bubble', 'mode'],
};
let alarmKey = '';
function currentAlarms() {
  const a = (state.status && state.status.alarms) || { alarms: [] };
  const list = (a.alarms || []).map((x) => Object.assign({ stale: state.lost }, x));
  if (state.lost) list.unshift(LOCAL_LOST);
  return list.sort((x, y) => PRIO_ORDER[y.priority] - PRIO_ORDER[x.priority] || (y.local ? 1 : 0) - (x.local ? 1 : 0));
}
function renderAlarms() {
  const a = (state.status && state.status.alarms) || { alarms: [] };
  const list = currentAlarms();
  const bar = $('alarmbar');
  const top = list[0];
  const cls = top ? 'prio-' + top.priority : 'prio-none';
  if (bar.dataset.prio !== cls) { bar.className = 'alarmbar ' + cls; bar.dataset.prio = cls; }
  $('alarmbar-sym').textContent = top ? SYM[top.priority] + ' ' + top.priority.toUpperCase() : '';
  $('alarmbar-text').textContent = top ? (top.stale ? 'STALE: ' : '') + top.text : (state.lost ? '' : 'No active alarms');
  $('alarmbar-count').textContent = list.length > 1 ? '+' + (list.length - 1) + ' more' : '';
  const tabc = $('tab-alarm-count');
  tabc.textContent = list.length ? String(list.length) : '';
  tabc.className = 'pill' + (top ? ' p-' + top.priority : '');
  // Tiles the alarms are about get their priority's frame.
  const flagged = {};
  for (const x of list) for (const k of NUM_OF_ALARM[x.id] || []) if (!flagged[k] || PRIO_ORDER[x.priority] > PRIO_ORDER[flagged[k]]) flagged[k] = x.priority;
  document.querySelectorAll('.num').forEach((el) => {
    const pr = flagged[el.dataset.n];
    el.classList.remove('alarm-high', 'alarm-medium', 'alarm-low');
    if (pr) el.classList.add('alarm-' + pr);
  });
  const key = JSON.stringify(list) + canControl();
  if (key !== alarmKey) {
    alarmKey = key;
    const tb = $('alarm-list').querySelector('tbody');
    tb.innerHTML = '';
    for (const x of list) {
      const tr = document.createElement('tr');
      tr.dataset.alarm = x.id;
      tr.innerHTML = '<td></td><td></td><td></td><td></td><td></td>';
      tr.children[0].innerHTML = '<span class="chip ' + x.priority + '">' + SYM[x.priority] + ' ' + x.priority.toUpperCase() + '</span>';
      tr.children[1].textContent = x.text + (x.req ? ' (' + x.req + ')' : '');
      tr.children[2].textContent = x.action;
      tr.children[3].textContent = [x.stale ? 'STALE' : '', x.local ? 'raised by this screen' : '', x.active ? 'active' : 'cleared', x.latched ? 'latched' : '', x.acknowledged ? 'acknowledged' : '', x.technical ? 'technical' : ''].filter(Boolean).join(', ');
      if (!x.local && !x.acknowledged) {
        const b = document.createElement('button');
        b.className = 'btn small'; b.textContent = 'Acknowledge'; b.dataset.ack = x.id;
        b.disabled = !canControl() || state.lost;
        b.onclick = () => sendCommand({ type: 'acknowledge', id: x.id }, 'Acknowledge ' + x.text);
        tr.children[4].appendChild(b);
      }
      tb.appendChild(tr);
    }
  }
  // Sound: the server's audio pause, or this screen's own for its own alarm.
  state.audioPausedUntil = a.audio_paused_s && !state.lost ? performance.now() + a.audio_paused_s * 1000 : 0;
  const paused = state.lost ? performance.now() < state.localPauseUntil : !!a.audio_paused_s;
  const muted = state.mode === 'replay' && !$('rp-sound').checked;
  audio.update(top && !muted ? top.priority : null, paused);
  const pausable = state.lost || a.pausable !== false || !list.length;
  const pb = $('audio-pause');
  pb.disabled = state.role === 'viewer' || state.mode === 'replay' || !pausable;
  $('audio-note').textContent = !pausable ? 'cannot pause: ' + (list.find((x) => !x.acknowledged) || top).text.slice(0, 40) : (muted ? 'recording: muted' : '');
  pb.title = !pausable ? 'The control core does not allow audio pause for the present alarms' : 'Pause alarm audio for 2 minutes';
  $('ack').disabled = !canControl() || !list.some((x) => !x.local) || state.lost;
}
function tickAudioPause() {
  const b = $('audio-pause');
  const until = state.lost ? state.localPauseUntil : state.audioPausedUntil;
  const left = until - performance.now();
  if (left > 0) {
    const s = Math.ceil(left / 1000);
    $('audio-label').textContent = 'PAUSED ' + Math.floor(s / 60) + ':' + String(s % 60).padStart(2, '0');
    b.classList.add('paused');
  } else {
    if ($('audio-label').textContent !== 'PAUSE AUDIO') { $('audio-label').textContent = 'PAUSE AUDIO'; if (state.lost) renderAlarms(); }
    b.classList.remove('paused');
  }
}
$('audio-pause').addEventListener('click', () => {
  if (state.lost) { state.localPauseUntil = performance.now() + 120000; renderAlarms(); return; }
  sendCommand({ type: 'pause_audio' }, 'Audio pause');
});
$('ack').addEventListener('click', () => sendCommand({ type: 'acknowledge' }, 'Acknowledge alarms'));
$('inj-filter').addEventListener('input', filterInjections);
$('remark-send').addEventListener('click', async () => {
  const text = $('remark-text').value.trim();
  if (!text) return;
  const r = await api('POST', '/api/remark', { text });
  if (r.status === 200) { toast('Remark recorded', true); $('remark-text').value = ''; }
  else toast('Refused: ' + ((r.body && r.body.error) || r.status), false);
});

// IEC 60601-1-8 auditory alarm signals: a pulse is a tone with a fundamental and four
// harmonics. High priority: a burst of 10 pulses (3+2, pause, 3+2), repeated every 5 s
// (standard: 2.5-15 s). Medium: 3 pulses, repeated every 7.5 s (2.5-30 s). Low: one pulse,
// every 30 s. Pulse widths: high 150 ms, medium 200 ms, low 200 ms.
//
// Browsers start audio only after a gesture on the page. Until the context runs and a tone
// has been scheduled on it, the screen says ALARM SOUND OFF across the top; any tap enables it.
// The volume has a floor (VOLUME_MIN): an alarm can be paused, never made silent.
const VOLUME_MIN = 30;
const audio = {
  ctx: null, wave: null, prio: null, paused: false, timer: null, bursts: 0, confirmed: false,
  volume: Math.max(VOLUME_MIN, Math.min(100, +(localStorage.getItem('ecmo.volume') || 70))),
  make() {
    if (this.ctx) return;
    try {
      const AC = window.AudioContext || window.webkitAudioContext;
      if (!AC) return;
      this.ctx = new AC();
      const real = new Float32Array([0, 1, 0.6, 0.45, 0.35, 0.25]);
      this.wave = this.ctx.createPeriodicWave(real, new Float32Array(real.length));
      this.ctx.onstatechange = () => { if (this.ctx.state !== 'running') this.confirmed = false; this.show(); };
    } catch (_) { this.ctx = null; }
    this.show();
  },
  unlock() {
    this.make();
    if (!this.ctx) return;
    const go = () => { if (!this.confirmed) { this.tone(880, 0.08, 0); this.confirmed = true; } this.show(); };
    if (this.ctx.state === 'running') go();
    else this.ctx.resume().then(go, () => this.show());
  },
  ok() { return !!(this.ctx && this.ctx.state === 'running' && this.confirmed); },
  show() {
    const on = this.ok();
    $('sound-banner').hidden = on || !state.entered;
    $('sound-state').textContent = on ? 'Sound: on (volume ' + this.volume + ' %)' : 'Sound: OFF in this browser — tap anywhere to enable';
    document.body.classList.toggle('sound-off', !on);
  },
  tone(freq, width, at) {
    if (!this.ctx) return;
    const o = this.ctx.createOscillator();
    const g = this.ctx.createGain();
    o.setPeriodicWave(this.wave);
    o.frequency.value = freq;
    const peak = 0.35 * this.volume / 100;
    const a = this.ctx.currentTime + 0.02 + at, w = width;
    g.gain.setValueAtTime(0, a);
    g.gain.linearRampToValueAtTime(peak, a + 0.015);
    g.gain.setValueAtTime(peak, a + w - 0.02);
    g.gain.linearRampToValueAtTime(0, a + w);
    o.connect(g).connect(this.ctx.destination);
    o.start(a); o.stop(a + w + 0.01);
  },
  pattern(prio) {
    // [start offsets in s], pulse width s, frequency Hz, repeat interval s
    if (prio === 'high') return [[0, 0.25, 0.5, 0.85, 1.1, 2.1, 2.35, 2.6, 2.95, 3.2], 0.15, 660, 5.0];
    if (prio === 'medium') return [[0, 0.35, 0.7], 0.2, 520, 7.5];
    if (prio === 'low') return [[0], 0.2, 440, 30];
    return null;
  },
  play(prio) {
    const p = this.pattern(prio);
    if (!p || !this.ctx) return;
    for (const off of p[0]) this.tone(p[2], p[1], off);
  },
  burst() {
    if (!this.prio || this.paused) return;
    this.bursts++;
    this.play(this.prio);
  },
  update(prio, paused) {
    const changed = prio !== this.prio || paused !== this.paused;
    this.prio = prio; this.paused = paused;
    if (!changed) return;
    clearInterval(this.timer); this.timer = null;
    const p = this.pattern(prio);
    if (!p || paused) return;
    this.burst();
    this.timer = setInterval(() => this.burst(), p[3] * 1000);
  },
};
window.__ecmo.audio = audio;
audio.make();
// Any gesture on the page enables sound.
for (const ev of ['pointerdown', 'keydown']) document.addEventListener(ev, () => { if (!audio.ok()) audio.unlock(); }, true);
$('sound-banner').addEventListener('click', () => audio.unlock());
$('sound-test').addEventListener('click', () => {
  audio.unlock();
  audio.play('high');
  setTimeout(() => audio.play('medium'), 4000);
  setTimeout(() => audio.play('low'), 6500);
  toast('Sound test: high, then medium, then low priority', true);
});
$('volume').value = audio.volume;
$('volume-val').textContent = audio.volume + ' %';
$('volume').addEventListener('input', () => {
  audio.volume = Math.max(VOLUME_MIN, +$('volume').value);
  $('volume').value = audio.volume;
  $('volume-val').textContent = audio.volume + ' %';
  localStorage.setItem('ecmo.volume', String(audio.volume));
  audio.show();
});

// ------------------------------------------------------------------ screen lock
// Locking covers the controls; the traces, numbers, alarm bar and sound go on. Unlocking takes
// a press held for 2 s, so a brush against the screen does neither.
$('lock').addEventListener('click', () => setLock(true));
function setLock(on) {
  state.locked = on;
  $('lockpane').style.top = Math.ceil(document.querySelector('.top').getBoundingClientRect().bottom) + 'px';
  $('lockpane').hidden = !on;
  document.body.classList.toggle('locked', on);
  if (on) $('unlock').focus();
}
holdButton($('unlock'), 2000, () => setLock(false));
function holdButton(b, ms, done) {
  let t = null;
  const start = (ev) => { ev.preventDefault(); b.classList.add('holding'); t = setTimeout(() => { b.classList.remove('holding'); done(); }, ms); };
  const end = () => { clearTimeout(t); b.classList.remove('holding'); };
  b.addEventListener('pointerdown', start);
  b.addEventListener('pointerup', end);
  b.addEventListener('pointerleave', end);
  b.addEventListener('keydown', (ev) => { if ((ev.key === 'Enter' || ev.key === ' ') && !ev.repeat) start(ev); });
  b.addEventListener('keyup', end);
}

// ------------------------------------------------------------------ controls
let controlsKey = '';
// A phone shows the patient read-only: too small a target for commands to a pump.
const phone = window.matchMedia('(max-width: 700px)');
function canControl() { return state.role !== 'viewer' && state.mode !== 'replay' && !phone.matches; }
function renderControls(s) {
  const key = JSON.stringify(s) + state.pending.size;
  if (key === controlsKey) return;
  controlsKey = key;
  const dis = !canControl();
  const modes = $('modes'); modes.innerHTML = '';
  for (const m of s.modes || []) {
    const b = document.createElement('button');
    b.className = 'btn' + (m === s.mode ? ' active' : '');
    b.textContent = m.toUpperCase().replace('_', ' ');
    b.dataset.mode = m;
    b.disabled = dis;
    b.onclick = () => confirmDialog('Change mode', modeQuestion(s, m), null,
      () => sendCommand({ type: 'mode', mode: m }, 'Mode ' + m.toUpperCase()), modeWarning(s, m));
    modes.appendChild(b);
  }
  for (const g of ['control', 'intervention', 'alarm']) $('ctl-' + g).innerHTML = '';
  for (const p of s.params || []) {
    const host = $('ctl-' + p.group) || $('ctl-control');
    const row = document.createElement('div');
    row.className = 'row'; row.dataset.param = p.name;
    const pend = [...state.pending.values()].find((x) => x.cmd.type === 'param' && x.cmd.name === p.name);
    row.innerHTML = '<span></span><span class="val"></span><button class="btn">Set…</button>';
    row.children[0].textContent = p.label + ' ';
    if (pend) { const sp = document.createElement('span'); sp.className = 'pend'; sp.textContent = '⏳ pending ' + pend.cmd.value; row.children[0].appendChild(sp); }
    row.children[1].textContent = fmtParam(p, p.value) + ' ' + p.unit;
    const b = row.children[2];
    b.disabled = dis;
    b.setAttribute('aria-label', 'Set ' + p.label);
    b.onclick = () => confirmDialog(p.label, 'New value for ' + p.label + ' (now ' + fmtParam(p, p.value) + ' ' + p.unit + '):', p,
      (v) => sendCommand({ type: 'param', name: p.name, value: v }, p.label + ' ' + v + ' ' + p.unit), '', suggestion(s, p));
    host.appendChild(row);
  }
  const sw = $('ctl-switches'); sw.innerHTML = '';
  for (const x of s.switches || []) {
    const host = x.group === 'intervention' ? $('ctl-intervention') : sw;
    const row = document.createElement('div');
    row.className = 'row sw'; row.dataset.switch = x.name;
    const pend = [...state.pending.values()].find((y) => y.cmd.type === 'switch' && y.cmd.name === x.name);
    row.innerHTML = '<span></span><span class="val"></span><button class="btn"></button>';
    row.children[0].textContent = x.label + (pend ? ' ⏳ pending' : '');
    row.children[1].textContent = x.on ? 'ON' : 'OFF';
    const b = row.children[2];
    b.textContent = x.on ? 'Turn off' : 'Turn on';
    b.className = 'btn' + (x.on ? ' on' : '');
    b.disabled = dis;
    b.onclick = () => confirmDialog(x.label, 'Turn ' + x.label + ' ' + (x.on ? 'OFF' : 'ON') + '?', null,
      () => sendCommand({ type: 'switch', name: x.name, on: !x.on }, x.label + (x.on ? ' off' : ' on')));
    host.appendChild(row);
  }
  const ac = $('ctl-actions'); ac.innerHTML = '';
  const p = state.status && state.status.numerics && state.status.numerics.pump;
  for (const a of s.actions || []) {
    const b = document.createElement('button');
    b.className = 'btn'; b.textContent = a.label; b.dataset.action = a.name;
    // A restart is offered only when the control core would take it.
    const possible = a.name !== 'restart_after_bubble' || (p && p.restart_possible);
    b.disabled = dis || !possible;
    if (a.name === 'restart_after_bubble' && !possible) b.title = p && p.bubble_stop ? 'Air still at the detector' : 'No bubble stop in force';
    b.onclick = a.name === 'restart_after_bubble' ? restartAfterBubble : () => confirmDialog(a.label, a.label + '?', null, () => sendCommand({ type: 'action', name: a.name }, a.label));
    ac.appendChild(b);
  }
  const np = state.pending.size;
  $('tab-pending').textContent = np ? np + ' pending' : '';
}
function restartAfterBubble() {
  const s = (state.status && state.status.settings) || {};
  confirmDialog('Restart after bubble stop', 'Restart the pump? It ramps from 0 to the ' + (s.mode || '').toUpperCase() + ' target and the return clamp opens.', null,
    () => sendCommand({ type: 'action', name: 'restart_after_bubble' }, 'Restart after bubble stop'),
    'Only after the circuit has been de-aired and checked.');
}
// What a mode change will do, in the confirmation: the target the new mode will drive to.
function modeQuestion(s, m) {
  const name = (x) => x.toUpperCase().replace('_', ' ');
  let q = 'Change pump mode from ' + name(s.mode) + ' to ' + name(m) + '?';
  const ft = param(s, 'flow_target');
  if (m === 'flow' && ft) q += ' The pump will drive flow to the flow target, ' + fmtParam(ft, ft.value) + ' L/min.';
  if (m === 'rpm') q += ' The pump holds its present speed.';
  if (m === 'standby') q += ' The pump STOPS.';
  return q;
}
// A warning when the new mode would change flow a lot (e.g. FLOW with a stale target).
function modeWarning(s, m) {
  const n = (state.status && state.status.numerics) || {};
  const ft = param(s, 'flow_target');
  if (m === 'flow' && ft && n.flow_lpm !== null && n.flow_lpm !== undefined && Math.abs(ft.value - n.flow_lpm) > 1.0) {
    return 'Flow is ' + fmt(n.flow_lpm, 2) + ' L/min now: the flow target differs by more than 1 L/min. Set the flow target first.';
  }
  if (m === 'standby') return 'Stopping the pump stops extracorporeal support; clamp the lines first.';
  return '';
}
function decimals(step) { const s = String(step); return s.includes('.') ? s.split('.')[1].length : 0; }
function fmtParam(p, v) { return Number(v).toFixed(decimals(p.step)); }

// The value a target's dialog starts from: a target the present mode does not use starts from
// what the circuit does now (so that a later mode change is bumpless), otherwise its value.
function suggestion(s, p) {
  const n = (state.status && state.status.numerics) || {};
  const ok = (v) => v !== null && v !== undefined && isFinite(v) && v >= p.min && v <= p.max;
  if (p.name === 'flow_target' && s.mode !== 'flow' && ok(n.flow_lpm)) return Math.round(n.flow_lpm / p.step) * p.step;
  if (p.name === 'rpm_target' && s.mode !== 'rpm' && ok(n.speed_rpm)) return Math.round(n.speed_rpm / p.step) * p.step;
  return p.value;
}
// Steps larger than this at once are questioned: a quarter of the present value, and at least
// the absolute amount per setting (rpm: several hundred at once changes flow by litres).
const BIG_STEP = { rpm_target: 500, flow_target: 1.0, sweep: 2.0, fdo2: 30, heater: 2.0, pco2_target: 10 };
function stepWarning(p, v) {
  const s = (state.status && state.status.settings) || {};
  if (p.name === 'rpm_target' && v === 0) {
    return 'RPM target 0 STOPS THE PUMP, as standby does: no support' + (s.modes && s.modes.includes('zero_flow') ? ', and in VA blood may flow backwards through the circuit' : '') + '. Clamp the lines first.';
  }
  const abs = BIG_STEP[p.name];
  if (abs === undefined) return '';
  const d = Math.abs(v - p.value);
  if (d > abs && d > 0.25 * Math.abs(p.value)) {
    return 'Large step: ' + fmtParam(p, p.value) + ' → ' + fmtParam(p, v) + ' ' + p.unit + ' at once (more than ' + fmtParam(p, abs) + ' ' + p.unit + '). Consider smaller steps and watch flow and pressures.';
  }
  return '';
}

// The confirmation dialog. It does not dim the screen: the numbers stay readable while a value
// is titrated. Esc cancels, Enter confirms, Tab stays inside, ± repeat while held.
let dialogReturn = null;
function confirmDialog(title, text, param, onOk, warning, start) {
  dialogReturn = document.activeElement;
  $('confirm-title').textContent = title;
  $('confirm-text').textContent = text;
  const edit = $('confirm-edit');
  edit.hidden = !param;
  $('confirm-range').textContent = param ? ('Permitted ' + fmtParam(param, param.min) + ' – ' + fmtParam(param, param.max) + ' ' + param.unit) : '';
  const warn = (w) => { $('confirm-warn').textContent = w || ''; $('confirm-warn').hidden = !w; };
  warn(warning);
  const inp = $('confirm-value');
  if (param) {
    inp.value = fmtParam(param, start === undefined ? param.value : start);
    $('confirm-unit').textContent = param.unit;
    const check = () => { const v = parseFloat(inp.value.replace(',', '.')); warn([warning, isFinite(v) ? stepWarning(param, v) : ''].filter(Boolean).join(' ')); };
    const bump = (d) => {
      const v = parseFloat(inp.value);
      const nv = Math.min(param.max, Math.max(param.min, (isFinite(v) ? v : param.value) + d * param.step));
      inp.value = fmtParam(param, nv);
      check();
    };
    holdRepeat($('confirm-minus'), () => bump(-1));
    holdRepeat($('confirm-plus'), () => bump(1));
    inp.oninput = check;
    check();
    setTimeout(() => { inp.focus(); inp.select(); }, 0);
  } else {
    setTimeout(() => $('confirm-cancel').focus(), 0);
  }
  $('confirm').hidden = false;
  const close = () => { $('confirm').hidden = true; if (dialogReturn && dialogReturn.focus) dialogReturn.focus(); };
  $('confirm-cancel').onclick = close;
  $('confirm-ok').onclick = () => {
    let v;
    if (param) {
      v = parseFloat(inp.value.replace(',', '.'));
      if (!isFinite(v)) { $('confirm-range').textContent = 'Not a number.'; return; }
    }
    close();
    onOk(v);
  };
}
// Press and hold: one step at once, then repeating, faster the longer it is held.
function holdRepeat(b, fn) {
  let t = null, n = 0;
  const stop = () => { clearTimeout(t); t = null; };
  const tick = () => { fn(); n++; t = setTimeout(tick, n < 3 ? 200 : 70); };
  b.onpointerdown = (ev) => { ev.preventDefault(); stop(); n = 0; fn(); t = setTimeout(tick, 450); };
  b.onpointerup = stop; b.onpointerleave = stop; b.onpointercancel = stop;
  b.onclick = (ev) => { if (ev.detail === 0) fn(); }; // keyboard activation
}
document.addEventListener('keydown', (ev) => {
  if ($('confirm').hidden) return;
  if (ev.key === 'Escape') { ev.preventDefault(); $('confirm-cancel').click(); return; }
  if (ev.key === 'Enter' && !['confirm-cancel', 'confirm-minus', 'confirm-plus'].includes(document.activeElement.id)) {
    ev.preventDefault(); $('confirm-ok').click(); return;
  }
  if (ev.key === 'Tab') {
    const f = [...$('confirm').querySelectorAll('button, input')].filter((e) => !e.disabled && e.offsetParent !== null);
    const i = f.indexOf(document.activeElement);
    let j = ev.shiftKey ? i - 1 : i + 1;
    if (j < 0) j = f.length - 1;
    if (j >= f.length || i < 0) j = i < 0 ? 0 : 0;
    ev.preventDefault(); f[j].focus();
  }
});

// The loop's answer travels on the WebSocket and may overtake the HTTP response that carries
// the request's sequence number: answers for unknown numbers wait here for a few seconds.
const early = new Map();
function track(seq, entry) {
  const a = early.get(seq);
  if (a) { early.delete(seq); state.pending.set(seq, entry); onApplied(a); return; }
  state.pending.set(seq, entry);
  controlsKey = '';
  if (state.status) renderControls(state.status.settings || {});
}
// A request the loop has not answered within 5 s is reported, never left pending silently.
setInterval(() => {
  const now = Date.now();
  for (const [, p] of state.pending) {
    if (now - p.at > 5000 && !p.late) { p.late = true; toast(p.label + ': no answer from the control core yet', false); }
  }
  for (const [seq, a] of early) if (now - a.recv > 10000) early.delete(seq);
}, 1000);

async function sendCommand(cmd, label) {
  const r = await api('POST', '/api/command', cmd);
  if (r.status === 202) {
    toast(label + ': sent, pending', true);
    track(r.body.seq, { cmd, label, at: Date.now() });
  } else {
    toast('Refused: ' + ((r.body && r.body.error) || ('HTTP ' + r.status)), false);
  }
  return r;
}
window.__ecmo.sendCommand = sendCommand;

function onApplied(a) {
  const p = state.pending.get(a.seq);
  if (!p) { early.set(a.seq, Object.assign({ recv: Date.now() }, a)); return; }
  state.pending.delete(a.seq);
  controlsKey = '';
  if (a.ok) toast(p.label + ': taken by the control core', true);
  else toast(p.label + ': refused by the control core: ' + a.error, false);
  if (state.status) renderControls(state.status.settings || {});
}

// ------------------------------------------------------------------ instructor
let injKey = '';
function renderInjections(list) {
  const key = JSON.stringify(list);
  if (key === injKey) return;
  injKey = key;
  const host = $('injections'); host.innerHTML = '';
  let group = null;
  for (const i of list) {
    // The server sends each group's entries together: a heading where a group begins.
    if (i.group !== group) {
      group = i.group;
      const h = document.createElement('h4');
      h.className = 'inj-group'; h.textContent = group || 'Other';
      host.appendChild(h);
    }
    const d = document.createElement('div');
    d.className = 'inj'; d.dataset.inject = i.name; d.dataset.group = group || '';
    d.innerHTML = '<span></span><input><button class="btn">Inject</button>';
    d.children[0].textContent = i.label + (i.unit ? ' (' + i.unit + ')' : '');
    d.children[1].value = i.default;
    d.children[1].title = i.min + ' – ' + i.max;
    d.children[1].setAttribute('aria-label', i.label);
    d.children[2].onclick = () => {
      const v = parseFloat(d.children[1].value);
      confirmDialog('Inject event', 'Inject "' + i.label + '" = ' + v + ' ' + i.unit + '?', null, async () => {
        const r = await api('POST', '/api/inject', { name: i.name, value: v });
        if (r.status === 202) { toast(i.label + ': sent', true); track(r.body.seq, { cmd: { type: 'inject' }, label: i.label, at: Date.now() }); }
        else toast('Refused: ' + ((r.body && r.body.error) || r.status), false);
      });
    };
    host.appendChild(d);
  }
  filterInjections();
}
// Shows the injections whose label, name or group contains every word typed, and the headings
// of the groups that keep one.
function filterInjections() {
  const words = ($('inj-filter').value || '').toLowerCase().split(/\s+/).filter(Boolean);
  const shown = new Set();
  for (const d of document.querySelectorAll('#injections .inj')) {
    const text = (d.children[0].textContent + ' ' + d.dataset.inject + ' ' + d.dataset.group).toLowerCase();
    d.hidden = !words.every((w) => text.includes(w));
    if (!d.hidden) shown.add(d.dataset.group);
  }
  for (const h of document.querySelectorAll('#injections .inj-group')) h.hidden = !shown.has(h.textContent);
}
// ------------------------------------------------------------------ events
// The event log in words: what was asked, by whom, and what the control core made of it.
const KIND = {
  action: 'Request', applied: 'Taken', refused: 'Refused by core', rejected: 'Out of range',
  denied: 'Denied (role)', inject: 'Injected', alarm_on: 'Alarm', alarm_off: 'Alarm ended',
  login: 'Log in', login_failed: 'Log-in failed', user: 'User changed', user_removed: 'User removed', run: 'Run',
  deadline: 'Loop late', remark: 'Remark', scenario: 'Scenario', lab: 'Lab result',
  training_record: 'Debrief',
};
// What the scenario does and the instructor notes stay on the instructor's screens: the
// trainee sees only the console.
const INSTRUCTOR_ONLY = new Set(['scenario', 'remark', 'training_record']);
const alarmText = new Map();
function requestText(r) {
  if (!r) return '';
  const set = (state.status && state.status.settings) || {};
  switch (r.type) {
    case 'param': {
      const p = (set.params || []).find((x) => x.name === r.name);
      return p ? p.label + ' → ' + fmtParam(p, r.value) + ' ' + p.unit : r.name + ' → ' + r.value;
    }
    case 'mode': return 'Mode → ' + String(r.mode).toUpperCase().replace('_', ' ');
    case 'switch': {
      const x = (set.switches || []).find((y) => y.name === r.name);
      return (x ? x.label : r.name) + (r.on ? ' ON' : ' OFF');
    }
    case 'action': {
      const x = (set.actions || []).find((y) => y.name === r.name);
      return x ? x.label : r.name;
    }
    case 'pause_audio': return 'Alarm audio paused';
    case 'acknowledge': return 'Alarms acknowledged';
    default: break;
  }
  const name = r.inject || r.name;
  if (name !== undefined && r.value !== undefined) {
    const i = ((state.status && state.status.injections) || []).find((x) => x.name === name);
    return (i ? i.label : name) + ' = ' + r.value + (i && i.unit ? ' ' + i.unit : '');
  }
  return JSON.stringify(r);
}
function describe(e) {
  const d = e.detail || {};
  switch (e.kind) {
    case 'alarm_on':
      alarmText.set(d.id, d.text);
      return (d.priority || '').toUpperCase() + ' ' + (d.text || d.id) + (d.req ? ' (' + d.req + ')' : '');
    case 'alarm_off': return (d.priority || '').toUpperCase() + ' ' + (alarmText.get(d.id) || d.id);
    case 'applied': case 'refused': case 'action': case 'inject': case 'denied':
      return requestText(d.request) + (d.error ? ' — ' + d.error : '');
    case 'rejected': return d.error || JSON.stringify(d);
    case 'login': return 'as ' + d.role;
    case 'user': return d.name + ' is ' + d.role;
    case 'user_removed': return d.name + ' removed';
    case 'deadline': {
      const n = d.late || d.missed || 1;
      return n + (n > 1 ? ' wake-ups' : ' wake-up') + ' late, worst by ' + Number(d.late_ms).toFixed(1) + ' ms' +
        (d.missed ? '; ' + d.missed + ' step slot' + (d.missed > 1 ? 's' : '') + ' lost' : '');
    }
    case 'run': return d.started !== undefined ? 'run ' + d.started + ' started' : JSON.stringify(d);
    case 'remark': case 'scenario': return d.text || '';
    case 'lab': return d.result || '';
    case 'training_record': return 'scenario ended: the run is kept for the debrief (Instructor tab)';
    default: return JSON.stringify(d);
  }
}
function onEvent(x) {
  const e = x.e;
  if (x.id !== null) { if (state.eventIds.has(x.id)) return; state.eventIds.add(x.id); }
  if (INSTRUCTOR_ONLY.has(e.kind) && state.role !== 'instructor') return;
  state.events.push(e);
  if (state.events.length > 500) state.events.shift();
  const tb = $('event-log').querySelector('tbody');
  const tr = document.createElement('tr');
  tr.innerHTML = '<td></td><td></td><td></td><td></td><td></td>';
  tr.children[0].textContent = hms(e.t);
  tr.children[1].textContent = new Date(e.wall_ms).toLocaleTimeString('en-GB');
  tr.children[2].textContent = KIND[e.kind] || e.kind;
  tr.dataset.kind = e.kind;
  tr.children[3].textContent = e.user;
  tr.children[4].textContent = describe(e);
  tb.insertBefore(tr, tb.firstChild);
  while (tb.children.length > 500) tb.removeChild(tb.lastChild);
  if (e.kind === 'alarm_on' || e.kind === 'alarm_off') {
    const lt = $('alarm-log').querySelector('tbody');
    const r = document.createElement('tr');
    r.innerHTML = '<td></td><td></td><td></td>';
    r.children[0].textContent = hms(e.t);
    r.children[1].textContent = describe(e);
    r.children[2].innerHTML = e.kind === 'alarm_on' ? '<span class="chip ' + (e.detail.priority || 'low') + '">ON</span>' : '<span class="muted">off</span>';
    lt.insertBefore(r, lt.firstChild);
    while (lt.children.length > 300) lt.removeChild(lt.lastChild);
  }
}
async function loadEvents() {
  const r = await api('GET', '/api/events?limit=300');
  if (r.ok) for (const x of r.body.events) onEvent(x);
}

// ------------------------------------------------------------------ trends
// Every numeric over the whole run: panels per quantity, each with its own axis; alarm and
// event markers; a cursor that reads every value at its time; scroll and zoom back to the start
// of the run; export of what is shown as PNG and CSV.
let trendRows = [];
let trendNow = 0;
let trendCursor = null;
const get = (path) => (r) => path.split('.').reduce((o, k) => (o === null || o === undefined ? null : o[k]), r);
// Panels: [name, unit, [key, label, colour]]
const TREND_PANELS = [
  ['Flow', 'L/min', [['flow_lpm', 'Flow', '#3ddc84'], ['flow_index', 'Flow index', '#9be8b9']]],
  ['Speed', 'rpm', [['speed_rpm', 'Speed', '#e8edf2'], ['pump.rpm_command', 'Driven', '#8a97a6']]],
  ['Circuit pressures', 'mmHg', [['p_drain_mmhg', 'P drain', '#5cb0ff'], ['p_pre_mmhg', 'P pre', '#ffad5c'], ['p_post_mmhg', 'P post', '#ffe14d'], ['delta_p_mmhg', 'ΔP', '#ff8fb1']]],
  ['Saturations', '%', [['svo2_pct', 'SvO2', '#b58cff'], ['sao2_upper_pct', 'SaO2 up', '#5ee1f0'], ['sao2_lower_pct', 'SaO2 low', '#3aa9b8'], ['spo2_pct', 'SpO2', '#a0f0ff'], ['sat_post_pct', 'SO2 post', '#ffe14d']]],
  ['Blood gases post-oxy', 'mmHg', [['po2_post_mmhg', 'PO2 post', '#ffe14d'], ['pco2_post_mmhg', 'PCO2 post', '#9fe870']]],
  ['Patient', 'mmHg / bpm', [['art_upper.mean', 'MAP radial', '#ff5c5c'], ['art_lower.mean', 'MAP femoral', '#ff9c9c'], ['hr_bpm', 'HR', '#f0f0f0'], ['cvp_mmhg', 'CVP', '#5cb0ff']]],
  ['Hb / Hct', 'g/dL / %', [['hb_g_dl', 'Hb', '#ff8fb1'], ['hct_pct', 'Hct', '#ffc2d4']]],
  ['Temperatures', '°C', [['temp_c', 'T art', '#f0f0f0'], ['temp_ven_c', 'T ven', '#5cb0ff'], ['heater_water_c', 'Heater water', '#ffad5c']]],
  ['Gas', 'L/min / %', [['sweep_lpm', 'Sweep', '#9fe870'], ['fdo2_pct', 'FdO2 %', '#5ee1f0']]],
  ['Battery', '% / min', [['battery_pct', 'Battery %', '#d0d7de'], ['battery_min', 'Minutes', '#8a97a6']]],
];
const trendShown = new Set(JSON.parse(localStorage.getItem('ecmo.trends') || '["Flow","Circuit pressures","Saturations","Patient"]'));
function buildTrendGroups() {
  const host = $('trend-groups');
  for (const [name] of TREND_PANELS) {
    const l = document.createElement('label');
    l.innerHTML = '<input type="checkbox"> ';
    l.append(name);
    const c = l.firstChild;
    c.checked = trendShown.has(name);
    c.dataset.panel = name;
    c.onchange = () => { if (c.checked) trendShown.add(name); else trendShown.delete(name); localStorage.setItem('ecmo.trends', JSON.stringify([...trendShown])); sizeTrend(); drawTrends(); };
    host.appendChild(l);
  }
}
buildTrendGroups();
function runStart() { const rp = state.status && state.status.replay; return rp ? rp.start_t : 0; }
async function loadTrends() {
  const pts = Math.max(100, Math.min(2000, Math.floor($('trend').width / 2) || 600));
  const end = state.trendEnd === null ? '' : '&end=' + state.trendEnd;
  let r;
  try { r = await api('GET', '/api/trends?span=' + state.trendSpan + '&points=' + pts + end); } catch (_) { return; }
  if (r.ok) { trendRows = r.body.rows; trendNow = r.body.t; state.trendWindowEnd = r.body.end; drawTrends(); }
}
function trendWindow() {
  const t1 = state.trendWindowEnd !== undefined ? state.trendWindowEnd : trendNow;
  return [t1 - state.trendSpan, t1];
}
function shownPanels() { return TREND_PANELS.filter((p) => trendShown.has(p[0])); }
function drawTrends() {
  const cv = $('trend'); const ctx = cv.getContext('2d');
  const W = cv.width, H = cv.height; if (!W || !H) return;
  const dpr = window.devicePixelRatio || 1;
  ctx.fillStyle = '#000'; ctx.fillRect(0, 0, W, H);
  const left = 64 * dpr, right = 12 * dpr, bottom = 18 * dpr;
  const panels = shownPanels();
  const ph = (H - bottom) / Math.max(1, panels.length);
  const [t0, t1] = trendWindow();
  const xOf = (t) => left + ((t - t0) / (t1 - t0)) * (W - left - right);
  ctx.font = (14 * dpr) + 'px sans-serif';
  // Time axis in the run's time.
  ctx.fillStyle = '#a9b6c3';
  for (let k = 0; k <= 6; k++) {
    const t = t0 + (k / 6) * (t1 - t0);
    if (t < 0) continue;
    ctx.textAlign = k === 0 ? 'left' : (k === 6 ? 'right' : 'center');
    ctx.fillText(hms(t), xOf(t), H - 3 * dpr);
  }
  panels.forEach(([name, unit, traces], pi) => {
    const y0 = pi * ph + 2 * dpr, yh = ph - 6 * dpr;
    ctx.strokeStyle = '#2b3a4a'; ctx.lineWidth = 1; ctx.strokeRect(left, y0, W - left - right, yh);
    // The panel's own axis: the range of what it shows.
    let lo = Infinity, hi = -Infinity;
    for (const [key] of traces) for (const r of trendRows) { const v = get(key)(r); if (v !== null && isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); } }
    if (!isFinite(lo)) { lo = 0; hi = 1; }
    if (hi - lo < 1e-6) { lo -= 1; hi += 1; }
    const pad = (hi - lo) * 0.08; lo -= pad; hi += pad;
    const yOfv = (v) => y0 + yh - ((v - lo) / (hi - lo)) * yh;
    ctx.fillStyle = '#a9b6c3'; ctx.textAlign = 'right';
    ctx.fillText(fmtAxis(hi), left - 4 * dpr, y0 + 14 * dpr);
    ctx.fillText(fmtAxis(lo), left - 4 * dpr, y0 + yh - 2 * dpr);
    ctx.fillText(unit, left - 4 * dpr, y0 + yh / 2 + 5 * dpr);
    let lx = left + 6 * dpr;
    ctx.textAlign = 'left';
    for (const [key, label, col] of traces) {
      const g = get(key);
      ctx.strokeStyle = col; ctx.lineWidth = 1.5 * dpr; ctx.beginPath();
      let started = false;
      for (const r of trendRows) {
        const v = g(r);
        if (v === null || v === undefined || !isFinite(v)) { started = false; continue; }
        const x = xOf(r.t), y = yOfv(v);
        if (!started) { ctx.moveTo(x, y); started = true; } else ctx.lineTo(x, y);
      }
      ctx.stroke();
      ctx.fillStyle = col; ctx.fillText(label, lx, y0 + 16 * dpr);
      lx += ctx.measureText(label).width + 14 * dpr;
    }
    ctx.fillStyle = '#c9d4de'; ctx.textAlign = 'right';
    ctx.fillText(name, W - right - 4 * dpr, y0 + 16 * dpr);
  });
  // Markers: alarms raised (their priority's colour, full height) and operator actions taken
  // (short ticks at the bottom).
  const marks = trendMarks(t0, t1);
  for (const m of marks) {
    const x = xOf(m.t);
    ctx.strokeStyle = m.colour; ctx.lineWidth = (m.alarm ? 2 : 1) * dpr;
    ctx.beginPath(); ctx.moveTo(x, m.alarm ? 0 : H - bottom - 14 * dpr); ctx.lineTo(x, H - bottom); ctx.stroke();
  }
  if (trendCursor !== null) {
    const x = xOf(trendCursor);
    ctx.strokeStyle = '#ffffff'; ctx.lineWidth = 1 * dpr; ctx.setLineDash([4 * dpr, 4 * dpr]);
    ctx.beginPath(); ctx.moveTo(x, 0); ctx.lineTo(x, H - bottom); ctx.stroke(); ctx.setLineDash([]);
  }
  $('trend-info').textContent = trendRows.length + ' points, ' + hms(state.trendSpan) + ' ending ' + hms(t1) + (state.trendEnd === null ? ' (now)' : '') + ', ' + marks.filter((m) => m.alarm).length + ' alarms';
  cv.setAttribute('aria-label', 'Trends of ' + panels.map((p) => p[0]).join(', ') + ' from ' + hms(Math.max(0, t0)) + ' to ' + hms(t1));
}
function fmtAxis(v) { const a = Math.abs(v); return a >= 100 ? v.toFixed(0) : (a >= 10 ? v.toFixed(1) : v.toFixed(2)); }
function trendMarks(t0, t1) {
  const col = { high: '#ff3b4e', medium: '#ffd400', low: '#00c8e6' };
  const out = [];
  for (const e of state.events) {
    if (e.t < t0 || e.t > t1) continue;
    if (e.kind === 'alarm_on') out.push({ t: e.t, alarm: true, colour: col[e.detail.priority] || '#fff', text: describe(e) });
    else if (e.kind === 'applied' || e.kind === 'inject') out.push({ t: e.t, alarm: false, colour: '#8fc7ff', text: describe(e) });
  }
  return out;
}
// The cursor: every shown value at the pointer's time, and the markers near it.
function trendReadout(t) {
  if (!trendRows.length) return;
  let best = trendRows[0];
  for (const r of trendRows) if (Math.abs(r.t - t) < Math.abs(best.t - t)) best = r;
  const lines = ['<b>' + hms(best.t) + '</b>'];
  for (const [, unit, traces] of shownPanels()) {
    lines.push(traces.map(([key, label]) => { const v = get(key)(best); return label + ' ' + (v === null || v === undefined ? '---' : fmtAxis(v)); }).join(' · ') + ' <span class="muted">' + unit + '</span>');
  }
  const [t0, t1] = trendWindow();
  const tol = (t1 - t0) / 100;
  for (const m of trendMarks(t0, t1)) if (Math.abs(m.t - best.t) <= tol) lines.push('⚑ ' + hms(m.t) + ' ' + m.text);
  const ro = $('trend-readout');
  ro.innerHTML = lines.join('<br>');
  ro.hidden = false;
  ro.dataset.t = best.t;
}
$('trend').addEventListener('mousemove', (ev) => {
  const cv = $('trend'); const r = cv.getBoundingClientRect();
  const dpr = window.devicePixelRatio || 1;
  const left = 64, right = 12;
  const [t0, t1] = trendWindow();
  const t = t0 + ((ev.clientX - r.left - left) / (r.width - left - right)) * (t1 - t0);
  if (drag) { scrollTrend(((drag.x - ev.clientX) / (r.width - left - right)) * state.trendSpan, drag.end); return; }
  trendCursor = Math.max(t0, Math.min(t1, t));
  trendReadout(trendCursor);
  drawTrends();
  void dpr;
});
$('trend').addEventListener('mouseleave', () => { trendCursor = null; $('trend-readout').hidden = true; drawTrends(); });
let drag = null;
$('trend').addEventListener('mousedown', (ev) => { drag = { x: ev.clientX, end: trendWindow()[1] }; });
window.addEventListener('mouseup', () => { drag = null; });
function scrollTrend(dt, from) {
  const latest = trendNow;
  let end = (from === undefined ? trendWindow()[1] : from) + dt;
  end = Math.max(runStart() + 10, Math.min(latest, end));
  state.trendEnd = end >= latest - 0.5 ? null : end;
  loadTrends();
}
document.querySelectorAll('.zoom').forEach((b) => b.addEventListener('click', () => {
  state.trendSpan = b.dataset.span === 'all' ? Math.max(60, Math.ceil(trendNow - runStart()) + 1) : +b.dataset.span;
  if (b.dataset.span === 'all') state.trendEnd = null;
  loadTrends();
  document.querySelectorAll('.zoom').forEach((x) => x.classList.toggle('active', x === b));
}));
$('trend-back').addEventListener('click', () => scrollTrend(-state.trendSpan / 2));
$('trend-fwd').addEventListener('click', () => scrollTrend(state.trendSpan / 2));
$('trend-now').addEventListener('click', () => { state.trendEnd = null; loadTrends(); });
$('trend').addEventListener('wheel', (ev) => {
  ev.preventDefault();
  state.trendSpan = Math.min(Math.max(43200, trendNow - runStart() + 1), Math.max(60, state.trendSpan * (ev.deltaY > 0 ? 1.25 : 0.8)));
  loadTrends();
}, { passive: false });
function download(name, blob) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob); a.download = name;
  document.body.appendChild(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 5000);
}
$('trend-png').addEventListener('click', () => $('trend').toBlob((b) => download('ecmo-trends-' + hms(trendWindow()[1]).replace(/:/g, '') + '.png', b), 'image/png'));
$('trend-csv').addEventListener('click', () => {
  const cols = TREND_PANELS.flatMap((p) => p[2].map((t) => [t[0], t[1] + ' (' + p[1] + ')']));
  const lines = ['t_s,' + cols.map((c) => '"' + c[1] + '"').join(',')];
  for (const r of trendRows) lines.push([r.t, ...cols.map(([k]) => { const v = get(k)(r); return v === null || v === undefined ? '' : v; })].join(','));
  download('ecmo-trends-' + hms(trendWindow()[1]).replace(/:/g, '') + '.csv', new Blob([lines.join('\n') + '\n'], { type: 'text/csv' }));
});

// ------------------------------------------------------------------ replay
// The transport of a recording: play and pause, seek, speed; alarm sounds are muted unless
// asked for; the end of the recording is said as such.
let seeking = false;
function renderReplay(rp) {
  if (!rp) return;
  const s = $('rp-seek');
  s.min = rp.start_t; s.max = rp.end_t;
  if (!seeking) s.value = rp.t;
  $('rp-pos').textContent = hms(rp.t) + ' / ' + hms(rp.end_t) + (rp.ended ? ' — END OF RECORDING' : '');
  $('rp-play').textContent = rp.playing ? 'Pause' : 'Play';
  $('rp-play').disabled = !canReplay();
  s.disabled = !canReplay();
  $('rp-speed').disabled = !canReplay();
  if (document.activeElement !== $('rp-speed')) $('rp-speed').value = String(rp.speed);
  $('mode-badge').textContent = 'REPLAY ×' + rp.speed;
  // A jump in the recording's time: the event log is read again up to the new position.
  if (state.replayT !== undefined && (rp.t < state.replayT - 0.5 || rp.t > state.replayT + 30 * Math.max(1, rp.speed))) reloadEvents();
  state.replayT = rp.t;
}
function canReplay() { return state.role !== 'viewer'; }
async function replay(body) {
  const r = await api('POST', '/api/replay', body);
  if (!r.ok) toast('Refused: ' + ((r.body && r.body.error) || r.status), false);
}
$('rp-play').addEventListener('click', () => {
  const rp = state.status && state.status.replay;
  if (rp && rp.ended) replay({ action: 'seek', t: rp.start_t }).then(() => replay({ action: 'play' }));
  else replay({ action: rp && rp.playing ? 'pause' : 'play' });
});
$('rp-seek').addEventListener('input', () => { seeking = true; });
$('rp-seek').addEventListener('change', () => { seeking = false; replay({ action: 'seek', t: +$('rp-seek').value }); });
$('rp-speed').addEventListener('change', () => replay({ action: 'speed', speed: +$('rp-speed').value }));
$('rp-sound').addEventListener('change', () => { if ($('rp-sound').checked) audio.unlock(); renderAlarms(); });
function reloadEvents() {
  state.events = []; state.eventIds.clear();
  $('event-log').querySelector('tbody').innerHTML = '';
  $('alarm-log').querySelector('tbody').innerHTML = '';
  loadEvents();
}
// ------------------------------------------------------------------ users
async function loadUsers() {
  const r = await api('GET', '/api/users');
  if (!r.ok) return;
  const tb = $('user-list').querySelector('tbody'); tb.innerHTML = '';
  for (const u of r.body.users) {
    const tr = document.createElement('tr'); tr.innerHTML = '<td></td><td></td><td></td>';
    tr.children[0].textContent = u.name; tr.children[1].textContent = u.role;
    if (u.name !== state.user) {
      const b = document.createElement('button');
      b.className = 'btn small'; b.textContent = 'Remove'; b.dataset.remove = u.name;
      b.onclick = () => confirmDialog('Remove user', 'Remove ' + u.name + ' (' + u.role + ')? Their sessions end now.', null, async () => {
        const x = await api('POST', '/api/users/remove', { name: u.name });
        if (x.ok) { toast('User ' + u.name + ' removed', true); loadUsers(); }
        else toast('Refused: ' + ((x.body && x.body.error) || x.status), false);
      });
      tr.children[2].appendChild(b);
    }
    tb.appendChild(tr);
  }
}
$('user-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const r = await api('POST', '/api/users', { name: $('u-name').value, role: $('u-role').value, password: $('u-pass').value });
  if (r.ok) { toast('User ' + r.body.name + ' saved as ' + r.body.role, true); $('u-pass').value = ''; loadUsers(); }
  else toast('Refused: ' + ((r.body && r.body.error) || r.status), false);
});

// ------------------------------------------------------------------ tabs
// A tab list as WAI-ARIA describes it: arrow keys move between tabs, the selected one is in the
// page's tab order.
const tabs = () => [...document.querySelectorAll('.tab')].filter((t) => !t.hidden);
function selectTab(t) {
  for (const x of document.querySelectorAll('.tab')) {
    const on = x === t;
    x.classList.toggle('active', on);
    x.setAttribute('aria-selected', String(on));
    x.tabIndex = on ? 0 : -1;
  }
  document.querySelectorAll('.pane').forEach((p) => p.classList.toggle('active', p.id === 'pane-' + t.dataset.tab));
  if (t.dataset.tab === 'trends') { sizeTrend(); loadTrends(); }
}
document.querySelectorAll('.tab').forEach((t) => {
  t.addEventListener('click', () => selectTab(t));
  t.addEventListener('keydown', (ev) => {
    const l = tabs(); const i = l.indexOf(t);
    let j = null;
    if (ev.key === 'ArrowRight') j = (i + 1) % l.length;
    else if (ev.key === 'ArrowLeft') j = (i - 1 + l.length) % l.length;
    else if (ev.key === 'Home') j = 0;
    else if (ev.key === 'End') j = l.length - 1;
    if (j !== null) { ev.preventDefault(); l[j].focus(); selectTab(l[j]); }
  });
});

boot();
