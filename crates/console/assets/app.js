// OpenECMO console: plain JavaScript, no build step. Draws the live stream from /ws on canvases,
// sends commands to /api, and keeps nothing the server does not confirm: a setting shows as
// pending until the control core has taken it.
'use strict';

const $ = (id) => document.getElementById(id);
const state = {
  user: null, role: null, mode: 'live', status: null, pending: new Map(),
  lastWaveWall: 0, lastWaveRecv: 0, ws: null, wsRetry: 500, events: [], eventIds: new Set(),
  alarmLog: [], trendSpan: 300, audioPausedUntil: 0, audioPausedAt: 0,
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
  const r = await api('GET', '/api/session');
  if (r.ok) { enter(r.body); } else { showLogin(); }
}
function showLogin() {
  $('app').hidden = true; $('login').hidden = false; $('login-user').focus();
}
$('login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  audio.unlock();
  const r = await api('POST', '/api/login', { user: $('login-user').value, password: $('login-pass').value });
  if (r.ok) { $('login-pass').value = ''; $('login-error').textContent = ''; enter(r.body); }
  else { $('login-error').textContent = (r.body && r.body.error) || ('login failed (' + r.status + ')'); }
});
$('logout').addEventListener('click', async () => {
  await api('POST', '/api/logout');
  if (state.ws) { state.ws.onclose = null; state.ws.close(); }
  location.reload();
});

async function enter(sess) {
  state.user = sess.user; state.role = sess.role;
  $('login').hidden = true; $('app').hidden = false;
  $('who').textContent = sess.user + ' (' + sess.role + ')';
  document.body.dataset.role = sess.role;
  $('tab-instructor').hidden = sess.role !== 'instructor';
  $('tab-users').hidden = sess.role !== 'instructor';
  $('readonly-note').hidden = sess.role !== 'viewer';
  const st = await api('GET', '/api/state');
  if (st.ok) {
    state.mode = st.body.mode;
    $('mode-badge').textContent = st.body.mode === 'replay' ? ('REPLAY ×' + st.body.replay_speed) : 'LIVE';
    $('mode-badge').classList.toggle('replay', st.body.mode === 'replay');
    if (st.body.status) onStatus(st.body.status);
  }
  sizeCanvases();
  connect();
  loadEvents();
  loadTrends();
  setInterval(loadTrends, 5000);
  if (sess.role === 'instructor') loadUsers();
  requestAnimationFrame(frame);
}

// ------------------------------------------------------------------ stream
function connect() {
  const proto = location.protocol === 'https:' ? 'wss://' : 'ws://';
  const ws = new WebSocket(proto + location.host + '/ws');
  state.ws = ws;
  ws.onopen = () => { state.wsRetry = 500; setConn('connected', 'ok'); };
  ws.onmessage = (m) => {
    let msg;
    try { msg = JSON.parse(m.data); } catch (_) { return; }
    if (msg.k === 'w') onWaves(msg.d);
    else if (msg.k === 's') onStatus(msg.d);
    else if (msg.k === 'a') onApplied(msg.d);
    else if (msg.k === 'e') onEvent({ id: null, e: msg.d });
  };
  ws.onclose = () => {
    setConn('disconnected', 'bad');
    setTimeout(connect, state.wsRetry);
    state.wsRetry = Math.min(state.wsRetry * 2, 5000);
  };
}
function setConn(text, cls) { const c = $('conn'); c.textContent = text; c.className = 'conn ' + cls; }

// ------------------------------------------------------------------ waveforms
// Channel: [index in sample, colour, min, max, gridlines]
const CH = {
  p_art: [2, '#ff4d4d', 0, 160, [50, 100, 150]],
  p_drain: [3, '#4da6ff', -160, 40, [-100, -50, 0]],
  p_pre: [4, '#ffa64d', 0, 400, [100, 200, 300]],
  p_post: [5, '#ffe14d', 0, 400, [100, 200, 300]],
  flow: [6, '#3ddc84', 0, 8, [2, 4, 6]],
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
    ctx.fillStyle = '#000'; ctx.fillRect(0, 0, cv.width, cv.height);
    waves.push({ ch: el.dataset.ch, cv, ctx, lastX: null, lastY: null, dpr });
  });
  sizeTrend();
}
function sizeTrend() {
  const tc = $('trend');
  tc.width = tc.clientWidth * (window.devicePixelRatio || 1);
  tc.height = tc.clientHeight * (window.devicePixelRatio || 1);
}
window.addEventListener('resize', () => { sizeCanvases(); drawTrends(); });

