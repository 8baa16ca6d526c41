// The todos example's contract as tools read it: its /openapi.json validated by
// @apidevtools/swagger-parser against the OpenAPI 3.1 schema (a copy broken on purpose must be
// refused, so the validator is known to look), and its /docs page rendered by Chromium with
// Swagger UI showing every operation. A screenshot of the page is kept as an artefact.
//
//     node todos_test.mjs <todos program> <swagger-ui-dist folder> <artefact folder>
//
// Chromium comes from CHROMIUM (default /usr/bin/chromium); the example listens on an ephemeral
// port of 127.0.0.1 and is stopped with SIGTERM at the end.
import {spawn} from "node:child_process";
import {mkdirSync} from "node:fs";
import {join} from "node:path";
import SwaggerParser from "@apidevtools/swagger-parser";
import {chromium} from "playwright-core";

const [program, swaggerUi, artefacts] = process.argv.slice(2);
if (!program || !swaggerUi || !artefacts) {
  console.error("usage: node todos_test.mjs <todos program> <swagger-ui-dist folder> <artefact folder>");
  process.exit(2);
}
mkdirSync(artefacts, {recursive: true});

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

// Starts the example and resolves with its base URL once it prints where it listens.
function startTodos() {
  const server = spawn(program, [], {
    env: {...process.env, PORT: "0", SWAGGER_UI_DIR: swaggerUi},
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error("the example did not say where it listens: " + output)), 15000);
    server.stdout.on("data", (bytes) => {
      output += bytes;
      const found = output.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (found) {
        clearTimeout(timer);
        resolve({server, base: found[1]});
      }
    });
    server.on("exit", (code) => reject(new Error("the example exited with " + code + " before listening")));
  });
}

const {server, base} = await startTodos();
const exited = new Promise((resolve) => server.on("exit", (code, signal) => resolve({code, signal})));
let browser;
try {
  // The document, validated: the validator dereferences what it is given, so each call gets a copy.
  const answer = await fetch(base + "/openapi.json");
  expect(answer.status === 200, "/openapi.json answered " + answer.status);
  const document = await answer.json();
  const validated = await SwaggerParser.validate(structuredClone(document));
  expect(validated.openapi === "3.1.0", "the validated document's version: " + validated.openapi);

  const broken = structuredClone(document);
  broken.paths["/todos"].post.responses = "none";
  let refused = false;
  try {
    await SwaggerParser.validate(broken);
  } catch {
    refused = true;
  }
  expect(refused, "swagger-parser accepted a document whose responses are a string: it does not validate");

  // Some items in the page: a todo to list, so the page shows a real operation's data too.
  const made = await fetch(base + "/todos", {
    method: "POST",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify({title: "read the docs"}),
  });
  expect(made.status === 201, "POST /todos answered " + made.status);

  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox"],
  });
  const page = await browser.newPage();
  const failed = [];
  page.on("response", (response) => {
    if (response.status() >= 400) failed.push(response.status() + " " + response.url());
  });
  await page.goto(base + "/docs");
  // Swagger UI fetched the document and drew one block per operation.
  await page.locator(".opblock").first().waitFor({timeout: 30000});
  const operations = await page.locator(".opblock-summary").allInnerTexts();
  const flat = operations.map((text) => text.replace(/\s+/g, " ").trim());
  expect(flat.length === 5, "five operations shown: " + JSON.stringify(flat));
  for (const [verb, path, summary] of [
           ["POST", "/todos", "Add a todo"], ["GET", "/todos", "List todos"], ["GET", "/todos/{id}", "One todo"],
           ["PATCH", "/todos/{id}", "Change a todo"], ["DELETE", "/todos/{id}", "Delete a todo"]]) {
    expect(flat.some((text) => text.startsWith(verb + " " + path) && text.includes(summary)),
           "the page shows " + verb + " " + path + " (" + summary + "): " + JSON.stringify(flat));
  }
  const title = await page.locator(".info .title").innerText();
  expect(title.startsWith("Todos"), "the page's title is the document's: " + title);
  expect(failed.length === 0, "the page loaded everything it asked for: " + JSON.stringify(failed));
  await page.screenshot({path: join(artefacts, "todos-docs.png"), fullPage: true});

  server.kill("SIGTERM");
  const result = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve(null), 20000))]);
  expect(result !== null, "the example did not exit within 20 s of SIGTERM");
  expect(result.code === 0, "the example exited with " + JSON.stringify(result));
  console.log("todos: the OpenAPI document is valid and /docs shows its operations; screenshot in " + artefacts);
} finally {
  if (browser) await browser.close();
  if (server.exitCode === null && server.signalCode === null) server.kill("SIGKILL");
}
