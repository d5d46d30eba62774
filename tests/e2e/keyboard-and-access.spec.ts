import AxeBuilder from "@axe-core/playwright";
import type { Locator, Page } from "@playwright/test";
import * as gemini from "../helpers/fake-gemini";
import { fakeModel } from "./fake-control";
import { analyze, controls, DESKTOP, DIAGRAM_NAME, expect, PHONE, test } from "./page-helpers";

/**
 * The page without a mouse, with a screen reader's eyes (names, roles, states, through axe-core),
 * in dark mode and on a phone.
 */

const TASK = "Explain this architecture";
const THOUGHT = "**Reading the boxes**\n\nThree boxes joined left to right.";
const ANSWER_PIECES = ["## Overview\n\n", "API Gateway calls Lambda Functions.\n\n", "Lambda Functions write to Amazon S3."];

/** Thought, then the answer; held after `holdAfter` events. */
function answerWithThought(holdAfter?: number) {
  const answer = gemini.textReply(ANSWER_PIECES);
  return gemini.streamReply([gemini.candidateChunk([{ text: THOUGHT, thought: true }]), ...answer.chunks], holdAfter === undefined ? {} : { holdAfter });
}

test.beforeEach(async () => {
  await fakeModel.reset();
});

/**
 * How an element and its parent are drawn: outline, ring (box-shadow) and border. A focus
 * indicator is a difference in this between focused and not. Elements too small to see (the
 * visually hidden file input) are left out, so their container has to show the focus.
 */
function looks(element: Element): string {
  const visible = (node: Element) => {
    const box = node.getBoundingClientRect();
    return box.width > 4 && box.height > 4;
  };
  return [element, element.parentElement!]
    .filter(visible)
    .map((node) => {
      const style = getComputedStyle(node);
      return `${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor} | ${style.boxShadow} | ${style.borderColor}`;
    })
    .join(" || ");
}

async function axeViolations(page: Page) {
  const results = await new AxeBuilder({ page })
    // Off by default in axe: WCAG 2.2's 24 px touch targets, which matter on a phone.
    .options({ rules: { "target-size": { enabled: true } } })
    .analyze();
  return results.violations.map(({ id, help, nodes }) => ({ id, help, targets: nodes.map((node) => node.target.join(" ")) }));
}

test("Tab reaches every control in reading order, each with its name and a visible focus ring", async ({ page, diagramPath }) => {
  await fakeModel.reply([answerWithThought()]);
  await page.goto("/");
  const { task, examples, model, depth, analyze: analyzeButton, answer, followUpTask } = controls(page);
  await analyze(page, diagramPath, TASK);
  await expect(answer.getByTestId("answer-status")).toHaveText("Done");

  // Found by role and accessible name, as assistive technology finds them.
  const account = page.getByRole("navigation", { name: "Account" });
  const expected: Locator[] = [
    // The header's way to the account and (the local owner is the admin) the admin page.
    account.getByRole("link", { name: "Account" }),
    account.getByRole("link", { name: "Admin" }),
    page.getByRole("button", { name: `Click to zoom into ${DIAGRAM_NAME}` }),
    page.getByRole("button", { name: "Replace" }),
    page.getByRole("button", { name: "Remove" }),
    page.getByRole("button", { name: "Download as draw.io" }),
    page.getByRole("button", { name: "Download as Mermaid" }),
    task,
    ...["Explain this architecture", "List every component and its role", "Find single points of failure and risks", "Review security", "Redraw as a Mermaid diagram"].map(
      (name) => examples.getByRole("button", { name }),
    ),
    model,
    depth,
    analyzeButton,
    // The saved conversation's bar, above its turns.
    page.getByRole("button", { name: "Share", exact: true }),
    page.getByRole("link", { name: "Export .md" }),
    page.getByRole("link", { name: "Export .json" }),
    answer.getByTestId("reasoning").locator("summary", { hasText: "Reasoning" }),
    answer.getByRole("button", { name: "Copy markdown" }),
    answer.getByRole("button", { name: "Download .md" }),
    answer.getByRole("button", { name: "Regenerate" }),
    page.getByRole("textbox", { name: `Follow-up about ${DIAGRAM_NAME}` }),
  ];
  // How each control looks unfocused, to compare with how it looks with the keyboard on it.
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  const unfocused = await Promise.all(expected.map((control) => control.evaluate(looks)));

  // A click on the title starts the Tab sequence at the top of the page.
  await page.getByRole("heading", { level: 1 }).click();
  await page.keyboard.press("Tab");
  for (const [index, control] of expected.entries()) {
    await expect(control, `Tab stop ${index + 1}`).toBeFocused();
    expect(await control.evaluate(looks), `focus ring of Tab stop ${index + 1}`).not.toBe(unfocused[index]);
    await page.keyboard.press("Tab");
  }
  // The empty follow-up box's Ask button is disabled: the last stop was the box itself.
  await expect(followUpTask).not.toBeFocused();
});