function onWaves(batch) {
  state.lastWaveRecv = performance.now();
  for (const s of batch) queue.push(s);
}

function yOf(w, v) {
  const [, , lo, hi] = CH[w.ch];
  const h = w.cv.height;
  const pad = 4 * w.dpr;
  return h - pad - ((v - lo) / (hi - lo)) * (h - 2 * pad);
}

function drawGrid(w, x0, x1) {
  const [, , , , grid] = CH[w.ch];
  const ctx = w.ctx;
  ctx.fillStyle = '#000';
  ctx.fillRect(x0, 0, x1 - x0, w.cv.height);
  ctx.strokeStyle = '#1a2530'; ctx.lineWidth = 1;
  for (const g of grid) {
    const y = Math.round(yOf(w, g)) + 0.5;
    ctx.beginPath(); ctx.moveTo(x0, y); ctx.lineTo(x1, y); ctx.stroke();
  }
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
      if (w.lastX !== null && x < w.lastX) { w.lastX = null; }
      // Erase ahead of the pen, like a bedside monitor's sweep.
      const gap = 14 * w.dpr;
      const from = w.lastX === null ? x : w.lastX;
      drawGrid(w, Math.floor(from) + 1, Math.min(W, Math.ceil(x + gap)));
      if (x + gap > W) drawGrid(w, 0, x + gap - W);
      if (v === null || !isFinite(v)) { w.lastX = x; w.lastY = null; continue; }
      const y = yOf(w, v);
      ctx.strokeStyle = col; ctx.lineWidth = 2 * w.dpr; ctx.lineJoin = 'round';
      ctx.beginPath();
      if (w.lastX !== null && w.lastY !== null) ctx.moveTo(w.lastX, w.lastY); else ctx.moveTo(x, y);
      ctx.lineTo(x, y); ctx.stroke();
      w.lastX = x; w.lastY = y;
    }
    // Scale: the gridlines' values, and the ends of the scale where they do not crowd them.
    const [, , lo, hi, grid] = CH[w.ch];
    ctx.fillStyle = '#000'; ctx.fillRect(W - 44 * w.dpr, 0, 44 * w.dpr, w.cv.height);
    ctx.fillStyle = '#5f6e7d'; ctx.font = (11 * w.dpr) + 'px sans-serif'; ctx.textAlign = 'right';
    const marks = grid.map((g) => [g, yOf(w, g) + 4 * w.dpr]);
    const clear = (y) => marks.every(([, my]) => Math.abs(my - y) > 13 * w.dpr);
    if (clear(12 * w.dpr)) marks.push([hi, 12 * w.dpr]);
    if (clear(w.cv.height - 3 * w.dpr)) marks.push([lo, w.cv.height - 3 * w.dpr]);
    for (const [g, y] of marks) ctx.fillText(String(g), W - 4 * w.dpr, y);
  }
  for (const s of drawn) {
    const l = now - s[1];
    lat.n++; lat.sum += l; if (l > lat.max) lat.max = l;
    lat.samples.push(l); if (lat.samples.length > 2000) lat.samples.shift();
  }
  if (drawn.length) state.lastWaveWall = now;
  // A frozen trace must never look live (CON-3).
  const stale = !!(state.lastWaveRecv && performance.now() - state.lastWaveRecv > 1500);
  if ($('stale').hidden === stale) {
    $('stale').hidden = !stale;
    // The numbers are as old as the traces: dimmed with them.
    document.querySelector('.main').classList.toggle('no-data', stale);
  }
  tickAudioPause();
  requestAnimationFrame(frame);
}

