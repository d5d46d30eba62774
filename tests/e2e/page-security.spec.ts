import type { Page } from "@playwright/test";
import * as gemini from "../helpers/fake-gemini";
import { fakeModel } from "./fake-control";
import { analyze, controls, expect, test } from "./page-helpers";

/**
 * What the page's Content-Security-Policy (proxy.ts) allows, seen from the browser: scripts only
 * with the response's nonce, and yet the whole page works (the app, a lazily loaded mermaid
 * diagram, the streamed answer) without one violation. And what the page says about an answer
 * whose stream ended without the model saying it had finished.
 */

const TASK = "Explain this architecture";

test.beforeEach(async () => {
  await fakeModel.reset();
});

/** Every CSP violation the page reports, by event and in the console, from the first script on. */
async function watchViolations(page: Page): Promise<() => Promise<string[]>> {
  const consoleViolations: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) consoleViolations.push(message.text());
  });
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { cspViolations: string[] }).cspViolations = seen;
    document.addEventListener("securitypolicyviolation", (event) => seen.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}:${event.columnNumber}`));
  });
  return async () => [...consoleViolations, ...(await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations))];
}

test("serves the page with a nonce-based CSP and runs it, mermaid included, without a violation", async ({ page, diagramPath }) => {
  const violations = await watchViolations(page);
  await fakeModel.reply([
    gemini.textReply(["## Request path\n\n", "```mermaid\nflowchart LR\n  A[API Gateway] --> B[Lambda] --> C[(S3)]\n```\n\n", "The gateway invokes the function."]),
  ]);

  const response = (await page.goto("/"))!;
  const policy = response.headers()["content-security-policy"] ?? "";
  const scriptSrc = policy.split(";").map((directive) => directive.trim()).find((directive) => directive.startsWith("script-src "));
  expect(scriptSrc).toMatch(/'nonce-[A-Za-z0-9+/=]{16,}'/);
  expect(scriptSrc).not.toContain("'unsafe-inline'");
  expect(scriptSrc).not.toContain("'unsafe-eval'");

  await analyze(page, diagramPath, TASK);
  const { answer } = controls(page);
  await expect(answer.getByTestId("answer-status")).toContainText("Done");
  const diagram = answer.getByRole("figure", { name: "Mermaid diagram" }).locator("svg");
  await expect(diagram.locator("text", { hasText: "API Gateway" }).first()).toBeVisible();
  await expect(answer).toContainText("The gateway invokes the function.");
  expect(await violations()).toEqual([]);
});

test("does not run a script or handler injected into the page's HTML, while its own scripts run", async ({ page, diagramPath }) => {
  // The server's real response, with markup added as an injection that slipped past everything
  // else would add it: parser-inserted, without the nonce, under the response's own CSP.
  await page.route("/", async (route) => {
    const response = await route.fetch();
    const html = (await response.text()).replace(
      "</body>",
      '<script>window.injected = "script"</script><img src="/none.png" onerror="window.injected = \'handler\'"></body>',
    );
    await route.fulfill({ response, body: html });
  });
  await page.goto("/");
  // The app hydrated: picking a file and typing a task enables Analyze.
  const { upload, task, analyze: analyzeButton } = controls(page);
  await upload.setInputFiles(diagramPath);
  await task.fill(TASK);
  await expect(analyzeButton).toBeEnabled();
  expect(await page.evaluate(() => (window as unknown as { injected?: string }).injected)).toBeUndefined();
});

test("says plainly that an answer was cut off when its stream ended without a finish reason", async ({ page, diagramPath }) => {
  await fakeModel.reply([gemini.streamReply([gemini.candidateChunk([{ text: "## Overview\n\n" }]), gemini.candidateChunk([{ text: "The gateway calls" }])])]);
  await page.goto("/");
  await analyze(page, diagramPath, TASK);
  const { answer } = controls(page);
  await expect(answer.getByTestId("answer-status")).toHaveText("Cut off");
  await expect(answer.getByTestId("cut-off-note")).toContainText("The answer was cut off");
  await expect(answer).toContainText("The gateway calls");
  await expect(answer.getByRole("button", { name: "Retry" })).toBeVisible();
  await expect(answer.getByRole("button", { name: "Regenerate" })).toHaveCount(0);
});
