import type { Locator, Page } from "@playwright/test";
import * as gemini from "../helpers/fake-gemini";
import { fakeModel } from "./fake-control";
import { analyze, controls, expect, screenshot, test } from "./page-helpers";

/**
 * How answers render while they stream and once they are complete: mermaid diagrams (drawn only
 * once their block is complete, strict, themed, loaded lazily), half-finished tables and code
 * fences. Each answer is streamed by the fake model through the real page.
 */

const TASK = "Explain this architecture";
const FLOWCHART = "flowchart LR\n  A[API Gateway] --> B[Lambda] --> C[(S3)]";
const FLOWCHART_LABELS = ["API Gateway", "Lambda", "S3"];
/** In mermaid's default config and in @streamdown/mermaid's, and in no other script of the page. */
const MERMAID_MARKER = "suppressErrorRendering";
const WAITING_NOTE = "The diagram will be drawn when this block is complete.";
const FAILED_NOTE = "Could not draw this diagram; here is its code.";

let diagramPath: string;

test.beforeAll(({ diagramPath: shared }) => {
  diagramPath = shared;
});

test.beforeEach(async () => {
  await fakeModel.reset();
});

/** Scripts the answer, then uploads the diagram and asks, as a person would. */
async function ask(page: Page, pieces: string[], options: { holdAfter?: number } = {}) {
  await fakeModel.reply([gemini.textReply(pieces, { delayMs: 40, ...options })]);
  await page.goto("/");
  await analyze(page, diagramPath, TASK);
  return controls(page).answer;
}

async function expectStatus(answer: Locator, status: "Writing…" | "Done") {
  await expect(answer.getByTestId("answer-status")).toContainText(status);
}

async function pageOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

function diagramOf(answer: Locator) {
  return answer.getByRole("figure", { name: "Mermaid diagram" }).locator("svg");
}

/** Counts what appears in the answer from now on, to catch states that flash by between polls. */
async function recordAnswerMutations(page: Page) {
  await page.evaluate(() => {
    const answer = [...document.querySelectorAll('[data-testid="turn"]')].at(-1)!;
    const seen = { svg: 0, errorText: 0 };
    (window as { __seen?: typeof seen }).__seen = seen;
    new MutationObserver(() => {
      if (answer.querySelector("svg[aria-roledescription]")) seen.svg += 1;
      if (/syntax error|parse error|could not draw|failed to render/i.test(answer.textContent ?? "")) seen.errorText += 1;
    }).observe(answer, { childList: true, subtree: true, characterData: true });
  });
}

async function recordedMutations(page: Page) {
  return page.evaluate(() => (window as { __seen?: { svg: number; errorText: number } }).__seen);
}

/** Every script the page loaded so far, by URL, with whether mermaid is in it. */
function watchScripts(page: Page) {
  const scripts = new Map<string, Promise<boolean>>();
  page.on("response", (response) => {
    if (response.request().resourceType() !== "script") return;
    scripts.set(
      response.url(),
      response.text().then((body) => body.includes(MERMAID_MARKER), () => false),
    );
  });
  return {
    async withMermaid(): Promise<string[]> {
      const entries = await Promise.all([...scripts].map(async ([url, hasMermaid]) => [url, await hasMermaid] as const));
      return entries.filter(([, hasMermaid]) => hasMermaid).map(([url]) => url);
    },
    count: () => scripts.size,
  };
}