// ------------------------------------------------------------------ numerics and status
const fmt = (v, d) => (v === null || v === undefined || !isFinite(v)) ? '---' : Number(v).toFixed(d);
function hms(t) {
  t = Math.max(0, Math.floor(t));
  const h = Math.floor(t / 3600), m = Math.floor(t / 60) % 60, s = t % 60;
  return h + ':' + String(m).padStart(2, '0') + ':' + String(s).padStart(2, '0');
}

function onStatus(st) {
  state.status = st;
  const n = st.numerics || {};
  $('simtime').textContent = 'T+' + hms(st.t);
  $('n-flow').textContent = fmt(n.flow_lpm, 2);
  $('n-speed').textContent = fmt(n.speed_rpm, 0);
  $('n-dp').textContent = fmt(n.delta_p_mmhg, 0);
  $('n-pdrain').textContent = fmt(n.p_drain_mmhg, 0);
  $('n-ppost').textContent = fmt(n.p_post_mmhg, 0);
  $('n-ppre').textContent = fmt(n.p_pre_mmhg, 0);
  $('n-pco2').textContent = fmt(n.pco2_post_mmhg, 0);
  $('n-svo2').textContent = fmt(n.svo2_pct, 0);
  $('n-sau').textContent = fmt(n.sao2_upper_pct, 0);
  $('n-sal').textContent = fmt(n.sao2_lower_pct, 0);
  $('n-map').textContent = fmt(n.map_mmhg, 0) + ' / ' + fmt(n.hr_bpm, 0);
  $('n-hb').textContent = fmt(n.hb_g_dl, 1);
  $('n-temp').textContent = fmt(n.temp_c, 1);
  $('n-sweep').textContent = fmt(n.sweep_lpm, 1);
  $('n-fdo2').textContent = fmt(n.fdo2_pct, 0);
  $('n-post').textContent = fmt(n.sat_post_pct, 0) + ' / ' + fmt(n.po2_post_mmhg, 0);
  $('n-batt').textContent = fmt(n.battery_pct, 0);
  $('n-mains').textContent = n.mains === false ? 'ON BATTERY' : (n.mains ? 'mains' : '');
  const s = st.settings || {};
  $('n-mode').textContent = (s.mode || '---').toUpperCase();
  const p = (name) => (s.params || []).find((x) => x.name === name);
  const ft = p('flow_target'), rt = p('rpm_target');
  $('n-flow-set').textContent = ft && s.mode === 'flow' ? 'target ' + fmt(ft.value, 2) : '';
  $('n-speed-set').textContent = rt && s.mode === 'rpm' ? 'target ' + fmt(rt.value, 0) : '';
  // Alarm limits under the numbers they guard, as on a bedside monitor.
  const lim = (name) => { const x = p('alarm.' + name); return x ? fmtParam(x, x.value) : '?'; };
  $('n-flow-lim').textContent = 'limits ' + lim('flow_low') + '–' + lim('flow_high');
  $('n-dp-lim').textContent = '≤ ' + lim('delta_p_high');
  $('n-sau-lim').textContent = '≥ ' + lim('sao2_upper_low');
  $('n-temp-lim').textContent = lim('temp_low') + '–' + lim('temp_high');
  $('n-batt-lim').textContent = '≥ ' + lim('battery_low');
  const sw = (name) => (s.switches || []).find((x) => x.name === name);
  const auto = sw('auto_sweep');
  $('n-sweep-mode').textContent = auto && auto.on ? 'auto PCO2' : 'manual';
  const clamp = sw('return_clamp');
  $('n-clamp').textContent = clamp && clamp.on ? 'RETURN CLAMPED' : '';
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
  renderAlarms(st.alarms || { alarms: [] });
  renderControls(s);
  renderInjections(st.injections || []);
}

