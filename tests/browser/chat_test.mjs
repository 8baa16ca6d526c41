// The chat example in a real browser: two people chat in one room through the server, a third
// page follows the room as an EventSource, and the server's shutdown closes every socket with
// 1001. Screenshots of both chat pages are kept as artefacts.
//
//     node chat_test.mjs <chat program> <artefact folder> [--deflate]
//
// With --deflate (the chat was built with zlib), the pages' sockets must have agreed on
// permessage-deflate with the server: Chromium's compression against ours, both ways.
//
// Chromium comes from CHROMIUM (default /usr/bin/chromium); the chat listens on an ephemeral port
// of 127.0.0.1 and is stopped with SIGTERM at the end.
import {spawn} from "node:child_process";
import {mkdirSync} from "node:fs";
import {request} from "node:http";
import {join} from "node:path";
import {chromium} from "playwright-core";

const [program, artefacts, option] = process.argv.slice(2);
const expectDeflate = option === "--deflate";
if (!program || !artefacts) {
  console.error("usage: node chat_test.mjs <chat program> <artefact folder>");
  process.exit(2);
}
mkdirSync(artefacts, {recursive: true});

function fail(message) {
  throw new Error(message);
}

function expect(condition, message) {
  if (!condition) fail(message);
}

// Starts the chat and resolves with its base URL once it prints where it listens.
function startChat() {
  const server = spawn(program, [], {env: {...process.env, PORT: "0"}, stdio: ["ignore", "pipe", "inherit"]});
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error("the chat did not say where it listens: " + output)), 15000);
    server.stdout.on("data", (bytes) => {
      output += bytes;
      const found = output.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (found) {
        clearTimeout(timer);
        resolve({server, base: found[1]});
      }
    });
    server.on("exit", (code) => reject(new Error("the chat exited with " + code + " before listening")));
  });
}

// An HTTP request from Node itself, for what a page cannot send (a foreign Origin).
function rawRequest(base, path, headers) {
  return new Promise((resolve, reject) => {
    const call = request(base + path, {headers}, (answer) => {
      answer.resume();
      answer.on("end", () => resolve(answer.statusCode));
    });
    call.on("upgrade", (answer, socket) => {
      socket.destroy();
      resolve(answer.statusCode);
    });
    call.on("error", reject);
    call.end();
  });
}

async function enter(page, base, name, room) {
  await page.goto(base + "/");
  await page.fill("#name", name);
  await page.fill("#room", room);
  await page.click("#join");
  await page.waitForSelector("#status.online", {timeout: 10000});
}

async function say(page, text) {
  await page.fill("#text", text);
  await page.click("#send");
}

async function waitForMessages(page, expected) {
  for (const [from, text] of expected) {
    await page.locator("#messages li", {hasText: text}).filter({hasText: from}).first().waitFor({timeout: 10000});
  }
}

const {server, base} = await startChat();
const exited = new Promise((resolve) => server.on("exit", (code, signal) => resolve({code, signal})));
let browser;
try {
  const room = "general";

  // A message posted over plain HTTP before anyone joins is in the room's history.
  const posted = await fetch(base + "/rooms/" + room + "/messages", {
    method: "POST",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify({from: "curl", text: "Posted before anyone joined"}),
  });
  expect(posted.status === 201, "POST /rooms/general/messages answered " + posted.status);

  // A handshake from another site's page is refused: the Origin check is on.
  const foreign = await rawRequest(base, "/rooms/" + room + "/ws?name=mallory", {
    Connection: "Upgrade",
    Upgrade: "websocket",
    "Sec-WebSocket-Version": "13",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    Origin: "https://attacker.example",
  });
  expect(foreign === 403, "a handshake from a foreign Origin answered " + foreign + ", not 403");

  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox"],
  });
  const context = await browser.newContext({viewport: {width: 900, height: 640}});
  const ada = await context.newPage();
  const grace = await context.newPage();
  const listener = await context.newPage();
  for (const page of [ada, grace, listener]) {
    page.on("pageerror", (error) => console.error("page error:", error.message));
  }

  await enter(ada, base, "Ada", room);
  await waitForMessages(ada, [["curl", "Posted before anyone joined"]]);
  await enter(grace, base, "Grace", room);

  // The third page follows the room as a stream of events.
  await listener.goto(base + "/");
  await listener.evaluate((room) => {
    window.streamed = [];
    window.streamOpen = new Promise((resolve) => {
      const source = new EventSource("/rooms/" + room + "/events");
      source.onopen = resolve;
      source.addEventListener("message", (event) => window.streamed.push(JSON.parse(event.data)));
    });
  }, room);
  await listener.evaluate(() => window.streamOpen);

  if (expectDeflate) {
    // The page's socket is a top-level binding of its script, visible to evaluate().
    for (const page of [ada, grace]) {
      const extensions = await page.evaluate(() => socket.extensions);
      expect(extensions.startsWith("permessage-deflate"), "the socket's extensions: " + JSON.stringify(extensions));
    }
  }

  await say(ada, "Hello from Ada");
  await say(grace, "Hi Ada, Grace here <b>not bold</b>");
  // A longer message, which compresses into references across the text.
  const long = "All work and no play makes a dull chat. ".repeat(40) + "The end.";
  await say(ada, long);
  const conversation = [["Ada", "Hello from Ada"], ["Grace", "Hi Ada, Grace here <b>not bold</b>"], ["Ada", "The end."]];
  await waitForMessages(ada, conversation);
  await waitForMessages(grace, conversation);
  expect(await ada.locator("#messages b").count() === 0, "a message's text was inserted as HTML");

  await listener.waitForFunction(() => window.streamed.length >= 3, null, {timeout: 10000});
  const streamed = await listener.evaluate(() => window.streamed);
  expect(streamed[0].from === "Ada" && streamed[0].text === "Hello from Ada" && streamed[0].room === room,
         "the event stream's first message: " + JSON.stringify(streamed[0]));
  expect(streamed[1].from === "Grace", "the event stream's second message: " + JSON.stringify(streamed[1]));
  expect(streamed[2].text === long, "the event stream's third message differs from what was sent");

  // The room's history over plain HTTP has the conversation, in order.
  const history = await (await fetch(base + "/rooms/" + room + "/messages")).json();
  const texts = history.map((message) => message.text);
  expect(JSON.stringify(texts.slice(-4)) ===
             JSON.stringify(["Posted before anyone joined", "Hello from Ada", "Hi Ada, Grace here <b>not bold</b>", long]),
         "the room's history: " + JSON.stringify(texts));

  await ada.screenshot({path: join(artefacts, "chat-ada.png")});
  await grace.screenshot({path: join(artefacts, "chat-grace.png")});

  // Shutdown: every page sees its socket closed by the server, and the chat exits cleanly.
  server.kill("SIGTERM");
  const result = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve(null), 20000))]);
  expect(result !== null, "the chat did not exit within 20 s of SIGTERM");
  expect(result.code === 0, "the chat exited with " + JSON.stringify(result));
  // The page says why its socket ended: 1001, Going Away.
  for (const page of [ada, grace]) {
    await page.locator("#messages li.notice", {hasText: "disconnected (1001"}).waitFor({timeout: 10000});
  }
  console.log("chat in Chromium: ok; screenshots in " + artefacts);
} finally {
  if (browser) await browser.close();
  if (server.exitCode === null && server.signalCode === null) server.kill("SIGKILL");
}