test("draws a streamed mermaid flowchart once its block is complete, and switches to its code and back", async ({ page, pageProblems: problems }) => {
  const scripts = watchScripts(page);
  const answer = await ask(
    page,
    [
      "## Request path\n\n",
      "```mermaid\nflowchart LR\n",
      "  A[API Gateway] --> B[Lam",
      "bda] --> C[(S3)]\n```\n\n",
      "The gateway invokes the function, which writes to the bucket.",
    ],
    { holdAfter: 3 },
  );

  // Held in the middle of the block: its code, a calm note, nothing drawn, no error.
  const source = answer.getByTestId("mermaid-source");
  await expect(source.locator("pre code")).toContainText("A[API Gateway] --> B[Lam");
  await expect(source).toContainText(WAITING_NOTE);
  await expectStatus(answer, "Writing…");
  await recordAnswerMutations(page);
  // Long enough for a render attempt of the half-written block, had one been started.
  await page.waitForTimeout(1000);
  expect(await recordedMutations(page)).toEqual({ svg: 0, errorText: 0 });
  await expect(diagramOf(answer)).toHaveCount(0);
  expect(await pageOverflow(page)).toBe(0);
  const sourceBox = (await source.boundingBox())!;
  const answerBox = (await answer.boundingBox())!;
  expect(sourceBox.x + sourceBox.width).toBeLessThanOrEqual(answerBox.x + answerBox.width);
  expect(scripts.count()).toBeGreaterThan(0);
  expect(await scripts.withMermaid(), "mermaid loaded before any diagram was complete").toEqual([]);
  await screenshot(page, "markdown-mermaid-streaming-desktop-1280x900");

  await fakeModel.release();
  await expectStatus(answer, "Done");
  const diagram = diagramOf(answer);
  await expect(diagram).toBeVisible();
  for (const label of FLOWCHART_LABELS) await expect(diagram.locator("text", { hasText: label }).first()).toBeVisible();
  await expect(diagram.locator("foreignObject")).toHaveCount(0);
  await expect(answer).toContainText("The gateway invokes the function");
  await expect(answer).not.toContainText(WAITING_NOTE);
  await expect(answer).not.toContainText("```");
  expect((await recordedMutations(page))?.errorText).toBe(0);
  expect(await scripts.withMermaid(), "mermaid loaded for the diagram").not.toEqual([]);
  await screenshot(page, "markdown-mermaid-desktop-1280x900");

  // The switch, by mouse…
  const showDiagram = answer.getByRole("button", { name: "Diagram", exact: true });
  const showCode = answer.getByRole("button", { name: "Code", exact: true });
  await expect(answer.getByRole("group", { name: "Show this mermaid block as" })).toBeVisible();
  await expect(showDiagram).toHaveAttribute("aria-pressed", "true");
  await expect(showCode).toHaveAttribute("aria-pressed", "false");
  await showCode.click();
  await expect(showCode).toHaveAttribute("aria-pressed", "true");
  await expect(showDiagram).toHaveAttribute("aria-pressed", "false");
  await expect(diagram).toHaveCount(0);
  await expect(answer.getByTestId("mermaid-block").locator("pre code")).toHaveText(FLOWCHART);

  // …and by keyboard, the focus staying on the switch.
  await expect(showCode).toBeFocused();
  await page.keyboard.press("Shift+Tab");
  await expect(showDiagram).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(showDiagram).toHaveAttribute("aria-pressed", "true");
  await expect(diagram).toBeVisible();
  await expect(showDiagram).toBeFocused();
  await page.keyboard.press("Tab");
  await expect(showCode).toBeFocused();
  await page.keyboard.press("Space");
  await expect(showCode).toHaveAttribute("aria-pressed", "true");
  await expect(answer.getByTestId("mermaid-block").locator("pre code")).toHaveText(FLOWCHART);
  await page.keyboard.press("Shift+Tab");
  await page.keyboard.press("Space");
  await expect(diagram).toBeVisible();

  await page.setViewportSize({ width: 390, height: 844 });
  await expect(diagram).toBeVisible();
  expect(await pageOverflow(page), "page width beyond the 390 px viewport").toBe(0);
  await screenshot(page, "markdown-mermaid-phone-390x844");
  problems.expectNone();
});

test("keeps a diagram drawn mid-answer on the page when the answer ends", async ({ page, pageProblems: problems }) => {
  const answer = await ask(page, ["## Request path\n\n", `\`\`\`mermaid\n${FLOWCHART}\n\`\`\`\n\n`, "Then the answer goes on."], { holdAfter: 2 });

  // The fence is closed, so the diagram is drawn while the rest of the answer is still to come.
  const diagram = diagramOf(answer);
  await expect(diagram).toBeVisible();
  await expectStatus(answer, "Writing…");
  await diagram.evaluate((svg) => {
    (svg as SVGElement & { __drawnMidAnswer?: boolean }).__drawnMidAnswer = true;
  });

  await fakeModel.release();
  await expectStatus(answer, "Done");
  await expect(answer).toContainText("Then the answer goes on.");
  // The same element: the diagram was neither remounted nor redrawn when streaming stopped.
  expect(await diagram.evaluate((svg) => (svg as SVGElement & { __drawnMidAnswer?: boolean }).__drawnMidAnswer)).toBe(true);
  problems.expectNone();
});