// ------------------------------------------------------------------ alarms
const PRIO_ORDER = { high: 3, medium: 2, low: 1 };
// Which numerics (data-n of the tile) each alarm of the control core is about.
const NUM_OF_ALARM = {
  suction: ['pdrain', 'flow'], return_pressure_high: ['ppost', 'ppre'], backflow: ['flow'],
  flow_low: ['flow'], flow_high: ['flow'], delta_p_high: ['dp'], delta_p_rising: ['dp'],
  oxygenator_failure: ['post', 'dp'], oxygenator_performance_falling: ['post'],
  flow_speed_mismatch: ['flow', 'speed'], pump_stopped: ['speed', 'flow'],
  temperature_low: ['temp'], temperature_high: ['temp'], sa_o2_upper_low: ['sau'],
  mains_power_lost: ['batt'], battery_low: ['batt'], battery_critical: ['batt'],
  auto_sweep_at_limit: ['sweep', 'pco2'], zero_flow_deviation: ['flow'],
  flow_sensor_fault: ['flow'], pressure_sensor_fault: ['pdrain', 'ppre', 'ppost'],
  speed_sensor_fault: ['speed'],
};
function renderAlarms(a) {
  const list = (a.alarms || []).slice().sort((x, y) => PRIO_ORDER[y.priority] - PRIO_ORDER[x.priority]);
  const bar = $('alarmbar');
  const top = list[0];
  const cls = top ? 'prio-' + top.priority : 'prio-none';
  if (bar.dataset.prio !== cls) { bar.className = 'alarmbar ' + cls; bar.dataset.prio = cls; }
  $('alarmbar-text').textContent = top ? top.text : 'No active alarms';
  // The numeric an alarm is about is framed in the alarm's colour.
  const framed = new Map();
  for (const x of list) {
    for (const id of NUM_OF_ALARM[x.id] || []) if (!framed.has(id)) framed.set(id, x.priority);
  }
  for (const el of document.querySelectorAll('.num[data-n]')) {
    const pr = framed.get(el.dataset.n);
    const cls = pr ? 'alarm-' + pr : '';
    if ((el.dataset.alarm || '') !== cls) {
      el.classList.remove('alarm-high', 'alarm-medium', 'alarm-low');
      if (cls) el.classList.add(cls);
      el.dataset.alarm = cls;
    }
  }
  $('alarmbar-count').textContent = list.length > 1 ? '+' + (list.length - 1) + ' more' : '';
  const pill = $('tab-alarm-count');
  pill.textContent = list.length ? String(list.length) : '';
  pill.className = 'pill' + (top ? ' p-' + top.priority : '');
  const tb = $('alarm-list').querySelector('tbody');
  tb.innerHTML = '';
  for (const x of list) {
    const tr = document.createElement('tr');
    tr.innerHTML = '<td><span class="chip ' + x.priority + '"></span></td><td></td><td></td><td class="muted"></td>';
    tr.children[0].firstChild.textContent = x.priority.toUpperCase();
    tr.children[1].textContent = x.text + ' (' + x.req + ')';
    tr.children[2].textContent = x.action;
    tr.children[3].textContent = [x.active ? 'active' : 'cleared', x.latched ? 'latched' : '', x.acknowledged ? 'ack' : '', x.technical ? 'technical' : ''].filter(Boolean).join(', ');
    tb.appendChild(tr);
  }
  // audio
  if (a.audio_paused_s) {
    state.audioPausedUntil = performance.now() + a.audio_paused_s * 1000;
  } else {
    state.audioPausedUntil = 0;
  }
  audio.update(top ? top.priority : null, !!a.audio_paused_s);
  $('audio-pause').disabled = state.role === 'viewer' || state.mode === 'replay';
  $('ack').disabled = state.role === 'viewer' || state.mode === 'replay' || !list.length;
}
function tickAudioPause() {
  const b = $('audio-pause');
  const left = state.audioPausedUntil - performance.now();
  if (left > 0) {
    const s = Math.ceil(left / 1000);
    $('audio-label').textContent = 'PAUSED ' + Math.floor(s / 60) + ':' + String(s % 60).padStart(2, '0');
    b.classList.add('paused');
  } else {
    $('audio-label').textContent = 'PAUSE AUDIO';
    b.classList.remove('paused');
  }
}
$('remark-send').addEventListener('click', async () => {
  const text = $('remark-text').value.trim();
  if (!text) return;
  const r = await api('POST', '/api/remark', { text });
  if (r.status === 200) { toast('Remark recorded', true); $('remark-text').value = ''; }
  else toast('Refused: ' + ((r.body && r.body.error) || r.status), false);
});
$('audio-pause').addEventListener('click', () => sendCommand({ type: 'pause_audio' }, 'Audio pause'));
$('ack').addEventListener('click', () => sendCommand({ type: 'acknowledge' }, 'Acknowledge alarms'));

