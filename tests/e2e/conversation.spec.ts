import { stat } from "node:fs/promises";
import * as gemini from "../helpers/fake-gemini";
import * as openai from "../helpers/fake-openai";
import { APP_URL, E2E_OPENAI_LABEL } from "./e2e-env";
import { specklesPng } from "./e2e-images";
import { fakeModel } from "./fake-control";
import { analyze, controls, DIAGRAM_NAME, expect, OFFLINE_LABEL, recordAnalyses, screenshotEveryLook, test } from "./page-helpers";
import { rewriteAnalyzeMeta } from "./pages/history-page";

/**
 * Follow-up questions about the same diagram: the page names the saved conversation (or, when it
 * is not saved, the image the server kept and the earlier turns) instead of uploading the image
 * again, and every provider answers with the whole conversation in mind.
 */

const TASK = "Explain this architecture";
const FIRST_ANSWER = "## Overview\n\nAPI Gateway hands each request to Lambda Functions, which store it in Amazon S3.";
const FOLLOW_UP = "What happens when Amazon S3 is slow?";
const SECOND_ANSWER = "Lambda Functions wait on S3 and time out; API Gateway returns 504 to the caller.";
const SECOND_FOLLOW_UP = "How would you make that safer?";
const THIRD_ANSWER = "Put a queue between Lambda Functions and S3, and retry with backoff.";

let diagramBytes: number;
test.beforeAll(async ({ diagramPath }) => {
  diagramBytes = (await stat(diagramPath)).size;
});

test.beforeEach(async () => {
  await fakeModel.reset();
});

test("a follow-up about the same diagram names the saved conversation, not the file again", async ({ page, diagramPath }) => {
  await fakeModel.reply([gemini.textReply([FIRST_ANSWER]), gemini.textReply([SECOND_ANSWER]), gemini.textReply([THIRD_ANSWER])]);
  await page.goto("/");
  const { upload, task, examples, analyze: analyzeButton, turns, answer, followUpTask, ask } = controls(page);
  const sent = recordAnalyses(page);

  await upload.setInputFiles(diagramPath);
  // One click on an example fills the task.
  await examples.getByRole("button", { name: TASK }).click();
  await expect(task).toHaveValue(TASK);
  await analyzeButton.click();
  await expect(answer.getByTestId("answer-status")).toHaveText("Done");
  await expect(answer.getByTestId("answer-text")).toContainText("store it in Amazon S3");

  // The follow-up box names the image it asks about; Ctrl+Enter sends it.
  await expect(page.getByText(`Follow-up about ${DIAGRAM_NAME}`)).toBeVisible();
  await followUpTask.fill(FOLLOW_UP);
  await followUpTask.press("Control+Enter");
  await expect(turns).toHaveCount(2);
  await expect(followUpTask).toHaveValue("");
  await expect(answer.getByRole("heading", { name: `Question 2: ${FOLLOW_UP}` })).toBeVisible();
  await expect(answer.getByTestId("answer-status")).toHaveText("Done");
  await expect(answer.getByTestId("answer-text")).toHaveText(SECOND_ANSWER);
  // The first answer stays above it.
  await expect(turns.first().getByTestId("answer-text")).toContainText("store it in Amazon S3");

  // The Ask button works as well as the keys.
  await followUpTask.fill(SECOND_FOLLOW_UP);
  await ask.click();
  await expect(turns).toHaveCount(3);
  await expect(answer.getByTestId("answer-status")).toHaveText("Done");
  await expect(answer.getByTestId("answer-text")).toHaveText(THIRD_ANSWER);
  await expect(answer.getByTestId("answer-footer")).toContainText("image sent 900 × 360 px");
  await screenshotEveryLook(page, "conversation-with-follow-ups");

  // The browser uploaded the diagram once; the follow-ups named the saved conversation, whose
  // image and earlier turns the server reads itself: far fewer bytes than the diagram.
  expect(sent).toHaveLength(3);
  expect(await sent[0]!.bytes()).toBeGreaterThan(diagramBytes);
  for (const followUp of sent.slice(1)) {
    expect(followUp.fields).toEqual(["prompt", "provider", "conversationId"]);
    expect(await followUp.bytes()).toBeLessThan(2_000);
  }

  // Gemini got the whole conversation each time, with the image once, in the first question.
  const requests = await fakeModel.requests();
  expect(requests).toHaveLength(3);
  expect(requests[1]).toMatchObject({
    turns: [
      { role: "user", text: TASK },
      { role: "model", text: FIRST_ANSWER },
      { role: "user", text: FOLLOW_UP },
    ],
    imageCount: 1,
    image: requests[0]!.image,
  });
  expect(requests[2]).toMatchObject({
    turns: [
      { role: "user", text: TASK },
      { role: "model", text: FIRST_ANSWER },
      { role: "user", text: FOLLOW_UP },
      { role: "model", text: SECOND_ANSWER },
      { role: "user", text: SECOND_FOLLOW_UP },
    ],
    imageCount: 1,
    image: requests[0]!.image,
  });

  // Each answer downloads under its own name.
  const [download] = await Promise.all([page.waitForEvent("download"), turns.nth(1).getByRole("button", { name: "Download .md" }).click()]);
  expect(download.suggestedFilename()).toBe("serverless-diagram-answer-2.md");
});

