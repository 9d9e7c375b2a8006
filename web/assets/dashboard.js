// The live dashboard: JSON-RPC over WebSocket (/ws/rpc), metrics.subscribe,
// one metrics.stats notification a second. Every number comes from the
// same registry as /metrics; the page only draws.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const keep = 60; // seconds of history in the charts
  const series = {}; // chart id -> array of arrays of points
  let retry = 0, samples = 0;

  const fmt = (n, digits = 0) => (n >= 1e6 ? (n / 1e6).toFixed(1) + "M" : n >= 1e4 ? (n / 1e3).toFixed(1) + "k" : n.toFixed(digits));
  const ms = (s) => (s < 0 ? "–" : s * 1000 < 1 ? (s * 1e6).toFixed(0) + " µs" : (s * 1000).toFixed(2) + " ms");

  function push(id, values) {
    const s = (series[id] = series[id] || values.map(() => []));
    values.forEach((v, i) => { s[i].push(v); if (s[i].length > keep) s[i].shift(); });
    draw($(id), s);
  }

  // draw renders one line per series, scaled to their maximum.
  function draw(canvas, lines) {
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth, h = canvas.clientHeight;
    if (canvas.width !== w * dpr) { canvas.width = w * dpr; canvas.height = h * dpr; }
    const g = canvas.getContext("2d");
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    const css = getComputedStyle(document.documentElement);
    const colours = [css.getPropertyValue("--accent"), css.getPropertyValue("--ok"), css.getPropertyValue("--warn")];
    let top = 0;
    for (const l of lines) for (const v of l) if (v > top) top = v;
    const max = top > 0 ? top * 1.15 : 1; // headroom above the highest point
    g.fillStyle = css.getPropertyValue("--muted");
    g.font = "11px system-ui, sans-serif";
    g.fillText(fmt(top, top < 10 ? 2 : 0), 2, 11);
    g.strokeStyle = css.getPropertyValue("--line");
    g.beginPath(); g.moveTo(0, h - 0.5); g.lineTo(w, h - 0.5); g.stroke();
    lines.forEach((l, i) => {
      g.strokeStyle = colours[i % colours.length];
      g.lineWidth = 1.5;
      g.beginPath();
      l.forEach((v, j) => {
        const x = w - (l.length - 1 - j) * (w / (keep - 1));
        const y = h - 2 - (Math.max(v, 0) / max) * (h - 14);
        j ? g.lineTo(x, y) : g.moveTo(x, y);
      });
      g.stroke();
    });
  }

  function cell(tr, text) { const td = document.createElement("td"); td.textContent = text; tr.appendChild(td); }

  function render(st) {
    let conns = 0, rps = 0;
    const body = $("services").tBodies[0];
    body.replaceChildren();
    for (const s of st.services || []) {
      conns += s.connections; rps += s.requestsPerSec;
      const tr = document.createElement("tr");
      tr.id = "svc-" + s.name;
      cell(tr, s.name); cell(tr, fmt(s.connections)); cell(tr, fmt(s.requestsPerSec, 1));
      cell(tr, (s.bytesInPerSec / 1024).toFixed(1)); cell(tr, (s.bytesOutPerSec / 1024).toFixed(1));
      cell(tr, fmt(s.accepted)); cell(tr, fmt(s.rejected));
      tr.children[1].className = "connections";
      body.appendChild(tr);
    }
    $("total-connections").textContent = fmt(conns);
    $("total-rps").textContent = fmt(rps, 1);
    $("rpc-p99").textContent = ms(st.rpc.p99);
    $("chat-lps").textContent = fmt(st.chat.linesPerSec, 1);
    $("chat-rooms").textContent = fmt(st.chat.rooms) + " · " + fmt(st.chat.clients);
    const drops = $("chat-drops");
    drops.textContent = fmt(st.chat.droppedSlow) + " · " + fmt(st.chat.droppedFlood);
    drops.classList.toggle("bad", st.chat.droppedSlow + st.chat.droppedFlood > 0);
    $("proc-mem").textContent = (st.process.heapBytes / 1048576).toFixed(1) + " MiB · " + fmt(st.process.goroutines);
    $("proc-cpu").textContent = st.process.cpuPerSec.toFixed(2);
    const rooms = $("rooms").tBodies[0];
    rooms.replaceChildren();
    for (const r of st.chat.topRooms || []) {
      const tr = document.createElement("tr");
      cell(tr, r.name); cell(tr, fmt(r.members));
      rooms.appendChild(tr);
    }
    if (st.interval > 0) { // the first sample has totals but no rates
      push("chart-rps", [rps]);
      push("chart-chat", [st.chat.linesPerSec, st.chat.deliveredPerSec]);
      push("chart-latency", [st.rpc.p50, st.rpc.p90, st.rpc.p99].map((s) => (s < 0 ? 0 : s * 1000)));
    }
    push("chart-conns", [conns]);
    push("chart-heap", [st.process.heapBytes / 1048576]);
    push("chart-goroutines", [st.process.goroutines]);
    document.body.dataset.updated = st.time;
    document.body.dataset.samples = String(++samples);
  }

  function connect() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(proto + "//" + location.host + "/ws/rpc");
    const status = $("status");
    ws.onopen = () => {
      retry = 0;
      status.className = "status up";
      status.textContent = "live";
      ws.send(JSON.stringify({ jsonrpc: "2.0", method: "metrics.subscribe", id: 1 }));
    };
    ws.onmessage = (e) => {
      const msg = JSON.parse(e.data);
      if (msg.method === "metrics.stats") render(msg.params.result);
      else if (msg.error) { status.className = "status down"; status.textContent = msg.error.message; }
    };
    ws.onclose = () => {
      status.className = "status down";
      status.textContent = "disconnected; retrying";
      const delay = Math.min(15000, 500 * 2 ** retry++) * (0.5 + Math.random() / 2);
      setTimeout(connect, delay);
    };
  }
  connect();
})();
