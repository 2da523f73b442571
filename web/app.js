/*
 * lookout operator display. Plain JavaScript, no framework, no network beyond the lookout
 * service itself (no map tiles, no CDN): it works on an isolated operations network.
 *
 * Data: a WebSocket (/ws) pushes the picture a few times a second; the first message is
 * "full" (site, zones, tracks with their trails), later ones are "update" (tracks without
 * trails, alerts, status) and this page extends each trail itself. Without a WebSocket it
 * polls the REST API (/api/tracks, /api/alerts, /api/zones) once a second.
 *
 * Map: the system ENU frame (metres east/north of the site reference), north up. All tracks of
 * one class are drawn as one canvas path per layer (trails, leaders, symbols) so 10,000 tracks
 * cost a few dozen fill/stroke calls; labels are decluttered on a screen grid.
 *
 * window.lookout is a read-only hook for tests and diagnostics (stats(), trackScreenPos()).
 */
'use strict';
(function () {
  const TRAIL_S = 60;          // client-side trail length, data seconds
  const TRAIL_STEP_S = 0.9;    // at most one trail point per scan
  const LEADER_S = 30;         // velocity leader: where the track is in 30 s
  const LABEL_ALL_MAX = 150;   // label every visible track up to this many
  const STALE_S = 5;           // no message for this long (wall time): feed shown stale
  const BEEP_REPEAT_S = 6;     // unacknowledged alarms beep again this often

  const GROUP_STYLE = {
    drone:    { color: '#ff9f1c', shape: 'diamond',  label: 'drone' },
    rocket:   { color: '#ff3df2', shape: 'cross',    label: 'rocket' },
    aircraft: { color: '#5aa9ff', shape: 'triangle', label: 'aircraft' },
    bird:     { color: '#7bd389', shape: 'circle',   label: 'bird' },
    vehicle:  { color: '#c8b28a', shape: 'square',   label: 'vehicle' },
    unknown:  { color: '#d8dde2', shape: 'ring',     label: 'unknown' },
    clutter:  { color: '#6b737b', shape: 'x',        label: 'clutter' },
  };
  const GROUP_ORDER = ['clutter', 'unknown', 'vehicle', 'bird', 'aircraft', 'drone', 'rocket'];
  const ALARM_COLOR = '#ff3030';
  const WARNING_COLOR = '#ffb000';

  const params = new URLSearchParams(location.search);
  const token = params.get('token') || '';

  const state = {
    site: null, zones: [], tracks: new Map(), alerts: [], clock: 0, clockUtc: '', status: '',
    counts: {}, selected: null, selectedGone: false,
    view: { cx: 0, cy: 0, scale: 0.03, fitted: false },
    connected: false, transport: 'none', lastMessageWall: 0,
    knownAlarms: new Set(), acked: new Set(), lastBeepWall: 0,
    soundOn: true, labelMode: 'auto',
  };
  const stats = { frames: 0, tracksDrawn: 0, labelsDrawn: 0, zonesDrawn: 0, impactsDrawn: 0,
    lastDrawMs: 0, lastApplyMs: 0, lastParseMs: 0, lastMessageBytes: 0, messages: 0, alarmsRaised: 0, beeps: 0 };

  const $ = (id) => document.getElementById(id);
  const canvas = $('map');
  const ctx = canvas.getContext('2d');
  let drawScheduled = false;
  // Tracks of the last frame by group; each drawn track carries sx, sy (screen position) and
  // drawnFrame (the frame it was drawn in), for picking and for tests.
  let drawnBuckets = {};

  // ---- small helpers --------------------------------------------------------------------------

  function withToken(path) {
    return token ? path + (path.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(token) : path;
  }
  function esc(s) {
    return String(s == null ? '' : s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
  }
  function fmt(v, digits, unit) {
    return (typeof v === 'number' && isFinite(v)) ? v.toFixed(digits) + (unit ? ' ' + unit : '') : '-';
  }
  function countdown(s) {
    if (typeof s !== 'number' || !isFinite(s)) return '';
    const t = Math.max(0, Math.round(s));
    const m = Math.floor(t / 60), r = t % 60;
    return 'T\u2212' + (m > 0 ? m + ':' + String(r).padStart(2, '0') : r + ' s');
  }
  function requestDraw() {
    if (!drawScheduled) { drawScheduled = true; requestAnimationFrame(draw); }
  }

  // ---- data intake ------------------------------------------------------------------------------

  function extendTrail(old, fresh) {
    const trail = old && old.trail ? old.trail : [];
    const p = fresh.enu_m;
    if (p) {
      const last = trail.length ? trail[trail.length - 1] : null;
      if (!last || fresh.t_s - last[3] >= TRAIL_STEP_S) trail.push([p[0], p[1], p[2], fresh.t_s]);
      else if (last) { last[0] = p[0]; last[1] = p[1]; last[2] = p[2]; }
    }
    let drop = 0;
    while (drop < trail.length && fresh.t_s - trail[drop][3] > TRAIL_S) drop++;
    if (drop) trail.splice(0, drop);
    return trail;
  }

  function applyPicture(msg, bytes) {
    const t0 = performance.now();
    stats.messages++;
    if (bytes) stats.lastMessageBytes = bytes;
    state.lastMessageWall = performance.now();
    if (msg.site) state.site = msg.site;
    if (msg.zones) state.zones = msg.zones;
    if (typeof msg.clock_s === 'number') state.clock = msg.clock_s;
    if (msg.clock_utc !== undefined) state.clockUtc = msg.clock_utc;
    if (msg.status !== undefined) state.status = msg.status;
    if (msg.counts) state.counts = msg.counts;
    if (msg.tracks) {
      const next = new Map();
      for (const t of msg.tracks) {
        const old = state.tracks.get(t.id);
        if (!t.trail) t.trail = extendTrail(old, t);
        next.set(t.id, t);
      }
      state.tracks = next;
      if (state.selected !== null) state.selectedGone = !next.has(state.selected);
    }
    if (msg.alerts) { state.alerts = msg.alerts; checkAlarms(); }
    if (!state.view.fitted && (state.site || state.tracks.size)) fitView();
    renderPanels();
    requestDraw();
    stats.lastApplyMs = performance.now() - t0;
  }

  // ---- transport: WebSocket, REST polling as a fallback ---------------------------------------------

  let ws = null, wsFailures = 0, pollTimer = null;

  function setConn(up, how) {
    state.connected = up;
    state.transport = up ? how : 'none';
    const el = $('conn');
    el.textContent = up ? 'live (' + how + ')' : 'offline';
    el.className = up ? 'conn-up' : 'conn-down';
  }

  function connectWs() {
    const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + withToken('/ws');
    try { ws = new WebSocket(url); } catch (e) { ws = null; startPolling(); return; }
    ws.onopen = () => { wsFailures = 0; stopPolling(); setConn(true, 'ws'); };
    ws.onmessage = (ev) => {
      let msg;
      const t0 = performance.now();
      try { msg = JSON.parse(ev.data); } catch (e) { return; }
      stats.lastParseMs = performance.now() - t0;
      applyPicture(msg, ev.data.length);
    };
    ws.onclose = () => {
      ws = null;
      wsFailures++;
      setConn(false);
      if (wsFailures >= 2) startPolling();
      setTimeout(connectWs, Math.min(10000, 500 * 2 ** Math.min(wsFailures, 5)));
    };
    ws.onerror = () => { /* onclose follows */ };
  }

  async function fetchJson(path) {
    const r = await fetch(withToken(path), { cache: 'no-store' });
    if (!r.ok) throw new Error(path + ': HTTP ' + r.status);
    return r.json();
  }
  async function pollOnce() {
    try {
      const zones = state.site ? null : await fetchJson('/api/zones');
      const tracks = await fetchJson('/api/tracks');
      const alerts = await fetchJson('/api/alerts');
      const msg = Object.assign({}, tracks, { alerts: alerts.alerts });
      if (zones) { msg.site = zones.site; msg.zones = zones.zones; }
      applyPicture(msg);
      if (!ws) setConn(true, 'poll');
    } catch (e) {
      if (!ws) setConn(false);
    }
  }
  function startPolling() {
    if (!pollTimer) { pollOnce(); pollTimer = setInterval(pollOnce, 1000); }
  }
  function stopPolling() {
    if (pollTimer) { clearInterval(pollTimer); pollTimer = null; }
  }

  // ---- alarms ----------------------------------------------------------------------------------

  let audioCtx = null;
  function beep() {
    if (!state.soundOn) return;
    try {
      if (!audioCtx) audioCtx = new (window.AudioContext || window.webkitAudioContext)();
      if (audioCtx.state === 'suspended') audioCtx.resume();
      const t0 = audioCtx.currentTime;
      for (let i = 0; i < 3; i++) {
        const osc = audioCtx.createOscillator(), gain = audioCtx.createGain();
        osc.type = 'square';
        osc.frequency.value = 880;
        gain.gain.setValueAtTime(0.0001, t0 + i * 0.25);
        gain.gain.exponentialRampToValueAtTime(0.2, t0 + i * 0.25 + 0.01);
        gain.gain.exponentialRampToValueAtTime(0.0001, t0 + i * 0.25 + 0.16);
        osc.connect(gain).connect(audioCtx.destination);
        osc.start(t0 + i * 0.25);
        osc.stop(t0 + i * 0.25 + 0.18);
      }
      stats.beeps++;
    } catch (e) { /* no audio device: the visual alarm remains */ }
    state.lastBeepWall = performance.now();
  }

  function activeAlarms() {
    return state.alerts.filter((a) => a.active && a.level === 'alarm');
  }

  function checkAlarms() {
    let fresh = false;
    for (const a of activeAlarms()) {
      if (!state.knownAlarms.has(a.id)) { state.knownAlarms.add(a.id); fresh = true; stats.alarmsRaised++; }
    }
    const unacked = activeAlarms().filter((a) => !state.acked.has(a.id));
    if (fresh) beep();
    else if (unacked.length && performance.now() - state.lastBeepWall > BEEP_REPEAT_S * 1000) beep();
    const banner = $('alarm-banner');
    const show = activeAlarms();
    if (!show.length) { banner.hidden = true; return; }
    show.sort(alertOrder);
    const a = show[0];
    const more = show.length > 1 ? '  (+' + (show.length - 1) + ' more)' : '';
    $('alarm-text').textContent = 'ALARM ' + a.zone.toUpperCase() + ': ' + a.group + ' #' + a.track_id +
      (a.time_to_entry_now_s != null ? '  ' + countdown(a.time_to_entry_now_s) : '') + more;
    banner.hidden = false;
    banner.classList.toggle('flash', unacked.length > 0);
    $('ack-btn').hidden = unacked.length === 0;
  }

  function acknowledge() {
    for (const a of activeAlarms()) state.acked.add(a.id);
    checkAlarms();
    renderPanels();
  }

  // ---- panels ----------------------------------------------------------------------------------

  const LEVEL_RANK = { alarm: 3, warning: 2, info: 1 };
  function alertOrder(a, b) {
    if (a.active !== b.active) return a.active ? -1 : 1;
    const l = (LEVEL_RANK[b.level] || 0) - (LEVEL_RANK[a.level] || 0);
    if (l) return l;
    const ta = a.time_to_entry_now_s != null ? a.time_to_entry_now_s : Infinity;
    const tb = b.time_to_entry_now_s != null ? b.time_to_entry_now_s : Infinity;
    return ta - tb;
  }

  function renderAlerts() {
    const list = $('alert-list');
    const alerts = state.alerts.slice().sort(alertOrder);
    const active = alerts.filter((a) => a.active).length;
    $('alert-count').textContent = alerts.length ? active + ' active' : '';
    if (!alerts.length) { list.innerHTML = '<li class="empty dim">No alerts.</li>'; return; }
    const rows = alerts.slice(0, 200).map((a) => {
      const cls = [a.active ? a.level : 'cleared', a.track_id === state.selected ? 'selected' : ''].join(' ');
      const cd = a.active && a.time_to_entry_now_s != null
        ? '<span class="countdown" data-tte="' + a.time_to_entry_now_s + '">' + countdown(a.time_to_entry_now_s) + '</span>' : '';
      return '<li class="' + cls + '" data-track="' + a.track_id + '" data-alert="' + esc(a.id) + '" data-level="' + esc(a.level) + '">' +
        '<div class="alert-head"><span><span class="level ' + esc(a.level) + '">' + esc(a.level.toUpperCase()) + '</span> ' +
        esc(a.zone) + ' &middot; #' + a.track_id + ' ' + esc(a.group) + (state.acked.has(a.id) ? ' <span class="dim">ack</span>' : '') +
        (a.active ? '' : ' <span class="dim">cleared</span>') + '</span>' + cd + '</div>' +
        '<div class="reason">' + esc(a.reason) + '</div></li>';
    });
    list.innerHTML = rows.join('');
  }

  function renderDetails() {
    const el = $('details');
    if (state.selected === null) { el.className = 'dim'; el.textContent = 'Click a track on the map.'; return; }
    const t = state.tracks.get(state.selected);
    if (!t) { el.className = 'dim'; el.textContent = 'Track #' + state.selected + ' has ended.'; return; }
    el.className = '';
    const rows = [
      ['Track', '#' + t.id + ' (' + t.status + ')'],
      ['Class', t.class + ' / ' + t.group + ' ' + fmt(100 * (t.class_conf || 0), 0, '%')],
      ['Position', fmt(t.lat_deg, 5) + ', ' + fmt(t.lon_deg, 5)],
      ['ENU', t.enu_m ? t.enu_m.map((v) => v.toFixed(0)).join(', ') + ' m' : '-'],
      ['Range / bearing', t.enu_m ? fmt(Math.hypot(t.enu_m[0], t.enu_m[1]) / 1000, 2, 'km') + ' / ' +
        fmt((Math.atan2(t.enu_m[0], t.enu_m[1]) * 180 / Math.PI + 360) % 360, 0, '\u00b0') : '-'],
      ['Height', fmt(t.height_m, 0, 'm')],
      ['Speed', fmt(t.speed_mps, 1, 'm/s') + ' (' + fmt(t.speed_mps * 3.6, 0, 'km/h') + ')'],
      ['Heading', fmt(t.heading_deg, 0, '\u00b0')],
      ['Climb', fmt(t.climb_mps, 1, 'm/s')],
      ['Age', fmt(t.age_s, 0, 's') + ', ' + (t.n_updates || 0) + ' updates'],
    ];
    if (t.mode_s) rows.push(['Mode S', t.mode_s]);
    /* The last plot's micro-Doppler width: tens of m/s where rotors or propellers show. */
    if (t.doppler_spread_mean_mps != null || t.doppler_spread_mps != null)
      rows.push(['Doppler spread', (t.doppler_spread_mean_mps != null ? fmt(t.doppler_spread_mean_mps, 1, 'm/s') + ' mean' : '-') +
        (t.doppler_spread_mps != null ? ', last ' + fmt(t.doppler_spread_mps, 1, 'm/s') : '')]);
    let html = '<table>' + rows.map((r) => '<tr><td>' + esc(r[0]) + '</td><td>' + esc(r[1]) + '</td></tr>').join('') + '</table>';
    if (t.alert) {
      html += '<h3>Threat</h3><table>' +
        '<tr><td>Alert</td><td class="' + (t.alert.level === 'alarm' ? 'track-alarm' : '') + '">' + esc(t.alert.level.toUpperCase()) + ' ' + esc(t.alert.zone) + '</td></tr>' +
        '<tr><td>Time to entry</td><td id="detail-tte">' + (t.alert.time_to_entry_now_s != null ? countdown(t.alert.time_to_entry_now_s) : '-') + '</td></tr></table>';
    }
    if (t.impact) {
      const e = t.impact.ellipse95 || {};
      html += '<h3>Predicted impact</h3><table>' +
        '<tr><td>Point</td><td>' + fmt(t.impact.lat_deg, 5) + ', ' + fmt(t.impact.lon_deg, 5) + '</td></tr>' +
        '<tr><td>ENU</td><td>' + (t.impact.enu_m || []).map((v) => v.toFixed(0)).join(', ') + ' m</td></tr>' +
        '<tr><td>95% ellipse</td><td>' + fmt(e.semi_major_m, 0) + ' x ' + fmt(e.semi_minor_m, 0) + ' m, axis ' + fmt(e.orientation_deg, 0, '\u00b0') + '</td></tr></table>';
    }
    const probs = Object.entries(t.class_prob || {}).sort((a, b) => b[1] - a[1]);
    html += '<h3>Class probabilities</h3>' + (probs.length ? probs.map(([name, p]) =>
      '<div class="prob-row"><span class="prob-name">' + esc(name) + '</span><span class="prob-bar"><span></span></span><span class="prob-val">' + (100 * p).toFixed(0) + '%</span></div>').join('')
      : '<div class="dim">not classified yet</div>');
    el.innerHTML = html;
    // Inline style attributes are blocked by the page's CSP (style-src 'self'): size the bars here.
    el.querySelectorAll('.prob-bar span').forEach((s, i) => { s.style.width = (100 * probs[i][1]).toFixed(1) + '%'; });
  }

  function renderStatus() {
    const clock = state.clockUtc ? state.clockUtc.replace('T', ' ').replace(/\.\dZ$/, '') + ' UTC' : '--:--:-- UTC';
    $('clock').textContent = clock;
    $('site-name').textContent = state.site ? state.site.name : 'no site';
    const stale = state.lastMessageWall && performance.now() - state.lastMessageWall > STALE_S * 1000;
    const fs = $('feed-status');
    fs.textContent = (stale ? 'STALE: no data for ' + Math.round((performance.now() - state.lastMessageWall) / 1000) + ' s  ' : '') +
      (state.status || 'waiting for data');
    fs.classList.toggle('stale', !!stale);
    const c = state.counts;
    $('counts').textContent = c.tracks != null ? c.tracks + ' tracks (' + (c.confirmed || 0) + ' confirmed), ' +
      (c.alarms || 0) + ' alarms, ' + (c.warnings || 0) + ' warnings' : '';
  }

  function renderPanels() {
    renderStatus();
    renderAlerts();
    renderDetails();
  }

  // ---- map drawing -------------------------------------------------------------------------------

  function fitView() {
    const w = canvas.clientWidth || 800, h = canvas.clientHeight || 600;
    // 14 km around the site: the drones of the default scenario start 12-14 km out.
    state.view = { cx: 0, cy: 0, scale: Math.min(w, h) / 2 / 14000, fitted: true };
    requestDraw();
  }

  function toScreen(e, n) {
    const v = state.view, w = canvas.clientWidth, h = canvas.clientHeight;
    return [w / 2 + (e - v.cx) * v.scale, h / 2 - (n - v.cy) * v.scale];
  }
  function toWorld(x, y) {
    const v = state.view, w = canvas.clientWidth, h = canvas.clientHeight;
    return [v.cx + (x - w / 2) / v.scale, v.cy - (y - h / 2) / v.scale];
  }

  function resize() {
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth, h = canvas.clientHeight;
    canvas.width = Math.max(1, Math.round(w * dpr));
    canvas.height = Math.max(1, Math.round(h * dpr));
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    requestDraw();
  }

  function drawGrid(w, h) {
    const v = state.view;
    const [ox, oy] = toScreen(0, 0);
    // Range rings every km; every 5 km when 1 km rings would crowd.
    const step = v.scale * 1000 >= 12 ? 1000 : 5000;
    const maxR = Math.hypot(Math.max(Math.abs(ox), Math.abs(w - ox)), Math.max(Math.abs(oy), Math.abs(h - oy))) / v.scale;
    ctx.lineWidth = 1;
    ctx.font = '11px monospace';
    ctx.textAlign = 'left';
    ctx.textBaseline = 'bottom';
    for (let r = step, i = 1; r <= Math.min(maxR, 60000); r += step, i++) {
      const major = (r % 5000) === 0;
      ctx.strokeStyle = major ? '#2c3b4b' : '#1a2531';
      ctx.beginPath();
      ctx.arc(ox, oy, r * v.scale, 0, 2 * Math.PI);
      ctx.stroke();
      if (major || v.scale * 1000 >= 30) {
        ctx.fillStyle = '#56636f';
        ctx.fillText((r / 1000) + ' km', ox + 3, oy - r * v.scale - 1);
      }
    }
    ctx.strokeStyle = '#1a2531';
    ctx.beginPath();
    ctx.moveTo(ox, 0); ctx.lineTo(ox, h);
    ctx.moveTo(0, oy); ctx.lineTo(w, oy);
    ctx.stroke();
    // North arrow.
    ctx.fillStyle = '#8a97a3';
    ctx.beginPath();
    ctx.moveTo(24, 14); ctx.lineTo(30, 32); ctx.lineTo(24, 28); ctx.lineTo(18, 32); ctx.closePath();
    ctx.fill();
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    ctx.fillText('N', 24, 34);
  }

  // Zone and sensor names: each tries above, below, right, left of its shape and takes the
  // first place no earlier name covers (small circles near each other would overlap otherwise).
  function placeName(placed, text, font, x, y, ry, rx) {
    ctx.font = font;
    const w = ctx.measureText(text).width, h = 13;
    const tries = [[x - w / 2, y - ry - 4 - h], [x - w / 2, y + ry + 4], [x + rx + 5, y - h / 2], [x - rx - 5 - w, y - h / 2]];
    let pick = tries[0];
    for (const t of tries) {
      if (!placed.some((p) => t[0] < p[0] + p[2] && t[0] + w > p[0] && t[1] < p[1] + p[3] && t[1] + h > p[1])) { pick = t; break; }
    }
    placed.push([pick[0], pick[1], w, h]);
    ctx.textAlign = 'left';
    ctx.textBaseline = 'top';
    ctx.fillText(text, pick[0], pick[1]);
  }

  function drawZones() {
    stats.zonesDrawn = 0;
    const placed = [];
    const names = [];
    // Sensors first: their symbols and names sit at the centre of the picture.
    if (state.site && state.site.sensors) {
      ctx.fillStyle = '#e8eef4';
      for (const s of state.site.sensors) {
        const [x, y] = toScreen(s.enu_m[0], s.enu_m[1]);
        ctx.beginPath();
        ctx.moveTo(x, y - 6); ctx.lineTo(x + 5, y + 4); ctx.lineTo(x - 5, y + 4); ctx.closePath();
        ctx.fill();
        placed.push([x - 6, y - 7, 12, 12]);
        names.push([s.name, '11px monospace', '#e8eef4', x, y, 7, 7]);
      }
    }
    // Small, high-priority zones name first: they have the least room.
    const zones = state.zones.slice().sort((a, b) => (a.priority || 9) - (b.priority || 9) || (a.radius_m || 1e9) - (b.radius_m || 1e9));
    for (const z of zones) {
      const high = (z.priority || 9) <= 1;
      const alarmed = state.alerts.some((a) => a.active && a.level === 'alarm' && a.zone === z.name);
      ctx.strokeStyle = alarmed ? ALARM_COLOR : (high ? '#e05252' : '#b08a2e');
      ctx.fillStyle = alarmed ? 'rgba(255,48,48,0.14)' : (high ? 'rgba(224,82,82,0.07)' : 'rgba(176,138,46,0.04)');
      ctx.lineWidth = alarmed ? 2.5 : 1.5;
      ctx.setLineDash(high ? [] : [8, 6]);
      ctx.beginPath();
      let lx, ly, ry, rx;
      if (z.shape === 'circle' && z.center_enu_m) {
        const [x, y] = toScreen(z.center_enu_m[0], z.center_enu_m[1]);
        const r = Math.max(1, z.radius_m * state.view.scale);
        ctx.arc(x, y, r, 0, 2 * Math.PI);
        lx = x; ly = y; ry = rx = r;
      } else if (z.vertices_enu_m && z.vertices_enu_m.length) {
        let top = Infinity, bottom = -Infinity, left = Infinity, right = -Infinity;
        z.vertices_enu_m.forEach((p, i) => {
          const [x, y] = toScreen(p[0], p[1]);
          if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
          top = Math.min(top, y); bottom = Math.max(bottom, y); left = Math.min(left, x); right = Math.max(right, x);
        });
        ctx.closePath();
        // Inside the top edge: a wide polygon's name belongs to its border, not its middle.
        lx = (left + right) / 2; ly = top + 20; ry = 0; rx = (right - left) / 2;
      } else continue;
      ctx.fill();
      ctx.stroke();
      ctx.setLineDash([]);
      names.push([z.name, (high ? 'bold ' : '') + '12px monospace', alarmed ? '#ff8080' : (high ? '#e88d8d' : '#c9a45a'), lx, ly, ry, rx]);
      stats.zonesDrawn++;
    }
    for (const [text, font, color, x, y, ry, rx] of names.slice(state.site && state.site.sensors ? state.site.sensors.length : 0)) {
      ctx.fillStyle = color;
      placeName(placed, text, font, x, y, ry, rx);
    }
    for (const [text, font, color, x, y, ry, rx] of names.slice(0, state.site && state.site.sensors ? state.site.sensors.length : 0)) {
      ctx.fillStyle = color;
      placeName(placed, text, font, x, y, ry, rx);
    }
  }

  function shapeOn(c, shape, x, y, r) {
    switch (shape) {
      case 'diamond': c.moveTo(x, y - r); c.lineTo(x + r, y); c.lineTo(x, y + r); c.lineTo(x - r, y); c.closePath(); break;
      case 'triangle': c.moveTo(x, y - r); c.lineTo(x + r, y + r * 0.8); c.lineTo(x - r, y + r * 0.8); c.closePath(); break;
      case 'square': c.rect(x - r * 0.75, y - r * 0.75, r * 1.5, r * 1.5); break;
      case 'cross': c.moveTo(x - r, y); c.lineTo(x + r, y); c.moveTo(x, y - r); c.lineTo(x, y + r); break;
      case 'x': c.moveTo(x - r * 0.7, y - r * 0.7); c.lineTo(x + r * 0.7, y + r * 0.7); c.moveTo(x + r * 0.7, y - r * 0.7); c.lineTo(x - r * 0.7, y + r * 0.7); break;
      default: c.moveTo(x + r, y); c.arc(x, y, r, 0, 2 * Math.PI); // circle, ring
    }
  }
  const STROKED = { cross: true, x: true, ring: true };

  function drawEllipse(imp) {
    const el = imp.ellipse95;
    if (!imp.enu_m || !el) return;
    const [x, y] = toScreen(imp.enu_m[0], imp.enu_m[1]);
    const rot = (el.orientation_deg - 90) * Math.PI / 180; // bearing of the major axis -> canvas angle
    ctx.beginPath();
    ctx.ellipse(x, y, Math.max(2, el.semi_major_m * state.view.scale), Math.max(2, el.semi_minor_m * state.view.scale), rot, 0, 2 * Math.PI);
    ctx.fill();
    ctx.stroke();
    ctx.beginPath();
    ctx.moveTo(x - 6, y - 6); ctx.lineTo(x + 6, y + 6); ctx.moveTo(x + 6, y - 6); ctx.lineTo(x - 6, y + 6);
    ctx.stroke();
    stats.impactsDrawn++;
  }

  function draw() {
    drawScheduled = false;
    const t0 = performance.now();
    let tPhase = t0;
    const phases = {};
    const phase = (name) => { const now = performance.now(); phases[name] = +(now - tPhase).toFixed(2); tPhase = now; };
    const w = canvas.clientWidth, h = canvas.clientHeight;
    ctx.fillStyle = '#0a0e13';
    ctx.fillRect(0, 0, w, h);
    drawGrid(w, h);
    drawZones();

    phase('grid');
    // Bucket the visible tracks by class group.
    const buckets = {};
    for (const g of GROUP_ORDER) buckets[g] = [];
    const margin = 40;
    const frame = stats.frames + 1;
    const v = state.view, ox = w / 2 - v.cx * v.scale, oy = h / 2 + v.cy * v.scale;
    let visible = 0;
    for (const t of state.tracks.values()) {
      const p = t.enu_m;
      if (!p) continue;
      const x = ox + p[0] * v.scale, y = oy - p[1] * v.scale;
      if (x < -margin || y < -margin || x > w + margin || y > h + margin) continue;
      t.sx = x; t.sy = y; t.drawnFrame = frame;
      (buckets[t.group] || buckets.unknown).push(t);
      visible++;
    }
    drawnBuckets = buckets;
    const scale = v.scale;
    const lineOf = (t) => (t.status === 'tentative' ? 0.5 : 1);
    const crowd = visible > 2000 ? 0.55 : 1; // dim ordinary tracks in a crowded picture
    phase('bucket');
    // Trails: one path per group. With thousands on screen, every k-th point (and the newest)
    // keeps the frame time down; the shape of a 60 s trail survives that.
    const trailStep = Math.min(8, Math.max(1, Math.ceil(visible / 1500)));
    ctx.lineWidth = 1;
    ctx.globalAlpha = 0.45 * crowd;
    // Thousands on screen: only the newest part of each trail.
    const trailPts = visible > 3000 ? 4 : visible > 1000 ? 12 : Infinity;
    for (const g of GROUP_ORDER) {
      const list = buckets[g];
      if (!list.length) continue;
      ctx.strokeStyle = GROUP_STYLE[g].color;
      ctx.beginPath();
      for (const t of list) {
        const tr = t.trail;
        if (!tr || tr.length < 2) continue;
        const last = tr.length - 1;
        const first = Math.max(0, last - trailPts * trailStep);
        ctx.moveTo(ox + tr[first][0] * scale, oy - tr[first][1] * scale);
        for (let i = first + trailStep; i < last; i += trailStep) ctx.lineTo(ox + tr[i][0] * scale, oy - tr[i][1] * scale);
        ctx.lineTo(ox + tr[last][0] * scale, oy - tr[last][1] * scale);
      }
      ctx.stroke();
    }
    ctx.globalAlpha = 1;

    phase('trails');
    // Velocity leaders: one path per group.
    ctx.lineWidth = 1.2;
    ctx.globalAlpha = crowd;
    for (const g of GROUP_ORDER) {
      const list = buckets[g];
      if (!list.length) continue;
      ctx.strokeStyle = GROUP_STYLE[g].color;
      ctx.beginPath();
      for (const t of list) {
        if (!t.vel_mps) continue;
        const x = t.sx, y = t.sy;
        ctx.moveTo(x, y);
        ctx.lineTo(x + t.vel_mps[0] * LEADER_S * scale, y - t.vel_mps[1] * LEADER_S * scale);
      }
      ctx.stroke();
    }
    ctx.globalAlpha = 1;
    phase('leaders');
    // Symbols: one path per group (and per filled/stroked, confirmed/tentative). In a crowded
    // picture the ordinary tracks are dimmed so the threats, drawn again on top, stand out.
    const r = visible > 2000 ? 3 : 5;
    let drawn = 0;
    for (const g of GROUP_ORDER) {
      const list = buckets[g];
      if (!list.length) continue;
      const st = GROUP_STYLE[g];
      for (const pass of [1, 0.5]) {
        ctx.beginPath();
        let any = false;
        for (const t of list) {
          if (lineOf(t) !== pass) continue;
          const x = t.sx, y = t.sy;
          shapeOn(ctx, st.shape, x, y, r);
          any = true;
          drawn++;
        }
        if (!any) continue;
        ctx.globalAlpha = pass * crowd;
        if (STROKED[st.shape] || pass < 1) {
          ctx.strokeStyle = st.color;
          ctx.lineWidth = st.shape === 'cross' ? 2.5 : 1.5;
          ctx.stroke();
        } else {
          ctx.fillStyle = st.color;
          ctx.fill();
        }
        ctx.globalAlpha = 1;
      }
    }
    stats.tracksDrawn = drawn;
    phase('symbols');

    // Threats on top: alerted and ballistic tracks, full size and brightness.
    const threats = [];
    for (const g of ['drone', 'rocket', 'aircraft', 'unknown', 'bird', 'vehicle', 'clutter'])
      for (const t of buckets[g]) if (t.alert || g === 'rocket') threats.push(t);
    for (const t of threats) {
      const st = GROUP_STYLE[t.group] || GROUP_STYLE.unknown;
      ctx.beginPath();
      shapeOn(ctx, st.shape, t.sx, t.sy, 6);
      if (STROKED[st.shape]) { ctx.strokeStyle = st.color; ctx.lineWidth = 2.5; ctx.stroke(); } else { ctx.fillStyle = st.color; ctx.fill(); }
    }

    // Impact predictions (rockets): always shown, on top, they are what the operator must see.
    stats.impactsDrawn = 0;
    ctx.strokeStyle = ALARM_COLOR;
    ctx.fillStyle = 'rgba(255,48,48,0.18)';
    ctx.lineWidth = 1.5;
    for (const t of state.tracks.values()) if (t.impact) drawEllipse(t.impact);
    phase('impacts');
    // Rings: red around alarmed tracks, amber around warned ones, white around the selection.
    ctx.lineWidth = 2;
    for (const [level, color] of [['warning', WARNING_COLOR], ['alarm', ALARM_COLOR]]) {
      ctx.strokeStyle = color;
      ctx.beginPath();
      for (const t of state.tracks.values()) {
        if (!t.alert || t.alert.level !== level) continue;
        if (t.drawnFrame !== frame) continue;
        ctx.moveTo(t.sx + 11, t.sy);
        ctx.arc(t.sx, t.sy, 11, 0, 2 * Math.PI);
      }
      ctx.stroke();
    }
    const sel = state.selected !== null ? state.tracks.get(state.selected) : null;
    if (sel && sel.drawnFrame === frame) {
      ctx.strokeStyle = '#ffffff';
      ctx.lineWidth = 1.5;
      ctx.strokeRect(sel.sx - 14, sel.sy - 14, 28, 28);
    }

    phase('rings');
    stats.labelsDrawn = drawLabels(buckets, visible, w, h, r);
    phase('labels');
    stats.frames++;
    stats.lastDrawMs = performance.now() - t0;
    stats.phaseMs = phases;
    canvas.dataset.tracksDrawn = String(stats.tracksDrawn);
    canvas.dataset.labelsDrawn = String(stats.labelsDrawn);
    drawLegendCounts(buckets);
  }

  // Labels: selected and alerted tracks first, then everything else when few enough are visible
  // (or when zoomed in); a screen grid keeps labels from overlapping.
  function drawLabels(buckets, visible, w, h, r) {
    const mode = state.labelMode;
    if (mode === 'off') return 0;
    const priority = [], rest = [];
    for (const g of GROUP_ORDER) for (const t of buckets[g]) {
      if (t.id === state.selected || t.alert || g === 'rocket') priority.push(t); else rest.push(t);
    }
    const all = mode === 'all' || visible <= LABEL_ALL_MAX || state.view.scale > 0.5;
    // Occupancy grid of 8 px cells: a label is drawn only where no earlier label (or symbol of
    // a labelled track) lies; priority labels are drawn first and always.
    const CELL = 8, gw = Math.ceil(w / CELL) + 1, gh = Math.ceil(h / CELL) + 1;
    const used = new Uint8Array(gw * gh);
    const LABEL_MAX = 600;
    let n = 0;
    ctx.font = '11px monospace';
    ctx.textAlign = 'left';
    ctx.textBaseline = 'top';
    const place = (t, force) => {
      if (n >= LABEL_MAX && !force) return;
      const x = t.sx, y = t.sy;
      const line1 = '#' + t.id + ' ' + (t.group === 'unknown' ? '?' : t.class);
      const line2 = (t.speed_mps != null ? t.speed_mps.toFixed(0) : '-') + ' m/s ' + (t.height_m != null ? t.height_m.toFixed(0) : '-') + ' m' +
        (t.alert && t.alert.time_to_entry_now_s != null ? ' ' + countdown(t.alert.time_to_entry_now_s) : '');
      const lw = Math.max(line1.length, line2.length) * 6.7 + 2;
      const lx = x + r + 4, ly = y - 2;
      const c0 = Math.max(0, Math.floor(lx / CELL)), c1 = Math.min(gw - 1, Math.floor((lx + lw) / CELL));
      const r0 = Math.max(0, Math.floor((ly - 1) / CELL)), r1 = Math.min(gh - 1, Math.floor((ly + 25) / CELL));
      if (!force) {
        for (let rr = r0; rr <= r1; rr++) for (let cc = c0; cc <= c1; cc++) if (used[rr * gw + cc]) return;
      }
      for (let rr = r0; rr <= r1; rr++) for (let cc = c0; cc <= c1; cc++) used[rr * gw + cc] = 1;
      ctx.fillStyle = 'rgba(10,14,19,0.7)';
      ctx.fillRect(lx - 1, ly - 1, lw, 26);
      ctx.fillStyle = t.alert ? (t.alert.level === 'alarm' ? '#ff8080' : '#ffd27a') : (t.id === state.selected ? '#ffffff' : '#b8c4cf');
      ctx.fillText(line1, lx, ly);
      ctx.fillText(line2, lx, ly + 12);
      n++;
    };
    for (const t of priority) place(t, true);
    if (all) for (const t of rest) place(t, false);
    return n;
  }

  // The legend doubles as a per-class count of what is on screen.
  function drawLegendCounts(buckets) {
    const parts = GROUP_ORDER.slice().reverse().filter((g) => g !== 'clutter' || buckets[g].length).map((g) => {
      const st = GROUP_STYLE[g];
      return '<span class="item"><canvas width="12" height="12" data-group="' + g + '"></canvas>' + st.label + ' ' + buckets[g].length + '</span>';
    });
    const legend = $('legend');
    const html = parts.join('');
    if (legend.dataset.html === html) return;
    legend.dataset.html = html;
    legend.innerHTML = html;
    legend.querySelectorAll('canvas').forEach((c) => {
      const st = GROUP_STYLE[c.dataset.group], x = c.getContext('2d');
      x.beginPath();
      shapeOn(x, st.shape, 6, 6, 4.5);
      if (STROKED[st.shape]) { x.strokeStyle = st.color; x.lineWidth = 1.5; x.stroke(); } else { x.fillStyle = st.color; x.fill(); }
    });
  }

  // ---- interaction -----------------------------------------------------------------------------

  function isOnScreen(t) {
    return t && t.drawnFrame === stats.frames;
  }
  function pick(x, y) {
    let best = null, bestD = 14 * 14;
    for (const g of GROUP_ORDER) for (const t of drawnBuckets[g] || []) {
      const d = (t.sx - x) ** 2 + (t.sy - y) ** 2;
      if (d < bestD) { bestD = d; best = t.id; }
    }
    return best;
  }

  function select(id) {
    state.selected = id;
    state.selectedGone = false;
    renderPanels();
    requestDraw();
  }

  let drag = null;
  canvas.addEventListener('mousedown', (ev) => {
    drag = { x: ev.offsetX, y: ev.offsetY, cx: state.view.cx, cy: state.view.cy, moved: false };
  });
  window.addEventListener('mousemove', (ev) => {
    if (!drag) return;
    const rect = canvas.getBoundingClientRect();
    const dx = ev.clientX - rect.left - drag.x, dy = ev.clientY - rect.top - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 4) { drag.moved = true; canvas.classList.add('dragging'); }
    if (drag.moved) {
      state.view.cx = drag.cx - dx / state.view.scale;
      state.view.cy = drag.cy + dy / state.view.scale;
      requestDraw();
    }
  });
  window.addEventListener('mouseup', (ev) => {
    if (!drag) return;
    const wasClick = !drag.moved;
    drag = null;
    canvas.classList.remove('dragging');
    if (wasClick && ev.target === canvas) select(pick(ev.offsetX, ev.offsetY));
  });
  canvas.addEventListener('wheel', (ev) => {
    ev.preventDefault();
    const [we, wn] = toWorld(ev.offsetX, ev.offsetY);
    const f = Math.exp(-ev.deltaY * 0.0015);
    state.view.scale = Math.min(5, Math.max(0.002, state.view.scale * f));
    // Keep the point under the cursor where it is.
    const [we2, wn2] = toWorld(ev.offsetX, ev.offsetY);
    state.view.cx += we - we2;
    state.view.cy += wn - wn2;
    requestDraw();
  }, { passive: false });

  $('alert-list').addEventListener('click', (ev) => {
    const li = ev.target.closest('li[data-track]');
    if (!li) return;
    const id = Number(li.dataset.track);
    select(id);
    const t = state.tracks.get(id);
    if (t && t.enu_m && !isOnScreen(t)) { state.view.cx = t.enu_m[0]; state.view.cy = t.enu_m[1]; requestDraw(); }
  });
  $('ack-btn').addEventListener('click', acknowledge);
  $('sound-btn').addEventListener('click', () => {
    state.soundOn = !state.soundOn;
    $('sound-btn').textContent = 'Sound: ' + (state.soundOn ? 'on' : 'off');
    if (state.soundOn && audioCtx && audioCtx.state === 'suspended') audioCtx.resume();
  });
  const LABEL_MODES = ['auto', 'all', 'off'];
  $('labels-btn').addEventListener('click', () => {
    state.labelMode = LABEL_MODES[(LABEL_MODES.indexOf(state.labelMode) + 1) % LABEL_MODES.length];
    $('labels-btn').textContent = 'Labels: ' + state.labelMode;
    requestDraw();
  });
  window.addEventListener('keydown', (ev) => {
    if (ev.key === '0') fitView();
    else if (ev.key === '+' || ev.key === '=') { state.view.scale = Math.min(5, state.view.scale * 1.25); requestDraw(); }
    else if (ev.key === '-') { state.view.scale = Math.max(0.002, state.view.scale / 1.25); requestDraw(); }
    else if (ev.key === 'a' || ev.key === 'A') acknowledge();
    else if (ev.key === 's' || ev.key === 'S') $('sound-btn').click();
    else if (ev.key === 'l' || ev.key === 'L') $('labels-btn').click();
    else if (ev.key === 'Escape') select(null);
  });
  // Browsers start audio only after a user gesture: the first click anywhere unlocks it.
  window.addEventListener('pointerdown', () => {
    if (audioCtx && audioCtx.state === 'suspended') audioCtx.resume();
    else if (!audioCtx && state.soundOn) {
      try { audioCtx = new (window.AudioContext || window.webkitAudioContext)(); } catch (e) { /* none */ }
    }
  }, { once: true });
  window.addEventListener('resize', resize);

  // Status line and stale-feed check once a second, also when no data arrives.
  setInterval(() => { renderStatus(); if (state.alerts.length) checkAlarms(); }, 1000);

  // ---- read-only hook for tests and diagnostics --------------------------------------------------

  window.lookout = Object.freeze({
    stats() {
      return Object.assign({}, stats, {
        tracks: state.tracks.size, alerts: state.alerts.length, activeAlarms: activeAlarms().length,
        selected: state.selected, connected: state.connected, transport: state.transport,
        clock: state.clock, scale: state.view.scale,
      });
    },
    trackScreenPos(id) {
      const t = state.tracks.get(id);
      return isOnScreen(t) ? { x: t.sx, y: t.sy } : null;
    },
    tracks() {
      return Array.from(state.tracks.values(), (t) => ({ id: t.id, group: t.group, class: t.class, alert: t.alert ? t.alert.level : null }));
    },
  });

  resize();
  connectWs();
})();