test("follow-ups with the OpenAI-compatible model carry the conversation as chat messages, the image once", async ({ page, diagramPath }) => {
  await fakeModel.reply([gemini.textReply(["Gemini should not be asked."]), openai.textReply([FIRST_ANSWER]), openai.textReply([SECOND_ANSWER])]);
  await page.goto("/");
  const { model, answer, followUpTask, ask } = controls(page);
  await model.selectOption({ label: E2E_OPENAI_LABEL });
  await analyze(page, diagramPath, TASK);
  await expect(answer.getByTestId("answer-status")).toHaveText("Done");

  await followUpTask.fill(FOLLOW_UP);
  await ask.click();
  await expect(answer.getByTestId("answer-status")).toHaveText("Done");
  await expect(answer.getByTestId("answer-text")).toHaveText(SECOND_ANSWER);
  await expect(answer.getByTestId("answer-footer")).toContainText(`Answered by ${E2E_OPENAI_LABEL}`);

  const requests = await fakeModel.requests();
  expect(requests.map(({ protocol }) => protocol)).toEqual(["openai", "openai"]);
  expect(requests[1]).toMatchObject({
    turns: [
      { role: "user", text: TASK },
      { role: "assistant", text: FIRST_ANSWER },
      { role: "user", text: FOLLOW_UP },
    ],
    imageCount: 1,
    image: requests[0]!.image,
  });
});

test("the offline analyzer answers follow-ups about a component it read in the diagram", async ({ page, diagramPath }) => {
  test.slow(); // real OCR of the diagram, on the server
  await page.goto("/");
  const { model, answer, turns, followUpTask } = controls(page);
  await model.selectOption({ label: OFFLINE_LABEL });
  await analyze(page, diagramPath, TASK);
  await expect(answer.getByTestId("answer-status")).toHaveText("Done", { timeout: 30_000 });
  await expect(answer.getByTestId("answer-text")).toContainText("Offline analysis.");
  await expect(answer.getByTestId("answer-text")).toContainText("Lambda Functions");

  await followUpTask.fill("What does Lambda Functions do?");
  await followUpTask.press("Control+Enter");
  await expect(turns).toHaveCount(2);
  await expect(answer.getByTestId("answer-status")).toHaveText("Done");
  const aboutLambda = answer.getByTestId("answer-text");
  await expect(aboutLambda.getByRole("heading", { level: 2 })).toHaveText(["Lambda Functions"]);

  // "it" is the component the previous question named.
  await followUpTask.fill("What does it connect to?");
  await followUpTask.press("Control+Enter");
  await expect(turns).toHaveCount(3);
  await expect(answer.getByTestId("answer-status")).toHaveText("Done");
  const connections = answer.getByTestId("answer-text");
  await expect(connections.getByRole("heading", { level: 2 })).toHaveText(["Lambda Functions"]);
  await expect(connections).toContainText("API Gateway");
  await expect(connections).toContainText("Amazon S3");

  // Nothing went to a model.
  expect(await fakeModel.requests()).toEqual([]);
});