test("draws a hostile mermaid block without running or loading anything from it", async ({ page, pageProblems: problems }) => {
  const hostile = [
    "```mermaid",
    '%%{init: {"securityLevel": "loose", "htmlLabels": true, "dompurifyConfig": {"ADD_TAGS": ["img", "script"], "ADD_ATTR": ["onerror"]}}}%%',
    "flowchart LR",
    '  A["<img src=x onerror=window.__pwned=1>"] --> B[Lambda]',
    '  B --> C["<script>window.__pwned=2</script>"]',
    '  click A href "javascript:alert(1)"',
    "  click B call alert(2)",
    "```",
  ].join("\n");
  const answer = await ask(page, ["## Hostile diagram\n\n", `${hostile}\n\n`, "The end."]);
  await expectStatus(answer, "Done");

  const diagram = diagramOf(answer);
  await expect(diagram).toBeVisible();
  await expect(diagram.locator("text", { hasText: "Lambda" }).first()).toBeVisible();
  // The init directive could not turn HTML labels back on.
  await expect(diagram.locator("foreignObject")).toHaveCount(0);
  // B's `click … call` would run alert(2) had mermaid bound it.
  await diagram.locator("text", { hasText: "Lambda" }).first().click();

  await expect(answer.locator("img, script, iframe, object, embed")).toHaveCount(0);
  const unsafeAttributes = await answer.evaluate((section) =>
    [...section.querySelectorAll("*")].flatMap((element) =>
      [...element.attributes]
        .filter((attribute) => /^on/i.test(attribute.name) || /^\s*javascript:/i.test(attribute.value))
        .map((attribute) => `${element.tagName} ${attribute.name}="${attribute.value}"`),
    ),
  );
  expect(unsafeAttributes).toEqual([]);
  expect(await page.evaluate(() => (window as { __pwned?: unknown }).__pwned)).toBeUndefined();
  problems.expectNone();
});

test("shows the code of a mermaid block that does not parse, with a calm note and no error picture", async ({ page, pageProblems: problems }) => {
  const broken = "flowchart LR\n  A[API Gateway --> B[Lambda]\n  B --> --> C";
  const answer = await ask(page, ["## Broken diagram\n\n", `\`\`\`mermaid\n${broken}\n\`\`\`\n\n`, "The rest of the answer."]);
  await expectStatus(answer, "Done");

  const source = answer.getByTestId("mermaid-source");
  await expect(source).toContainText(FAILED_NOTE);
  await expect(source.locator("pre code")).toContainText("A[API Gateway --> B[Lambda]");
  await expect(answer).toContainText("The rest of the answer.");
  await expect(diagramOf(answer)).toHaveCount(0);
  await expect(page.locator("svg[aria-roledescription='error']")).toHaveCount(0);
  await expect(page.getByText(/syntax error|mermaid version/i)).toHaveCount(0);
  // Mermaid renders into a temporary element at the end of the body; none may be left behind.
  await expect(page.locator("body > [id^='dmermaid'], body > [id^='mermaid']")).toHaveCount(0);
  await expect(answer.getByRole("alert")).toHaveCount(0);
  await screenshot(page, "markdown-mermaid-invalid-desktop-1280x900");
  problems.expectNone();
});