// IEC 60601-1-8 auditory alarm signals: a pulse is a tone with a fundamental and four
// harmonics. High priority: a burst of 10 pulses (3+2, pause, 3+2), repeated every 5 s
// (standard: 2.5-15 s). Medium: 3 pulses, repeated every 7.5 s (2.5-30 s). Low: one pulse,
// every 30 s. Pulse widths: high 150 ms, medium 200 ms, low 200 ms (standard: 75-200 ms for high,
// 125-250 ms for medium and low).
const audio = {
  ctx: null, wave: null, prio: null, paused: false, timer: null, bursts: 0,
  unlock() {
    try {
      if (!this.ctx) {
        const AC = window.AudioContext || window.webkitAudioContext;
        if (!AC) return;
        this.ctx = new AC();
        const real = new Float32Array([0, 1, 0.6, 0.45, 0.35, 0.25]);
        this.wave = this.ctx.createPeriodicWave(real, new Float32Array(real.length));
      }
      if (this.ctx.state === 'suspended') this.ctx.resume();
    } catch (_) { this.ctx = null; }
  },
  pattern(prio) {
    // [start offsets in s], pulse width s, frequency Hz, repeat interval s
    if (prio === 'high') return [[0, 0.25, 0.5, 0.85, 1.1, 2.1, 2.35, 2.6, 2.95, 3.2], 0.15, 660, 5.0];
    if (prio === 'medium') return [[0, 0.35, 0.7], 0.2, 520, 7.5];
    if (prio === 'low') return [[0], 0.2, 440, 30];
    return null;
  },
  burst() {
    const p = this.pattern(this.prio);
    if (!p || this.paused) return;
    this.bursts++;
    window.__ecmo.audioBursts = { prio: this.prio, pulses: p[0].length, count: this.bursts };
    if (!this.ctx) return;
    const t0 = this.ctx.currentTime + 0.02;
    for (const off of p[0]) {
      const o = this.ctx.createOscillator();
      const g = this.ctx.createGain();
      o.setPeriodicWave(this.wave);
      o.frequency.value = p[2];
      const a = t0 + off, w = p[1];
      g.gain.setValueAtTime(0, a);
      g.gain.linearRampToValueAtTime(0.25, a + 0.015);
      g.gain.setValueAtTime(0.25, a + w - 0.02);
      g.gain.linearRampToValueAtTime(0, a + w);
      o.connect(g).connect(this.ctx.destination);
      o.start(a); o.stop(a + w + 0.01);
    }
  },
  update(prio, paused) {
    const changed = prio !== this.prio || paused !== this.paused;
    this.prio = prio; this.paused = paused;
    if (!changed) return;
    clearInterval(this.timer); this.timer = null;
    window.__ecmo.audioBursts = { prio: prio, pulses: 0, count: this.bursts, paused };
    const p = this.pattern(prio);
    if (!p || paused) return;
    this.burst();
    this.timer = setInterval(() => this.burst(), p[3] * 1000);
  },
};

