// The web chat client: one WebSocket to /ws/chat in JSON mode. The server
// is the chat service itself; this page only renders its events and sends
// lines. Nick and room are kept in localStorage, so a reload rejoins and
// shows the room's history.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const log = $("messages"), members = $("members"), status = $("status");
  const maxLines = 1000; // lines kept on the page
  let ws = null, room = "lobby", nick = "", whoPending = 0, retry = 0, wanted = false;
  // Notices shown since connecting: the history asked for on joining
  // repeats the join notice just seen live, which is shown once.
  let noticesSeen = new Set();

  function setStatus(up, text) {
    status.className = "status " + (up ? "up" : "down");
    status.textContent = text;
    $("input").disabled = $("send").disabled = !up;
  }

  function show(ev) {
    const div = document.createElement("div");
    div.className = "line " + ev.type;
    // The server's stamp, as netkit chat shows it; a line of the history
    // keeps the one it was sent with.
    if (ev.server_time) {
      const t = document.createElement("span");
      t.className = "time";
      t.textContent = ev.server_time;
      div.append(t, " ");
    }
    if (ev.from) {
      const f = document.createElement("span");
      f.className = "from";
      f.textContent = ev.from + ":";
      div.append(f, " ");
    }
    div.appendChild(document.createTextNode(ev.text));
    const atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
    log.appendChild(div);
    while (log.childElementCount > maxLines) log.firstElementChild.remove();
    if (atEnd) log.scrollTop = log.scrollHeight;
  }

  function send(text) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ text }));
  }

  function who() { whoPending++; send("/who"); }

  // A /who reply: "ROOM (N): a, b, c[ and K more][; by node: ...]".
  const whoReply = /^(\S+) \((\d+)\): (.*)$/;

  function onEvent(ev) {
    if (ev.type === "welcome") {
      show(ev);
      send("/nick " + nick);
      if (room !== "lobby") send("/join " + room);
      send("/history");
      who();
      return;
    }
    if (ev.type === "notice") {
      const m = whoPending > 0 && whoReply.exec(ev.text);
      if (m) {
        whoPending--;
        renderMembers(m[1], Number(m[2]), m[3]);
        return;
      }
      if (/ (joined|left) \S+$| is now known as | disconnected/.test(ev.text)) who();
    }
    if (ev.type === "notice") {
      const key = ev.server_time + " " + ev.text;
      if (noticesSeen.has(key)) return;
      noticesSeen.add(key);
      if (noticesSeen.size > 500) noticesSeen = new Set();
    }
    if (ev.room) $("room-name").textContent = ev.room;
    show(ev);
  }

  function renderMembers(name, count, list) {
    $("room-name").textContent = name;
    $("member-count").textContent = String(count);
    members.replaceChildren();
    const names = list.split(";")[0].replace(/ and \d+ more$/, "");
    for (const n of names.split(", ").filter(Boolean)) {
      const li = document.createElement("li");
      li.textContent = n;
      members.appendChild(li);
    }
  }

  function connect() {
    wanted = true;
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    ws = new WebSocket(proto + "//" + location.host + "/ws/chat?format=json");
    setStatus(false, "connecting…");
    ws.onopen = () => { retry = 0; whoPending = 0; noticesSeen = new Set(); setStatus(true, "connected as " + nick); };
    // Members on other nodes of a cluster arrive with their node's
    // presence, not with a notice here: ask again now and then.
    const refresh = setInterval(() => { if (whoPending === 0) who(); }, 5000);
    ws.addEventListener("close", () => clearInterval(refresh));
    ws.onmessage = (e) => {
      try { onEvent(JSON.parse(e.data)); } catch (err) { console.error(err); }
    };
    ws.onclose = (e) => {
      setStatus(false, "disconnected" + (e.reason ? ": " + e.reason : ""));
      if (!wanted) return;
      // Back off from 0.5 s to 15 s, with jitter, like netkit's clients.
      const delay = Math.min(15000, 500 * 2 ** retry++) * (0.5 + Math.random() / 2);
      setTimeout(connect, delay);
    };
  }

  $("join-form").addEventListener("submit", (e) => {
    e.preventDefault();
    nick = $("nick").value.trim();
    room = ($("room").value.trim() || "lobby").toLowerCase();
    localStorage.setItem("netkit.nick", nick);
    localStorage.setItem("netkit.room", room);
    if (ws) { wanted = false; ws.onclose = null; ws.close(); }
    log.replaceChildren();
    connect();
  });

  $("say-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const text = $("input").value;
    if (!text) return;
    const m = /^\/join\s+(\S+)/.exec(text);
    if (m) { room = m[1].toLowerCase(); localStorage.setItem("netkit.room", room); }
    send(text);
    // The new room's history, as on joining through the form: the chat
    // service answers /history after the /join, so for the new room.
    if (m) { send("/history"); who(); }
    $("input").value = "";
  });

  const params = new URLSearchParams(location.search);
  nick = params.get("nick") || localStorage.getItem("netkit.nick") || "";
  room = params.get("room") || localStorage.getItem("netkit.room") || "lobby";
  $("nick").value = nick;
  $("room").value = room;
  if (nick) connect();
})();