test("draws mermaid in the dark theme when the page is dark, and switches with the page", async ({ page, pageProblems: problems }) => {
  await page.emulateMedia({ colorScheme: "dark" });
  const answer = await ask(page, ["## Request path\n\n", `\`\`\`mermaid\n${FLOWCHART}\n\`\`\`\n\n`, "Done."]);
  await expectStatus(answer, "Done");
  const diagram = diagramOf(answer);
  await expect(diagram).toBeVisible();

  const colours = () =>
    diagram.evaluate((svg) => {
      const shape = svg.querySelector(".node rect, .node path, .node polygon")!;
      const label = [...svg.querySelectorAll("text")].find((text) => text.textContent?.includes("API Gateway"))!;
      const luminance = (colour: string) => {
        const [red, green, blue] = colour.match(/\d+(\.\d+)?/g)!.slice(0, 3).map(Number) as [number, number, number];
        return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255;
      };
      return { nodeFill: getComputedStyle(shape).fill, labelLuminance: luminance(getComputedStyle(label).fill) };
    });
  const dark = await colours();
  // Light labels on dark nodes: readable on the dark page.
  expect(dark.labelLuminance).toBeGreaterThan(0.6);
  await screenshot(page, "markdown-mermaid-dark-desktop-1280x900");
  await page.setViewportSize({ width: 390, height: 844 });
  await screenshot(page, "markdown-mermaid-dark-phone-390x844");

  await page.emulateMedia({ colorScheme: "light" });
  await expect.poll(async () => (await colours()).nodeFill).not.toBe(dark.nodeFill);
  expect((await colours()).labelLuminance).toBeLessThan(0.4);
  problems.expectNone();
});

test("renders a half-finished table as a table while it streams", async ({ page, pageProblems: problems }) => {
  const answer = await ask(
    page,
    [
      "## Components\n\n",
      "| Component | Role |\n| --- | --- |\n| API Gateway | Receives HTTPS requests |\n",
      "| Lambda Functions | Validates ev",
      "ents |\n| Amazon S3 | Stores the raw objects |\n\nThat is the whole path.",
    ],
    { holdAfter: 3 },
  );

  const table = answer.locator("table");
  await expect(table.getByRole("cell", { name: "API Gateway", exact: true })).toBeVisible();
  await expectStatus(answer, "Writing…");
  await expect(table).toHaveCount(1);
  await expect(table.getByRole("columnheader")).toHaveText(["Component", "Role"]);
  await expect(table.locator("tbody tr").first().getByRole("cell")).toHaveText(["API Gateway", "Receives HTTPS requests"]);
  // The half-received row is part of the table or not shown yet, never a line of pipes.
  await expect(answer.locator("p", { hasText: "|" })).toHaveCount(0);
  await expect(answer).not.toContainText("| --- |");
  await expect(answer).not.toContainText("| Lambda");
  expect(await pageOverflow(page)).toBe(0);
  await screenshot(page, "markdown-table-streaming-desktop-1280x900");

  await fakeModel.release();
  await expectStatus(answer, "Done");
  await expect(table).toHaveCount(1);
  await expect(table.locator("tbody tr")).toHaveCount(3);
  await expect(table.locator("tbody tr").nth(1).getByRole("cell")).toHaveText(["Lambda Functions", "Validates events"]);
  await expect(table.locator("tbody tr").nth(2).getByRole("cell")).toHaveText(["Amazon S3", "Stores the raw objects"]);
  await expect(answer.locator("p", { hasText: "That is the whole path." })).toBeVisible();
  await expect(answer.locator("p", { hasText: "|" })).toHaveCount(0);
  problems.expectNone();
});

test("renders an unterminated code fence as code while it streams", async ({ page, pageProblems: problems }) => {
  const answer = await ask(
    page,
    [
      "The handler:\n\n",
      "```ts\nexport async function handler(event: IngestEvent) {\n",
      '  await s3.putObject({ Bucket: "ingest", Key: event.id });\n',
      "}\n```\n\nThat is all it does.",
    ],
    { holdAfter: 3 },
  );

  const code = answer.locator("pre code");
  await expect(code).toContainText('await s3.putObject({ Bucket: "ingest", Key: event.id });');
  await expectStatus(answer, "Writing…");
  await expect(code).toHaveCount(1);
  await expect(code).toContainText("export async function handler(event: IngestEvent) {");
  await expect(answer).not.toContainText("```");
  await expect(answer.locator("p", { hasText: "export async function" })).toHaveCount(0);
  expect(await pageOverflow(page)).toBe(0);
  await screenshot(page, "markdown-code-streaming-desktop-1280x900");

  await fakeModel.release();
  await expectStatus(answer, "Done");
  await expect(code).toHaveCount(1);
  await expect(code).toContainText("}");
  const after = answer.locator("p", { hasText: "That is all it does." });
  await expect(after).toBeVisible();
  await expect(answer.locator("pre", { hasText: "That is all it does." })).toHaveCount(0);
  await expect(answer).not.toContainText("```");
  problems.expectNone();
});
