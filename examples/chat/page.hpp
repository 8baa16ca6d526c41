// The chat's single page: pick a name and a room, read the room's recent messages, then live ones
// over a WebSocket, and send. Text is always inserted with textContent, never as HTML, so a
// message cannot run script in another member's page.
#pragma once

#include <string_view>

inline constexpr std::string_view chat_page = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>asyncrest chat</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #1d2330; }
  header { background: #1d2330; color: #fff; padding: 10px 16px; display: flex; gap: 12px; align-items: center; }
  header h1 { font-size: 17px; margin: 0 auto 0 0; }
  main { max-width: 720px; margin: 16px auto; padding: 0 16px; }
  form { display: flex; gap: 8px; margin: 8px 0; }
  input { flex: 1; padding: 8px; border: 1px solid #c5cad3; border-radius: 6px; font: inherit; }
  button { padding: 8px 14px; border: 0; border-radius: 6px; background: #2f6fde; color: #fff; font: inherit; cursor: pointer; }
  button:disabled { background: #9aa6bb; cursor: default; }
  #messages { list-style: none; padding: 0; margin: 8px 0; background: #fff; border-radius: 8px;
              min-height: 260px; max-height: 60vh; overflow-y: auto; box-shadow: 0 1px 3px #0002; }
  #messages li { padding: 6px 12px; border-bottom: 1px solid #eef0f3; }
  #messages .from { font-weight: 600; margin-right: 6px; }
  #messages .time { color: #8a93a3; font-size: 12px; margin-left: 6px; }
  #messages .notice { color: #8a93a3; font-style: italic; }
  #status { font-size: 13px; }
  .online { color: #7ee07e; } .offline { color: #ffb0a8; }
</style>
</head>
<body>
<header><h1>asyncrest chat</h1><span id="room-label"></span><span id="status" class="offline">not joined</span></header>
<main>
  <form id="join-form">
    <input id="name" placeholder="Your name" maxlength="40" required autocomplete="nickname">
    <input id="room" placeholder="Room" maxlength="40" required value="lobby">
    <button id="join" type="submit">Join</button>
  </form>
  <ul id="messages" aria-live="polite"></ul>
  <form id="send-form">
    <input id="text" placeholder="Write a message" maxlength="2000" autocomplete="off" disabled>
    <button id="send" type="submit" disabled>Send</button>
  </form>
</main>
<script>
"use strict";
const messages = document.getElementById("messages");
const statusLabel = document.getElementById("status");
const textInput = document.getElementById("text");
const sendButton = document.getElementById("send");
let socket = null;
let joined = null;        // {name, room} once joined
let retryDelay = 500;     // grows while the server cannot be reached

function show(message) {
  const item = document.createElement("li");
  const from = document.createElement("span");
  from.className = "from";
  from.textContent = message.from;
  const text = document.createElement("span");
  text.className = "text";
  text.textContent = message.text;
  item.append(from, text);
  if (message.time) {
    const time = document.createElement("span");
    time.className = "time";
    time.textContent = new Date(message.time).toLocaleTimeString();
    item.append(time);
  }
  messages.append(item);
  messages.scrollTop = messages.scrollHeight;
}

function notice(text) {
  const item = document.createElement("li");
  item.className = "notice";
  item.textContent = text;
  messages.append(item);
}

function setOnline(online) {
  statusLabel.textContent = online ? "connected as " + joined.name : "reconnecting…";
  statusLabel.className = online ? "online" : "offline";
  textInput.disabled = sendButton.disabled = !online;
  if (online) textInput.focus();
}

async function loadRecent(room) {
  const answer = await fetch("/rooms/" + encodeURIComponent(room) + "/messages");
  if (!answer.ok) return;
  messages.replaceChildren();
  for (const message of await answer.json()) show(message);
}

function connect() {
  const {name, room} = joined;
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  socket = new WebSocket(scheme + location.host + "/rooms/" + encodeURIComponent(room) +
                         "/ws?name=" + encodeURIComponent(name));
  const current = socket;
  let opened = false;
  socket.onopen = async () => {
    opened = true;
    retryDelay = 500;
    await loadRecent(room);  // what was said while away, then live messages
    if (socket === current) setOnline(true);
  };
  socket.onmessage = (event) => show(JSON.parse(event.data));
  socket.onclose = (event) => {
    if (socket !== current) return;
    // Say why once per lost connection (1001: the server is going away), not per failed retry.
    if (opened) notice("disconnected (" + event.code + (event.reason ? " " + event.reason : "") + "), reconnecting");
    setOnline(false);
    setTimeout(() => { if (socket === current) connect(); }, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 10000);
  };
}

document.getElementById("join-form").addEventListener("submit", (event) => {
  event.preventDefault();
  joined = {name: document.getElementById("name").value.trim(), room: document.getElementById("room").value.trim()};
  if (!joined.name || !joined.room) return;
  document.getElementById("room-label").textContent = "#" + joined.room;
  if (socket) { const old = socket; socket = null; old.close(1000); }
  messages.replaceChildren();
  connect();
});

document.getElementById("send-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = textInput.value;
  if (!text.trim() || !socket || socket.readyState !== WebSocket.OPEN) return;
  socket.send(JSON.stringify({text}));
  textInput.value = "";
});
</script>
</body>
</html>
)html";