test("when a conversation is not saved and the server has let the kept image go, a follow-up uploads it again without the person noticing", async ({
  page,
  browser,
  diagramPath,
  tempFile,
}) => {
  await fakeModel.reply([gemini.textReply([FIRST_ANSWER]), gemini.textReply(["Another person's answer."]), gemini.textReply(["Another person's answer."]), gemini.textReply([SECOND_ANSWER])]);
  // A saved conversation's follow-ups name it, and the server reads its image from the history. One
  // the history could not save (its meta names no conversation) goes on with the kept image and the
  // earlier turns, as here: the first answer arrives as from a server whose database is down.
  await rewriteAnalyzeMeta(page, { dropSavedIds: true });
  await page.goto("/");
  const { answer, followUpTask, turns } = controls(page);
  await analyze(page, diagramPath, TASK);
  await expect(answer.getByTestId("answer-status")).toHaveText("Done");

  // Someone else, in another browser, asks about two other images of about 0.7 MiB each. The
  // server keeps at most 1 MiB (IMAGE_CACHE_MB in playwright.config.ts), least recently used out
  // first: the diagram goes.
  const otherPerson = await browser.newContext();
  const other = await otherPerson.newPage();
  await other.goto(APP_URL);
  for (const [index, [width, height]] of [[1000, 1000], [1100, 1000]].entries()) {
    await analyze(other, await tempFile(`speckles-${index}.png`, await specklesPng(width!, height!, index + 1)), "What is this?");
    await expect(controls(other).answer.getByTestId("answer-status")).toHaveText("Done");
  }
  await otherPerson.close();
  const theirImages = (await fakeModel.requests()).slice(1).map((request) => (request.image!.base64Length * 3) / 4);
  for (const bytes of theirImages) {
    expect(bytes, "each of the other images fills more than half the store").toBeGreaterThan(0.5 * 1024 * 1024);
    expect(bytes, "and fits in it on its own").toBeLessThan(1024 * 1024);
  }

  const sent = recordAnalyses(page);
  await followUpTask.fill(FOLLOW_UP);
  await followUpTask.press("Control+Enter");
  await expect(turns).toHaveCount(2);
  await expect(answer.getByTestId("answer-status")).toHaveText("Done");
  await expect(answer.getByTestId("answer-text")).toHaveText(SECOND_ANSWER);
  await expect(answer.getByRole("alert")).toHaveCount(0);
  await expect(controls(page).form.getByRole("alert")).toHaveCount(0);

  // Behind the scenes: the kept image was refused as expired, and the file went up again, once.
  expect(sent).toHaveLength(2);
  expect(sent[0]!.fields).toEqual(["prompt", "provider", "history", "imageId"]);
  expect((await sent[0]!.request.response())?.status()).toBe(410);
  expect(await sent[1]!.bytes()).toBeGreaterThan(diagramBytes);
  expect((await sent[1]!.request.response())?.status()).toBe(200);

  // The model still got the conversation, with the diagram once.
  const requests = await fakeModel.requests();
  expect(requests).toHaveLength(4);
  expect(requests[3]).toMatchObject({
    turns: [
      { role: "user", text: TASK },
      { role: "model", text: FIRST_ANSWER },
      { role: "user", text: FOLLOW_UP },
    ],
    imageCount: 1,
    image: requests[0]!.image,
  });
});