test("with the keyboard alone: an example fills the task, Ctrl+Enter analyzes, Esc stops, and focus lands where the next step is", async ({
  page,
  diagramPath,
}) => {
  await fakeModel.reply([
    gemini.textReply(ANSWER_PIECES, { holdAfter: 2 }),
    gemini.textReply(ANSWER_PIECES, { holdAfter: 2 }),
    gemini.textReply(ANSWER_PIECES),
  ]);
  await page.goto("/");
  const { upload, task, examples, answer, turns, stop, followUpTask } = controls(page);
  // Picking the file is the one step in the browser's own dialog.
  await upload.setInputFiles(diagramPath);

  // From the task box, Tab to the first example; Enter puts it in the box, and focus goes back
  // there, ready for Ctrl+Enter.
  await task.focus();
  await page.keyboard.press("Tab");
  await expect(examples.getByRole("button", { name: TASK })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(task).toHaveValue(TASK);
  await expect(task).toBeFocused();
  await page.keyboard.press("Control+Enter");
  await expect(answer.getByTestId("answer-text")).toContainText("API Gateway calls Lambda Functions.");

  // Esc stops; focus stays in the task box, where the person left it.
  await page.keyboard.press("Escape");
  await expect(answer.getByTestId("answer-status")).toHaveText("Stopped");
  await expect(task).toBeFocused();

  // A follow-up: Ctrl+Enter sends it, Enter on the focused Stop button stops it. The button goes
  // away with the answer's end, and focus, with nowhere else to be, goes to the follow-up box.
  await followUpTask.focus();
  await page.keyboard.type("What does Lambda Functions do?");
  await page.keyboard.press("Control+Enter");
  await expect(turns).toHaveCount(2);
  await expect(answer.getByTestId("answer-text")).toContainText("API Gateway calls Lambda Functions.");
  await stop.focus();
  await page.keyboard.press("Enter");
  await expect(answer.getByTestId("answer-status")).toHaveText("Stopped");
  await expect(followUpTask).toBeFocused();

  // Cmd+Enter does on a Mac what Ctrl+Enter does elsewhere.
  await page.keyboard.type("And what does it write to?");
  await page.keyboard.press("Meta+Enter");
  await expect(turns).toHaveCount(3);
  await expect(answer.getByTestId("answer-status")).toHaveText("Done");
  await expect(followUpTask).toBeFocused();
  await expect(followUpTask).toHaveValue("");
});

test("axe finds no accessibility problems: empty, thinking with the reasoning open, and a conversation with a stopped follow-up, light and dark, desktop and phone", async ({
  page,
  diagramPath,
}) => {
  await fakeModel.reply([answerWithThought(1), gemini.textReply(ANSWER_PIECES, { holdAfter: 2 })]);
  await page.goto("/");
  const { answer, followUpTask, stop } = controls(page);
  // Each state in two looks, so every state is seen light and dark, wide and narrow, without
  // scanning every combination (a scan takes seconds).
  const scan = async (state: string, looks: Array<["desktop" | "phone", "light" | "dark"]>) => {
    for (const [size, colorScheme] of looks) {
      await page.setViewportSize(size === "phone" ? PHONE : DESKTOP);
      await page.emulateMedia({ colorScheme });
      expect(await axeViolations(page), `${state}, ${size}, ${colorScheme}`).toEqual([]);
    }
    await page.setViewportSize(DESKTOP);
    await page.emulateMedia({ colorScheme: "light" });
  };

  await scan("empty", [["desktop", "light"], ["phone", "dark"]]);

  await analyze(page, diagramPath, TASK);
  await expect(answer.getByTestId("reasoning")).toContainText("Three boxes joined left to right.");
  await scan("thinking, reasoning open", [["desktop", "dark"], ["phone", "light"]]);

  await fakeModel.release();
  await expect(answer.getByTestId("answer-status")).toHaveText("Done");
  await followUpTask.fill("What does Lambda Functions do?");
  await followUpTask.press("Control+Enter");
  await expect(answer.getByTestId("answer-text")).toContainText("API Gateway calls Lambda Functions.");
  await stop.click();
  await expect(answer.getByTestId("answer-status")).toHaveText("Stopped");
  // The first answer (done, reasoning folded, its actions) and the stopped follow-up.
  await scan("a conversation with a stopped follow-up", [["desktop", "light"], ["phone", "dark"]]);
});

test("on a phone, the question in progress scrolls into view with its Stop button, and nothing is wider than the screen", async ({ page, diagramPath }) => {
  await fakeModel.reply([answerWithThought(1)]);
  await page.setViewportSize(PHONE);
  await page.goto("/");
  const { answer, stop, followUpTask } = controls(page);
  const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(await overflow()).toBe(0);

  await analyze(page, diagramPath, TASK);
  // The answer is below the form on a phone: the page brings it up.
  await expect(answer.getByTestId("answer-status")).toHaveText("Thinking…");
  await expect(answer.getByTestId("answer-status")).toBeInViewport();
  await expect(stop).toBeInViewport();
  expect(await overflow()).toBe(0);

  await fakeModel.release();
  await expect(answer.getByTestId("answer-status")).toHaveText("Done");
  expect(await overflow()).toBe(0);
  // The next question is right there.
  await expect(followUpTask).toBeFocused();
  await expect(followUpTask).toBeInViewport();
});