// ------------------------------------------------------------------ controls
let controlsKey = '';
function canControl() { return state.role !== 'viewer' && state.mode !== 'replay'; }
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
    row.children[0].innerHTML = '';
    row.children[0].textContent = p.label + ' ';
    if (pend) { const sp = document.createElement('span'); sp.className = 'pend'; sp.textContent = '⏳ pending ' + pend.cmd.value; row.children[0].appendChild(sp); }
    row.children[1].textContent = fmtParam(p, p.value) + ' ' + p.unit;
    const b = row.children[2];
    b.disabled = dis;
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
  for (const a of s.actions || []) {
    const b = document.createElement('button');
    b.className = 'btn'; b.textContent = a.label; b.disabled = dis; b.dataset.action = a.name;
    b.onclick = () => confirmDialog(a.label, a.label + '?', null, () => sendCommand({ type: 'action', name: a.name }, a.label));
    ac.appendChild(b);
  }
  const np = state.pending.size;
  $('tab-pending').textContent = np ? np + ' pending' : '';
}
// What a mode change will do, in the confirmation: the target the new mode will drive to.
function modeQuestion(s, m) {
  const name = (x) => x.toUpperCase().replace('_', ' ');
  let q = 'Change pump mode from ' + name(s.mode) + ' to ' + name(m) + '?';
  const p = (n) => (s.params || []).find((x) => x.name === n);
  if (m === 'flow' && p('flow_target')) q += ' The pump will drive flow to the flow target, ' + fmtParam(p('flow_target'), p('flow_target').value) + ' L/min.';
  if (m === 'rpm') q += ' The pump holds its present speed.';
  if (m === 'standby') q += ' The pump STOPS.';
  return q;
}
// A warning when the new mode would change flow a lot (e.g. FLOW with a stale target).
function modeWarning(s, m) {
  const n = (state.status && state.status.numerics) || {};
  const ft = (s.params || []).find((x) => x.name === 'flow_target');
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
function confirmDialog(title, text, param, onOk, warning, start) {
  $('confirm-title').textContent = title;
  $('confirm-text').textContent = text;
  $('confirm-warn').textContent = warning || '';
  $('confirm-warn').hidden = !warning;
  const edit = $('confirm-edit');
  edit.hidden = !param;
  $('confirm-range').textContent = param ? ('Permitted ' + fmtParam(param, param.min) + ' – ' + fmtParam(param, param.max) + ' ' + param.unit) : '';
  if (param) {
    const inp = $('confirm-value');
    inp.value = fmtParam(param, start === undefined ? param.value : start);
    $('confirm-unit').textContent = param.unit;
    const bump = (d) => { const v = parseFloat(inp.value); inp.value = fmtParam(param, (isFinite(v) ? v : param.value) + d * param.step); };
    $('confirm-minus').onclick = () => bump(-1);
    $('confirm-plus').onclick = () => bump(1);
    setTimeout(() => { inp.focus(); inp.select(); }, 0);
  }
  $('confirm').hidden = false;
  $('confirm-cancel').onclick = () => { $('confirm').hidden = true; };
  $('confirm-ok').onclick = () => {
    let v;
    if (param) {
      v = parseFloat($('confirm-value').value.replace(',', '.'));
      if (!isFinite(v)) { $('confirm-range').textContent = 'Not a number.'; return; }
    }
    $('confirm').hidden = true;
    onOk(v);
  };
}

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
  for (const [seq, p] of state.pending) {
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
  for (const i of list) {
    const d = document.createElement('div');
    d.className = 'inj'; d.dataset.inject = i.name;
    d.innerHTML = '<span></span><input><button class="btn">Inject</button>';
    d.children[0].textContent = i.label + (i.unit ? ' (' + i.unit + ')' : '');
    d.children[1].value = i.default;
    d.children[1].title = i.min + ' – ' + i.max;
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
let trendRows = [];
async function loadTrends() {
  const pts = Math.max(100, Math.floor($('trend').width / 2) || 600);
  const r = await api('GET', '/api/trends?span=' + state.trendSpan + '&points=' + pts);
  if (r.ok) { trendRows = r.body.rows; trendNow = r.body.t; drawTrends(); }
}
let trendNow = 0;
const TRACES = [
  // panel, key, colour, label
  [0, 'flow_lpm', '#3ddc84', 'Flow L/min', 0, 8],
  [0, 'speed_rpm', '#e8edf2', 'Speed krpm', 0, 8000, 1000],
  [1, 'p_drain_mmhg', '#4da6ff', 'P drain', -150, 400],
  [1, 'p_post_mmhg', '#ffe14d', 'P post', -150, 400],
  [1, 'delta_p_mmhg', '#ffa64d', 'ΔP', -150, 400],
  [2, 'svo2_pct', '#b084ff', 'SvO2', 40, 100],
  [2, 'sao2_upper_pct', '#5ee1f0', 'SaO2 up', 40, 100],
  [2, 'sao2_lower_pct', '#2f8fa0', 'SaO2 low', 40, 100],
];
function drawTrends() {
  const cv = $('trend'); const ctx = cv.getContext('2d');
  const W = cv.width, H = cv.height; if (!W || !H) return;
  const dpr = window.devicePixelRatio || 1;
  ctx.fillStyle = '#000'; ctx.fillRect(0, 0, W, H);
  const left = 60 * dpr, right = 10 * dpr;
  const ph = H / 3;
  const t1 = trendNow, t0 = t1 - state.trendSpan;
  const xOf = (t) => left + ((t - t0) / (t1 - t0)) * (W - left - right);
  ctx.font = (11 * dpr) + 'px sans-serif';
  for (let p = 0; p < 3; p++) {
    ctx.strokeStyle = '#1f2a36'; ctx.strokeRect(left, p * ph + 2, W - left - right, ph - 4);
  }
  // time axis
  // Time axis in the run's time; before the run began there is nothing to label.
  ctx.fillStyle = '#5f6e7d';
  for (let k = 0; k <= 6; k++) {
    const t = t0 + (k / 6) * (t1 - t0);
    if (t < 0) continue;
    ctx.textAlign = k === 0 ? 'left' : (k === 6 ? 'right' : 'center');
    ctx.fillText(hms(t), xOf(t), H - 2);
  }
  const legend = [0, 0, 0];
  for (const [p, key, col, label, lo, hi, div] of TRACES) {
    ctx.strokeStyle = col; ctx.lineWidth = 1.5 * dpr; ctx.beginPath();
    let started = false;
    const y0 = p * ph + 4, yh = ph - 16 * dpr;
    for (const r of trendRows) {
      let v = r[key]; if (v === null || v === undefined) { started = false; continue; }
      if (div) v = v / div;
      const vlo = div ? lo / div : lo, vhi = div ? hi / div : hi;
      const y = y0 + yh - ((v - vlo) / (vhi - vlo)) * yh;
      const x = xOf(r.t);
      if (!started) { ctx.moveTo(x, y); started = true; } else ctx.lineTo(x, y);
    }
    ctx.stroke();
    ctx.fillStyle = col; ctx.textAlign = 'left';
    ctx.fillText(label, left + 6 * dpr + legend[p], p * ph + 14 * dpr);
    legend[p] += (label.length * 7 + 16) * dpr;
    ctx.fillStyle = '#5f6e7d'; ctx.textAlign = 'right';
    if (key === TRACES.find((x) => x[0] === p)[1]) {
      ctx.fillText(String(div ? hi / div : hi), left - 4, y0 + 10 * dpr);
      ctx.fillText(String(div ? lo / div : lo), left - 4, y0 + yh);
    }
  }
  $('trend-info').textContent = trendRows.length + ' points, ' + hms(state.trendSpan) + ' ending ' + hms(t1);
}
document.querySelectorAll('.zoom').forEach((b) => b.addEventListener('click', () => {
  state.trendSpan = +b.dataset.span; loadTrends();
  document.querySelectorAll('.zoom').forEach((x) => x.classList.toggle('active', x === b));
}));
$('trend').addEventListener('wheel', (ev) => {
  ev.preventDefault();
  state.trendSpan = Math.min(43200, Math.max(60, state.trendSpan * (ev.deltaY > 0 ? 1.25 : 0.8)));
  loadTrends();
}, { passive: false });

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
document.querySelectorAll('.tab').forEach((t) => t.addEventListener('click', () => {
  document.querySelectorAll('.tab').forEach((x) => x.classList.toggle('active', x === t));
  document.querySelectorAll('.pane').forEach((p) => p.classList.toggle('active', p.id === 'pane-' + t.dataset.tab));
  if (t.dataset.tab === 'trends') { sizeTrend(); loadTrends(); }
}));

boot();
