// The CORS middleware in a real browser: a page on one origin calls an API on another with the
// user's cookies (a signed cookie set and read back), reads an exposed header, sends a PUT with a
// custom header after a preflight, and is refused what the policy does not allow; a page on an
// origin the API does not list can read nothing.
//
//     node cors_test.mjs <cors_browser_server program>
//
// Chromium comes from CHROMIUM (default /usr/bin/chromium); the program listens on ephemeral
// ports of 127.0.0.1 and is stopped with SIGTERM at the end.
import {spawn} from "node:child_process";
import {chromium} from "playwright-core";

const [program] = process.argv.slice(2);
if (!program) {
  console.error("usage: node cors_test.mjs <cors_browser_server program>");
  process.exit(2);
}

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

function startServers() {
  const server = spawn(program, [], {stdio: ["ignore", "pipe", "inherit"]});
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error("the servers did not say where they listen: " + output)), 15000);
    server.stdout.on("data", (bytes) => {
      output += bytes;
      const found = output.match(/page on (http:\/\/127\.0\.0\.1:(\d+)) api on (http:\/\/127\.0\.0\.1:\d+)/);
      if (found) {
        clearTimeout(timer);
        resolve({server, page: found[1], pagePort: found[2], api: found[3]});
      }
    });
    server.on("exit", (code) => reject(new Error("the servers exited with " + code + " before listening")));
  });
}

// Runs `call` in the page: what it returns, or "refused: <error>" when fetch rejects (which is
// how a page sees a CORS failure).
async function inPage(page, api, call) {
  return page.evaluate(
      async ([api, source]) => {
        try {
          return await (0, eval)("(" + source + ")")(api);
        } catch (error) {
          return "refused: " + error.name;
        }
      },
      [api, call.toString()]);
}

const {server, page: pageBase, pagePort, api} = await startServers();
let browser;
try {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox"],
  });
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on("pageerror", (error) => console.error("page error:", error.message));
  await page.goto(pageBase + "/");

  const login = await inPage(page, api, async (api) => {
    const answer = await fetch(api + "/login", {method: "POST", body: "ada", credentials: "include"});
    return (await answer.json()).logged_in;
  });
  expect(login === "ada", "the credentialed POST was not readable: " + login);

  const me = await inPage(page, api, async (api) => {
    const answer = await fetch(api + "/me", {credentials: "include"});
    return (await answer.json()).user + " " + answer.headers.get("X-Request-Id");
  });
  expect(me === "ada browser-1", "the signed cookie did not come back, or the exposed header is hidden: " + me);

  const put = await inPage(page, api, async (api) => {
    const answer = await fetch(api + "/items/7",
                               {method: "PUT", headers: {"X-Trace": "t-1"}, credentials: "include"});
    const body = await answer.json();
    return body.id + " " + body.trace;
  });
  expect(put === "7 t-1", "the PUT after a preflight failed: " + put);

  const secretHeader = await inPage(page, api, async (api) => {
    await fetch(api + "/items/7", {method: "PUT", headers: {"X-Secret": "1"}, credentials: "include"});
    return "allowed";
  });
  expect(secretHeader === "refused: TypeError", "a header the policy does not list was allowed: " + secretHeader);

  const patch = await inPage(page, api, async (api) => {
    await fetch(api + "/items/7", {method: "PATCH", credentials: "include"});
    return "allowed";
  });
  expect(patch === "refused: TypeError", "a method the policy does not list was allowed: " + patch);

  // Another origin: the same page server under another host name.
  const stranger = await context.newPage();
  await stranger.goto("http://localhost:" + pagePort + "/");
  const withCookies = await inPage(stranger, api, async (api) => {
    return (await fetch(api + "/me", {credentials: "include"})).text();
  });
  expect(withCookies === "refused: TypeError", "a page on an unlisted origin read the API: " + withCookies);
  const withoutCookies = await inPage(stranger, api, async (api) => {
    return (await fetch(api + "/me", {credentials: "omit"})).text();
  });
  expect(withoutCookies === "refused: TypeError", "a page on an unlisted origin read the API: " + withoutCookies);
  // The same calls from the listed origin work, so the refusals above are the policy's.
  const control = await inPage(page, api, async (api) => {
    return (await fetch(api + "/me", {credentials: "omit"})).status;
  });
  expect(control === 200, "the listed origin's call failed: " + control);
  console.log("cors browser test: passed");
} finally {
  if (browser) await browser.close();
  server.kill("SIGTERM");
}
